"""What this machine gives a second thread or a second process, with no fastattest code at all.

    python bench/ceiling.py [--repeat 5]

The thread and batch targets of the report are ratios (2 ÷ 1); they can only be read against
what the machine allows for the same work. Three workloads, each per item a key never used
before (keys already loaded, as the report's floors):

- ``rsa``: a TPM new device's floor: SHA-256 + two RSA-2048 PKCS#1 v1.5 verifications;
- ``ecdsa``: a packed new device's floor: SHA-256 + two ECDSA P-256 verifications;
- ``es256``: a new user key's floor: SHA-256 + one ECDSA P-256 verification.

Each is run by 1 thread, by 2 threads of this process (``cryptography`` releases the GIL in
``verify``; every hand-off of the GIL wakes the other thread), and by 2 processes (no GIL to
share). Printed: µs per item and 2 ÷ 1 for each, the median of ``--repeat`` rounds; rounds
alternate the three ways so a burst of load from another tenant hits all of them.

``--batch N``: the ceiling of ``reverify(workers=2)`` instead: N records of the batch benchmark's
population re-verified by one process, and the two halves by two processes at once, each with
its records and metadata already in memory (no start-up, no chunks to send): the most a second
worker can give for that work on this machine.
"""
from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import statistics
import sys
import threading
import time
from typing import Any, Callable

N = 400  # items per round and way


def _items(kind: str, n: int) -> list[tuple[Any, ...]]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    out: list[tuple[Any, ...]] = []
    pool = [rsa.generate_private_key(65537, 2048) for _ in range(8)] if kind == "rsa" else []
    for i in range(n):
        data = i.to_bytes(4, "big") * 80
        if kind == "rsa":
            keys = (pool[i % 8], pool[(i + 3) % 8])
            sigs = [k.sign(data, padding.PKCS1v15(), hashes.SHA256()) for k in keys]
            # a key object never used: built again from its numbers, as a new device's would be
            pubs = [k.public_key().public_numbers().public_key() for k in keys]
        else:
            keys = tuple(ec.generate_private_key(ec.SECP256R1()) for _ in range(1 if kind == "es256" else 2))
            sigs = [k.sign(data, ec.ECDSA(hashes.SHA256())) for k in keys]
            pubs = [k.public_key() for k in keys]
        out.append((data, pubs, sigs))
    return out


def _run(kind: str, items: list[tuple[Any, ...]]) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    pkcs1, sha256, ecdsa = padding.PKCS1v15(), hashes.SHA256(), ec.ECDSA(hashes.SHA256())
    for data, pubs, sigs in items:
        hashlib.sha256(data).digest()
        for pub, sig in zip(pubs, sigs):
            if kind == "rsa":
                pub.verify(sig, data, pkcs1, sha256)
            else:
                pub.verify(sig, data, ecdsa)


def _child(kind: str, n: int, start: Any, q: Any) -> None:
    items = _items(kind, n)
    start.wait()
    t = time.perf_counter()
    _run(kind, items)
    q.put(time.perf_counter() - t)


def _threads(kind: str, items: list[tuple[Any, ...]], k: int) -> float:
    ts = [threading.Thread(target=_run, args=(kind, items[i::k])) for i in range(k)]
    t = time.perf_counter()
    for th in ts:
        th.start()
    for th in ts:
        th.join()
    return (time.perf_counter() - t) / len(items)


def _processes(kind: str, n: int) -> float:
    ctx = mp.get_context("spawn")
    start, q = ctx.Barrier(3), ctx.Queue()
    ps = [ctx.Process(target=_child, args=(kind, n // 2, start, q)) for _ in range(2)]
    for p in ps:
        p.start()
    start.wait()  # both children have built their items: only their verifications are timed
    spent = max(q.get(), q.get())  # the slower child ends the round
    for p in ps:
        p.join()
    return spent / n


def measure(kind: str, repeat: int) -> dict[str, float]:
    one: list[float] = []
    two: list[float] = []
    procs: list[float] = []
    for _ in range(repeat):
        one.append(_threads(kind, _items(kind, N), 1))
        two.append(_threads(kind, _items(kind, N), 2))
        procs.append(_processes(kind, N))
    med: Callable[[list[float]], float] = statistics.median
    return {"1 thread": med(one), "2 threads": med(two), "2 processes": med(procs),
            "threads 2 ÷ 1": statistics.median(a / b for a, b in zip(one, two)),
            "processes 2 ÷ 1": statistics.median(a / b for a, b in zip(one, procs))}


def _batch_child(lo: int, hi: int, start: Any, q: Any) -> None:
    from collections import deque
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    sys.path[:0] = [str(root), str(root / "tests")]
    from corpus import Population

    from fastattest.batch import reverify

    pop = Population(models=3)
    recs = list(pop.records(hi))[lo:hi]
    store = pop.store()
    deque(reverify(pop.records(200, start=hi + 1), metadata=store), maxlen=0)  # imports, chains, metadata
    start.wait()
    t = time.perf_counter()
    deque(reverify(recs, metadata=store), maxlen=0)
    q.put(time.perf_counter() - t)


def batch_ceiling(n: int, repeat: int) -> list[float]:
    ctx = mp.get_context("spawn")
    out = []
    for _ in range(repeat):
        times = []
        for parts in ((0, n),), ((0, n // 2), (n // 2, n)):
            start, q = ctx.Barrier(len(parts) + 1), ctx.Queue()
            ps = [ctx.Process(target=_batch_child, args=(lo, hi, start, q)) for lo, hi in parts]
            for p in ps:
                p.start()
            start.wait()
            times.append(max(q.get() for _ in parts))
            for p in ps:
                p.join()
        out.append(times[0] / times[1])
        print(f"batch {n}: 1 process {times[0]:.2f} s, 2 processes {times[1]:.2f} s, 2 ÷ 1 {out[-1]:.2f}x", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--batch", type=int, metavar="N", help="the reverify ceiling on N records instead")
    args = ap.parse_args()
    if args.batch:
        r = batch_ceiling(args.batch, args.repeat)
        print(f"batch {args.batch}: 2 processes ÷ 1, median {statistics.median(r):.2f}x")
        return
    for kind in ("rsa", "ecdsa", "es256"):
        r = measure(kind, args.repeat)
        print(f"{kind:6s} 1 thread {r['1 thread'] * 1e6:6.1f} µs/item, 2 threads {r['2 threads'] * 1e6:6.1f}, "
              f"2 processes {r['2 processes'] * 1e6:6.1f}; 2 ÷ 1: threads {r['threads 2 ÷ 1']:.2f}x, "
              f"processes {r['processes 2 ÷ 1']:.2f}x", flush=True)


if __name__ == "__main__":
    main()
