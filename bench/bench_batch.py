"""Batch re-verification throughput (``pytest bench/bench_batch.py``) and peak memory
(``python bench/bench_batch.py rss N [--mode full|trust] [--workers K]``).

Targets (README): single-process full re-verification >= 0.8 x bare ECDSA P-256 verify
throughput (one packed attestation = one ECDSA verify, so this measures everything else);
2 workers >= 1.8 x one at 60,000 records and >= 0.95 x at 3,000 (on a 2-core machine); trust-only >= 20 x full on a corpus with
thousands of records per certificate chain. Ratios are printed and stored in extra_info; as
everywhere in bench/, timing never fails a run.

How ``test_ratios`` keeps them honest: every record has its own credential key, and full mode
is timed on records it has not seen before (the verifier caches parsed credential keys by their
bytes, which a corpus of few keys, or a second pass over the same records, would turn into free
hits); ``full_cached_keys`` is the second pass, for comparison. Attestation chains repeat
across records, as in real populations (the "cached chains" of the target). The shared 2-core
machine is noisy (+-15% between two runs of the same loop), so ECDSA and full mode alternate in
rounds (timed in process CPU time) and serial and 2-worker runs alternate in pairs (wall time);
medians are reported. The 2-worker time includes starting the child process (0.25-0.45 s: a
spawned interpreter imports fastattest and cryptography, and under pytest pytest too; reverify
starts it only when the work left is worth twice that), and it is measured at two sizes:
``SMALL_N`` records (env BENCH_BATCH_SMALL_N, default 3,000: too few to earn a child back, so
the target is only "not slower") and ``N_WORKERS`` distinct records (env BENCH_BATCH_N,
default 60,000) streamed ``PASSES`` times over (env BENCH_BATCH_PASSES, default 1).
BENCH_BATCH_PAIRS pairs, default 3. Under ``--benchmark-disable`` (CI) the test only checks
that the measurement runs: 4,000 records, one pair, two rounds.
"""
from __future__ import annotations

import gc
import os
import resource
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)

from corpus import Population  # noqa: E402

from fastattest.batch import reverify  # noqa: E402

_POP: Population | None = None
_RECS: list[dict[str, Any]] = []


def _corpus(n: int) -> tuple[Population, list[dict[str, Any]]]:
    global _POP, _RECS
    if _POP is None:
        _POP = Population(models=3)
    if len(_RECS) < n:
        _RECS.extend(_POP.records(n - len(_RECS), start=len(_RECS)))
        # A batch job streams its records from a database or a file; here up to 60,000 are held
        # in memory, and every full collection of the cyclic GC would walk them all (the parent
        # of a 2-worker run allocates more, so collects more): keep them out of its view.
        gc.collect()
        gc.freeze()
    return _POP, _RECS[:n]


