"""Batch re-verification on Dask (``pip install fastattest[dask]``).

``reverify_bag(bag, metadata, **kw)`` maps :func:`fastattest.batch.reverify` over each
partition of a ``dask.bag`` of records and gives a bag of result dicts
(``ReverifyResult.to_dict()``; ``index`` counts within the partition).

``reverify_jsonl(paths, metadata, client=None, **kw)`` reads JSON-lines files of stored records,
one partition per file, and adds ``path`` to each result (``index`` is then the record's line
number among the file's non-blank lines). ``as_dataframe=True`` returns a dask DataFrame
(needs pandas).

Metadata travels once per worker: with a ``client``, a :class:`distributed.WorkerPlugin`
carrying the serialised store is registered (workers that join later receive it too);
without one, the serialised store is a single task in the graph, computed once and shipped to
each worker that needs it. Workers deserialise it once and keep it, keyed by a token.
"""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import dask.bag as db
from dask.delayed import delayed

from . import batch
from .types import MetadataSource

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["reverify_bag", "reverify_jsonl", "MetadataPlugin"]

_STORES: dict[str, MetadataSource | None] = {}  # token -> thawed store, per worker process
_PLUGIN_NAME = "fastattest-metadata-"


def _freeze(metadata: MetadataSource | None) -> tuple[str, bytes]:
    frozen = batch.freeze_metadata(metadata)
    token = hashlib.sha256(frozen).hexdigest()[:32]
    return token, frozen


def _store(token: str, frozen: bytes | None) -> MetadataSource | None:
    store = _STORES.get(token)
    if store is None and token not in _STORES:
        if frozen is None:
            raise RuntimeError("fastattest metadata plugin is not registered on this worker")
        store = _STORES[token] = batch.thaw_metadata(frozen)
    return store


try:
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # pragma: no cover - distributed is part of the dask extra
    _WorkerPlugin = object  # type: ignore[assignment,misc]


class MetadataPlugin(_WorkerPlugin):
    """Thaws the metadata store once when a worker starts (or when registered)."""

    def __init__(self, token: str, frozen: bytes) -> None:
        self.token = token
        self.frozen = frozen
        self.name = _PLUGIN_NAME + token

    def setup(self, worker: Any) -> None:
        _store(self.token, self.frozen)

    def teardown(self, worker: Any) -> None:
        _STORES.pop(self.token, None)


def _partition(records: Iterable[Any], token: str, frozen: bytes | None,
               kw: dict[str, Any]) -> list[dict[str, Any]]:
    store = _store(token, frozen)
    return [r.to_dict() for r in batch.reverify(records, metadata=store, workers=1, **kw)]


def _partition_paths(pairs: Iterable[tuple[str, str]], token: str, frozen: bytes | None,
                     kw: dict[str, Any]) -> list[dict[str, Any]]:
    store = _store(token, frozen)
    lines, paths = [], []
    for line, path in pairs:
        if line.strip():
            lines.append(line)
            paths.append(path)
    out = []
    for r, path in zip(batch.reverify(lines, metadata=store, workers=1, **kw), paths):
        d = r.to_dict()
        d["path"] = path
        out.append(d)
    return out


def _ship(metadata: MetadataSource | None, client: Client | None) -> tuple[str, Any]:
    """(token, what the partition function receives to find the store)."""
    token, frozen = _freeze(metadata)
    if client is not None:
        client.register_plugin(MetadataPlugin(token, frozen), name=_PLUGIN_NAME + token)
        return token, None
    return token, delayed(frozen, pure=True, name="fastattest-metadata-" + token)


def reverify_bag(bag: db.Bag, metadata: MetadataSource | None, *, client: Client | None = None, **kw: Any) -> db.Bag:
    """A bag of result dicts, one per record of ``bag`` (records as for ``reverify``)."""
    kw.pop("workers", None)
    token, carrier = _ship(metadata, client)
    out: db.Bag = bag.map_partitions(_partition, token, carrier, kw)  # type: ignore[no-untyped-call]  # dask.bag is unannotated
    return out


def reverify_jsonl(paths: str | Sequence[str], metadata: MetadataSource | None, client: Client | None = None, *,
                   as_dataframe: bool = False, **kw: Any) -> Any:
    """Re-verify JSON-lines files of stored records: a bag of result dicts (or a DataFrame)."""
    kw.pop("workers", None)
    token, carrier = _ship(metadata, client)
    lines = db.read_text(paths, include_path=True, blocksize=None)  # type: ignore[no-untyped-call]  # dask.bag is unannotated
    bag = lines.map_partitions(_partition_paths, token, carrier, kw)
    if as_dataframe:
        return bag.to_dataframe()
    return bag
