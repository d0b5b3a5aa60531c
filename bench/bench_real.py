"""The paths users actually hit: a device never seen, a user's key never seen, several threads.

- ``new-device``: each timed registration brings a leaf certificate (and keys) never seen before,
  issued by an intermediate and root already seen (``bench/corpora.py``: packed, tpm with an RSA
  and with an ECC credential, android-key, apple). Libraries: ``fastattest``
  (``verify_attestation`` with the root as trust anchor), ``fastattest-rp`` (one
  ``RelyingParty`` with that root, ``require_trusted``, end to end), ``py_webauthn`` (the root in
  ``pem_root_certs_bytes_by_fmt``), ``python-fido2`` (statement + ``verify_x509_chain`` to the
  root) and ``floor`` (SHA-256 of clientDataJSON + the leaf's signature by its issuer + the
  statement's signature, keys loaded).
- ``new-key``: each timed assertion is by a credential key never seen (ES256, RS256, EdDSA):
  fastattest ``RelyingParty.verify``, py_webauthn, python-fido2, and the floor (signature + hash).
- ``threads``: one ``RelyingParty`` (one py_webauthn configuration) shared by 1 and by 2 threads
  of this process; the time per ceremony of a round of ``THREAD_BATCH`` ceremonies, each on a
  device or key never seen. 2 threads ÷ 1 thread is the throughput gained.

Every timed call gets the next item of a corpus (``benchmark.pedantic`` with a ``setup`` that
hands it over, outside the timing), so no cache keyed by certificate or key bytes helps; the
intermediate and root are validated once before timing, as a running server has. Sizes: env
``BENCH_NEW_N`` (default 200 per row; RS256 is bounded by the RSA key pool,
``FASTATTEST_BENCH_RSA_POOL``, default 48), ``BENCH_THREAD_BATCH`` (8) x ``BENCH_THREAD_ROUNDS``
(41): short rounds, so that the median round is one the OS did not preempt (on a machine shared
by several busy processes a 300 µs call is descheduled for ~15 ms every few ms; a mean, or a
long round, measures the other tenants). Under ``--benchmark-disable`` (CI) each row runs a couple of items, checking verdicts only.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest

from bench import corpora, peers
from fastattest import Credential, Policy, RelyingParty

N_NEW = int(os.environ.get("BENCH_NEW_N", 200))
THREAD_BATCH = int(os.environ.get("BENCH_THREAD_BATCH", 8))
THREAD_ROUNDS = int(os.environ.get("BENCH_THREAD_ROUNDS", 41))

REG_LIBS = ["fastattest", "fastattest-rp", "py_webauthn", "python-fido2", "floor"]
AUTH_LIBS = ["fastattest", "py_webauthn", "python-fido2", "floor"]


# ------------------------------------------------------------------ per-item runners


def _rp(corpus: corpora.Corpus) -> RelyingParty:
    return RelyingParty(corpora.RP_ID, corpora.ORIGIN, policy=Policy(require_trusted=True),
                        trust_anchors={fmt: corpus.roots for fmt in ("packed", "tpm", "android-key", "apple")})


def registration_runner(lib: str, corpus: corpora.Corpus) -> Callable[[corpora.Device], Callable[[], Any]]:
    """lib -> a function of a device giving the zero-argument call to time (built outside timing)."""
    if lib == "fastattest":
        return lambda d: peers.fastattest_verify(d.case, True)
    if lib == "fastattest-rp":
        rp = _rp(corpus)  # one relying party for the whole population, as a server has
        return lambda d: (lambda r=d.case.response, c=d.case.challenge, n=d.case.now: rp.register(r, c, n))
    if lib == "py_webauthn":
        return lambda d: peers.webauthn_register(d.case, True)
    if lib == "python-fido2":
        return lambda d: peers.fido2_register(d.case, True)
    return lambda d: d.floor


def assertion_runner(lib: str) -> Callable[[Any], Callable[[], Any]]:
    if lib == "fastattest":
        rp = RelyingParty(corpora.RP_ID, corpora.ORIGIN)

        def fa(case: Any) -> Callable[[], Any]:
            # the stored credential row is read by the server before verifying: built outside timing
            cred = Credential(credential_id=case.credential_id, public_key=case.public_key, sign_count=case.sign_count)
            return lambda r=case.response, c=case.challenge: rp.verify(r, cred, c)

        return fa
    if lib == "py_webauthn":
        return peers.webauthn_assert
    if lib == "python-fido2":
        return peers.fido2_assert
    return lambda case: case.floor.run


def _check(lib: str, result: Any) -> None:
    if lib in ("fastattest", "fastattest-rp") and hasattr(result, "trusted"):
        assert result.trusted, f"fastattest did not chain a new device to the root: {getattr(result, 'trust_error', None)}"


def _timed_over(benchmark: Any, runners: list[Callable[[], Any]]) -> None:
    """Time each runner once, in order (pytest-benchmark rounds of one call each)."""
    it = iter(runners)
    benchmark.pedantic(lambda run: run(), setup=lambda: ((next(it),), {}), rounds=len(runners), iterations=1,
                       warmup_rounds=0)


# ------------------------------------------------------------------ new device


# python-fido2 2.x has no android-key verifier: that pair is not measured (the report says n/a)
NEW_DEVICE_CASES = [(fmt, lib) for fmt in corpora.FORMATS for lib in REG_LIBS
                    if not (lib == "python-fido2" and fmt == "android-key")]


@pytest.mark.parametrize(("fmt", "lib"), NEW_DEVICE_CASES)
def test_new_device(benchmark: Any, fmt: str, lib: str) -> None:
    benchmark.group = f"new device {fmt}"
    benchmark.extra_info.update(kind="new-device", case=fmt, lib=lib, roots=True)
    corpus = corpora.corpus(fmt)
    make = registration_runner(lib, corpus)
    first = make(corpus.take(1)[0])  # the intermediate and root are seen here, before timing
    _check(lib, first())
    n = 2 if benchmark.disabled else N_NEW
    runners = [make(d) for d in corpus.take(n)]
    if lib == "floor":
        benchmark.extra_info["floor"] = _floor_label(fmt)
    _timed_over(benchmark, runners)
    if benchmark.disabled:
        for r in runners:
            _check(lib, r())


def _floor_label(fmt: str) -> str:
    return {"packed": "2 x ECDSA P-256", "tpm-rsa": "2 x RSA-2048", "tpm-ecc": "2 x RSA-2048",
            "android-key": "2 x ECDSA P-256", "apple": "ECDSA P-384"}[fmt]


# ------------------------------------------------------------------ new user key


@pytest.mark.parametrize("lib", AUTH_LIBS)
@pytest.mark.parametrize("alg", list(corpora.ASSERTION_ALGS))
def test_new_key(benchmark: Any, alg: str, lib: str) -> None:
    benchmark.group = f"new key {alg}"
    benchmark.extra_info.update(kind="new-key", case=f"assertion-{alg}", lib=lib, roots=False)
    n = 2 if benchmark.disabled else (min(N_NEW, corpora.RSA_POOL - 1) if alg == "rs256" else N_NEW)
    cases = corpora.new_key_assertions(alg, n + 1)
    make = assertion_runner(lib)
    make(cases[0])()  # imports, first-call set-up
    if lib == "floor":
        benchmark.extra_info["floor"] = cases[0].floor.kind
    _timed_over(benchmark, [make(c) for c in cases[1:]])


# ------------------------------------------------------------------ threads


THREAD_CASES = ["packed", "tpm-rsa", "android-key", "apple", "assertion-es256"]
_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool(threads: int) -> ThreadPoolExecutor:
    if threads not in _POOLS:
        _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix=f"bench-{threads}")
    return _POOLS[threads]


def _round(threads: int, calls: list[Callable[[], Any]]) -> None:
    """Run ``calls`` split evenly over ``threads`` threads of one pool; return when all are done."""
    def part(k: int) -> None:
        for c in calls[k::threads]:
            c()

    for f in [_pool(threads).submit(part, k) for k in range(threads)]:
        f.result()


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("lib", ["fastattest", "py_webauthn", "floor"])
@pytest.mark.parametrize("case", THREAD_CASES)
def test_threads(benchmark: Any, case: str, lib: str, threads: int) -> None:
    benchmark.group = f"threads {case} {lib}"
    benchmark.extra_info.update(kind="threads", case=case, lib=lib, threads=threads, batch=THREAD_BATCH)
    batch, rounds = (4, 1) if benchmark.disabled else (THREAD_BATCH, THREAD_ROUNDS)
    if case.startswith("assertion"):
        alg = case.split("-")[1]
        make = assertion_runner(lib)
        items = corpora.new_key_assertions(alg, batch * rounds + 1)
        make(items[0])()
        calls = [make(c) for c in items[1:]]
    else:
        corpus = corpora.corpus(case)
        make = registration_runner("fastattest-rp" if lib == "fastattest" else lib, corpus)
        _check("fastattest-rp" if lib == "fastattest" else lib, make(corpus.take(1)[0])())
        calls = [make(d) for d in corpus.take(batch * rounds)]
    _round(threads, calls[:0])  # the pool's threads exist before timing
    chunks = iter([calls[k * batch:(k + 1) * batch] for k in range(rounds)])
    benchmark.pedantic(lambda c: _round(threads, c), setup=lambda: ((next(chunks),), {}), rounds=rounds,
                       iterations=1, warmup_rounds=0)
