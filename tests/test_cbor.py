"""CBOR decoder of the compiled core (catalogue C01-C23, RFC 8949). The CTAP2 canonical rules
(C08 wide heads, C11, C12) are enforced by ``strict=True`` (Policy.strict_cbor); the default
decoder accepts them (issue 16, tests/test_cbor_tolerance.py)."""
from __future__ import annotations

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastattest import _core
from fastattest.errors import CODES, VerificationError


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(VerificationError) as info:
        fn(*args, **kwargs)
    assert info.value.code in CODES
    return info.value.code


def dec_code(data: bytes, **kwargs) -> str:
    return code_of(_core.cbor_decode, data, **kwargs)


AUTH_DATA = bytes(32) + b"\x01" + b"\x00\x00\x00\x05"
ATT_OBJ = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": AUTH_DATA}, canonical=True)


# --- constants ------------------------------------------------------------------------------

def test_constants() -> None:
    assert _core.MAX_INPUT == 1 << 20
    assert _core.MAX_DEPTH == 16
    assert _core.MAX_ITEMS == 4096


# --- C01-C23 ----------------------------------------------------------------------------------

def test_C01_empty_input() -> None:
    assert dec_code(b"") == "cbor.empty"


def test_C02_cut_mid_header() -> None:
    # the catalogue's `a3 63 66 6d`: a 3-entry map needs >= 6 more bytes -> length check first
    assert dec_code(bytes.fromhex("a363666d")) == "cbor.truncated"
    assert dec_code(b"\xa3") == "cbor.truncated"
    assert dec_code(b"\xa1\x63fmt") == "cbor.unexpected_eof"      # value missing
    assert dec_code(b"\x1b\x00\x00") == "cbor.unexpected_eof"     # uint64 head cut
    assert dec_code(b"\x19\x01") == "cbor.unexpected_eof"          # uint16 head cut
    assert dec_code(b"\x82\x01") == "cbor.truncated"                # 2 items, 1 byte left
    assert dec_code(b"\x82\x00\x19\x01") == "cbor.unexpected_eof"  # second item's head cut
    assert dec_code(ATT_OBJ[:-1]) == "cbor.truncated"


def test_C03_bstr_length_exceeds_remaining() -> None:
    assert dec_code(b"\x58\x20abc") == "cbor.truncated"
    assert dec_code(b"\x50abc") == "cbor.truncated"
    assert dec_code(b"\x78\x20abc") == "cbor.truncated"
    # the catalogue's `58 10`: too long for the input; strict refuses its non-minimal head first
    assert dec_code(b"\x58\x10abc") == "cbor.truncated"
    assert dec_code(b"\x58\x10abc", strict=True) == "cbor.non_minimal_int"


@pytest.mark.parametrize("head", ["5bffffffffffffffff", "5a00010000", "7bffffffffffffffff",
                                  "5b0000000100000000", "7a80000000"])
def test_C04_huge_declared_length(head: str) -> None:
    # length > input: refused before any allocation (no MemoryError/OverflowError)
    assert dec_code(bytes.fromhex(head)) == "cbor.truncated"
    assert dec_code(bytes.fromhex(head) + b"x" * 10) == "cbor.truncated"


def test_C05_trailing_bytes() -> None:
    assert dec_code(ATT_OBJ + b"\x00") == "cbor.trailing_bytes"
    assert dec_code(b"\x01\x01") == "cbor.trailing_bytes"


@pytest.mark.parametrize("data", ["bfff", "9fff", "5fff", "7fff", "5f41aaff", "9f01ff", "bf0101ff",
                                  "a1019f01ff"])
def test_C06_indefinite_lengths(data: str) -> None:
    assert dec_code(bytes.fromhex(data)) == "cbor.indefinite_length"


def test_C07_duplicate_key() -> None:
    # {"fmt": "packed", "fmt": "none", ...} adjacent duplicate
    data = (b"\xa3" + cbor2.dumps("fmt") + cbor2.dumps("packed") + cbor2.dumps("fmt")
            + cbor2.dumps("none") + cbor2.dumps("attStmt") + b"\xa0")
    assert dec_code(data) == "cbor.duplicate_key"
    assert dec_code(b"\xa2\x01\x02\x01\x03") == "cbor.duplicate_key"
    # non-adjacent duplicate (order violated at the repeated key): still reported as duplicate
    assert dec_code(b"\xa3\x01\x00\x02\x00\x01\x00") == "cbor.duplicate_key"


def test_C08_same_key_non_minimal_length() -> None:
    # `68 "authData"` + `78 08 "authData"`: the same key twice (keys compare as decoded values);
    # strict mode refuses the second encoding for not being minimal
    data = b"\xa2" + b"\x68authData" + b"\x40" + b"\x78\x08authData" + b"\x40"
    assert dec_code(data) == "cbor.duplicate_key"
    assert dec_code(data, strict=True) == "cbor.non_minimal_int"
    assert dec_code(b"\xa2" + b"\x78\x08authData" + b"\x40" + b"\x68authData" + b"\x40") == "cbor.duplicate_key"


