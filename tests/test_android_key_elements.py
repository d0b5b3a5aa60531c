"""android-key's key description reader (``formats/android_key._elements``, X.690 §8.1 with the
high tag numbers KeyMint uses), compiled as ``_core.der_elements`` (fastattest/_asn1.pxi).

Two references: asn1crypto's own BER parser, which the reader replaced on the hot path, and
``python_elements`` (tests/asn1_reference.py), the pure-Python reader android_key used before the
walk moved into the core. On real key descriptions (tests/vectors, the bench corpus) and thousands of mutations
of them (truncations, bit flips, length and high-tag-number forms) the compiled reader gives
exactly what the pure-Python one gives, or the same refusal message."""
from __future__ import annotations

import base64
import json
import random
import sys
from pathlib import Path
from typing import Callable

import format_helpers as fh
import pytest
from asn1_reference import python_elements
from asn1crypto import parser

from fastattest import _core, certificates
from fastattest.errors import VerificationError
from fastattest.formats import android_key as ak

ROOT = Path(__file__).resolve().parents[1]
VECTORS = Path(__file__).resolve().parent / "vectors"


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


def exact(fn: Callable[[bytes], object], data: bytes) -> object:
    """The result, or the refusal's message (the one android_key puts in its error)."""
    try:
        return fn(data)
    except VerificationError as exc:
        assert exc.code == "android_key.extension_malformed" and exc.message.startswith("key description is malformed: ")
        return ("refused", exc.message.removeprefix("key description is malformed: "))
    except ValueError as exc:
        return ("refused", str(exc))


