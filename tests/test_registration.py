"""Registration ceremony (WebAuthn L3 §7.1) through RelyingParty.register, with the software
authenticator: round trips for every format and algorithm, and one refusal per check, named
after the catalogue rows (D, P, U, N, F)."""
from __future__ import annotations

import hashlib
import json
import os
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

import softauthn as sa
from fastattest import Credential, Policy, RelyingParty, VerificationError

RP_ID, ORIGIN = "example.com", "https://example.com"


def rp(**kw) -> RelyingParty:
    policy = kw.pop("policy", None) or Policy()
    return RelyingParty(RP_ID, [ORIGIN], policy=policy, **kw)


def refused(party: RelyingParty, response, challenge, code: str) -> None:
    with pytest.raises(VerificationError) as ei:
        party.register(response, challenge)
    assert ei.value.code == code, ei.value


@pytest.fixture(scope="module")
def ca():
    return sa.TestCA()


# ------------------------------------------------------------------ positives
@pytest.mark.parametrize("alg", [-7, -35, -36, -8, -257, -37])
@pytest.mark.parametrize("fmt", ["packed", "packed-self", "none"])
def test_round_trip(fmt, alg, ca, challenge):
    auth = sa.SoftAuthenticator(fmt, alg=alg, ca=ca)
    anchors = auth.trust_anchors()
    party = rp(trust_anchors=anchors)
    cred = party.register(auth.create(RP_ID, ORIGIN, challenge), challenge)
    assert cred.algorithm == alg
    assert cred.fmt == ("packed" if fmt.startswith("packed") else fmt)
    assert cred.attestation_type == {"packed": "basic", "packed-self": "self", "none": "none"}[fmt]
    assert cred.trusted is (fmt == "packed")
    assert cred.aaguid == sa.DEFAULT_AAGUID
    assert Credential.from_dict(json.loads(json.dumps(cred.to_dict()))) == cred
    # and it signs in
    a = auth.get(RP_ID, ORIGIN, challenge, cred.credential_id)
    res = party.verify(a, credential=cred, challenge=challenge)
    assert res.sign_count == 1 and not res.counter_regressed


@pytest.mark.parametrize("fmt", ["packed", "none"])
def test_registered_credential_is_a_complete_frozen_credential(fmt, ca, challenge):
    """register builds its Credential without __init__: it must equal one built by __init__."""
    import dataclasses

    auth = sa.SoftAuthenticator(fmt, ca=ca)
    cred = rp(trust_anchors=auth.trust_anchors()).register(auth.create(RP_ID, ORIGIN, challenge), challenge)
    names = [f.name for f in dataclasses.fields(Credential)]
    assert sorted(vars(cred)) == sorted(names)
    rebuilt = Credential(**{n: getattr(cred, n) for n in names})
    assert rebuilt == cred and hash(rebuilt) == hash(cred) and repr(rebuilt) == repr(cred)
    assert list(vars(cred)) == list(vars(rebuilt)) == names  # _core.registration_record: every field, in order
    assert vars(cred) == vars(rebuilt)  # metadata too (compare=False leaves it out of ==)
    assert type(cred.trust_path) is tuple and type(cred.transports) is tuple
    with pytest.raises(dataclasses.FrozenInstanceError):
        cred.sign_count = 5  # type: ignore[misc]


def test_fido_u2f_round_trip(challenge):
    auth = sa.SoftAuthenticator("fido-u2f")
    cred = rp(trust_anchors=auth.trust_anchors()).register(auth.create(RP_ID, ORIGIN, challenge), challenge)
    assert (cred.fmt, cred.attestation_type, cred.trusted) == ("fido-u2f", "basic", True)
    assert cred.aaguid == uuid.UUID(int=0)


def test_packed_with_intermediate(challenge):
    ca = sa.TestCA(intermediate=True)
    auth = sa.SoftAuthenticator("packed", ca=ca)
    cred = rp(trust_anchors=auth.trust_anchors()).register(auth.create(RP_ID, ORIGIN, challenge), challenge)
    # trust_path is the validated path: leaf, intermediate, then the root that vouched (x5c has two)
    assert cred.trusted and len(cred.trust_path) == 3
    assert cred.trust_path[-1] == sa.der(ca.root_cert) and cred.trust_path[1] == sa.der(ca.intermediate_cert)


def test_response_as_str_bytes_and_std_base64(challenge, ca):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    resp = auth.create(RP_ID, ORIGIN, challenge)
    party = rp()
    party.register(json.dumps(resp), challenge)
    party.register(json.dumps(resp).encode(), challenge)
    std = json.loads(json.dumps(resp))
    for k in ("clientDataJSON", "attestationObject"):
        raw = sa.unb64u(std["response"][k])
        import base64

        std["response"][k] = base64.b64encode(raw).decode()  # standard alphabet, padded
    std["rawId"] = base64.b64encode(sa.unb64u(std["rawId"])).decode()
    party.register(std, challenge)


