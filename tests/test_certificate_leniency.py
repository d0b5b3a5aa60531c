"""Certificates are read field by field (issue 16): real certificates that cryptography refuses or
warns about verify, and every relaxation keeps refusing changed signed content.

Vectors: tests/vectors/certificates/*.json (provenance and licence in each file). Run with
``-W error::cryptography.utils.CryptographyDeprecationWarning``; the module also turns that
warning into an error, so no warning can escape through fastattest unnoticed.
"""
from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.utils import CryptographyDeprecationWarning

import fastattest
import format_helpers as H
from fastattest import Policy, RelyingParty, VerificationError, _der, certificates, trust

pytestmark = pytest.mark.filterwarnings("error::cryptography.utils.CryptographyDeprecationWarning")

VECTORS = Path(__file__).parent / "vectors" / "certificates"
CHROME = "simplewebauthn_packed_chrome_virtual_explicit_ca_false"
TPM = "simplewebauthn_tpm_sha256_fido_conformance_printablestring_policy"


def _b64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _vector(name: str) -> dict:
    return json.loads((VECTORS / f"{name}.json").read_text("utf-8"))


def _now(v: dict) -> datetime:
    return datetime.fromisoformat(v["now"].replace("Z", "+00:00"))


def _x5c(v: dict) -> list[bytes]:
    return fastattest.parse_attestation_object(_b64(v["response"]["response"]["attestationObject"])).att_stmt["x5c"]


def _register(v: dict, *, anchors: list[bytes] | None = None, require_trusted: bool = False, response: dict | None = None):
    policy = Policy(allow_fido_conformance_tpm_vendor=v["tpm_conformance_vendor"], require_trusted=require_trusted)
    kw = {"trust_anchors": {v["expected"]["fmt"]: anchors}} if anchors else {}
    rp = RelyingParty(v["rp_id"], [v["origin"]], policy=policy, **kw)
    return rp.register(response or v["response"], _b64(v["challenge"]), now=_now(v))


def _with_attestation_object(v: dict, ao: bytes) -> dict:
    resp = json.loads(json.dumps(v["response"]))
    resp["response"]["attestationObject"] = base64.urlsafe_b64encode(ao).rstrip(b"=").decode()
    return resp


def _replace_cert(v: dict, index: int, der: bytes) -> dict:
    """The vector's response with x5c[index] replaced by ``der`` (same length: CBOR header intact)."""
    ao = _b64(v["response"]["response"]["attestationObject"])
    old = _x5c(v)[index]
    assert len(der) == len(old) and ao.count(old) == 1
    return _with_attestation_object(v, ao.replace(old, der))


def _refused(v: dict, **kw) -> str:
    with pytest.raises(VerificationError) as ei:
        _register(v, **kw)
    return ei.value.code


# ------------------------------------------------------------------ the vectors exercise what they claim
def test_cryptography_refuses_the_vector_certificates() -> None:
    """Without these refusals the vectors would prove nothing about leniency."""
    chrome_leaf = _x5c(_vector(CHROME))[0]
    with pytest.raises(ValueError, match="EncodedDefault"):
        x509.load_der_x509_certificate(chrome_leaf).extensions  # noqa: B018
    aik, intermediate = _x5c(_vector(TPM))
    with pytest.raises(ValueError, match="UserNotice"):
        x509.load_der_x509_certificate(aik).extensions  # noqa: B018
    with pytest.warns(CryptographyDeprecationWarning, match="serial number"):
        x509.load_der_x509_certificate(intermediate)
    assert certificates.load(intermediate).serial < 0


@pytest.mark.parametrize("name", [CHROME, TPM])
def test_real_registration_registers(name: str) -> None:
    v = _vector(name)
    cred = _register(v)
    assert (cred.fmt, cred.attestation_type, cred.trusted) == (v["expected"]["fmt"], v["expected"]["attestation_type"], False)
    assert cred.credential_id == _b64(v["response"]["rawId"])