def _per_record(fn: Any, n: int, repeat: int = 3, clock: Any = time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = clock()
        fn()
        best = min(best, clock() - t)
    return best / n


def _ecdsa_case() -> tuple[Any, bytes, bytes]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    data = b"\x00" * 300
    return key.public_key(), key.sign(data, ec.ECDSA(hashes.SHA256())), data


# ----------------------------------------------------------------------------- pytest-benchmark


def test_bare_ecdsa_p256_verify(benchmark: Any) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    pub, sig, data = _ecdsa_case()
    benchmark(pub.verify, sig, data, ec.ECDSA(hashes.SHA256()))


def test_reverify_full_500(benchmark: Any) -> None:
    pop, recs = _corpus(500)
    store = pop.store()
    res = benchmark(lambda: list(reverify(recs, metadata=store)))
    assert len(res) == 500 and all(r.trusted for r in res)


def test_reverify_trust_only_5000(benchmark: Any) -> None:
    pop, recs = _corpus(5000)
    store = pop.store()
    res = benchmark(lambda: list(reverify(recs, metadata=store, mode="trust")))
    assert len(res) == 5000 and all(r.trusted for r in res)


N_WORKERS = int(os.environ.get("BENCH_BATCH_N", 60_000))  # distinct records for the 1 vs 2 workers comparison
PASSES = int(os.environ.get("BENCH_BATCH_PASSES", 1))  # ... streamed this many times over
SMALL_N = int(os.environ.get("BENCH_BATCH_SMALL_N", 3_000))  # a small batch: children must not slow it
ROUNDS = 6  # ECDSA / full-mode rounds, each on 2,000 records not seen before
PAIRS = int(os.environ.get("BENCH_BATCH_PAIRS", 3))  # serial / 2-worker pairs


def _drain(results: Any) -> None:
    """Consume results as a batch job does (each handled, then dropped): collecting them in a
    list would time the garbage collector walking an ever longer list, not re-verification."""
    deque(results, maxlen=0)


def _fresh_keys() -> None:
    """Forget parsed credential keys, so that no run profits from an earlier one."""
    from fastattest import algorithms

    algorithms.load_cose_key.cache_clear()
    algorithms.parse_cose_key.cache_clear()  # registration's path (validated key, no key object)


def test_ratios(benchmark: Any) -> None:
    """The three target ratios, measured in the same run (printed; see the module docstring)."""
    import statistics

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    short = benchmark.disabled  # CI: prove the measurement runs, time nothing
    n, passes, rounds, pairs = (4000, 1, 2, 1) if short else (N_WORKERS, PASSES, ROUNDS, PAIRS)
    pop, recs = _corpus(max(n, rounds * 2000))
    recs = recs[:n] if short else recs
    store = pop.store()
    pub, sig, data = _ecdsa_case()
    algo = ec.ECDSA(hashes.SHA256())
    block = 2000

    def ecdsa() -> None:
        for _ in range(block):
            pub.verify(sig, data, algo)

    assert all(r.trusted for r in reverify(recs[-block:], metadata=store))  # warm: imports, chains, metadata
    cpu = time.process_time  # one process: its CPU time, not other helpers' share of the machine
    t_ecdsa, t_full, t_cached, r_full = [], [], [], []
    for k in range(rounds):
        part = recs[k * block:(k + 1) * block]
        _fresh_keys()
        t_ecdsa.append(_per_record(ecdsa, block, repeat=1, clock=cpu))
        t_full.append(_per_record(lambda: _drain(reverify(part, metadata=store)), block, repeat=1, clock=cpu))
        t_cached.append(_per_record(lambda: _drain(reverify(part, metadata=store)), block, repeat=1, clock=cpu))
        r_full.append(t_ecdsa[-1] / t_full[-1])
    med = statistics.median
    t_trust = _per_record(lambda: _drain(reverify(recs, metadata=store, mode="trust")), len(recs))
    r_workers, r_small = [], []
    stream = recs * passes  # references: no copies of the records
    small = recs[:SMALL_N if not short else 300]
    for _ in range(pairs):
        for batch, out in ((small, r_small), (stream, r_workers)):
            _fresh_keys()
            t_one = _per_record(lambda: _drain(reverify(batch, metadata=store)), len(batch), repeat=1)
            _fresh_keys()
            t_two = _per_record(lambda: _drain(reverify(batch, metadata=store, workers=2)), len(batch), repeat=1)
            out.append(t_one / t_two)
            print(f"\n  pair, {len(batch)} records: 1 worker {t_one * 1e6:.1f} us/record, 2 workers "
                  f"{t_two * 1e6:.1f} us/record, ratio {out[-1]:.2f}", end="")
    ratios = {
        "ecdsa_us": med(t_ecdsa) * 1e6,
        "full_us": med(t_full) * 1e6,
        "full_cached_keys_us": med(t_cached) * 1e6,
        "trust_us": t_trust * 1e6,
        "full_vs_ecdsa": med(r_full),  # target >= 0.8 (median of the rounds' ratios)
        "full_cached_keys_vs_ecdsa": med(t_ecdsa) / med(t_cached),
        "workers2_vs_1": med(r_workers),  # target >= 1.8 on 2 cores at 60,000 records (median of the pairs)
        "workers2_vs_1_small": med(r_small),  # target >= 0.95 at 3,000 records: children never cost more than they bring
        "trust_vs_full": med(t_full) / t_trust,  # target >= 20
    }
    benchmark.extra_info.update(ratios)
    benchmark.extra_info["full_vs_ecdsa_rounds"] = r_full
    benchmark.extra_info["workers2_vs_1_pairs"] = r_workers
    benchmark.extra_info["workers2_vs_1_small_pairs"] = r_small
    print("\nbatch ratios: " + ", ".join(f"{k}={v:.2f}" for k, v in ratios.items()))
    print("  full_vs_ecdsa rounds: " + " ".join(f"{r:.2f}" for r in r_full)
          + "; workers2_vs_1 pairs: " + " ".join(f"{r:.2f}" for r in r_workers))
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


# ----------------------------------------------------------------------------- peak RSS


def rss(n: int, mode: str = "full", workers: int = 1) -> dict[str, float]:
    """Stream ``n`` generated records through reverify; report peak RSS (MiB) and rate."""
    pop = Population(models=3)
    store = pop.store(statuses={0: "REVOKED"})
    start = time.perf_counter()
    changed = 0
    for r in reverify(pop.records(n), metadata=store, mode=mode, workers=workers):
        changed += r.changed is not None
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = 0.0
    for _ in range(100 if workers > 1 else 0):  # a child counts once it has exited and been reaped
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if children:
            break
        time.sleep(0.05)
    return {"records": n, "seconds": elapsed, "records_per_s": n / elapsed, "peak_rss_mib": peak,
            "peak_child_rss_mib": children, "changed": changed}


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["rss"])
    ap.add_argument("n", type=int)
    ap.add_argument("--mode", default="full", choices=["full", "trust"])
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    print(rss(a.n, a.mode, a.workers))
