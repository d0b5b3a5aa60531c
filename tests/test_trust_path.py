"""trust_path is the validated path (issue 19): leaf first, ending at the anchor that vouched, and
nothing after it. Certificates an x5c carries beyond that anchor (a root copy, an attacker's
self-signed certificate with the root's name, anything appended) are never reported as part of
the path: where the format lets x5c carry its own root (android-key) they are ignored, as RFC 5280
§6 path building ignores certificates that are not on the path; elsewhere (packed, tpm, fido-u2f:
conformance X04/X05) they make the attestation untrusted, and an untrusted result's trust_path
is the x5c as sent, which nobody validated."""
from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from pathlib import Path

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import fastattest
import format_helpers as H
import softauthn as sa
import tpm_helpers as th
from fastattest import RelyingParty, certificates
from fastattest.formats import android_key

VECTORS = Path(__file__).parent / "vectors"
REAL_ANDROID = ["py_webauthn_android_key_root_5", "py_webauthn_android_key_hardware_authority"]


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _attacker_cert(subject: x509.Name, *, ca: bool = True) -> bytes:
    """An attacker's self-signed certificate, valid over any test's time, named ``subject``."""
    key = ec.generate_private_key(ec.SECP256R1())
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
         .not_valid_after(dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _evil_name() -> x509.Name:
    return x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Attacker Root")])


def _with_x5c(ao: bytes, x5c: list[bytes]) -> bytes:
    obj = cbor2.loads(ao)
    obj["attStmt"]["x5c"] = x5c  # x5c is not covered by any signature in android-key, packed or tpm
    return cbor2.dumps(obj, canonical=True)


def _real(name: str) -> dict:
    return json.loads((VECTORS / "registration" / f"{name}.json").read_text())


def _x5c(ao: bytes) -> list[bytes]:
    return list(cbor2.loads(ao)["attStmt"]["x5c"])


def _android_variants(x5c: list[bytes]) -> dict[str, list[bytes]]:
    root_copy = certificates.load(x5c[-1]).cert
    assert root_copy.issuer == root_copy.subject  # the real chains end with a copy of a Google root
    return {
        # the Google root copy replaced by the attacker's own self-signed certificate, same name
        "root_copy_replaced": x5c[:-1] + [_attacker_cert(root_copy.subject)],
        # an attacker's certificate appended after the root copy
        "appended_after_root": x5c + [_attacker_cert(_evil_name())],
        # the root copy dropped and an attacker's certificate in its place, another name
        "appended_instead_of_root": x5c[:-1] + [_attacker_cert(_evil_name())],
    }


@pytest.mark.parametrize("name", REAL_ANDROID)
def test_real_android_key_trust_path_ends_at_the_pinned_google_root(name: str) -> None:
    v = _real(name)
    r = v["response"]["response"]
    ao, cdh = _unb64(r["attestationObject"]), hashlib.sha256(_unb64(r["clientDataJSON"])).digest()
    now = dt.datetime.fromisoformat(v["now"].replace("Z", "+00:00"))
    x5c = _x5c(ao)
    pinned = android_key.pinned_anchors().anchors
    honest = fastattest.verify_attestation(ao, cdh, now=now)
    assert honest.trusted and honest.trust_path[-1] in pinned
    # the validated path: the x5c up to the certificate the pinned root issued, then that root
    assert honest.trust_path[:-1] == tuple(x5c[: len(honest.trust_path) - 1])
    for case, bad in _android_variants(x5c).items():
        res = fastattest.verify_attestation(_with_x5c(ao, bad), cdh, now=now)
        assert res.trusted, (case, res.trust_error)
        assert res.trust_path == honest.trust_path, case
        assert res.trust_path[-1] in pinned and bad[-1] not in res.trust_path, case


@pytest.mark.parametrize("name", REAL_ANDROID)
def test_real_android_key_credential_stores_the_validated_path(name: str) -> None:
    v = _real(name)
    resp = copy.deepcopy(v["response"])
    ao = _unb64(resp["response"]["attestationObject"])
    x5c = _x5c(ao)
    bad = _android_variants(x5c)["root_copy_replaced"]
    resp["response"]["attestationObject"] = _b64(_with_x5c(ao, bad))
    now = dt.datetime.fromisoformat(v["now"].replace("Z", "+00:00"))
    cred = RelyingParty(v["rp_id"], v["origin"]).register(resp, _unb64(v["challenge"]), now=now)
    assert cred.trusted and cred.trust_path[-1] in android_key.pinned_anchors().anchors
    assert bad[-1] not in cred.trust_path
    # and the stored credential restores to the same path
    assert fastattest.Credential.from_dict(json.loads(json.dumps(cred.to_dict()))).trust_path == cred.trust_path


def test_generated_android_key_with_caller_root() -> None:
    v = H.android_key()  # x5c = [leaf, intermediate, root copy]; the caller pins the root
    leaf, inter, root = v.stmt["x5c"]
    assert _verify_android(v).trust_path == (leaf, inter, root)
    for case, bad in _android_variants([leaf, inter, root]).items():
        v.stmt["x5c"] = bad
        res = _verify_android(v)
        assert res.trusted and res.trust_path == (leaf, inter, v.pki.root.der), case


def _verify_android(v: H.AndroidKey):
    return fastattest.verify_attestation(v.object(), v.cdh, trust_anchors=v.anchors, now=H.NOW)


# --- packed and tpm: x5c must not carry the root (X05); beyond the anchor is refused (X04) ------


def test_packed_trust_path_ends_at_the_test_root() -> None:
    ca = sa.TestCA(intermediate=True)
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration("example.com", "https://example.com", b"c" * 32)
    cdh = hashlib.sha256(reg.client_data_json).digest()
    anchors = ca.trust_anchors("packed")
    res = fastattest.verify_attestation(reg.attestation_object, cdh, trust_anchors=anchors)
    assert res.trusted and res.trust_path == tuple(reg.x5c) + (sa.der(ca.root_cert),)
    # an attacker's self-signed copy of the root's name, or any certificate, after the path:
    # not trusted, and the attacker's certificate is never reported as a validated path
    for bad in (_attacker_cert(ca.root_cert.subject), _attacker_cert(_evil_name())):
        ao = _with_x5c(reg.attestation_object, list(reg.x5c) + [bad])
        res = fastattest.verify_attestation(ao, cdh, trust_anchors=anchors)
        assert not res.trusted and res.trust_error == "trust.chain_invalid"


def test_packed_cross_signed_root_copy_is_ignored() -> None:
    """A real chain may end with a cross-certificate of its root (the root's name and key, issued
    by another CA): trust stops at the anchor, so it is neither refused nor reported."""
    ca = sa.TestCA(intermediate=True)
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration("example.com", "https://example.com", b"c" * 32)
    cdh = hashlib.sha256(reg.client_data_json).digest()
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Older Root")])
    cross = (x509.CertificateBuilder().subject_name(ca.root_cert.subject).issuer_name(other)
             .public_key(ca.root_key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(ca.root_cert.not_valid_before_utc).not_valid_after(ca.root_cert.not_valid_after_utc)
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(other_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    ao = _with_x5c(reg.attestation_object, list(reg.x5c) + [cross])
    res = fastattest.verify_attestation(ao, cdh, trust_anchors=ca.trust_anchors("packed"))
    assert res.trusted, res.trust_error
    assert res.trust_path == tuple(reg.x5c) + (sa.der(ca.root_cert),)
    # but a certificate after the cross-certificate is still refused (X04)
    ao = _with_x5c(reg.attestation_object, list(reg.x5c) + [cross, _attacker_cert(_evil_name())])
    assert fastattest.verify_attestation(ao, cdh, trust_anchors=ca.trust_anchors("packed")).trust_error == "trust.chain_invalid"


def test_tpm_trust_path_ends_at_the_test_root() -> None:
    att = th.build(cred="ec", aik="ec")
    anchors = {"tpm": [att.root_pem]}
    res = fastattest.verify_attestation(att.attestation_object(), att.client_data_hash, trust_anchors=anchors, now=th.NOW)
    assert res.trusted and res.trust_path == tuple(att.stmt["x5c"]) + (th.aik_root().der,)
    att.stmt["x5c"] = list(att.stmt["x5c"]) + [_attacker_cert(th.aik_root().cert.subject)]
    res = fastattest.verify_attestation(att.attestation_object(), att.client_data_hash, trust_anchors=anchors, now=th.NOW)
    assert not res.trusted and res.trust_error == "trust.chain_invalid"


def test_untrusted_trust_path_is_x5c_as_sent() -> None:
    v = H.android_key(pki=H.make_pki("Attacker"))
    res = fastattest.verify_attestation(v.object(), v.cdh, now=H.NOW)
    assert not res.trusted and res.trust_path == tuple(v.stmt["x5c"])


def test_compound_reports_its_first_statements_validated_path() -> None:
    v = H.android_key()
    leaf, inter, root = v.stmt["x5c"]
    v.stmt["x5c"] = [leaf, inter, _attacker_cert(certificates.load(root).cert.subject)]
    stmt = [{"fmt": "android-key", "attStmt": v.stmt}, {"fmt": "android-key", "attStmt": v.stmt}]
    ao = cbor2.dumps({"fmt": "compound", "attStmt": stmt, "authData": v.ad}, canonical=True)
    res = fastattest.verify_attestation(ao, v.cdh, trust_anchors=v.anchors, now=H.NOW)
    assert res.trusted and res.trust_path == (leaf, inter, v.pki.root.der)
    assert all(p.trust_path == (leaf, inter, v.pki.root.der) for p in res.parts)


def test_batch_trust_mode_reads_validated_and_legacy_stored_paths() -> None:
    """fastattest.batch groups records by their stored trust_path: a validated path (the anchor
    appended after x5c) and one stored before trust_path was validated (x5c as sent) both agree
    with the attestation object; a path whose leaf is not x5c's is refused."""
    from fastattest.batch import reverify

    ca = sa.TestCA(intermediate=True)
    auth = sa.SoftAuthenticator("packed", ca=ca)
    party = RelyingParty("example.com", "https://example.com", trust_anchors=ca.trust_anchors("packed"))
    ch = b"c" * 32
    cred = party.register(auth.create("example.com", "https://example.com", ch), ch)
    rec = cred.to_dict()
    x5c = cbor2.loads(cred.attestation_object)["attStmt"]["x5c"]
    assert len(rec["trust_path"]) == len(x5c) + 1
    legacy = dict(rec, trust_path=[_b64(c) for c in x5c])
    forged = dict(rec, trust_path=[_b64(_attacker_cert(_evil_name(), ca=False))] + rec["trust_path"][1:])
    out = list(reverify([rec, legacy, forged], mode="trust", trust_anchors=ca.trust_anchors("packed")))
    assert [(r.valid, r.trusted) for r in out[:2]] == [(True, True), (True, True)]
    assert not out[2].valid and out[2].error == "batch.record_invalid"
