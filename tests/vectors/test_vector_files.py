"""The vector files are what they claim: they decode with cbor2, their `expected` facts match the
data, and py_webauthn / python-fido2 (not fastattest) accept the positive ones and reject the
negative ones at the vector's `now`. A broken or mislabelled vector fails here, not in a
fastattest test."""
from __future__ import annotations

import io
import json
import sys
import uuid
from pathlib import Path
from typing import Any
from unittest.mock import patch

import cbor2
import pytest
from OpenSSL.crypto import X509Store
from fido2.attestation import Attestation
from fido2.webauthn import AuthenticatorData
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.structs import COSEAlgorithmIdentifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import vectors  # noqa: E402  (tests/vectors.py)

ALL_ALGS = list(COSEAlgorithmIdentifier)
ATT_TYPE = {"BASIC": "basic", "SELF": "self", "ATT_CA": "attca", "ANON_CA": "anonca", "NONE": "none"}


def parse_auth_data(ad: bytes) -> dict[str, Any]:
    flags = ad[32]
    out: dict[str, Any] = {"sign_count": int.from_bytes(ad[33:37], "big"), "user_present": bool(flags & 1),
                           "user_verified": bool(flags & 4), "backup_eligible": bool(flags & 8),
                           "backed_up": bool(flags & 16)}
    if flags & 0x40:
        n = int.from_bytes(ad[53:55], "big")
        stream = io.BytesIO(ad[55 + n:])
        key = cbor2.CBORDecoder(stream).decode()
        out.update(aaguid=str(uuid.UUID(bytes=ad[37:53])), credential_id=ad[55:55 + n], alg=key[3],
                   credential_public_key=ad[55 + n:55 + n + stream.tell()])
    return out


def _py_webauthn_at(now: Any):  # noqa: ANN202
    store = X509Store()
    if now is not None:
        store.set_time(now.replace(tzinfo=None))
    return patch("webauthn.helpers.validate_certificate_chain._generate_new_cert_store", return_value=store)


def _register(vec: dict[str, Any]) -> Any:
    with _py_webauthn_at(vectors.now(vec)):
        return verify_registration_response(
            credential=json.dumps(vec["response"]), expected_challenge=vectors.challenge(vec),
            expected_origin=vec.get("origins") or vec["origin"], expected_rp_id=vec["rp_id"],
            pem_root_certs_bytes_by_fmt=vectors.trust_anchors(vec), supported_pub_key_algs=ALL_ALGS)


# ---------------------------------------------------------------- registration

@pytest.mark.parametrize("vec", **vectors.parametrize("registration", positive=True))
def test_positive_registration_facts(vec: dict[str, Any]) -> None:
    resp = vec["response"]["response"]
    obj = cbor2.loads(vectors.b64u_decode(resp["attestationObject"]))
    exp = vec["expected"]
    assert obj["fmt"] == exp["fmt"]
    ad = parse_auth_data(obj["authData"])
    assert ad["credential_id"] == vectors.b64u_decode(exp["credential_id"]) == vectors.b64u_decode(vec["response"]["id"])
    assert ad["credential_public_key"] == vectors.b64u_decode(exp["credential_public_key"])
    for k in ("sign_count", "aaguid", "alg", "user_present", "user_verified", "backup_eligible", "backed_up"):
        assert ad[k] == exp[k], k
    cd = json.loads(vectors.b64u_decode(resp["clientDataJSON"]))
    assert cd["type"] == "webauthn.create"
    assert vectors.b64u_decode(cd["challenge"]) == vectors.challenge(vec)
    assert cd["origin"] == vec["origin"]


# py_webauthn's verify_registration_response checks the SafetyNet JWS timestamp against the
# wall clock (its own test calls verify_android_safetynet(verify_timestamp_ms=False) instead).
_PYW_REG = [v for v in vectors.load("registration", positive=True) if v["expected"]["fmt"] != "android-safetynet"]


@pytest.mark.parametrize("vec", _PYW_REG, ids=vectors.ids(_PYW_REG))
def test_positive_registration_verifies_with_py_webauthn(vec: dict[str, Any]) -> None:
    v = _register(vec)
    assert v.sign_count == vec["expected"]["sign_count"]
    assert v.aaguid == vec["expected"]["aaguid"]


@pytest.mark.parametrize("vec", **vectors.parametrize("registration", positive=False))
def test_negative_registration_rejected_by_py_webauthn(vec: dict[str, Any]) -> None:
    assert vec["expected"]["why"]
    with pytest.raises(Exception):  # noqa: B017 - any py_webauthn rejection
        _register(vec)


# ---------------------------------------------------------------- authentication

def _authenticate(vec: dict[str, Any]) -> Any:
    return verify_authentication_response(
        credential=json.dumps(vec["response"]), expected_challenge=vectors.challenge(vec),
        expected_origin=vec.get("origins") or vec["origin"], expected_rp_id=vec["rp_id"],
        credential_public_key=vectors.b64u_decode(vec["credential_public_key"]),
        credential_current_sign_count=vec["stored_sign_count"],
        require_user_verification=vec["require_user_verification"])


@pytest.mark.parametrize("vec", **vectors.parametrize("authentication", positive=True))
def test_positive_authentication(vec: dict[str, Any]) -> None:
    ad = parse_auth_data(vectors.b64u_decode(vec["response"]["response"]["authenticatorData"]))
    assert ad["sign_count"] == vec["expected"]["new_sign_count"]
    assert ad["user_verified"] == vec["expected"]["user_verified"]
    assert _authenticate(vec).new_sign_count == vec["expected"]["new_sign_count"]


@pytest.mark.parametrize("vec", **vectors.parametrize("authentication", positive=False))
def test_negative_authentication_rejected_by_py_webauthn(vec: dict[str, Any]) -> None:
    with pytest.raises(Exception):  # noqa: B017
        _authenticate(vec)


# ---------------------------------------------------------------- statements

def _fido2(vec: dict[str, Any]) -> Any:
    obj = cbor2.loads(vectors.b64u_decode(vec["attestation_object"]))
    assert obj["fmt"] == vec["expected"]["fmt"]
    return Attestation.for_type(obj["fmt"])().verify(
        obj["attStmt"], AuthenticatorData(obj["authData"]), vectors.b64u_decode(vec["client_data_hash"]))


@pytest.mark.parametrize("vec", **vectors.parametrize("statement", positive=True))
def test_positive_statement_verifies_with_fido2(vec: dict[str, Any]) -> None:
    res = _fido2(vec)
    assert ATT_TYPE[res.attestation_type.name] == vec["expected"]["attestation_type"]
    assert len(res.trust_path) == vec["expected"]["trust_path_length"]


@pytest.mark.parametrize("vec", **vectors.parametrize("statement", positive=False))
def test_negative_statement_rejected_by_fido2(vec: dict[str, Any]) -> None:
    with pytest.raises(Exception):  # noqa: B017
        _fido2(vec)


def test_counts() -> None:
    assert len(vectors.load("registration", positive=True)) >= 15
    assert len(vectors.load("registration", positive=False)) >= 10
    assert len(vectors.load("authentication")) >= 8
    assert len(vectors.load("statement")) >= 10
