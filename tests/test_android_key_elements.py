"""android-key's key description reader (``formats/android_key._elements``, X.690 §8.1 with the
high tag numbers KeyMint uses) against asn1crypto's own BER parser, which it replaced on the
hot path: on a real-shaped key description and thousands of mutations of it they split the
same elements or both refuse."""
from __future__ import annotations

import random
from typing import Callable

import format_helpers as fh
from asn1crypto import parser

from fastattest.errors import VerificationError
from fastattest.formats import android_key as ak


def reference(data: bytes) -> list[tuple[int, int, int, bytes, bytes]]:
    out = []
    pos = 0
    while pos < len(data):
        class_, method, tag, header, contents, trailer = parser.parse(data[pos:])
        if trailer:
            raise ValueError("indefinite length")
        end = pos + len(header) + len(contents)
        out.append((class_, method, tag, contents, data[pos:end]))
        pos = end
    return out


def outcome(fn: Callable[[bytes], object], data: bytes) -> object:
    try:
        return fn(data)
    except (ValueError, VerificationError):
        return "refused"


def test_splits_a_key_description_as_asn1crypto_does() -> None:
    kd = fh.key_description(b"\x07" * 32)
    top = ak._elements(kd)
    assert top == reference(kd) and len(top) == 1
    fields = ak._elements(top[0][3])
    assert fields == reference(top[0][3]) and len(fields) == 8
    tee = ak._elements(fields[7][3])
    assert tee == reference(fields[7][3])
    assert any(tag > 30 for _, _, tag, _, _ in tee)  # [702], [704], [705]: high tag numbers


def test_agrees_with_asn1crypto_on_mutations() -> None:
    rng = random.Random(20)
    base = fh.key_description(b"\x01" * 32)
    split = refused = 0
    for _ in range(6000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            kind, pos = rng.randrange(3), rng.randrange(len(data))
            if kind == 0:
                data[pos] = rng.randrange(256)
            elif kind == 1:
                del data[pos:pos + rng.randint(1, 5)]
            else:  # tag and length bytes where they do the most harm
                data[pos:pos] = bytes([rng.choice([0x1F, 0x9F, 0xBF, 0x80, 0x81, 0x84, 0xFF, 0x00])])
        for chunk in (bytes(data), bytes(data[2:]), bytes(data[4:])):
            want = outcome(reference, chunk)
            assert outcome(ak._elements, chunk) == want, chunk.hex()
            split += want != "refused"
            refused += want == "refused"
    assert split > 1000 and refused > 1000
