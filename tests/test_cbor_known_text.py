"""The CBOR decoder's shared strings for the text an attestation object repeats (its keys, the
attStmt keys, format names): each decodes to the same value cbor2 gives, and text of the same
length that differs in any byte, or is invalid UTF-8, is decoded (or refused) as before."""
from __future__ import annotations

import cbor2
import pytest

from fastattest import _core
from fastattest.errors import VerificationError

KNOWN = _core._KNOWN_TEXT_LIST


def _text(raw: bytes) -> bytes:
    """A CBOR text string head and ``raw`` (which may be invalid UTF-8)."""
    return (bytes([0x60 | len(raw)]) if len(raw) < 24 else bytes([0x78, len(raw)])) + raw


@pytest.mark.parametrize("text", KNOWN)
def test_known_text_and_its_neighbours(text: str) -> None:
    raw = text.encode()
    assert _core.cbor_decode(_text(raw)) == text == cbor2.loads(_text(raw))
    assert _core.cbor_decode(_text(raw), strict=True) == text
    for i in range(len(raw)):  # one byte different, anywhere: another string
        for b in (raw[i] ^ 1, ord("A"), 0x7f):
            other = raw[:i] + bytes([b]) + raw[i + 1:]
            assert _core.cbor_decode(_text(other)) == other.decode() == cbor2.loads(_text(other))
    # a prefix, and the string with one more byte
    assert _core.cbor_decode(_text(raw[:-1])) == text[:-1]
    assert _core.cbor_decode(_text(raw + b"x")) == text + "x"
    # as a map key, in an attestation-object-shaped map
    m = {text: 1, "k": [text]}
    assert _core.cbor_decode(cbor2.dumps(m)) == m


@pytest.mark.parametrize("text", KNOWN)
def test_truncated_and_invalid_text_still_refused(text: str) -> None:
    raw = text.encode()
    with pytest.raises(VerificationError) as exc:
        _core.cbor_decode(_text(raw)[:-1])  # the head promises more than is left
    assert exc.value.code == "cbor.truncated"
    bad = raw[:-1] + b"\xff"  # same length, invalid UTF-8
    with pytest.raises(VerificationError) as exc:
        _core.cbor_decode(_text(bad))
    assert exc.value.code == "cbor.invalid_utf8"


def test_a_decoded_attestation_object_reads_the_same() -> None:
    stmt = {"alg": -257, "sig": b"s", "ver": "2.0", "x5c": [b"c"], "pubArea": b"p", "certInfo": b"i"}
    obj = {"fmt": "tpm", "attStmt": stmt, "authData": b"a" * 37}
    assert _core.cbor_decode(cbor2.dumps(obj)) == obj
