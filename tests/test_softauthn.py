"""Prove the software authenticator (tests/softauthn.py) is correct, independently of fastattest:
its registrations and assertions must verify with py_webauthn and python-fido2, its test PKI must
meet WebAuthn L3 §8.2.1, and each knob must break exactly the requirement it names."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from fido2.attestation import (
    Attestation,
    AttestationType,
    InvalidData,
    InvalidSignature,
    verify_x509_chain,
)
from cryptography.exceptions import InvalidSignature as InvalidSignatureError
from fido2.cose import CoseKey
from fido2.webauthn import AuthenticatorData
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import COSEAlgorithmIdentifier

import softauthn as sa  # tests/ is on sys.path (pytest rootdir-relative import)

RP_ID = "example.com"
ORIGIN = "https://example.com"
CHALLENGE = b"fastattest-softauthn-challenge-0123456789"
# py_webauthn 3.0.1 has no ES384 (-35): that algorithm is proven with python-fido2 only.
PYW_ALGS = (-7, -36, -8, -257, -258, -259, -37, -38, -39)
ALL_ALGS = [COSEAlgorithmIdentifier(a) for a in PYW_ALGS]
FMT_ALGS = [(fmt, alg) for fmt in ("packed", "packed-self", "none") for alg in (-7, -35, -36, -8, -257, -37)]
FMT_ALGS.append(("fido-u2f", -7))
PYW_FMT_ALGS = [(f, a) for f, a in FMT_ALGS if a in PYW_ALGS]


def _py_webauthn_register(auth: sa.SoftAuthenticator, cred: dict[str, Any], **kw: Any) -> Any:
    roots = {k: [p.encode() for p in v] for k, v in auth.trust_anchors().items()}
    return verify_registration_response(
        credential=json.dumps(cred), expected_challenge=CHALLENGE, expected_origin=ORIGIN,
        expected_rp_id=RP_ID, pem_root_certs_bytes_by_fmt=roots or None,
        supported_pub_key_algs=ALL_ALGS, **kw)


def _fido2_verify(att_obj_b64: str, cdh: bytes) -> Any:
    obj = cbor2.loads(sa.unb64u(att_obj_b64))
    return Attestation.for_type(obj["fmt"])().verify(obj["attStmt"], AuthenticatorData(obj["authData"]), cdh)


@pytest.mark.parametrize("fmt,alg", PYW_FMT_ALGS, ids=[f"{f}_{a}" for f, a in PYW_FMT_ALGS])
def test_registration_verifies_with_py_webauthn(fmt: str, alg: int) -> None:
    auth = sa.SoftAuthenticator(fmt=fmt, alg=alg)
    cred = auth.create(RP_ID, ORIGIN, CHALLENGE)
    v = _py_webauthn_register(auth, cred)
    assert str(getattr(v.fmt, "value", v.fmt)) == ("packed" if fmt == "packed-self" else fmt)
    assert v.credential_id == sa.unb64u(cred["id"])
    assert v.aaguid == str(auth.aaguid)
    assert v.user_verified is True and v.sign_count == 0
    assert cbor2.loads(v.credential_public_key)[3] == alg


@pytest.mark.parametrize("fmt,alg", FMT_ALGS, ids=[f"{f}_{a}" for f, a in FMT_ALGS])
def test_registration_verifies_with_fido2(fmt: str, alg: int) -> None:
    auth = sa.SoftAuthenticator(fmt=fmt, alg=alg, ca=sa.TestCA(intermediate=(fmt == "packed")))
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE)
    res = _fido2_verify(reg.to_json()["response"]["attestationObject"], reg.client_data_hash)
    expected = {"packed": AttestationType.BASIC, "packed-self": AttestationType.SELF,
                "fido-u2f": AttestationType.BASIC, "none": AttestationType.NONE}[fmt]
    assert res.attestation_type == expected
    if fmt in ("packed", "fido-u2f"):
        assert auth.ca is not None
        verify_x509_chain(res.trust_path + [sa.der(auth.ca.root_cert)])
        assert len(res.trust_path) == (2 if fmt == "packed" else 1)


@pytest.mark.parametrize("alg", [-7, -35, -36, -8, -257, -37])
def test_assertion_verifies_with_fido2(alg: int) -> None:
    auth = sa.SoftAuthenticator(fmt="none", alg=alg)
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE)
    a = auth.make_assertion(RP_ID, ORIGIN, CHALLENGE, reg.credential_id)
    key = CoseKey.parse(reg.cose_key)
    key.verify(a.auth_data + sa.sha256(a.client_data_json), a.signature)
    with pytest.raises(InvalidSignatureError):
        key.verify(a.auth_data + sa.sha256(a.client_data_json + b" "), a.signature)


@pytest.mark.parametrize("alg", [-7, -36, -8, -257, -37])
def test_assertion_verifies_with_py_webauthn_and_counter_advances(alg: int) -> None:
    auth = sa.SoftAuthenticator(fmt="none", alg=alg)
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE, user_handle=b"user-1")
    for expected_count in (1, 2, 3):
        a = auth.get(RP_ID, ORIGIN, CHALLENGE, reg.credential_id)
        assert a["response"]["userHandle"] == sa.b64u(b"user-1")
        v = verify_authentication_response(
            credential=json.dumps(a), expected_challenge=CHALLENGE, expected_origin=ORIGIN,
            expected_rp_id=RP_ID, credential_public_key=reg.cose_key_bytes,
            credential_current_sign_count=expected_count - 1, require_user_verification=True)
        assert v.new_sign_count == expected_count


def test_assertion_signature_override_fails_py_webauthn() -> None:
    auth = sa.SoftAuthenticator(fmt="none")
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE)
    a = auth.get(RP_ID, ORIGIN, CHALLENGE, reg.credential_id, overrides={"signature": b"\x30\x00"})
    with pytest.raises(InvalidAuthenticationResponse):
        verify_authentication_response(
            credential=json.dumps(a), expected_challenge=CHALLENGE, expected_origin=ORIGIN,
            expected_rp_id=RP_ID, credential_public_key=reg.cose_key_bytes, credential_current_sign_count=0)


def test_flags_and_backup_state_reach_the_verifier() -> None:
    auth = sa.SoftAuthenticator(fmt="packed")
    cred = auth.create(RP_ID, ORIGIN, CHALLENGE, user_verified=False, backup_eligible=True, backed_up=True)
    v = _py_webauthn_register(auth, cred)
    assert v.user_verified is False
    assert v.credential_device_type == "multi_device" and v.credential_backed_up is True


def test_u2f_has_zero_aaguid_and_rejects_other_algs() -> None:
    auth = sa.SoftAuthenticator(fmt="fido-u2f", aaguid=uuid.uuid4())
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE)
    assert reg.auth_data[37:53] == bytes(16)
    assert set(reg.att_stmt) == {"sig", "x5c"} and len(reg.att_stmt["x5c"]) == 1
    with pytest.raises(ValueError):
        sa.SoftAuthenticator(fmt="fido-u2f", alg=-257)


# ---------------------------------------------------------------- mutation machinery

def test_mutation_without_resign_breaks_and_resign_repairs() -> None:
    auth = sa.SoftAuthenticator(fmt="packed")
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE)
    ad = bytearray(reg.auth_data)
    ad[33:37] = (7).to_bytes(4, "big")
    reg.auth_data = bytes(ad)
    with pytest.raises(InvalidSignature):
        _fido2_verify(reg.to_json()["response"]["attestationObject"], reg.client_data_hash)
    reg.resign()
    _fido2_verify(reg.to_json()["response"]["attestationObject"], reg.client_data_hash)
    assert _py_webauthn_register(auth, reg.to_json()).sign_count == 7


@pytest.mark.parametrize("overrides", [
    {"client_data": {"origin": "https://evil.example"}},
    {"client_data": {"type": "webauthn.get"}},
    {"client_data": {"challenge": sa.b64u(b"other")}},
    {"rp_id_hash": sa.sha256(b"evil.example")},
    {"flags": sa.AT},  # UP cleared
    {"resign": False, "sign_count": 9},
    {"att_stmt": {"sig": b"\x00" * 70}},
    {"att_stmt": {"alg": -36}},  # ES512 claimed, P-256 key and SHA-256 signature
], ids=["origin", "type", "challenge", "rp_id_hash", "no_up", "unsigned_change", "bad_sig", "alg_mismatch"])
def test_overrides_produce_responses_py_webauthn_rejects(overrides: dict[str, Any]) -> None:
    auth = sa.SoftAuthenticator(fmt="packed")
    cred = auth.create(RP_ID, ORIGIN, CHALLENGE, overrides=overrides)
    with pytest.raises(InvalidRegistrationResponse):
        _py_webauthn_register(auth, cred)


def test_json_overrides_delete_and_replace() -> None:
    auth = sa.SoftAuthenticator(fmt="none")
    cred = auth.create(RP_ID, ORIGIN, CHALLENGE, overrides={"response": {"transports": None},
                                                             "json": {"rawId": "AAAA"}})
    assert "transports" not in cred["response"] and cred["rawId"] == "AAAA"


def test_low_level_builders_round_trip() -> None:
    key = sa.generate_key(-7)
    cose = sa.cose_key(-7, key.public_key())
    ad = sa.build_auth_data(RP_ID, sign_count=5, aaguid=sa.DEFAULT_AAGUID, credential_id=b"\x01\x02",
                            credential_public_key=cose, extensions={"credProtect": 2})
    parsed = AuthenticatorData(ad)
    assert parsed.counter == 5 and parsed.flags == sa.UP | sa.UV | sa.AT | sa.ED
    assert parsed.credential_data.credential_id == b"\x01\x02"
    assert parsed.extensions == {"credProtect": 2}
    cdj = sa.client_data_json("webauthn.create", b"\xff", ORIGIN, topOrigin="https://top.example")
    assert json.loads(cdj) == {"type": "webauthn.create", "challenge": "_w", "origin": ORIGIN,
                               "crossOrigin": False, "topOrigin": "https://top.example"}
    obj = sa.encode_attestation_object("none", {}, ad)
    assert obj == cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": ad}, canonical=True)
    assert list(cbor2.loads(obj)) == ["fmt", "attStmt", "authData"]


# ---------------------------------------------------------------- test PKI (§8.2.1)

def _aaguid_ext(cert: x509.Certificate) -> x509.Extension[Any]:
    return cert.extensions.get_extension_for_oid(sa.AAGUID_OID)


def test_default_leaf_meets_8_2_1() -> None:
    ca = sa.TestCA(intermediate=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = ca.attestation_cert(key.public_key(), aaguid=sa.DEFAULT_AAGUID)
    assert cert.version == x509.Version.v3
    attrs = {a.oid._name: a.value for a in cert.subject}
    assert attrs["countryName"] == "US" and attrs["organizationalUnitName"] == "Authenticator Attestation"
    assert attrs["organizationName"] and attrs["commonName"]
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    ext = _aaguid_ext(cert)
    assert ext.critical is False
    assert ext.value.value == b"\x04\x10" + sa.DEFAULT_AAGUID.bytes  # OCTET STRING(16) inside extnValue
    assert cert.issuer == ca.intermediate_cert.subject and ca.chain_der() == [sa.der(ca.intermediate_cert)]


def _fido2_packed_with(cert_options: dict[str, Any], aaguid: uuid.UUID | None = None) -> Any:
    auth = sa.SoftAuthenticator(fmt="packed", aaguid=aaguid, cert_options=cert_options)
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE)
    return _fido2_verify(reg.to_json()["response"]["attestationObject"], reg.client_data_hash)


@pytest.mark.parametrize("cert_options,why", [
    ({"version": 1}, "version 3"),
    ({"organizational_unit": "Something Else"}, "OU"),
    ({"country": None}, "C set"),
    ({"common_name": None}, "CN set"),
    ({"basic_constraints": "ca_true"}, "CA=false"),
    ({"aaguid": uuid.UUID(int=1)}, "AAGUID"),
    ({"aaguid_critical": True}, "critical"),
    ({"aaguid_wrapping": "single"}, "AAGUID"),
], ids=["v1", "ou", "no_c", "no_cn", "ca_true", "aaguid_mismatch", "aaguid_critical", "aaguid_single_wrapped"])
def test_each_knob_breaks_8_2_1_for_fido2(cert_options: dict[str, Any], why: str) -> None:
    with pytest.raises(InvalidData, match=why):
        _fido2_packed_with(cert_options)


def test_knob_effects_visible_in_certificate() -> None:
    ca = sa.TestCA()
    pub = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert ca.attestation_cert(pub, version=1).version == x509.Version.v1
    v1 = ca.attestation_cert(pub, version=1)
    assert len(v1.extensions) == 0
    v1.verify_directly_issued_by(ca.root_cert)
    assert _aaguid_ext(ca.attestation_cert(pub, aaguid=sa.DEFAULT_AAGUID, aaguid_wrapping="single")).value.value \
        == sa.DEFAULT_AAGUID.bytes
    assert _aaguid_ext(ca.attestation_cert(pub, aaguid=sa.DEFAULT_AAGUID, aaguid_critical=True)).critical
    assert ca.attestation_cert(pub, basic_constraints="ca_true").extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca is True
    with pytest.raises(x509.ExtensionNotFound):
        ca.attestation_cert(pub, basic_constraints="absent").extensions.get_extension_for_class(x509.BasicConstraints)
    expired = ca.attestation_cert(pub, not_before=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
                                  not_after=dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc))
    assert expired.not_valid_after_utc.year == 2021


def test_expired_leaf_rejected_by_py_webauthn() -> None:
    auth = sa.SoftAuthenticator(fmt="packed", cert_options={
        "not_before": dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc),
        "not_after": dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)})
    with pytest.raises(InvalidRegistrationResponse):
        _py_webauthn_register(auth, auth.create(RP_ID, ORIGIN, CHALLENGE))


def test_wrong_root_rejected_by_py_webauthn() -> None:
    auth = sa.SoftAuthenticator(fmt="packed")
    cred = auth.create(RP_ID, ORIGIN, CHALLENGE)
    other = sa.TestCA()
    with pytest.raises(InvalidRegistrationResponse):
        verify_registration_response(
            credential=json.dumps(cred), expected_challenge=CHALLENGE, expected_origin=ORIGIN,
            expected_rp_id=RP_ID, pem_root_certs_bytes_by_fmt={"packed": [other.root_pem().encode()]})
