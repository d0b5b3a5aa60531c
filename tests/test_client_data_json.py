"""The compiled clientDataJSON parser (fastattest/_json.pxi) against Python's json module.

It must agree with json on every valid document, and refuse only what it documents refusing
(NaN/Infinity, lone surrogate escapes, duplicate keys, numbers over 256 characters, nesting
deeper than 32), always with a VerificationError code.
"""
from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings, strategies as st

from fastattest import VerificationError
from fastattest.client_data import parse

KEYS = st.text(max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20)
DOCS = st.dictionaries(KEYS, VALUES, max_size=6)


@settings(max_examples=400, deadline=None)
@given(DOCS, st.booleans(), st.sampled_from([(",", ":"), (", ", ": "), (" ,\n", " :\t")]))
def test_agrees_with_json_on_valid_documents(doc, ensure_ascii, separators):
    raw = json.dumps(doc, ensure_ascii=ensure_ascii, separators=separators).encode("utf-8")
    assert parse(raw) == json.loads(raw)
    assert parse(b"\xef\xbb\xbf" + raw) == json.loads(raw)  # J12


def _strict_json(raw: bytes):
    """json.loads, but also refusing what the compiled parser documents refusing."""
    def no_dupes(pairs):
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError("duplicate")
        return dict(pairs)

    def no_constants(name):
        raise ValueError(name)

    text = raw.decode("utf-8")
    obj = json.loads(text, object_pairs_hook=no_dupes, parse_constant=no_constants)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(obj, ensure_ascii=False)):
        raise ValueError("lone surrogate")
    return obj


def test_mutations_agree_or_are_refused_with_a_code():
    rng = random.Random(20261124)
    seed = (b'{"type":"webauthn.get","challenge":"q83v","origin":"https://example.com",'
            b'"crossOrigin":false,"n":[1,-2.5e3,0,true,null],"s":"\\u00e9\\ud83d\\ude00\\n\\"x\\\\"}')
    alphabet = b'{}[]:,"\\ 0123456789-+.eEtrufalsn\x00\x1f\x7f\xc3\xa9\xff'
    agreed = refused = 0
    for _ in range(6000):
        b = bytearray(seed)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(b))
            op = rng.randrange(3)
            if op == 0:
                b[i] = rng.choice(alphabet)
            elif op == 1:
                del b[i]
            else:
                b.insert(i, rng.choice(alphabet))
        raw = bytes(b)
        try:
            expected = _strict_json(raw)
        except (ValueError, RecursionError):
            expected = None
        try:
            got = parse(raw)
        except VerificationError as exc:
            assert exc.code in ("client_data.malformed", "client_data.duplicate_key"), exc.code
            assert expected is None or not isinstance(expected, dict), f"json accepts {raw!r}, parser refused: {exc}"
            refused += 1
            continue
        assert isinstance(expected, dict) and got == expected, raw
        agreed += 1
    assert agreed > 300 and refused > 3000  # both paths were exercised


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b'{"a":NaN}', "client_data.malformed"),
        (b'{"a":-Infinity}', "client_data.malformed"),
        (b'{"a":"\\ud800"}', "client_data.malformed"),
        (b'{"a":"\\udc00x"}', "client_data.malformed"),
        (b'{"a":' + b"1" * 257 + b"}", "client_data.malformed"),
        (b'{"a":' * 33 + b"1" + b"}" * 33, "client_data.malformed"),
        (b'{"a":{"b":1,"b":2}}', "client_data.duplicate_key"),
        (b'{"a":[{"c":1,"c":1}]}', "client_data.duplicate_key"),
        (b'{"a":"\xed\xa0\x80"}', "client_data.malformed"),  # a surrogate encoded in UTF-8
        (b'{"a":1}\x00', "client_data.malformed"),
        (b"\xef\xbb\xbf", "client_data.malformed"),
        (b"{", "client_data.malformed"),
        (b'{"a":"', "client_data.malformed"),
        (b'{"a":"\\u12', "client_data.malformed"),
        ("{\"a\":\"\t\"}".encode(), "client_data.malformed"),  # a raw control character
    ],
)
def test_documented_refusals(raw, code):
    with pytest.raises(VerificationError) as exc:
        parse(raw)
    assert exc.value.code == code


def test_depth_limit_is_exactly_32():
    assert parse(b'{"a":' * 31 + b"[1]" + b"}" * 31)["a"]  # 32 containers
    with pytest.raises(VerificationError):
        parse(b'{"a":' * 32 + b"[1]" + b"}" * 32)


@pytest.mark.parametrize("raw", [None, "{}", bytearray(b"{}"), b""])
def test_only_nonempty_bytes(raw):
    with pytest.raises(VerificationError) as exc:
        parse(raw)
    assert exc.value.code == "client_data.malformed"