@pytest.mark.parametrize("key", ["f5", "f4", "f6", "f93c00", "fa3f800000", "fb3ff0000000000000",
                                 "4131", "8101", "a0", "f7"])
def test_C09_C10_invalid_key_types(key: str) -> None:
    # {1: 2, <key>: 3}: bool / null / float 1.0 / bstr / array / map / undefined labels
    data = b"\xa2\x01\x02" + bytes.fromhex(key) + b"\x03"
    assert dec_code(data) == "cbor.invalid_key_type"
    data = b"\xa1" + bytes.fromhex(key) + b"\x03"
    assert dec_code(data) == "cbor.invalid_key_type"


def test_C10_text_key_is_not_int_key() -> None:
    # "1" is a valid (text) key; it simply is not label 1
    assert _core.cbor_decode(b"\xa1\x611\x03") == {"1": 3}


@pytest.mark.parametrize("data", ["1805", "190001", "1900ff", "1a0000ffff", "1b00000000ffffffff",
                                  "3800", "390010", "5800", "5900ff" + "00" * 255, "7817" + "61" * 23,
                                  "9800", "b800", "a11805f6"])
def test_C11_non_minimal_ints_and_lengths(data: str) -> None:
    raw = bytes.fromhex(data)
    assert dec_code(raw, strict=True) == "cbor.non_minimal_int"
    # default: read for its value, which cbor2 agrees on
    assert _core.cbor_decode(raw) == cbor2.loads(raw)


@pytest.mark.parametrize("m", [
    b"\xa2\x02\x00\x01\x00",                     # 2 before 1
    b"\xa2\x20\x00\x01\x00",                     # -1 (0x20) before 1 (0x01)
    b"\xa2\x61a\x00\x01\x00",                    # text before int
    b"\xa2\x62aa\x00\x61b\x00",                  # longer before shorter
    b"\xa2\x61b\x00\x61a\x00",                   # bytewise
    b"\xa2\x18\x18\x00\x17\x00",                 # 24 (2 bytes) before 23 (1 byte)
])
def test_C12_keys_out_of_canonical_order(m: bytes) -> None:
    assert dec_code(m, strict=True) == "cbor.non_canonical_order"
    # default: accepted, keys kept in the encoded order
    assert repr(_core.cbor_decode(m)) == repr(cbor2.loads(m))


def test_C12_canonical_order_accepted() -> None:
    m = {1: 0, 2: 0, -1: 0, -2: 0, 24: 0, -25: 0, "a": 0, "b": 0, "aa": 0, "fmt": 0,
         "attStmt": 0, "authData": 0}
    enc = cbor2.dumps(m, canonical=True)
    assert _core.cbor_decode(enc) == m
    assert list(_core.cbor_decode(enc)) == list(cbor2.loads(enc))
    assert list(_core.cbor_decode(enc, strict=True)) == list(cbor2.loads(enc))


def test_C13_deep_nesting() -> None:
    assert dec_code(b"\x81" * 100_000 + b"\x00") == "cbor.depth_exceeded"
    assert dec_code(b"\xa1\x01" * 50_000 + b"\x00") == "cbor.depth_exceeded"
    # exactly max_depth containers are fine, one more is not
    assert _core.cbor_decode(b"\x81" * 16 + b"\x00") is not None
    assert dec_code(b"\x81" * 17 + b"\x00") == "cbor.depth_exceeded"
    assert dec_code(b"\x81" * 3 + b"\x00", max_depth=2) == "cbor.depth_exceeded"
    # a huge caller limit is capped; still no RecursionError or crash
    assert dec_code(b"\x81" * 100_000 + b"\x00", max_depth=10**9) == "cbor.depth_exceeded"


def test_C14_nested_tags() -> None:
    assert dec_code(b"\xc6" * 100_000 + b"\x00") == "cbor.tag_not_allowed"
    assert dec_code(b"\xd9\xd9\xf7" * 10_000 + b"\x00") == "cbor.tag_not_allowed"


@pytest.mark.parametrize("data", ["c249010000000000000000", "c074323031332d30332d32315432303a30343a30305a",
                                  "a103c249010000000000000000", "d818420102", "db0000000000000000"])
def test_C15_any_tag(data: str) -> None:
    assert dec_code(bytes.fromhex(data)) == "cbor.tag_not_allowed"


@pytest.mark.parametrize("data", ["1c", "1d", "1e", "3c", "5d", "7e", "9c", "bd", "fc", "fd", "fe",
                                  "1f", "3f"])
