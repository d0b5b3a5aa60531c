"""android-safetynet attestation (WebAuthn L3 §8.5): real vectors, generated vectors, S01."""
from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

import fastattest
from fastattest import VerificationError
from fastattest.formats import android_safetynet as sn
from fastattest.policy import Policy

import format_helpers as H



_b64 = H.unb64
_real = H.real_vector


REAL = ["registration/py_webauthn_android_safetynet.json", "statements/python_fido2_android_safetynet.json"]


def _verify(v: H.AndroidKey, **kw):
    kw.setdefault("trust_anchors", {"android-safetynet": [v.pki.root.pem]})
    kw.setdefault("now", H.NOW)
    return fastattest.verify_attestation(v.object(), v.cdh, **kw)


def _code(v: H.AndroidKey, **kw) -> str:
    with pytest.raises(VerificationError) as e:
        _verify(v, **kw)
    return e.value.code


@pytest.mark.parametrize("path", REAL)
def test_real_vector_trusted_by_pinned_globalsign_roots(path: str) -> None:
    ao, cdh, now = _real(path)
    res = fastattest.verify_attestation(ao, cdh, now=now)
    assert (res.fmt, res.attestation_type, res.trusted, res.trust_error) == ("android-safetynet", "basic", True, None)


@pytest.mark.parametrize("path", REAL)
def test_S01_real_vector_is_stale_two_minutes_later(path: str) -> None:
    ao, cdh, now = _real(path)
    with pytest.raises(VerificationError) as e:
        fastattest.verify_attestation(ao, cdh, now=now + timedelta(minutes=2))
    assert e.value.code == "android_safetynet.timestamp_stale"
    # a relying party can widen the window
    res = fastattest.verify_attestation(ao, cdh, now=now + timedelta(minutes=2), policy=Policy(safetynet_max_age=300))
    assert res.attestation_type == "basic"


def test_pinned_safetynet_roots() -> None:
    fps = {
        "globalsign-root-ca-r1-safetynet.pem": "ebd41040e4bb3ec742c9e381d31ef2a41a48b6685c96e7cef3c1df6cd4331c99",
        "globalsign-root-ca-r2-safetynet.pem": "ca42dd41745fd0b81eb902362cf9d8bf719da1bd1b1efc946f5b4c99f42c1b9e",
    }
    assert sn.PINNED_ROOTS == tuple(fps)
    for name, fp in fps.items():
        cert = x509.load_pem_x509_certificate((Path(fastattest.__file__).parent / "roots" / name).read_bytes())
        assert cert.fingerprint(hashes.SHA256()).hex() == fp


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_generated_valid(alg: str) -> None:
    res = _verify(H.safetynet(alg=alg))
    assert (res.fmt, res.attestation_type, res.trusted, len(res.trust_path)) == ("android-safetynet", "basic", True, 3)
    v = H.safetynet(alg=alg)
    assert _verify(v).trust_path[-1] == v.pki.root.der  # the validated path ends at the anchor


def test_generated_hostname_from_common_name_when_no_san() -> None:
    assert _verify(H.safetynet(san=[])).trusted is True


# --- S01 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("ver", ["", None, 5, b"1"])
def test_S01_bad_ver(ver) -> None:
    assert _code(H.safetynet(ver=ver)) == "android_safetynet.invalid_statement"


@pytest.mark.parametrize("response", [b"", "a.b.c", None])
def test_S01_bad_response_field(response) -> None:
    v = H.safetynet()
    v.stmt["response"] = response
    assert _code(v) == "android_safetynet.invalid_statement"


@pytest.mark.parametrize(
    "response",
    [b"abc", b"a.b", b"a.b.c.d", b"..", b"e30.e30.", b"!!!.e30.AAAA", b"WzFd.e30.AAAA", b"e30.bnVsbA.AAAA"],
)
def test_S01_response_not_a_jws(response: bytes) -> None:
    v = H.safetynet()
    v.stmt["response"] = response
    assert _code(v) == "android_safetynet.jws_malformed"


def test_S01_duplicate_json_key() -> None:
    v = H.safetynet()
    h, p, s = v.stmt["response"].split(b".")
    p = H.b64url(b'{"nonce":"a","nonce":"b"}')
    v.stmt["response"] = b".".join((h, p, s))
    assert _code(v) == "android_safetynet.jws_malformed"