def test_chrome_explicit_ca_false_is_read_as_ca_false() -> None:
    info = certificates.load(_x5c(_vector(CHROME))[0])
    assert info.extensions[certificates.OID_BASIC_CONSTRAINTS].value == bytes.fromhex("3003010100")
    assert certificates.basic_constraints(info) == certificates.BasicConstraints(False, None)


def test_tpm_aik_chains_through_the_negative_serial_intermediate() -> None:
    """The AIK's issuer signature is verified over the exact TBS bytes of a certificate cryptography
    refuses, with the negative-serial intermediate (also refused by cryptography) as the anchor."""
    v = _vector(TPM)
    aik, intermediate = _x5c(v)
    cred = _register(v, anchors=[intermediate], require_trusted=True)
    assert cred.trusted and cred.trust_path == (aik, intermediate)


def test_tpm_conformance_vendor_needs_the_policy_switch() -> None:
    v = dict(_vector(TPM), tpm_conformance_vendor=False)
    assert _refused(v) == "tpm.aik_manufacturer"


# ------------------------------------------------------------------ changed signed content is still refused
def _flip(der: bytes, needle: bytes, new: bytes) -> bytes:
    assert len(needle) == len(new) and der.count(needle) == 1
    return der.replace(needle, new)


def test_tpm_changed_printablestring_policy_text_breaks_the_chain() -> None:
    v = _vector(TPM)
    aik, intermediate = _x5c(v)
    bad = _flip(aik, b"FAKE FIDO TCPA", b"FAKE FIDO TCPB")  # inside the tolerated UserNotice (signed)
    assert certificates.load(bad).extensions[certificates.OID_CERTIFICATE_POLICIES]  # still readable
    assert _refused(v, anchors=[intermediate], require_trusted=True,
                    response=_replace_cert(v, 0, bad)).startswith("trust.")


def test_tpm_changed_aik_signature_breaks_the_chain() -> None:
    v = _vector(TPM)
    aik, intermediate = _x5c(v)
    bad = aik[:-1] + bytes([aik[-1] ^ 1])
    assert _refused(v, anchors=[intermediate], require_trusted=True,
                    response=_replace_cert(v, 0, bad)).startswith("trust.")


def test_tpm_changed_manufacturer_in_san_is_refused() -> None:
    v = _vector(TPM)
    bad = _flip(_x5c(v)[0], b"id:FFFFF1D0", b"id:FFFFF1D1")
    assert _refused(v, response=_replace_cert(v, 0, bad)) == "tpm.aik_manufacturer"


def test_chrome_explicit_ca_true_is_refused() -> None:
    """The lenient basicConstraints read still enforces §8.2.1 CA=false."""
    v = _vector(CHROME)
    bad = _flip(_x5c(v)[0], bytes.fromhex("3003010100"), bytes.fromhex("30030101ff"))
    assert _refused(v, response=_replace_cert(v, 0, bad)) == "certificate.basic_constraints"


def test_chrome_changed_statement_signature_is_refused() -> None:
    v = _vector(CHROME)
    ao = _b64(v["response"]["response"]["attestationObject"])
    sig = fastattest.parse_attestation_object(ao).att_stmt["sig"]
    bad = ao.replace(sig, sig[:-1] + bytes([sig[-1] ^ 1]))
    assert _refused(v, response=_with_attestation_object(v, bad)) == "packed.signature_invalid"


def test_chrome_leaf_as_anchor_changed_tbs_is_untrusted() -> None:
    """The self-issued Chrome leaf, configured as an anchor (MDS allows the leaf itself), trusts that
    exact certificate only: a changed TBS byte is another certificate."""
    v = _vector(CHROME)
    leaf = _x5c(v)[0]
    assert _register(v, anchors=[leaf], require_trusted=True).trusted
    bad = _flip(leaf, b"Batch Certificate0Y", b"Batch Certificatf0Y")  # the subject CN
    assert _refused(v, anchors=[leaf], require_trusted=True, response=_replace_cert(v, 0, bad)).startswith("trust.")


