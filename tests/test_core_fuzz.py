"""Robustness of the compiled core: random bytes, truncations and bit flips of a valid
attestation object fed to every core function; only VerificationError may escape
(catalogue harness rule: no IndexError, RecursionError, MemoryError, OverflowError,
UnicodeDecodeError, crash or hang)."""
from __future__ import annotations

import hashlib
import random
import struct
import time
from typing import Callable

import cbor2

from fastattest import _core
from fastattest.errors import CODES, VerificationError

# the P-256 base point (SEC 2 §2.4.2): the core refuses points off the curve (D20)
G_X = bytes.fromhex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296")
G_Y = bytes.fromhex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")
AUTH = (hashlib.sha256(b"example.com").digest() + b"\xc5" + struct.pack(">I", 3)
        + bytes(range(16)) + struct.pack(">H", 20) + b"\xab" * 20
        + cbor2.dumps({1: 2, 3: -7, -1: 1, -2: G_X, -3: G_Y}, canonical=True)
        + cbor2.dumps({"credProtect": 2}, canonical=True))
SIG = bytes.fromhex("3045022100" + "81" * 32 + "0220" + "12" * 32)
VALID = cbor2.dumps({"fmt": "packed", "authData": AUTH,
                     "attStmt": {"alg": -7, "sig": SIG, "x5c": [b"\x30\x82\x01\x00" + b"c" * 256]}},
                    canonical=True)


def _cose(data: bytes) -> object:
    return _core.parse_cose_key(data)


FUNCS: list[Callable[[bytes], object]] = [
    _core.cbor_decode,
    lambda d: _core.cbor_decode_prefix(d, 0),
    lambda d: _core.cbor_decode_prefix(d, len(d) // 2),
    _core.parse_authenticator_data,
    _cose,
    _core.parse_attestation_object,
    lambda d: _core.check_ecdsa_der(d, 32),
    lambda d: _core.check_ecdsa_der(d, 66),
]


def run_all(data: bytes, counts: dict[str, int]) -> None:
    for fn in FUNCS:
        start = time.perf_counter()
        try:
            fn(data)
        except VerificationError as exc:
            assert exc.code in CODES, exc.code
            counts[exc.code] = counts.get(exc.code, 0) + 1
        assert time.perf_counter() - start < 0.1


def test_valid_object_parses() -> None:
    ao = _core.parse_attestation_object(VALID)
    assert ao.fmt == "packed" and ao.auth_data.extensions == {"credProtect": 2}
    _core.parse_cose_key(ao.auth_data.credential_public_key)
    _core.check_ecdsa_der(ao.att_stmt["sig"], 32)
    _core.parse_authenticator_data(AUTH)


def test_random_bytes_and_mutations_only_raise_verification_error() -> None:
    rng = random.Random(0xFA57A77E)
    counts: dict[str, int] = {}
    cases: list[bytes] = []
    for _ in range(700):                                   # random byte strings
        cases.append(rng.randbytes(rng.randrange(0, 200)))
    for _ in range(500):                                   # random truncations
        cases.append(VALID[: rng.randrange(0, len(VALID))])
        cases.append(AUTH[: rng.randrange(0, len(AUTH))])
    for _ in range(700):                                   # 1-4 bit flips
        for base in (VALID, AUTH, SIG):
            b = bytearray(base)
            for _ in range(rng.randrange(1, 5)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            cases.append(bytes(b))
    for _ in range(300):                                   # byte overwrites with CBOR heads
        b = bytearray(VALID)
        b[rng.randrange(len(b))] = rng.choice([0x1b, 0x3b, 0x5b, 0x7b, 0x9b, 0xbb, 0xdb, 0xff,
                                               0xf7, 0xf9, 0x5f, 0x9f, 0xbf, 0x1c, 0x00, 0x80])
        cases.append(bytes(b))
    assert len(cases) >= 2000
    for data in cases:
        run_all(data, counts)
    # the mutations reach many distinct checks, not one early gate
    assert len(counts) >= 15, counts