def test_C16_reserved_additional_info(data: str) -> None:
    assert dec_code(bytes.fromhex(data)) == "cbor.reserved_additional_info"


@pytest.mark.parametrize("data", ["ff", "81ff", "a1ff00", "a101ff"])
def test_C16_stray_break(data: str) -> None:
    assert dec_code(bytes.fromhex(data)) == "cbor.unexpected_break"


@pytest.mark.parametrize("text", [
    b"\xc0\xaf",                 # overlong "/"
    b"\xe0\x80\xaf",             # overlong 3-byte
    b"\xed\xa0\x80",             # UTF-16 surrogate D800
    b"\xed\xbf\xbf",             # surrogate DFFF
    b"\xf4\x90\x80\x80",         # > U+10FFFF
    b"\xff",
    b"\x80",                     # lone continuation
    b"a\xe2\x82",                # cut sequence
])
def test_C17_invalid_utf8(text: bytes) -> None:
    assert dec_code(bytes([0x60 + len(text)]) + text) == "cbor.invalid_utf8"
    assert dec_code(b"\xa1" + bytes([0x60 + len(text)]) + text + b"\x00") == "cbor.invalid_utf8"


def test_C17_valid_utf8() -> None:
    for s in ["", "é", "€", "😀", "\u0000", "\U0010ffff"]:
        assert _core.cbor_decode(cbor2.dumps(s)) == s


def test_C18_top_level_not_a_map() -> None:
    assert code_of(_core.parse_attestation_object, cbor2.dumps(99999)) == "attestation_object.not_a_map"
    assert code_of(_core.parse_attestation_object, cbor2.dumps([1])) == "attestation_object.not_a_map"


@pytest.mark.parametrize("obj,code", [
    ({"attStmt": {}, "authData": AUTH_DATA}, "attestation_object.missing_field"),
    ({"fmt": "none", "authData": AUTH_DATA}, "attestation_object.missing_field"),
    ({"fmt": "none", "attStmt": {}}, "attestation_object.missing_field"),
    ({}, "attestation_object.missing_field"),
    ({"fmt": 1, "attStmt": {}, "authData": AUTH_DATA}, "attestation_object.field_type"),
    ({"fmt": None, "attStmt": {}, "authData": AUTH_DATA}, "attestation_object.field_type"),
    ({"fmt": "none", "attStmt": [], "authData": AUTH_DATA}, "attestation_object.field_type"),
    ({"fmt": "none", "attStmt": None, "authData": AUTH_DATA}, "attestation_object.field_type"),
    ({"fmt": "none", "attStmt": {}, "authData": "x"}, "attestation_object.field_type"),
    ({"fmt": b"none", "attStmt": {}, "authData": AUTH_DATA}, "attestation_object.field_type"),
])
def test_C19_fields_missing_or_wrong_type(obj: dict, code: str) -> None:
    assert code_of(_core.parse_attestation_object, cbor2.dumps(obj, canonical=True)) == code


def test_C20_empty_auth_data() -> None:
    data = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": b""}, canonical=True)
    assert code_of(_core.parse_attestation_object, data) == "auth_data.too_short"


@pytest.mark.parametrize("value", ["f7", "f93c00", "fa3f800000", "fb3ff0000000000000", "f800",
                                   "f820", "e0", "f3"])
def test_C21_undefined_float_simple(value: str) -> None:
    assert dec_code(bytes.fromhex(value)) == "cbor.unsupported_simple"
    data = b"\xa2\x63alg" + bytes.fromhex(value) + b"\x63sig\x40"
    assert dec_code(data) == "cbor.unsupported_simple"


def test_C21_null_and_bool_kept_as_such() -> None:
    assert _core.cbor_decode(b"\xa1\x63alg\xf6") == {"alg": None}
    assert _core.cbor_decode(b"\x83\xf4\xf5\xf6") == [False, True, None]


@pytest.mark.parametrize("data", ["bb0000000100000000010203", "ba000100000102030405",
                                  "9b0000000100000000010203", "9a00010000010203", "a30102"])
def test_C22_count_exceeds_input(data: str) -> None:
    assert dec_code(bytes.fromhex(data)) == "cbor.truncated"


def test_C22_count_cap() -> None:
    n = _core.MAX_ITEMS + 1
    assert dec_code(b"\x99" + n.to_bytes(2, "big") + b"\x00" * n) == "cbor.count_exceeded"
    ok = b"\x99" + _core.MAX_ITEMS.to_bytes(2, "big") + b"\x00" * _core.MAX_ITEMS
    assert _core.cbor_decode(ok) == [0] * _core.MAX_ITEMS
    # R02: 10^6 entries
    assert dec_code(b"\x9a" + (10**6).to_bytes(4, "big") + b"\x00" * 10**6) == "cbor.count_exceeded"