# ------------------------------------------------------------------ authenticator data (D)
def test_D04_no_attested_data(challenge):
    auth = sa.SoftAuthenticator("none")
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.auth_data = reg.auth_data[:37]
    reg.auth_data = reg.auth_data[:32] + bytes([reg.auth_data[32] & ~0x40]) + reg.auth_data[33:]
    refused(rp(), reg.to_json(), challenge, "auth_data.attested_data_required")


def test_D10_credential_id_mismatch(challenge):
    auth = sa.SoftAuthenticator("none")
    resp = auth.create(RP_ID, ORIGIN, challenge)
    other = sa.b64u(os.urandom(32))
    refused(rp(), {**resp, "id": other, "rawId": other}, challenge, "response.credential_id_mismatch")
    refused(rp(), {**resp, "id": other}, challenge, "response.credential_id_mismatch")


@pytest.mark.parametrize("rp_id", ["example.org", "example.com.", "EXAMPLE.COM", "sub.example.com"])
def test_D11_rp_id_mismatch(rp_id, challenge):
    auth = sa.SoftAuthenticator("none")
    resp = auth.create(RP_ID, ORIGIN, challenge, overrides={"rp_id_hash": hashlib.sha256(rp_id.encode()).digest()})
    refused(rp(), resp, challenge, "auth_data.rp_id_mismatch")


def test_D12_user_not_present(challenge):
    auth = sa.SoftAuthenticator("none")
    resp = auth.create(RP_ID, ORIGIN, challenge, user_present=False)
    refused(rp(), resp, challenge, "auth_data.user_not_present")
    rp(policy=Policy(require_user_presence=False)).register(resp, challenge)  # conditional create


def test_D13_user_not_verified(challenge):
    auth = sa.SoftAuthenticator("none")
    resp = auth.create(RP_ID, ORIGIN, challenge, user_verified=False)
    refused(rp(policy=Policy(user_verification="required")), resp, challenge, "auth_data.user_not_verified")
    assert rp().register(resp, challenge).user_verified is False


def test_D14_backup_state_without_eligibility(challenge):
    auth = sa.SoftAuthenticator("none")
    refused(rp(), auth.create(RP_ID, ORIGIN, challenge, backup_eligible=False, backed_up=True), challenge,
            "auth_data.invalid_backup_flags")
    cred = rp().register(auth.create(RP_ID, ORIGIN, challenge, backup_eligible=True, backed_up=True), challenge)
    assert cred.backup_eligible and cred.backed_up


def test_D17_algorithm_not_allowed(challenge):
    auth = sa.SoftAuthenticator("none", alg=-257)
    refused(rp(policy=Policy(algorithms={-7, -8})), auth.create(RP_ID, ORIGIN, challenge), challenge,
            "policy.algorithm_not_allowed")


# ------------------------------------------------------------------ packed (P)
def packed_resp(ca, challenge, att_stmt=None, **kw):
    auth = sa.SoftAuthenticator("packed", ca=ca, **kw)
    return auth, auth.create(RP_ID, ORIGIN, challenge, overrides={"att_stmt": att_stmt} if att_stmt else None)


