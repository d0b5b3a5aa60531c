"""The compiled base64 codec: the envelope decoder (both alphabets, padding optional, strict),
the JWS decoder (base64url only) and the base64url encoder (challenges, stored records)."""
from __future__ import annotations

import base64
import os

import pytest
from hypothesis import given, strategies as st

from fastattest import VerificationError, _core
from fastattest.response import b64decode


@given(st.binary(max_size=300))
def test_both_alphabets_padded_or_not(data):
    url = base64.urlsafe_b64encode(data).decode()
    std = base64.b64encode(data).decode()
    for text in (url, url.rstrip("="), std, std.rstrip("="), f" {std}\n"):
        assert _core.b64decode(text) == data


@pytest.mark.parametrize("bad", ["A", "AAAAA", "AB CD", "AB$D", "é", "AA==AA", "\x00AAA", 5, None, ["AA"]])
def test_refused(bad):
    with pytest.raises(VerificationError) as ei:
        _core.b64decode(bad, "field")
    assert ei.value.code == "response.invalid_base64"


def test_bytes_pass_through_and_size_cap():
    assert _core.b64decode(b"\x00\xff") == b"\x00\xff"
    with pytest.raises(VerificationError) as ei:
        _core.b64decode("A" * (3 * 1024 * 1024))
    assert ei.value.code == "input.too_large"


def test_random_text_never_escapes():
    for _ in range(2000):
        text = os.urandom(12).decode("latin-1")
        try:
            _core.b64decode(text)
        except VerificationError:
            pass


@given(st.binary(max_size=300))
def test_b64url_strict_for_jws(data):
    text = base64.urlsafe_b64encode(data).rstrip(b"=")
    assert _core.b64url_decode(text) == data
    if b"=" not in base64.urlsafe_b64encode(data):
        return
    with pytest.raises(VerificationError):
        _core.b64url_decode(base64.urlsafe_b64encode(data))  # padding is not allowed in a JWS


@pytest.mark.parametrize("bad", [b"ab+c", b"ab/c", b"ab c", b"a", b"abcd\n", "text"])
def test_b64url_refuses(bad):
    with pytest.raises(VerificationError):
        _core.b64url_decode(bad)


@pytest.mark.parametrize("size", [65535, 65536 * 3 + 1, 1_500_000])  # the GIL-free large-input path
def test_large_inputs_match_the_stdlib(size):
    data = os.urandom(size)
    enc = base64.urlsafe_b64encode(data).rstrip(b"=")
    assert _core.b64url_decode(enc) == data
    assert b64decode(enc.decode()) == data
    assert b64decode(base64.b64encode(data).decode()) == data


@pytest.mark.parametrize("bad", ["*", ".", "=", "\x00", "\x7f", "\t"])
def test_a_bad_character_anywhere_is_refused(bad):
    """Each quad position goes through its own table: a bad character in any of them fails."""
    text = base64.urlsafe_b64encode(os.urandom(45)).decode()  # 60 characters, no padding
    for i in range(1, len(text) - 1):
        with pytest.raises(VerificationError) as exc:
            b64decode(text[:i] + bad + text[i + 1 :])
        assert exc.value.code == "response.invalid_base64"
        with pytest.raises(VerificationError):
            _core.b64url_decode((text[:i] + bad + text[i + 1 :]).encode())


def test_standard_alphabet_refused_in_jws_at_every_position():
    text = base64.urlsafe_b64encode(os.urandom(45))
    for i in range(len(text)):
        for c in (b"+", b"/"):
            mutated = text[:i] + c + text[i + 1 :]
            assert b64decode(mutated.decode()) is not None  # either alphabet in the envelope
            with pytest.raises(VerificationError) as exc:
                _core.b64url_decode(mutated)
            assert exc.value.code == "response.invalid_base64"


# RFC 4648 §3.2 / §3.5: one canonical text per value. Encoders never emit anything else, so a
# different text for the same bytes (extra '=', pad bits set) is refused rather than aliased.
@pytest.mark.parametrize("bad", ["AA=", "AAAA==", "AAAA=", "A===", "AAA==", "AA===", "AQ==="])
def test_padding_must_complete_the_last_quad_exactly(bad):
    with pytest.raises(VerificationError) as ei:
        _core.b64decode(bad, "rawId")
    assert ei.value.code == "response.invalid_base64"
    assert "padding" in str(ei.value)


@given(st.binary(min_size=1, max_size=64))
def test_non_zero_pad_bits_are_refused(data):
    text = base64.urlsafe_b64encode(data).decode().rstrip("=")
    if len(text) % 4 == 0:
        return  # a whole number of quads has no pad bits
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(text[-1])
    unused = 0x0F if len(text) % 4 == 2 else 0x03  # bits the last character carries past the data
    assert last & unused == 0  # the canonical text
    for bit in (1, 2, 4, 8):
        if not bit & unused:
            continue
        alias = text[:-1] + alphabet[last | bit]
        assert base64.urlsafe_b64decode(alias + "=" * (-len(alias) % 4)) == data  # the stdlib aliases it
        for decode in (lambda t: _core.b64decode(t), lambda t: _core.b64url_decode(t.encode())):
            with pytest.raises(VerificationError) as ei:
                decode(alias)
            assert ei.value.code == "response.invalid_base64"


@given(st.binary(max_size=600))
def test_encoder_matches_the_stdlib_and_round_trips(data):
    text = _core.b64url_encode(data)
    assert text == base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
    assert _core.b64url_encode(bytearray(data)) == _core.b64url_encode(memoryview(data)) == text
    assert _core.b64url_decode(text.encode("ascii")) == data  # the strict decoder takes it back


def test_encoder_every_tail_length():
    for n in range(0, 64):
        data = bytes(range(256 - n, 256)) if n else b""
        assert _core.b64url_encode(data) == base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@pytest.mark.parametrize("bad", ["AA", 5, None, ["AA"]])
def test_encoder_takes_bytes_only(bad):
    with pytest.raises(TypeError):
        _core.b64url_encode(bad)
