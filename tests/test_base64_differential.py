"""The compiled base64 decoders against Python's ``base64`` plus the strictness rules written out
in plain Python, over every length up to 700 characters, lengths around the decoder's block
sizes and the GIL-free threshold, and many mutated texts (a character replaced, inserted or
deleted, padding or whitespace added, pad bits set).

The rules (fastattest/_core.pyx, base64 section):
- ``b64decode(str)``: leading and trailing ASCII whitespace is ignored; '=' padding is optional
  but, when present, completes the last quad exactly (RFC 4648 §3.2); inside, only characters
  of the standard (§4) or the URL-safe (§5) alphabet; a length of 4k+1 is refused; the unused
  low bits of the last character must be zero (§3.5, one canonical text per value).
- ``b64url_decode(bytes)``: the same, but the URL-safe alphabet only and no padding or
  whitespace at all (RFC 7515 §2).
Every refusal is ``response.invalid_base64``."""
from __future__ import annotations

import base64
import random

import pytest

from fastattest import VerificationError, _core

STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
URL = STD[:62] + "-_"
WHITESPACE = " \t\n\v\f\r"
REFUSED = "refused"


def _body(text: str, alphabet: str) -> bytes | str:
    """Decode text (no padding, no whitespace) with base64's own decoder, after the rules."""
    if any(c not in alphabet for c in text) or len(text) % 4 == 1:
        return REFUSED
    std = text.translate(str.maketrans("-_", "+/"))
    data = base64.b64decode(std + "=" * (-len(std) % 4), validate=True)
    if base64.b64encode(data).decode().rstrip("=") != std:  # RFC 4648 §3.5: non-zero pad bits
        return REFUSED
    return data


def model_b64decode(text: str) -> bytes | str:
    if not text.isascii():
        return REFUSED
    text = text.strip(WHITESPACE)
    body = text.rstrip("=")
    pads = len(text) - len(body)
    if pads and (pads > 2 or len(text) % 4 != 0):
        return REFUSED
    return _body(body, STD + "-_")


def model_b64url_decode(data: bytes) -> bytes | str:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return REFUSED
    return _body(text, URL)


def _run(fn, arg) -> bytes | str:
    try:
        return fn(arg)
    except VerificationError as e:
        assert e.code == "response.invalid_base64", (arg, e.code)
        return REFUSED


def check(text: str) -> None:
    assert _run(_core.b64decode, text) == model_b64decode(text), text
    if text.isascii():
        raw = text.encode("ascii")
    else:
        raw = text.encode("latin-1", "replace")
    assert _run(_core.b64url_decode, raw) == model_b64url_decode(raw), raw


def _encodings(rng: random.Random, n: int) -> list[str]:
    data = rng.randbytes(n)
    url = base64.urlsafe_b64encode(data).decode()
    std = base64.b64encode(data).decode()
    return [url, url.rstrip("="), std, std.rstrip("=")]


def _mutate(rng: random.Random, text: str) -> str:
    pool = STD + "-_=" + WHITESPACE + "\x00\x7f.*\x80\xff\u0100"
    kind = rng.randrange(7)
    i = rng.randrange(len(text) + 1)
    c = rng.choice(pool) if rng.random() < 0.8 else chr(rng.randrange(256))
    if kind == 0 and text:  # replace
        i = min(i, len(text) - 1)
        return text[:i] + c + text[i + 1:]
    if kind == 1:  # insert
        return text[:i] + c + text[i:]
    if kind == 2 and text:  # delete
        i = min(i, len(text) - 1)
        return text[:i] + text[i + 1:]
    if kind == 3:  # padding, right or wrong
        return text + "=" * rng.randrange(1, 4)
    if kind == 4:  # surrounding whitespace (ignored by b64decode, refused by b64url_decode)
        return rng.choice(WHITESPACE) + text + rng.choice(WHITESPACE)
    if kind == 5 and text.rstrip("="):  # set a low bit of the last character (pad bits)
        body = text.rstrip("=")
        last = URL.find(body[-1]) if body[-1] in URL else STD.find(body[-1])
        if last >= 0:
            return body[:-1] + rng.choice((URL, STD))[last ^ (1 << rng.randrange(4))] + text[len(body):]
    if kind == 6 and text:  # swap in the other alphabet's 62/63 somewhere
        i = min(i, len(text) - 1)
        return text[:i] + rng.choice("+/-_") + text[i + 1:]
    return text


def test_every_length_up_to_700_characters():
    rng = random.Random(20)
    for n in range(0, 526):  # 0..700 characters of base64
        for text in _encodings(rng, n):
            check(text)
            assert _core.b64decode(text) == base64.b64decode(text.translate(str.maketrans("-_", "+/"))
                                                           + "=" * (-len(text) % 4))


@pytest.mark.parametrize("n", [767, 768, 769, 3455, 3456, 3457, 4223, 4224, 4608, 6143, 6144, 6145,
                               49151, 49152, 49153, 65535 * 3 // 4, 65536 * 3 // 4 + 1])
def test_block_and_threshold_lengths(n):
    rng = random.Random(n)
    for text in _encodings(rng, n):
        check(text)


def test_mutated_texts():
    rng = random.Random(4648)
    refused = accepted = 0
    for _ in range(6000):
        n = rng.choice((rng.randrange(0, 40), rng.randrange(40, 400), rng.randrange(400, 5000)))
        text = rng.choice(_encodings(rng, n))
        for _ in range(rng.randrange(1, 4)):
            text = _mutate(rng, text)
        check(text)
        if model_b64decode(text) is REFUSED:
            refused += 1
        else:
            accepted += 1
    assert refused > 1000 and accepted > 1000  # both sides of every rule were exercised


def test_a_bad_character_at_every_position_of_a_long_text():
    """Each of the 16 positions of a block step and the slower tails: a bad byte anywhere fails."""
    text = base64.urlsafe_b64encode(random.Random(7).randbytes(150)).decode()  # 200 characters
    for i in range(len(text)):
        for c in ("*", "\x80", "+", "="):
            check(text[:i] + c + text[i + 1:])


def test_every_byte_at_every_position_of_a_simd_block():
    """The SIMD blocks (16 characters, x86 with SSSE3; base64url only for b64url_decode, either
    alphabet for b64decode) classify each byte by its two nibbles: every byte value ('+' and
    '/' among them) at each position of the first blocks, and of the last block before the
    scalar tail, is accepted or refused exactly as the model says, with the same bytes."""
    text = base64.urlsafe_b64encode(random.Random(16).randbytes(96)).decode()  # 128 characters
    for i in [*range(0, 40), *range(88, 128)]:
        for b in range(256):
            check(text[:i] + chr(b) + text[i + 1:])
    for b in range(256):  # a whole block of one byte
        check(text[:16] + chr(b) * 16 + text[32:])