def test_P01_empty_statement(ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt = {}
    refused(rp(), reg.to_json(), challenge, "packed.missing_field")


@pytest.mark.parametrize("alg", ["-7", None, 9999, True, -7.0])
def test_P02_invalid_alg(alg, ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["alg"] = alg
    code = "packed.invalid_alg"
    with pytest.raises(VerificationError) as ei:
        rp().register(reg.to_json(), challenge)
    assert ei.value.code in (code, "cbor.unsupported_simple")


@pytest.mark.parametrize("sig", [b"", "abc", 5, [b"x"]])
def test_P03_invalid_sig(sig, ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["sig"] = sig
    refused(rp(), reg.to_json(), challenge, "packed.invalid_sig")


def test_P04_self_alg_mismatch(challenge):
    auth = sa.SoftAuthenticator("packed-self", alg=-7)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["alg"] = -257
    refused(rp(), reg.to_json(), challenge, "packed.alg_mismatch")


@pytest.mark.parametrize("fmt", ["packed", "packed-self"])
def test_P05_signature_over_altered_auth_data(fmt, ca, challenge):
    auth = sa.SoftAuthenticator(fmt, ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    ad = bytearray(reg.auth_data)
    ad[33] ^= 1  # sign count, after signing
    reg.auth_data = bytes(ad)
    refused(rp(), reg.to_json(), challenge, "packed.signature_invalid")


@pytest.mark.parametrize("x5c", [[], "x", [b""], [b"\x30\x03\x02\x01\x01"], ["-----BEGIN CERTIFICATE-----"], b"der"])
def test_P06_invalid_x5c(x5c, ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["x5c"] = x5c
    with pytest.raises(VerificationError) as ei:
        rp().register(reg.to_json(), challenge)
    assert ei.value.code in ("certificate.x5c_invalid", "certificate.malformed")


def test_P06_pem_in_x5c(ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["x5c"] = [sa.pem(reg.cert).encode()]
    refused(rp(), reg.to_json(), challenge, "certificate.malformed")


def test_P07_full_statement_signed_by_credential_key(ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["sig"] = sa.sign(-7, reg.credential_key, reg.auth_data + reg.client_data_hash)
    refused(rp(), reg.to_json(), challenge, "packed.signature_invalid")


@pytest.mark.parametrize(
    "opts, code",
    [
        ({"version": 1}, "certificate.version"),
        ({"organizational_unit": "Authenticator"}, "certificate.subject"),
        ({"organizational_unit": None}, "certificate.subject"),
        ({"country": None}, "certificate.subject"),
        ({"organization": None}, "certificate.subject"),
        ({"common_name": None}, "certificate.subject"),
        ({"basic_constraints": "ca_true"}, "certificate.basic_constraints"),
    ],
)
def test_P08_certificate_requirements(opts, code, challenge):
    _, resp = packed_resp(sa.TestCA(), challenge, cert_options=opts)
    refused(rp(), resp, challenge, code)


def test_P08_basic_constraints_absent_is_fine(challenge):
    _, resp = packed_resp(sa.TestCA(), challenge, cert_options={"basic_constraints": "absent"})
    rp().register(resp, challenge)


@pytest.mark.parametrize(
    "opts, code",
    [
        ({"aaguid": uuid.uuid4()}, "certificate.aaguid_mismatch"),
        ({"aaguid_critical": True}, "certificate.aaguid_extension"),
        ({"aaguid_wrapping": "single"}, "certificate.aaguid_extension"),
    ],
)
def test_P09_aaguid_extension(opts, code, challenge):
    _, resp = packed_resp(sa.TestCA(), challenge, cert_options=opts)
    refused(rp(), resp, challenge, code)


def test_P10_alg_does_not_match_certificate_key(ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["alg"] = -257  # RS256 with an EC leaf
    refused(rp(), reg.to_json(), challenge, "signature.algorithm_key_mismatch")
    reg.att_stmt["alg"] = -35  # ES384 with a P-256 leaf (SWA #766)
    refused(rp(), reg.to_json(), challenge, "signature.algorithm_key_mismatch")


def test_P11_ecdaa(ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["ecdaaKeyId"] = b"\x01" * 16
    refused(rp(), reg.to_json(), challenge, "packed.ecdaa_unsupported")


def _der_variants(sig: bytes):
    # sig = 30 L 02 lr r 02 ls s
    yield sig + b"\x00"  # trailing byte inside nothing
    body = sig[2:]
    yield b"\x30" + bytes([len(body) + 3]) + body + b"\x02\x01\x01"  # third INTEGER
    yield b"\x30\x81" + bytes([len(body)]) + body  # long-form length where short suffices
    lr = body[1]
    r, rest = body[2:2 + lr], body[2 + lr:]
    r2 = b"\x00" + r if r[0] < 0x80 else b"\x00\x00" + r[1:] if r[0] == 0 else b"\x00" + r
    yield b"\x30" + bytes([len(rest) + len(r2) + 2]) + b"\x02" + bytes([len(r2)]) + r2 + rest  # non-minimal r


def test_P12_non_canonical_der(ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    for bad in _der_variants(reg.att_stmt["sig"]):
        reg.att_stmt["sig"] = bad
        refused(rp(), reg.to_json(), challenge, "signature.malformed")


def test_P13_zero_and_out_of_range_signature(ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["sig"] = b"\x30\x06\x02\x01\x00\x02\x01\x00"  # r = s = 0 (CVE-2022-21449)
    refused(rp(), reg.to_json(), challenge, "signature.malformed")
    n = ec.SECP256R1().key_size and 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    big = n.to_bytes(32, "big")
    reg.att_stmt["sig"] = b"\x30\x46\x02\x21\x00" + big + b"\x02\x21\x00" + big  # r = s = n
    refused(rp(), reg.to_json(), challenge, "packed.signature_invalid")


def test_P13_rsa_signature_wrong_length(challenge):
    auth = sa.SoftAuthenticator("packed-self", alg=-257)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["sig"] = b"\x00" + reg.att_stmt["sig"]
    refused(rp(), reg.to_json(), challenge, "signature.malformed")


# ------------------------------------------------------------------ fido-u2f (U01)
def test_U01_u2f_statement_checks(challenge):
    auth = sa.SoftAuthenticator("fido-u2f")
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    two = dict(reg.att_stmt, x5c=reg.att_stmt["x5c"] * 2)
    r = auth.make_registration(RP_ID, ORIGIN, challenge)
    r.att_stmt = two
    refused(rp(), r.to_json(), challenge, "fido_u2f.invalid_certificate")
    # a non-zero AAGUID
    r = auth.make_registration(RP_ID, ORIGIN, challenge)
    from softauthn import apply_overrides

    apply_overrides(r, {"aaguid": uuid.uuid4()})
    refused(rp(), r.to_json(), challenge, "fido_u2f.aaguid_not_zero")
    # signature without the 0x00 prefix
    r = auth.make_registration(RP_ID, ORIGIN, challenge)
    data = sa.u2f_signed_data(r.auth_data[:32], r.client_data_hash, r.credential_id, r.cose_key)[1:]
    r.att_stmt["sig"] = sa.sign(-7, r.attestation_key, data)
    refused(rp(), r.to_json(), challenge, "fido_u2f.signature_invalid")


def test_U01_u2f_p384_certificate(challenge):
    ca = sa.TestCA()
    auth = sa.SoftAuthenticator("fido-u2f", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    k = ec.generate_private_key(ec.SECP384R1())
    cert = ca.attestation_cert(k.public_key())
    reg.att_stmt["x5c"] = [sa.der(cert)]
    refused(rp(), reg.to_json(), challenge, "fido_u2f.invalid_certificate")


def test_U01_u2f_non_es256_credential(challenge):
    auth = sa.SoftAuthenticator("fido-u2f")
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    k = sa.generate_key(-35)
    reg.cose_key = sa.cose_key(-35, k.public_key())
    reg.auth_data = sa.build_auth_data(RP_ID, sign_count=0, aaguid=uuid.UUID(int=0), credential_id=reg.credential_id,
                                       credential_public_key=reg.cose_key)
    refused(rp(), reg.to_json(), challenge, "fido_u2f.invalid_credential_key")


# ------------------------------------------------------------------ none (N), formats (F)
def test_N01_none_with_statement(challenge):
    auth = sa.SoftAuthenticator("none")
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt = {"alg": -7}
    refused(rp(), reg.to_json(), challenge, "none.statement_not_empty")


@pytest.mark.parametrize("fmt", ["none", "packed-self"])
def test_N02_attestation_required(fmt, challenge):
    auth = sa.SoftAuthenticator(fmt)
    refused(rp(policy=Policy(require_trusted=True)), auth.create(RP_ID, ORIGIN, challenge), challenge,
            "policy.attestation_required")


@pytest.mark.parametrize("fmt", ["Packed", "packed ", "unknown", ""])
def test_F01_unsupported_format(fmt, ca, challenge):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.fmt = fmt
    refused(rp(), reg.to_json(), challenge, "format.unsupported")


# ------------------------------------------------------------------ trust through the RP (X)
def test_X01_expired_leaf(challenge):
    import datetime as dt

    ca = sa.TestCA()
    _, resp = packed_resp(ca, challenge, cert_options={"not_after": dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)})
    party = rp(trust_anchors={"packed": [ca.root_pem()]}, policy=Policy(require_trusted=True))
    refused(party, resp, challenge, "trust.expired")
    cred = rp(trust_anchors={"packed": [ca.root_pem()]}).register(resp, challenge)
    assert not cred.trusted and cred.trust_error == "trust.expired"


def test_X03_attacker_root_in_x5c(challenge):
    real, attacker = sa.TestCA(), sa.TestCA(name="Evil Root")
    auth = sa.SoftAuthenticator("packed", ca=attacker)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    reg.att_stmt["x5c"] = reg.att_stmt["x5c"] + [sa.der(attacker.root_cert)]
    party = rp(trust_anchors={"packed": [real.root_pem()]}, policy=Policy(require_trusted=True))
    refused(party, reg.to_json(), challenge, "trust.untrusted_root")


def test_X06_anchor_for_another_format_does_not_apply(ca, challenge):
    _, resp = packed_resp(ca, challenge)
    party = rp(trust_anchors={"tpm": [ca.root_pem()]}, policy=Policy(require_trusted=True))
    refused(party, resp, challenge, "trust.no_anchors")


def test_untrusted_refusal_says_why(ca, challenge):
    """Beyond the code, the message carries what path validation found (not just the code again)."""
    _, resp = packed_resp(ca, challenge)
    for anchors, code, words in (({"packed": [sa.TestCA().root_pem()]}, "trust.untrusted_root", "anchor"),
                                 ({"tpm": [ca.root_pem()]}, "trust.no_anchors", "no trust anchor is known for this packed")):
        with pytest.raises(VerificationError) as ei:
            rp(trust_anchors=anchors, policy=Policy(require_trusted=True)).register(resp, challenge)
        assert ei.value.code == code and words in ei.value.message, ei.value.message


def test_untrusted_kept_by_default(ca, challenge):
    _, resp = packed_resp(ca, challenge)
    cred = rp(trust_anchors={"packed": [sa.TestCA().root_pem()]}).register(resp, challenge)
    assert cred.trusted is False and cred.trust_error == "trust.untrusted_root"


def test_allowed_aaguids(ca, challenge):
    _, resp = packed_resp(ca, challenge)
    refused(rp(policy=Policy(allowed_aaguids={uuid.uuid4()})), resp, challenge, "policy.aaguid_not_allowed")
    rp(policy=Policy(allowed_aaguids={sa.DEFAULT_AAGUID})).register(resp, challenge)


# ------------------------------------------------------------------ clientData through the RP (J)
def test_J04_wrong_ceremony_and_challenge(challenge):
    auth = sa.SoftAuthenticator("none")
    refused(rp(), auth.create(RP_ID, ORIGIN, challenge), os.urandom(32), "client_data.challenge_mismatch")
    refused(rp(), auth.create(RP_ID, ORIGIN, challenge, overrides={"client_data": {"type": "webauthn.get"}}),
            challenge, "client_data.type_mismatch")
    refused(rp(), auth.create(RP_ID, "https://evil.com", challenge), challenge, "client_data.origin_mismatch")


def test_response_envelope_errors(challenge):
    party = rp()
    for bad, code in [
        ("not json", "response.malformed"),
        ([], "response.malformed"),
        ({}, "response.missing_field"),
        ({"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "@@"}}, "response.invalid_base64"),
        ({"id": "AA", "rawId": "AA", "type": "other", "response": {}}, "response.type"),
        ("x" * (2 * 1024 * 1024), "input.too_large"),
    ]:
        refused(party, bad, challenge, code)


def test_envelope_base64_must_be_canonical(challenge):
    """A rawId or clientDataJSON text that only aliases the canonical encoding (pad bits set,
    stray '=') is refused; the canonical text of the same response registers."""
    auth = sa.SoftAuthenticator("none")
    resp = auth.create(RP_ID, ORIGIN, challenge)
    assert rp().register(resp, challenge).credential_id
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    raw_id = resp["rawId"].rstrip("=")
    assert len(raw_id) % 4, "fixture: the credential ID's text must end in a partial quad"
    alias = raw_id[:-1] + alphabet[alphabet.index(raw_id[-1]) | 1]
    cdj = resp["response"]["clientDataJSON"]
    for bad in ({**resp, "id": alias, "rawId": alias},
                {**resp, "response": {**resp["response"], "clientDataJSON": cdj.rstrip("=") + "==="}},
                {**resp, "response": {**resp["response"], "attestationObject": resp["response"]["attestationObject"] + "===="}}):
        refused(rp(), bad, challenge, "response.invalid_base64")


def test_register_reads_the_policy_it_holds():
    """register derives its per-call policy reads once per Policy object (RelyingParty._rules):
    the derived values follow each organisation rule and UV setting, and a Policy assigned
    afterwards is read afresh rather than served from the first one."""
    rp = RelyingParty("example.com", "https://example.com")
    assert rp._rules() == (rp.policy, True, False, False)
    for policy, org in [(Policy(require_trusted=True), True), (Policy(allow_synced=False), True),
                        (Policy(allowed_aaguids=frozenset()), True), (Policy(min_certification_level=1), True),
                        (Policy(user_verification="required", require_user_presence=False), False)]:
        rp.policy = policy
        assert rp._rules() == (policy, policy.require_user_presence, policy.user_verification == "required", org)


def test_registration_record_refuses_none_for_parsed_objects():
    """The compiled record reads the parsed objects' fields directly: None is a TypeError, never a read of None's memory."""
    from datetime import datetime, timezone

    from fastattest import _core

    with pytest.raises(TypeError):
        _core.registration_record(Credential, None, None, None, -7, datetime.now(timezone.utc), None)