def _android_leaves() -> list[bytes]:
    """Every android-key leaf of tests/vectors (real devices and the W3C vector), then the bench
    corpus's generated ones (a new challenge and creationDateTime each)."""
    from fastattest import _core as core

    leaves = []
    for path in sorted(VECTORS.rglob("*.json")):
        vec = json.loads(path.read_text(encoding="utf-8"))
        resp = vec.get("response") if isinstance(vec, dict) else None
        inner = resp.get("response") if isinstance(resp, dict) else None
        if not isinstance(inner, dict) or "attestationObject" not in inner:
            continue
        text = inner["attestationObject"].replace("+", "-").replace("/", "_").rstrip("=")
        try:
            obj = core.cbor_decode(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except VerificationError:  # negative vectors: not an attestation object at all
            continue
        if isinstance(obj, dict) and obj.get("fmt") == "android-key" and obj["attStmt"]["x5c"][0] not in leaves:
            leaves.append(obj["attStmt"]["x5c"][0])  # (two vectors share one Pixel 8a leaf)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench import corpora

    for dev in corpora.corpus("android-key").take(4):
        leaves.append(core.cbor_decode(dev.case.attestation_object)["attStmt"]["x5c"][0])
    return leaves


LEAVES = _android_leaves()
DESCRIPTIONS = [certificates.extension_value(certificates.load(der), ak.OID_KEY_DESCRIPTION) for der in LEAVES]


def _nested(data: bytes) -> list[bytes]:
    """``data`` and the contents of every constructed element inside it, at every depth."""
    out, todo = [], [data]
    while todo:
        chunk = todo.pop()
        out.append(chunk)
        todo.extend(c for _, m, _, c, _ in python_elements(chunk) if m == 1)
    return out


def test_the_corpus_is_real() -> None:
    assert len(LEAVES) >= 7 and all(kd is not None for kd in DESCRIPTIONS)
    assert len({kd for kd in DESCRIPTIONS}) == len(DESCRIPTIONS)  # no two alike
    real = [kd for kd in DESCRIPTIONS if any(tag > 30 for c in _nested(kd) for _, _, tag, _, _ in python_elements(c))]
    assert len(real) >= len(DESCRIPTIONS) - 1  # KeyMint's high tag numbers: all but the W3C vector's (empty lists)


@pytest.mark.parametrize("i", range(len(LEAVES)))
def test_compiled_agrees_on_real_key_descriptions_and_certificates(i: int) -> None:
    for chunk in _nested(DESCRIPTIONS[i]) + _nested(LEAVES[i]):
        got = _core.der_elements(chunk)
        assert got == python_elements(chunk) == reference(chunk)
        assert b"".join(whole for *_, whole in got) == chunk


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


def _mutate(rng: random.Random, data: bytearray) -> None:
    kind, pos = rng.randrange(6), rng.randrange(len(data))
    if kind == 0:  # truncation
        del data[pos:]
    elif kind == 1:  # one bit flipped
        data[pos] ^= 1 << rng.randrange(8)
    elif kind == 2:  # a length byte in another form: long, indefinite, huge, zero
        data[pos] = rng.choice([0x80, 0x81, 0x82, 0x84, 0x85, 0x88, 0x89, 0xFF, 0x00, 0x7F])
    elif kind == 3:  # a length grown or shrunk by one
        data[pos] = (data[pos] + rng.choice([-1, 1])) & 0xFF
    elif kind == 4:  # a high tag number form: minimal or not, short or very long
        number = rng.choice([[0x1E], [0x1F], [0x80, 0x05], [0x85, 0x3F], [0x81, 0x80, 0x00], [0xFF] * rng.randrange(1, 24) + [0x01]])
        data[pos:pos] = bytes([rng.choice([0x1F, 0x3F, 0x9F, 0xBF, 0xFF]), *number])
    else:  # long-form length octets with leading zeros, or bytes of any kind
        data[pos:pos] = rng.choice([b"\x85\x00\x00\x00\x00", b"\x84\xff\xff\xff\xff", b"\x81", rng.randbytes(rng.randrange(1, 4))])


def test_compiled_agrees_with_the_python_reader_on_mutations() -> None:
    """Identical elements, or the identical refusal message, on thousands of mutated real key
    descriptions (each level of nesting), certificates and raw noise."""
    rng = random.Random(17)
    chunks = [c for kd in DESCRIPTIONS for c in _nested(kd)] + LEAVES
    split = refused = 0
    messages = set()
    for round_ in range(12000):
        data = bytearray(rng.choice(chunks)) if round_ % 20 else bytearray(rng.randbytes(rng.randrange(1, 40)))
        for _ in range(rng.randint(1, 3)):
            if data:
                _mutate(rng, data)
        chunk = bytes(data)
        want = exact(python_elements, chunk)
        assert exact(_core.der_elements, chunk) == want, chunk.hex()
        assert exact(ak._elements, chunk) == want, chunk.hex()  # the same message through _bad
        if isinstance(want, tuple):
            refused += 1
            messages.add(want[1])
        else:
            split += 1
    assert split > 2000 and refused > 2000
    assert messages == {"truncated tag", "non-minimal tag encoding", "tag number too large", "truncated length",
                        "indefinite-length encoding is not DER", "length runs past the end"}


@pytest.mark.parametrize("data", [
    b"\x3f" + b"\xff" * 40 + b"\x01\x00",  # a tag number of 287 bits: refused
    b"\x3f" + b"\xff" * 40,  # and truncated: refused as too large, at the octet that overflows
    b"\x3f\x81" + b"\x80" * 8 + b"\x00\x00",  # tag number 2**63
    b"\x3f\x81" + b"\xff" * 8 + b"\x7f\x00",  # 2**64 - 1
    b"\x3f\x84" + b"\x80" * 8 + b"\x00\x00",  # 2**65: past 64 bits, exactly
    b"\x04\xff" + b"\x00" * 126 + b"\x01\x01",  # 127 length octets, all but one zero
    b"\x04\xff" + b"\xff" * 127,  # 127 length octets of 0xFF: no overflow, past the end
    b"\x04\x89\x01" + b"\x00" * 8,  # 2**64: past the end, not wrapped to 0
    b"\x04\x88\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\x04\x88\x80\x00\x00\x00\x00\x00\x00\x00",
    b"\x04\x84\xff\xff\xff\xf7", b"\x04", b"\x1f", b"\x1f\x80\x01\x00", b"\x1f\x1e\x00", b"\x1f\x1f\x00", b"\x30\x80",
])
def test_hostile_lengths_and_tags(data: bytes) -> None:
    assert exact(_core.der_elements, data) == exact(python_elements, data)


def test_tag_numbers_up_to_64_bits_are_exact_and_larger_refused() -> None:
    assert _core.der_elements(b"\x3f\x81" + b"\xff" * 8 + b"\x7f\x00")[0][2] == 2**64 - 1
    assert _core.der_elements(b"\x3f\x81" + b"\x80" * 8 + b"\x00\x00")[0][2] == 2**63
    for data in (b"\x3f\x84" + b"\x80" * 8 + b"\x00\x00", b"\x3f\x82" + b"\x80" * 8 + b"\x00\x00"):  # 2**65, 2**64
        with pytest.raises(ValueError, match="tag number too large"):
            _core.der_elements(data)


def test_bytes_only() -> None:
    class Der(bytes):
        pass

    assert _core.der_elements(Der(b"\x04\x01\x00")) == [(0, 0, 4, b"\x00", b"\x04\x01\x00")]
    for bad in (None, bytearray(b"\x04\x00"), memoryview(b"\x04\x00"), "0400"):
        with pytest.raises(TypeError):
            _core.der_elements(bad)  # type: ignore[arg-type]
