"""clientDataJSON: WebAuthn L3 §5.8.1, §7.1 steps 5-11, §7.2 steps 10-15 (catalogue J01-J13)."""
from __future__ import annotations

import json

import pytest

from fastattest import VerificationError, client_data

CH = b"\x01\x02challenge-bytes\xff"
CH_B64 = client_data.encode_challenge(CH)
ORIGINS = frozenset({"https://example.com"})


def cd(**kw):
    base = {"type": "webauthn.create", "challenge": CH_B64, "origin": "https://example.com", "crossOrigin": False}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not ...}


def check(obj, **kw):
    args = dict(type="webauthn.create", challenge=CH, origins=ORIGINS)
    args.update(kw)
    client_data.verify(obj, **args)


def code_of(fn, *a, **kw):
    with pytest.raises(VerificationError) as ei:
        fn(*a, **kw)
    return ei.value.code


def test_valid_passes():
    check(client_data.parse(json.dumps(cd()).encode()))


@pytest.mark.parametrize("raw", [b"", b"not json", b"\xff\xfe{}", b"[1,2]", b'"str"', b"{", b"\xed\xa0\x80{}"])
def test_J01_malformed(raw):
    assert code_of(client_data.parse, raw) == "client_data.malformed"


@pytest.mark.parametrize("t", [..., 1, "", "webauthn.get", "Webauthn.create", None])
def test_J02_wrong_type(t):
    assert code_of(check, cd(type=t)) == "client_data.type_mismatch"


@pytest.mark.parametrize("c", [..., "", CH_B64 + "=", CH_B64.replace("_", "/").replace("-", "+") + "x", "AAAA", 5, None])
def test_J03_challenge(c):
    assert code_of(check, cd(challenge=c)) == "client_data.challenge_mismatch"


def test_J03_padded_and_std_alphabet_refused():
    ch = b"\xfb\xff\xfe"  # encodes with '-' and '_' in base64url, '+' and '/' in base64
    std = "+//+"
    assert client_data.encode_challenge(ch) == "-__-"
    assert code_of(check, cd(challenge=std), challenge=ch) == "client_data.challenge_mismatch"
    assert code_of(check, cd(challenge="-__-=="), challenge=ch) == "client_data.challenge_mismatch"
    check(cd(challenge="-__-"), challenge=ch)


@pytest.mark.parametrize(
    "o",
    [..., "http://example.com", "https://example.com:8443", "https://example.com/", "https://EXAMPLE.com", "null",
     "https://evil-example.com", "https://sub.example.com", 7],
)
def test_J05_J06_J07_origin(o):
    assert code_of(check, cd(origin=o)) == "client_data.origin_mismatch"


def test_J08_cross_origin():
    assert code_of(check, cd(crossOrigin=True)) == "client_data.cross_origin"
    assert code_of(check, cd(crossOrigin="true")) == "client_data.cross_origin"
    check(cd(crossOrigin=True), allow_cross_origin=True)


def test_J09_top_origin():
    assert code_of(check, cd(topOrigin="https://example.com")) == "client_data.top_origin"
    obj = cd(crossOrigin=True, topOrigin="https://evil.com")
    assert code_of(check, obj, allow_cross_origin=True, top_origins=("https://a.com",)) == "client_data.top_origin"
    check(cd(crossOrigin=True, topOrigin="https://a.com"), allow_cross_origin=True, top_origins=("https://a.com",))


@pytest.mark.parametrize("tb", [{}, {"status": "bogus"}, {"status": "not-supported"}, {"status": "present", "id": "x"},
                                None, 1, ["supported"], {"status": []}, {"status": {}}, {"status": {"a": 1}}])
def test_J10_token_binding(tb):
    assert code_of(check, cd(tokenBinding=tb)) == "client_data.token_binding"


def test_J10_token_binding_supported_ok():
    check(cd(tokenBinding={"status": "supported"}))


@pytest.mark.parametrize("tb", ["unused", "not-supported", ""])
def test_J10_token_binding_legacy_string_is_ignored(tb):
    # pre-L1 clients with U2F keys (py_webauthn's Duo vector) send a string: no binding, nothing to check
    check(cd(tokenBinding=tb))


def test_J11_duplicate_key():
    raw = b'{"type":"webauthn.create","type":"webauthn.get","challenge":"' + CH_B64.encode() + b'"}'
    assert code_of(client_data.parse, raw) == "client_data.duplicate_key"


def test_J12_bom_accepted():
    check(client_data.parse(b"\xef\xbb\xbf" + json.dumps(cd()).encode()))


def test_J13_size_and_depth():
    assert code_of(client_data.parse, b'{"a":"' + b"x" * (10 * 1024 * 1024) + b'"}') == "client_data.too_large"
    deep = b'{"a":' + b"[" * 30000 + b"]" * 30000 + b"}"
    assert code_of(client_data.parse, deep) == "client_data.malformed"


def test_extra_members_ignored():
    # §5.8.1: RPs must ignore unknown members (e.g. Android's androidPackageName, "other_keys_can_be_added_here")
    check(cd(androidPackageName="com.android.chrome", other_keys_can_be_added_here="x"))
