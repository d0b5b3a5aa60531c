"""Registration checks an RSA credential key without building it (algorithms.parse_cose_key ->
check_rsa_public_numbers); sign-in builds it (load_cose_key -> RSAPublicNumbers.public_key()).
A key registration accepts must never be refused at sign-in, and a key the build refuses must be
refused at registration with the same code and message: these tests hold the byte-level rules
equal to the build, over random and edge-case (n, e), against the cryptography installed."""
from __future__ import annotations

import random

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from fastattest import algorithms
from fastattest.errors import VerificationError


def _build(n: int, e: int) -> str | None:
    """None when cryptography builds the key, else its ValueError message."""
    try:
        rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        return str(exc)
    return None


def _ours(nb: bytes, eb: bytes) -> str | None:
    try:
        algorithms.check_rsa_public_numbers(nb, eb)
    except VerificationError as exc:
        assert exc.code == "cose.invalid_key"
        prefix = "invalid public key: "  # what public_key_from_cose says of the build's ValueError
        assert exc.message.startswith(prefix)
        return exc.message[len(prefix):]
    return None


def _to_bytes(v: int, pad: int) -> bytes:
    return bytes(pad) + v.to_bytes((v.bit_length() + 7) // 8, "big")


def _edge_pairs() -> list[tuple[int, int]]:
    ns = [0, 1, 2, 3, 4, 5, 6, 7, 255, 256, 257, 65535, 65536, 65537, 65538, 65539, 2**256 - 1, 2**256, 2**256 + 1,
          2**2047 - 1, 2**2047, 2**2047 + 1, 2**2048 - 1, 2**16384 - 1, 2**16384 + 1]
    pairs = []
    for n in ns:
        es = {0, 1, 2, 3, 4, 5, 7, 255, 256, 257, 65537, 2**255 + 1, 2**256 - 1, 2**256 + 1}
        es |= {v for v in (n - 3, n - 2, n - 1, n, n + 1, n + 2, n + 3) if v >= 0}
        pairs += [(n, e) for e in sorted(es)]
    return pairs


def _random_pairs(count: int) -> list[tuple[int, int]]:
    rnd = random.Random(20)
    pairs = []
    for _ in range(count):
        nbits = rnd.choice([1, 2, 3, 8, 9, 16, 17, 64, 255, 256, 257, 1024, 2047, 2048, 4096, 16384, 16385])
        n = rnd.getrandbits(nbits)
        kind = rnd.randrange(4)
        if kind == 0:  # e of a size near n's
            e = rnd.getrandbits(max(1, nbits + rnd.randint(-2, 2)))
        elif kind == 1:  # a small e
            e = rnd.getrandbits(rnd.randint(1, 24))
        elif kind == 2:  # e just around n
            e = max(0, n + rnd.randint(-4, 4))
        else:  # an unrelated e of any size COSE allows
            e = rnd.getrandbits(rnd.randint(1, 300))
        pairs.append((n, e))
    return pairs


@pytest.mark.parametrize("source", ["edge", "random"])
def test_rules_equal_the_build(source: str) -> None:
    pairs = _edge_pairs() if source == "edge" else _random_pairs(4000)
    rnd = random.Random(7)
    outcomes = {}
    for n, e in pairs:
        want = _build(n, e)
        for npad, epad in ((0, 0), (rnd.randint(0, 2), rnd.randint(0, 2))):  # leading zeros mean nothing
            got = _ours(_to_bytes(n, npad), _to_bytes(e, epad))
            assert got == want, (n, e, npad, epad)
        outcomes[want] = outcomes.get(want, 0) + 1
    # every one of cryptography's refusals and its acceptance were reached
    assert set(outcomes) == {None, "n must be >= 3.", "e must be >= 3 and < n.", "e must be odd."}, outcomes
    assert min(outcomes.values()) >= 10, outcomes


def _cose(n: bytes, e: bytes, alg: int = -257) -> bytes:
    return cbor2.dumps({1: 3, 3: alg, -1: n, -2: e})


def _outcome(fn, raw: bytes) -> tuple[str, str] | None:
    try:
        fn(raw)
    except VerificationError as exc:
        return exc.code, exc.message
    return None


def test_registration_accepts_exactly_what_sign_in_builds() -> None:
    """Through the whole path (compiled parse, then the check or the build), on COSE keys of
    every RSA size class and exponent kind, accepted and refused, with fresh caches."""
    rnd = random.Random(11)
    raws = []
    for nbits in (8, 512, 2047, 2048, 2049, 3072, 4096, 16384, 16385):
        for _ in range(12):
            n = rnd.getrandbits(nbits) | (1 << (nbits - 1))
            n |= rnd.choice((0, 1))
            for e in (3, 4, 65537, 1, 2, rnd.getrandbits(256) | 1, rnd.getrandbits(257) | 1, n - 2, n):
                if e >= 0:
                    raws.append(_cose(_to_bytes(n, 0), _to_bytes(e, 0) or b"\0"))
    raws.append(_cose(b"\0" + _to_bytes(2**2048 - 1, 0), b"\x01\x00\x01"))  # leading zero byte
    accepted = refused = 0
    for raw in raws:
        algorithms.parse_cose_key.cache_clear()
        algorithms.load_cose_key.cache_clear()
        reg, sign_in = _outcome(algorithms.parse_cose_key, raw), _outcome(algorithms.load_cose_key, raw)
        assert reg == sign_in, raw.hex()[:80]
        accepted += reg is None
        refused += reg is not None
    assert accepted >= 60 and refused >= 200, (accepted, refused)