# ------------------------------------------------------------------ non-positive serials (synthetic, realistic)
def _reissue(der: bytes, serial: int, issuer_key: ec.EllipticCurvePrivateKey) -> bytes:
    """``der`` with its serial number replaced and re-signed by ``issuer_key`` (ECDSA SHA-256)."""
    _, s, e = _der.tlv(der, 0, len(der))
    tbs_tag, tbs_start, tbs_s, tbs_e = _der.children(der, s, e)[0]
    fields = _der.children(der, tbs_s, tbs_e)
    parts = [der[f[1]:f[3]] for f in fields]
    parts[1] = H.tlv(0x02, serial.to_bytes((serial.bit_length() + 8) // 8, "big", signed=True))  # after [0] version
    tbs = H.seq(*parts)
    sig = issuer_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    alg = der[_der.children(der, s, e)[1][1]:_der.children(der, s, e)[1][3]]
    return H.seq(tbs, alg, H.tlv(0x03, b"\x00" + sig))


@pytest.mark.parametrize("serial", [-1, 0, -(2**159)])
def test_android_key_leaf_with_non_positive_serial_verifies_without_warning(serial: int) -> None:
    v = H.android_key()
    v.stmt["x5c"][0] = _reissue(v.stmt["x5c"][0], serial, v.pki.intermediate.key)
    assert certificates.load(v.stmt["x5c"][0]).serial == serial
    res = fastattest.verify_attestation(v.object(), v.cdh, trust_anchors=v.anchors, now=H.NOW)
    assert (res.fmt, res.trusted, res.trust_error) == ("android-key", True, None)
    # and the re-issued TBS is what is signed: one changed byte (in the key description) is refused
    leaf = v.stmt["x5c"][0]
    i = leaf.index(v.cdh)
    v.stmt["x5c"][0] = leaf[:i] + bytes([leaf[i] ^ 1]) + leaf[i + 1:]
    with pytest.raises(VerificationError) as ei:
        fastattest.verify_attestation(v.object(), v.cdh, trust_anchors=v.anchors, now=H.NOW)
    assert ei.value.code == "android_key.challenge_mismatch"


# ------------------------------------------------------------------ cryptography's X.509 parser is not needed
def _verdicts(a: H.AndroidKey) -> list[tuple]:
    out: list[tuple] = []
    for name in (CHROME, TPM):
        v = _vector(name)
        c = _register(v)
        out.append((c.fmt, c.attestation_type, c.trusted, c.trust_path))
    v = _vector(TPM)
    out.append(_register(v, anchors=[_x5c(v)[1]], require_trusted=True).trust_path)
    res = fastattest.verify_attestation(a.object(), a.cdh, trust_anchors=a.anchors, now=H.NOW)
    out.append((res.fmt, res.trusted, len(res.trust_path), res.trust_path[1:]))
    return out


def _forget() -> None:
    certificates.load.cache_clear()
    certificates.check_packed_leaf.cache_clear()
    trust._PATHS.clear()


def test_verdicts_do_not_depend_on_cryptography_accepting_the_certificate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulate a cryptography release that refuses every certificate (as it announces for
    non-positive serials): the verdicts are the same."""
    a = H.android_key()
    a.stmt["x5c"][0] = _reissue(a.stmt["x5c"][0], -5, a.pki.intermediate.key)
    _forget()
    before = _verdicts(a)

    def refuse(*_a, **_k):
        raise ValueError("simulated: this cryptography release refuses the certificate")

    monkeypatch.setattr(x509, "load_der_x509_certificate", refuse)
    _forget()
    after = _verdicts(a)
    _forget()
    assert before == after


# ------------------------------------------------------------------ extensions: only those a check reads
def _leaf_with_extension(oid: str, value: bytes, critical: bool) -> tuple[bytes, H.PKI]:
    pki = H.make_pki()
    leaf = pki.leaf(H.ec_key(), extensions=[(x509.ObjectIdentifier(oid), value, critical)])
    return leaf.der, pki


def test_unread_malformed_extension_does_not_make_the_certificate_unreadable() -> None:
    der, pki = _leaf_with_extension("2.5.29.32", b"\x30\x03\x13\x01!", False)  # certificatePolicies garbage
    info = certificates.load(der)
    assert info.extensions["2.5.29.32"].value == b"\x30\x03\x13\x01!"
    path = trust.validate_path((der, pki.intermediate.der), trust.store_from([pki.root.der]), H.NOW)
    assert path[-1] == pki.root.der


def test_unknown_critical_extension_still_refuses_the_path() -> None:
    der, pki = _leaf_with_extension("1.2.3.4.5", b"\x05\x00", True)
    with pytest.raises(VerificationError) as ei:
        trust.validate_path((der, pki.intermediate.der), trust.store_from([pki.root.der]), H.NOW)
    assert ei.value.code == "trust.unknown_critical_extension"


def test_malformed_critical_extension_that_path_validation_reads_is_named() -> None:
    der, pki = _leaf_with_extension("2.5.29.37", b"\x31\x00", True)  # extKeyUsage: SET, not SEQUENCE
    certificates.load(der)  # loads: nothing has read it yet
    with pytest.raises(VerificationError) as ei:
        trust.validate_path((der, pki.intermediate.der), trust.store_from([pki.root.der]), H.NOW)
    assert ei.value.code == "certificate.extension_malformed"
    assert "extKeyUsage extension (2.5.29.37)" in ei.value.message


def test_duplicate_extension_is_refused_at_load() -> None:
    pki = H.make_pki()
    leaf = pki.leaf(H.ec_key(), extensions=[(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00", False)])
    der = leaf.der
    one = bytes.fromhex("300906032a030404020500")  # SEQUENCE { OID 1.2.3.4, OCTET STRING { NULL } }
    assert der.count(one) == 1
    # the TBS again with the extension twice, signed by the issuer
    _, s, e = _der.tlv(der, 0, len(der))
    tbs = _der.children(der, s, e)[0]
    fields = _der.children(der, tbs[2], tbs[3])
    ext_field = fields[-1]
    exts = der[ext_field[2]:ext_field[3]]
    _, es, ee = _der.tlv(exts, 0, len(exts))
    new_exts = H.tlv(0xA3, H.seq(exts[es:ee] + one))
    new_tbs = H.seq(*[der[f[1]:f[3]] for f in fields[:-1]], new_exts)
    sig = pki.intermediate.key.sign(new_tbs, ec.ECDSA(hashes.SHA256()))
    parts = _der.children(der, s, e)
    dup = H.seq(new_tbs, der[parts[1][1]:parts[1][3]], H.tlv(0x03, b"\x00" + sig))
    with pytest.raises(VerificationError) as ei:
        certificates.load(dup)
    assert ei.value.code == "certificate.malformed" and "appears twice" in ei.value.message


def test_inner_and_outer_signature_algorithms_must_match() -> None:
    pki = H.make_pki()
    der = pki.leaf(H.ec_key()).der
    ecdsa_sha256 = bytes.fromhex("300a06082a8648ce3d040302")
    ecdsa_sha384 = bytes.fromhex("300a06082a8648ce3d040303")
    assert der.count(ecdsa_sha256) == 2
    i = der.rindex(ecdsa_sha256)  # the outer, unsigned one
    bad = der[:i] + ecdsa_sha384 + der[i + len(ecdsa_sha256):]
    with pytest.raises(VerificationError) as ei:
        certificates.load(bad)
    assert ei.value.code == "certificate.malformed"


def test_pss_without_parameters_gives_no_hash_and_no_crash() -> None:
    """RFC 4055 §3.1: RSASSA-PSS needs its parameters. A certificate (an anchor, whose own
    signature is never checked) naming PSS without them must not crash path validation."""
    import dataclasses

    from fastattest import certificates as c
    from softauthn import TestCA, der

    info = c.load(der(TestCA(intermediate=False).root_cert))
    pss_no_params = bytes.fromhex("300b06092a864886f70d01010a")
    odd = dataclasses.replace(info, signature_algorithm="1.2.840.113549.1.1.10", signature_algorithm_der=pss_no_params)
    assert odd.signature_hash is None
    assert c.signed_by(odd, info.public_key) is False