def test_S01_non_canonical_base64url_segment() -> None:
    """RFC 7515 §2 / RFC 4648 §3.5: a header text with pad bits set aliases the canonical one;
    it is refused before anything is read from it."""
    v = H.safetynet()
    h, p, s = v.stmt["response"].split(b".")
    header = _b64(h.decode()) + b" "  # JSON allows trailing whitespace: a header the JWS did not sign
    while len(header) % 3 == 0:  # ... whose text ends in a partial quad
        header += b" "
    canonical = H.b64url(header)
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    alias = canonical[:-1] + alphabet[alphabet.index(canonical[-1:]) | 1 : alphabet.index(canonical[-1:]) + 2]
    assert base64.urlsafe_b64decode(alias + b"=" * (-len(alias) % 4)) == header  # same bytes
    v.stmt["response"] = b".".join((canonical, p, s))
    assert _code(v) == "android_safetynet.signature_invalid"  # the header parsed; the JWS signed the old one
    v.stmt["response"] = b".".join((alias, p, s))
    assert _code(v) == "android_safetynet.jws_malformed"


@pytest.mark.parametrize("alg", ["none", "HS256", "", "es256", None])
def test_S01_alg_not_allowed(alg) -> None:
    v = H.safetynet(header={"alg": alg})
    assert _code(v) == "android_safetynet.bad_algorithm"


def test_S01_alg_none_with_empty_signature() -> None:
    v = H.safetynet()
    h = H.b64url(json.dumps({"alg": "none", "x5c": json.loads(_b64(v.stmt["response"].split(b".")[0].decode()))["x5c"]}).encode())
    v.stmt["response"] = h + b"." + v.stmt["response"].split(b".")[1] + b"."
    assert _code(v) == "android_safetynet.jws_malformed"  # empty signature part


def test_S01_bad_nonce() -> None:
    assert _code(H.safetynet(payload={"nonce": base64.b64encode(b"\x00" * 32).decode()})) == "android_safetynet.nonce_mismatch"


def test_S01_nonce_missing() -> None:
    assert _code(H.safetynet(payload={"nonce": None})) == "android_safetynet.nonce_mismatch"


@pytest.mark.parametrize("host,san", [("evil.example.com", None), ("attest.android.com.evil.com", None), ("attest.android.com", ["evil.example.com"])])
def test_S01_host_not_attest_android_com(host: str, san) -> None:
    assert _code(H.safetynet(host=host, san=san)) == "android_safetynet.hostname"


def test_S01_signature_by_other_key() -> None:
    assert _code(H.safetynet(sign_key=H.ec_key())) == "android_safetynet.signature_invalid"


@pytest.mark.parametrize("field,value", [("ctsProfileMatch", False), ("ctsProfileMatch", None), ("ctsProfileMatch", "true"), ("basicIntegrity", False)])
def test_S01_integrity_false(field: str, value) -> None:
    assert _code(H.safetynet(payload={field: value})) == "android_safetynet.cts_profile"


def test_cts_not_required_by_policy() -> None:
    v = H.safetynet(payload={"ctsProfileMatch": False})
    assert _verify(v, policy=Policy(safetynet_require_cts=False)).trusted


def test_S01_timestamp_in_the_future() -> None:
    ms = int(H.NOW.timestamp() * 1000) + 61_000
    assert _code(H.safetynet(payload={"timestampMs": ms})) == "android_safetynet.timestamp_future"


def test_timestamp_within_skew_is_accepted() -> None:
    ms = int(H.NOW.timestamp() * 1000) + 59_000
    assert _verify(H.safetynet(payload={"timestampMs": ms})).trusted


def test_S01_timestamp_too_old() -> None:
    ms = int(H.NOW.timestamp() * 1000) - 61_000
    assert _code(H.safetynet(payload={"timestampMs": ms})) == "android_safetynet.timestamp_stale"


@pytest.mark.parametrize("ts", [None, "1", 1.5, True, -1])
def test_S01_timestamp_not_an_integer(ts) -> None:
    assert _code(H.safetynet(payload={"timestampMs": ts})) == "android_safetynet.jws_malformed"


@pytest.mark.parametrize("x5c,code", [(None, "certificate.x5c_invalid"), ([], "certificate.x5c_invalid"), (["***"], "certificate.x5c_invalid"), (["AAAA"], "certificate.malformed")])
def test_S01_header_x5c_invalid(x5c, code: str) -> None:
    assert _code(H.safetynet(header={"x5c": x5c})) == code


def test_untrusted_root_is_not_trusted() -> None:
    res = _verify(H.safetynet(), trust_anchors=None)
    assert not res.trusted and res.trust_error == "trust.untrusted_root"
