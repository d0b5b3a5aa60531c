"""_der.parse_time reads the DER forms of RFC 5280 §4.1.2.5 (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ) on a
fast path: on every input it gives what the general reading (_der._parse_time) gives, the same
datetime or the same refusal with the same message."""
from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from fastattest import _der


def outcome(fn, tag: int, body: bytes) -> object:
    try:
        return fn(tag, body)
    except _der.DerError as exc:
        return ("refused", str(exc))


def agree(tag: int, body: bytes) -> object:
    got = outcome(_der.parse_time, tag, body)
    assert got == outcome(_der._parse_time, tag, body), (tag, body)
    return got


@pytest.mark.parametrize("tag, body, want", [
    (23, b"230101120000Z", datetime(2023, 1, 1, 12, tzinfo=timezone.utc)),
    (23, b"491231235959Z", datetime(2049, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),  # RFC 5280 §4.1.2.5.1: YY < 50: 20YY
    (23, b"500101000000Z", datetime(1950, 1, 1, tzinfo=timezone.utc)),  # YY >= 50: 19YY
    (24, b"20500101000000Z", datetime(2050, 1, 1, tzinfo=timezone.utc)),
    (24, b"99991231235959Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)),  # RFC 5280 §4.1.2.5: no expiry date
    (24, b"19700101000000Z", datetime(1970, 1, 1, tzinfo=timezone.utc)),
])
def test_der_forms(tag: int, body: bytes, want: datetime) -> None:
    assert agree(tag, body) == want


@pytest.mark.parametrize("tag, body", [
    (23, b"231301120000Z"), (23, b"230230120000Z"), (23, b"230101240000Z"), (23, b"230101126000Z"), (23, b"230101120060Z"),
    (24, b"00000101000000Z"), (24, b"20230100000000Z"), (23, b"2301011200Z"), (24, b"202301011200Z"),
    (23, b"230101120000.5Z"), (24, b"20230101120000.123Z"), (23, b"230101120000"), (23, b"230101120000+0100"),
    (23, "２30101120000Z".encode()), (23, b"23010112000\xd9Z"), (23, b" 30101120000Z"), (23, b"+30101120000Z"),
    (23, b"23_101120000Z"), (22, b"230101120000Z"), (24, b"230101120000Z"), (23, b"20230101120000Z"), (23, b""), (23, b"Z"),
])
def test_odd_forms_agree(tag: int, body: bytes) -> None:
    agree(tag, body)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([22, 23, 24]), st.binary(max_size=20) | st.text("0123456789Z.+-", max_size=20).map(str.encode))
def test_any_input_agrees(tag: int, body: bytes) -> None:
    agree(tag, body)


def test_mutated_times_agree() -> None:
    rng = random.Random(5)
    accepted = 0
    for _ in range(5000):
        tag = rng.choice([23, 24])
        body = bytearray(rng.choice([b"230101120000Z", b"20491231235959Z", b"991231235959Z", b"20240229000000Z"]))
        for _ in range(rng.randrange(1, 3)):
            body[rng.randrange(len(body))] = rng.choice(b"0123456789Z.9")
        accepted += not isinstance(agree(tag, bytes(body)), tuple)
    assert accepted > 500
