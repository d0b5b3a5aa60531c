"""fastattest.dask on a real LocalCluster (2 worker processes): results equal reverify(),
metadata reaches every worker once (plugin with a client, one graph task without)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import dask.bag as db
import pytest
from distributed import Client, LocalCluster

from corpus import Population
from fastattest.batch import reverify
from fastattest.dask import reverify_bag, reverify_jsonl

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c


@pytest.fixture(scope="module")
def pop() -> Population:
    return Population(models=3)


def test_reverify_bag_equals_reverify(client: Client, pop: Population) -> None:
    recs = list(pop.records(40))
    store = pop.store(statuses={0: "REVOKED"})
    bag = db.from_sequence(recs, npartitions=4)
    got = reverify_bag(bag, store, now=NOW).compute()
    want = [r.to_dict() for r in reverify(recs, metadata=store, now=NOW)]
    # index counts within a partition (10 records each)
    assert [d["index"] for d in got] == [i % 10 for i in range(40)]
    strip = lambda d: {k: v for k, v in d.items() if k != "index"}  # noqa: E731
    assert [strip(d) for d in got] == [strip(d) for d in want]
    assert sum(d["changed"] == "status_rejected" for d in got) == 14


def test_reverify_jsonl_with_plugin(client: Client, pop: Population, tmp_path: Path) -> None:
    paths = []
    for k in range(2):
        p = tmp_path / f"part{k}.jsonl"
        with p.open("w") as f:
            for rec in pop.records(15, start=15 * k):
                f.write(json.dumps(rec) + "\n")
            f.write("{broken\n")
        paths.append(str(p))
    store = pop.store(drop_roots=frozenset({1}))
    got = reverify_jsonl(paths, store, client, mode="trust", now=NOW).compute()
    assert len(got) == 32
    assert {d["path"] for d in got} == set(paths)
    by_file = [d for d in got if d["path"] == paths[1]]
    assert [d["index"] for d in by_file] == list(range(16))
    assert by_file[-1]["error"] == "batch.record_invalid"
    valid = [d for d in got if d["valid"]]
    assert len(valid) == 30
    for d in valid:
        model = int(d["aaguid"][-1])
        assert d["changed"] == ("newly_untrusted" if model == 1 else None)
    # the metadata plugin is installed on both workers
    plugins = client.run(lambda dask_worker: sorted(dask_worker.plugins))
    assert len(plugins) == 2 and all(any(n.startswith("fastattest-metadata-") for n in names) for names in plugins.values())
