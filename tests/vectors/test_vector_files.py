"""The vector files are what they claim: they decode with cbor2, their `expected` facts match the
data, and py_webauthn / python-fido2 (not fastattest) accept the positive ones and reject the
negative ones at the vector's `now`. A broken or mislabelled vector fails here, not in a
fastattest test."""
from __future__ import annotations

import hashlib
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


# ---------------------------------------------------------------- W3C WebAuthn L3 §16

_W3C = [v for v in vectors.load("w3c") if v.get("kind") == "w3c"]
_FIDO2_FMTS = {"none", "packed", "tpm", "apple", "fido-u2f"}  # python-fido2 has no android-key verifier
# Excluded where the vector's own "notes" say why that library rejects it (tpm: clockInfo.safe).
_W3C_FIDO2 = [v for v in _W3C if v["fmt"] in _FIDO2_FMTS and v["alg"] != -53 and v["label"] != "tpm.ES256"]
_PYW_ALGS = {a.value for a in COSEAlgorithmIdentifier}


def test_w3c_anchor_values() -> None:
    """Values quoted from the spec text (§16.1, §16.2, §16.3, §16.7)."""
    by = {v["label"]: v for v in _W3C}
    none = by["none.ES256"]
    assert none["credential_private_key"] == "6e68e7a58484a3264f66b77f5d6dc5bc36a47085b615c9727ab334e8c369c2ee"
    assert none["registration"]["challenge"] == "00c30fb78531c464d2b6771dab8d7b603c01162f2fa486bea70f283ae556e130"
    assert none["authentication"]["authenticator_data"] == \
        "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000"
    assert none["authentication"]["signature"].startswith("3046022100f50a4e2e4409249c4a853ba361282f09841df4dd")
    assert by["packed.ES256"]["attestation_private_key"] == \
        "ec2804b222552b4b277d1f58f8c4343c0b0b0db5474eb55365c89d66a2bc96be"
    assert by["packed.ES256"]["authentication"]["signature"] == (
        "30450220694969d3ee928de6f02ef23a9c644d7d779916451734a94b432542f498a1ebe9"
        "0221008b0819c824218a97152cd099c55bfb1477b29d900a49a64018314f9bfccda163")
    assert by["packed-self.ES256"]["registration"]["aaguid"] == "df850e09db6afbdfab51697791506cfc"
    assert by["packed.RS256"]["registration"]["credential_id"] == \
        "992a18acc83f67533600c1138a4b4c4bd236de13629cf025ed17cb00b00b74df"
    assert by["none.ES256.long-credential-id"]["authentication"]["signature"].startswith("304502203ecef83fb12a0cae7841")
    ca = json.loads((vectors.ROOT / "w3c" / "w3c_attestation_ca.json").read_text())
    assert ca["attestation_ca_cert"].startswith("30820207308201ada003020102021100ed7f905d8bd0b414d1784913170a90b6")


@pytest.mark.parametrize("vec", _W3C_FIDO2, ids=vectors.ids(_W3C_FIDO2))
def test_w3c_registration_verifies_with_fido2(vec: dict[str, Any]) -> None:
    reg = vec["registration"]
    obj = cbor2.loads(bytes.fromhex(reg["attestation_object"]))
    assert obj["fmt"] == vec["fmt"] and obj["authData"].hex() == reg["authenticator_data"]
    cdh = hashlib.sha256(bytes.fromhex(reg["client_data_json"])).digest()
    res = Attestation.for_type(obj["fmt"])().verify(obj["attStmt"], AuthenticatorData(obj["authData"]), cdh)
    assert ATT_TYPE[res.attestation_type.name] == vec["expected"]["attestation_type"]


# py_webauthn lacks ES384/Ed448 and rejects tpm/fido-u2f/android-key vectors for the reasons in their "notes".
_W3C_PYW = [v for v in _W3C if v["alg"] in _PYW_ALGS and not v.get("notes")]


def test_w3c_notes_are_true() -> None:
    """The documented quirks are real: each noted vector is rejected by the library the note names."""
    by = {v["label"]: v for v in _W3C}
    tpm = cbor2.loads(bytes.fromhex(by["tpm.ES256"]["registration"]["attestation_object"]))
    assert tpm["attStmt"]["certInfo"][-(2 + 34 + 2 + 8 + 1):][0] == 0x33  # clockInfo.safe
    assert bytes.fromhex(by["fido-u2f.ES256"]["registration"]["aaguid"]) != bytes(16)
    ak = cbor2.loads(bytes.fromhex(by["android-key.ES256"]["registration"]["attestation_object"]))
    assert len(ak["attStmt"]["x5c"]) == 1


@pytest.mark.parametrize("vec", _W3C_PYW, ids=vectors.ids(_W3C_PYW))
def test_w3c_ceremonies_verify_with_py_webauthn(vec: dict[str, Any]) -> None:
    reg_vec = {**vec, "challenge": vectors.b64u_encode(bytes.fromhex(vec["registration"]["challenge"]))}
    v = _register(reg_vec)
    assert v.credential_id.hex() == vec["registration"]["credential_id"]
    a = verify_authentication_response(
        credential=json.dumps(vec["assertion_response"]),
        expected_challenge=bytes.fromhex(vec["authentication"]["challenge"]), expected_origin=vec["origin"],
        expected_rp_id=vec["rp_id"], credential_public_key=v.credential_public_key, credential_current_sign_count=0)
    assert a.new_sign_count == 0