def test_C23_unknown_top_level_key() -> None:
    obj = {"fmt": "none", "attStmt": {}, "authData": AUTH_DATA, "epAtt": True}
    assert code_of(_core.parse_attestation_object, cbor2.dumps(obj, canonical=True)) == \
        "attestation_object.unknown_field"
    obj = {"fmt": "none", "attStmt": {}, "authData": AUTH_DATA, 1: 0}
    assert code_of(_core.parse_attestation_object, cbor2.dumps(obj, canonical=True)) == \
        "attestation_object.unknown_field"


# --- input framing ------------------------------------------------------------------------------

def test_R01_input_too_large() -> None:
    big = b"\x5a" + (2**20).to_bytes(4, "big") + bytes(2**20)
    assert dec_code(big) == "input.too_large"
    assert dec_code(bytearray(big)) == "input.too_large"
    assert dec_code(memoryview(big)) == "input.too_large"
    assert code_of(_core.parse_authenticator_data, big) == "input.too_large"


@pytest.mark.parametrize("value", ["a0", 1, None, 1.5, ["x"], {"a": 1}])
def test_input_type(value: object) -> None:
    assert dec_code(value) == "input.type"  # type: ignore[arg-type]


def test_accepts_bytes_like() -> None:
    assert _core.cbor_decode(bytearray(ATT_OBJ)) == cbor2.loads(ATT_OBJ)
    assert _core.cbor_decode(memoryview(ATT_OBJ)) == cbor2.loads(ATT_OBJ)
    assert _core.cbor_decode(memoryview(b"xx" + ATT_OBJ)[2:]) == cbor2.loads(ATT_OBJ)


def test_integers_full_range() -> None:
    for v in [0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
              -1, -24, -25, -256, -257, -(2**32), -(2**63), -(2**63) - 1, -(2**64)]:
        enc = cbor2.dumps(v)
        got = _core.cbor_decode(enc)
        assert got == v and type(got) is int
    assert _core.cbor_decode(b"\x3b" + b"\xff" * 8) == -(2**64)
    assert _core.cbor_decode(b"\x1b" + b"\xff" * 8) == 2**64 - 1


def test_decode_prefix() -> None:
    data = b"\x01\x82\x02\x03\x61a"
    assert _core.cbor_decode_prefix(data) == (1, 1)
    assert _core.cbor_decode_prefix(data, 1) == ([2, 3], 4)
    assert _core.cbor_decode_prefix(data, 4) == ("a", 6)
    assert code_of(_core.cbor_decode_prefix, data, 6) == "cbor.unexpected_eof"
    assert code_of(_core.cbor_decode_prefix, data, 7) == "input.type"
    assert code_of(_core.cbor_decode_prefix, data, -1) == "input.type"
    assert code_of(_core.cbor_decode_prefix, b"", 0) == "cbor.empty"


# --- positives against cbor2 ----------------------------------------------------------------------

VALID = [
    {"fmt": "none", "attStmt": {}, "authData": AUTH_DATA},
    {1: 2, 3: -7, -1: 1, -2: b"x" * 32, -3: b"y" * 32},
    [[], {}, b"", "", [None, True, False]],
    {"x5c": [b"\x30\x82" * 300, b"a" * 70000], "alg": -7, "sig": b"s" * 72},
    "a" * 300, b"b" * 65536, list(range(-30, 300)),
]


@pytest.mark.parametrize("value", VALID)
def test_matches_cbor2(value: object) -> None:
    enc = cbor2.dumps(value, canonical=True)
    assert _core.cbor_decode(enc) == cbor2.loads(enc)


scalars = (st.integers(min_value=-(2**64), max_value=2**64 - 1) | st.binary(max_size=40)
           | st.text(max_size=20) | st.booleans() | st.none())
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=6)
    | st.dictionaries(st.integers(min_value=-(2**64), max_value=2**64 - 1) | st.text(max_size=8),
                      children, max_size=6),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_hypothesis_roundtrip_matches_cbor2(value: object) -> None:
    enc = cbor2.dumps(value, canonical=True)
    got = _core.cbor_decode(enc)
    assert got == cbor2.loads(enc)
    assert cbor2.dumps(got, canonical=True) == enc


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=64))
def test_hypothesis_random_bytes_only_verification_error(data: bytes) -> None:
    try:
        value = _core.cbor_decode(data)
    except VerificationError as exc:
        assert exc.code in CODES
    else:
        # anything we accept means what cbor2 reads in it (any key order, any head width) ...
        assert value == cbor2.loads(data)
        # ... and what the strict mode accepts is canonical: re-encoding gives back the same bytes
        try:
            strict = _core.cbor_decode(data, strict=True)
        except VerificationError as exc:
            assert exc.code in CODES
        else:
            assert cbor2.dumps(strict, canonical=True) == data
