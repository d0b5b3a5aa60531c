"""Write tests/vectors/w3c/*.json: the W3C WebAuthn Level 3 test vectors (§16 "Test Vectors").

The spec publishes these values as the output of a deterministic derivation: every random-looking
value is HKDF-SHA-256(IKM='WebAuthn test vectors', salt=<draw index as one byte>, info=<vector
label>, L), drawn in a fixed order; ECDSA signatures are deterministic (RFC 6979), RSA is PKCS#1
v1.5 with the two smallest Mersenne primes >= 2^1024 as p and q, EdDSA is deterministic. This
script (our own code) re-derives every published field in the spec's order and stores it as data.
`test_w3c_anchor_values` in tests/vectors/test_vector_files.py pins values quoted from the spec.

    python tests/vectors/_tools/w3c_vectors.py
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import softauthn as sa  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "w3c"
SEED = b"WebAuthn test vectors"
RP_ID = "example.org"
ORIGIN = "https://example.org"
RP_ID_HASH = sa.sha256(RP_ID.encode())
NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
NOT_AFTER = dt.datetime(3024, 1, 1, tzinfo=dt.timezone.utc)
SPEC = "W3C Web Authentication Level 3, §16 Test Vectors"


class Draws:
    """The spec's pseudo-random draws for one label: HKDF with salt = index byte 0, 1, 2, ..."""

    def __init__(self, label: str, record: dict[str, Any]) -> None:
        self.label, self.i, self.record = label, 0, record

    def __call__(self, name: str, length: int) -> bytes:
        out = HKDF(algorithm=hashes.SHA256(), length=length, salt=bytes([self.i]),
                   info=self.label.encode()).derive(SEED)
        self.record.setdefault("derivations", []).append(
            {"name": name, "salt": f"{self.i:02x}", "info": self.label, "length": length, "value": out.hex()})
        self.i += 1
        return out


def _deterministic_resign(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """Replace the certificate's signature with a deterministic (RFC 6979) ECDSA one."""
    sig = key.sign(cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    children = sa._der_children(sa._der_content(sa.der(cert)))
    body = children[0] + children[1] + sa._der_tlv(0x03, b"\x00" + sig)
    return x509.load_der_x509_certificate(sa._der_tlv(0x30, body))


def _name(ou: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "WebAuthn test vectors"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "W3C"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "AA")])


_KU_LEAF = x509.KeyUsage(True, False, False, False, False, False, False, False, False)


def _leaf(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, pub: Any, serial: bytes,
          subject: x509.Name, extra: list[tuple[x509.ExtensionType, bool]]) -> x509.Certificate:
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(pub)
         .serial_number(int.from_bytes(serial, "big")).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(_KU_LEAF, critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
             ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value), critical=False))
    for ext, crit in extra:
        b = b.add_extension(ext, critical=crit)
    return _deterministic_resign(b.sign(ca_key, hashes.SHA256()), ca_key)


def make_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, dict[str, Any]]:
    rec: dict[str, Any] = {}
    draw = Draws("Attestation CA", rec)
    key = ec.derive_private_key(int.from_bytes(draw("attestation_ca_key", 32), "big"), ec.SECP256R1())
    serial = draw("attestation_ca_serial_number", 16)
    subj = _name("Authenticator Attestation CA")
    cert = (x509.CertificateBuilder().subject_name(subj).issuer_name(subj).public_key(key.public_key())
            .serial_number(int.from_bytes(serial, "big")).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    cert = _deterministic_resign(cert, key)
    rec.update(attestation_ca_key=key.private_numbers().private_value.to_bytes(32, "big").hex(),
               attestation_ca_cert=sa.der(cert).hex(), attestation_ca_cert_pem=sa.pem(cert))
    return cert, key, rec


CA_CERT, CA_KEY, CA_RECORD = make_ca()


def _client_data(draw: Draws, rec: dict[str, Any], type_: str, challenge: bytes, *, cross_origin: bool = False,
                 top_origin: bool = False) -> bytes:
    flags = draw("client_data_gen_flags", 1)[0]
    extra: dict[str, Any] = {}
    if top_origin:
        extra["topOrigin"] = "https://example.com"
    if flags & 0x01:  # extraData is added iff bit 0x01 of client_data_gen_flags is 1
        rnd = draw("extraData_random", 16)
        extra["extraData"] = ("clientDataJSON may be extended with additional fields in the future, such as this: "
                              + sa.b64u(rnd))
    return sa.client_data_json(type_, challenge, ORIGIN, cross_origin=cross_origin, **extra)


def _reg_auth_data(draw: Draws, cred_id: bytes, aaguid: bytes, cose: dict[int, Any], *, random_flags: bool = True) -> bytes:
    flags = 0x41
    if random_flags:
        f = draw("auth_data_UV_BE_BS", 1)[0] & 0x1C
        if not f & 0x08:  # BS only if BE
            f &= ~0x18 & 0xFF
        flags |= f
    return sa.build_auth_data(rp_id_hash=RP_ID_HASH, flags=flags, sign_count=0, aaguid=aaguid,
                              credential_id=cred_id, credential_public_key=cose)


def _assertion(draw: Draws, rec: dict[str, Any], be: int, signer: Callable[[bytes], bytes], *, challenge_length: int,
               cross_origin: bool = False, top_origin: bool = False) -> None:
    challenge = draw("challenge", challenge_length)
    cdj = _client_data(draw, rec, "webauthn.get", challenge, cross_origin=cross_origin, top_origin=top_origin)
    f = draw("auth_data_UV_BS", 1)[0] & 0x14
    if not be:
        f &= ~0x18 & 0xFF
    ad = sa.build_auth_data(rp_id_hash=RP_ID_HASH, flags=f | be | 0x01, sign_count=0)
    sig = signer(ad + sa.sha256(cdj))
    rec["authentication"] = {"challenge": challenge.hex(), "authenticator_data": ad.hex(),
                             "client_data_json": cdj.hex(), "signature": sig.hex()}


def _ec_key(draw: Draws, length: int, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(draw("credential_private_key", length), "big"), curve)


_CURVES = {-7: (ec.SECP256R1(), 32), -35: (ec.SECP384R1(), 48), -36: (ec.SECP521R1(), 65)}


def vector(kind: str, label: str, anchor: str, title: str, *, alg: int = -7, credential_id_length: int = 32,
           challenge_length: int = 32, cross_origin: bool = False, top_origin: bool = False) -> dict[str, Any]:
    rec: dict[str, Any] = {"name": "w3c_" + label.replace(".", "_").replace("-", "_").lower(), "kind": "w3c",
                           "source": f"{SPEC}: \"{title}\" (#{anchor})", "label": label, "rp_id": RP_ID,
                           "origin": ORIGIN, "fmt": kind.split("-self")[0], "alg": alg}
    draw = Draws(label, rec)
    challenge = draw("challenge", challenge_length)
    # credential key
    key: Any
    if alg in _CURVES:
        curve, n = _CURVES[alg]
        key = _ec_key(draw, n, curve)
        rec["credential_private_key"] = key.private_numbers().private_value.to_bytes(n, "big").hex()
        h = {-7: hashes.SHA256, -35: hashes.SHA384, -36: hashes.SHA512}[alg]
        signer: Callable[[bytes], bytes] = lambda d: key.sign(d, ec.ECDSA(h(), deterministic_signing=True))
        cose = sa.cose_key(alg, key.public_key())
    elif alg == -257:
        p, q, e = 2 ** 1279 - 1, 2 ** 2203 - 1, 65537
        d = rsa.rsa_recover_private_exponent(e, p, q)
        key = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                                    rsa.RSAPublicNumbers(e, p * q)).private_key()
        rec["private_key_p"] = p.to_bytes(math.ceil(1279 / 8), "big").hex()
        rec["private_key_q"] = q.to_bytes(math.ceil(2203 / 8), "big").hex()
        signer = lambda d_: key.sign(d_, padding.PKCS1v15(), hashes.SHA256())
        cose = sa.cose_key(-257, key.public_key())
    elif alg in (-8, -53):
        n = 32 if alg == -8 else 57
        raw = draw("private_key", n)
        key = (ed25519.Ed25519PrivateKey if alg == -8 else ed448.Ed448PrivateKey).from_private_bytes(raw)
        rec["private_key"] = raw.hex()
        signer = lambda d: key.sign(d)
        pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        cose = {1: 1, 3: alg, -1: 6 if alg == -8 else 7, -2: pub}
    else:
        raise ValueError(alg)
    cdj = _client_data(draw, rec, "webauthn.create", challenge, cross_origin=cross_origin, top_origin=top_origin)
    aaguid = draw("aaguid", 16)
    cred_id = draw("credential_id", credential_id_length)
    ad = _reg_auth_data(draw, cred_id, aaguid, cose, random_flags=(kind != "fido-u2f"))
    cdh = sa.sha256(cdj)
    stmt: dict[str, Any]
    att_type = {"none": "none", "packed-self": "self", "apple": "anonca", "tpm": "attca"}.get(kind, "basic")
    if kind == "none":
        stmt = {}
    elif kind == "packed-self":
        stmt = {"alg": alg, "sig": signer(ad + cdh)}
    elif kind in ("packed", "fido-u2f"):
        att_key = ec.derive_private_key(int.from_bytes(draw("attestation_private_key", 32), "big"), ec.SECP256R1())
        cert = _leaf(CA_CERT, CA_KEY, att_key.public_key(), draw("attestation_cert_serial_number", 16),
                     _name("Authenticator Attestation"), [])
        rec["attestation_private_key"] = att_key.private_numbers().private_value.to_bytes(32, "big").hex()
        rec["attestation_cert"] = sa.der(cert).hex()
        data = ad + cdh if kind == "packed" else sa.u2f_signed_data(RP_ID_HASH, cdh, cred_id, cose)
        sig = att_key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        stmt = {"alg": -7, "sig": sig, "x5c": [sa.der(cert)]} if kind == "packed" else {"sig": sig, "x5c": [sa.der(cert)]}
    elif kind == "tpm":
        stmt = _tpm_statement(draw, rec, ad, cdh, cose)
    elif kind == "android-key":
        ext = sa._der_tlv(0x30, b"".join([sa._der_tlv(0x02, (300).to_bytes(2, "big")), sa._der_tlv(0x02, b"\x00"),
                                          sa._der_tlv(0x02, b"\x00"), sa._der_tlv(0x02, b"\x00"),
                                          sa._der_tlv(0x04, cdh), sa._der_tlv(0x04, b""),
                                          sa._der_tlv(0x30, b""), sa._der_tlv(0x30, b"")]))
        cert = _leaf(CA_CERT, CA_KEY, key.public_key(), draw("attestation_cert_serial_number", 16),
                     _name("Authenticator Attestation"),
                     [(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17"), ext), False)])
        rec["attestation_cert"] = sa.der(cert).hex()
        stmt = {"alg": -7, "sig": signer(ad + cdh), "x5c": [sa.der(cert)]}
    elif kind == "apple":
        nonce = sa.sha256(ad + cdh)
        ext = sa._der_tlv(0x30, sa._der_tlv(0xA1, sa._der_tlv(0x04, nonce)))
        cert = _leaf(CA_CERT, CA_KEY, key.public_key(), draw("attestation_cert_serial_number", 16),
                     _name("Authenticator Attestation"),
                     [(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.840.113635.100.8.2"), ext), False)])
        rec["attestation_cert"] = sa.der(cert).hex()
        stmt = {"x5c": [sa.der(cert)]}
    else:
        raise ValueError(kind)
    att_obj = sa.encode_attestation_object(rec["fmt"], stmt, ad)
    rec["registration"] = {"challenge": challenge.hex(), "aaguid": aaguid.hex(), "credential_id": cred_id.hex(),
                           "client_data_json": cdj.hex(), "authenticator_data": ad.hex(),
                           "attestation_object": att_obj.hex(), "credential_public_key": sa.cbor(cose).hex()}
    rec["attestation_ca_cert"] = CA_RECORD["attestation_ca_cert"]
    _assertion(draw, rec, ad[32] & 0x08, signer, challenge_length=challenge_length, cross_origin=cross_origin,
               top_origin=top_origin)
    # Convenience forms for ceremony-level tests (same bytes as above, base64url)
    rec["response"] = {"id": sa.b64u(cred_id), "rawId": sa.b64u(cred_id), "type": "public-key",
                       "response": {"clientDataJSON": sa.b64u(cdj), "attestationObject": sa.b64u(att_obj)},
                       "clientExtensionResults": {}}
    a = rec["authentication"]
    rec["assertion_response"] = {"id": sa.b64u(cred_id), "rawId": sa.b64u(cred_id), "type": "public-key",
                                 "response": {"clientDataJSON": sa.b64u(bytes.fromhex(a["client_data_json"])),
                                              "authenticatorData": sa.b64u(bytes.fromhex(a["authenticator_data"])),
                                              "signature": sa.b64u(bytes.fromhex(a["signature"]))},
                                 "clientExtensionResults": {}}
    rec["trust_anchors"] = ({rec["fmt"]: [CA_RECORD["attestation_ca_cert_pem"]]}
                            if kind not in ("none", "packed-self") else None)
    rec["now"] = "2025-01-01T00:00:00Z"
    rec["now_note"] = "chosen: every certificate is valid 2024-01-01 .. 3024-01-01"
    rec["expected"] = {"fmt": rec["fmt"], "attestation_type": att_type, "alg": alg,
                       "credential_id": sa.b64u(cred_id), "sign_count": 0,
                       "aaguid": str(__import__("uuid").UUID(bytes=aaguid)),
                       "user_verified": bool(ad[32] & 0x04), "backup_eligible": bool(ad[32] & 0x08),
                       "backed_up": bool(ad[32] & 0x10)}
    rec["spec_text_checked"] = label in SPEC_TEXT_CHECKED
    if label in NOTES:
        rec["notes"] = NOTES[label]
    if rec["trust_anchors"] is None:
        del rec["trust_anchors"]
    return rec


def _tpm_statement(draw: Draws, rec: dict[str, Any], ad: bytes, cdh: bytes, cose: dict[int, Any]) -> dict[str, Any]:
    """TPM 2.0 Part 2 §10.12.8 TPMS_ATTEST (certify) and §12.2.4 TPMT_PUBLIC for an ECC P-256 key."""
    extra_data = hashlib.sha256(ad + cdh).digest()
    params = bytes.fromhex("0010" "0010" "0003" "0010")  # symmetric NULL, scheme NULL, NIST P-256, kdf NULL
    unique = len(cose[-2]).to_bytes(2, "big") + cose[-2] + len(cose[-3]).to_bytes(2, "big") + cose[-3]
    pub_area = bytes.fromhex("0023") + bytes.fromhex("000B") + (1 << 18).to_bytes(4, "big") + b"\x00\x00" + params + unique
    name = bytes.fromhex("000B") + hashlib.sha256(pub_area).digest()
    cert_info = (bytes.fromhex("ff544347") + bytes.fromhex("8017") + b"\x00\x00"
                 + len(extra_data).to_bytes(2, "big") + extra_data
                 + bytes.fromhex("0000000000000000111111112222222233") + bytes(8)
                 + len(name).to_bytes(2, "big") + name + b"\x00\x00")
    att_key = ec.derive_private_key(int.from_bytes(draw("attestation_private_key", 32), "big"), ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.DirectoryName(x509.Name([x509.RelativeDistinguishedName([
        x509.NameAttribute(x509.ObjectIdentifier("2.23.133.2.1"), "id:00000000"),
        x509.NameAttribute(x509.ObjectIdentifier("2.23.133.2.2"), "WebAuthn test vectors"),
        x509.NameAttribute(x509.ObjectIdentifier("2.23.133.2.3"), "id:00000000")])]))])
    cert = _leaf(CA_CERT, CA_KEY, att_key.public_key(), draw("attestation_cert_serial_number", 16), x509.Name([]),
                 [(x509.ExtendedKeyUsage([x509.ObjectIdentifier("2.23.133.8.3")]), False), (san, True)])
    rec["attestation_private_key"] = att_key.private_numbers().private_value.to_bytes(32, "big").hex()
    rec["attestation_cert"] = sa.der(cert).hex()
    sig = att_key.sign(cert_info, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    return {"ver": "2.0", "alg": -7, "x5c": [sa.der(cert)], "sig": sig, "certInfo": cert_info, "pubArea": pub_area}


# Vectors whose bytes were compared with values quoted from the spec text (third-party copies of
# §16, 2025): full attestationObject / signature equality, or prefix+suffix for RS256.
SPEC_TEXT_CHECKED = {"none.ES256", "packed-self.ES256", "packed.ES256", "packed.RS256", "none.ES256.long-credential-id"}

# Properties of the published vectors that strict verifiers trip over (found by
# tests/vectors/test_vector_files.py running py_webauthn and python-fido2 on them).
NOTES = {
    "tpm.ES256": ["certInfo.clockInfo.safe is 0x33 (TPMI_YES_NO allows only 0 or 1; python-fido2 rejects it)",
                  "the AIK certificate's TPM manufacturer is 'id:00000000', not a TCG-registered vendor ID "
                  "(py_webauthn rejects it)"],
    "fido-u2f.ES256": ["authData carries a non-zero (HKDF-derived) AAGUID; §8.6 verification does not look at it, "
                       "py_webauthn rejects it"],
    "android-key.ES256": ["x5c holds only the leaf, issued directly by the test root (py_webauthn wants an intermediate)",
                          "KeyDescription encodes attestationSecurityLevel and keymasterSecurityLevel as INTEGER 0, "
                          "where the Android schema says ENUMERATED; attestationVersion is 300"],
}

SPECS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("none", "none.ES256", "sctn-test-vectors-none-es256", "ES256 Credential with No Attestation", {}),
    ("packed-self", "packed-self.ES256", "sctn-test-vectors-packed-self-es256", "ES256 Credential with Self Attestation", {}),
    ("none", "none.ES256.crossOrigin", "sctn-test-vectors-none-es256-crossOrigin",
     'ES256 Credential with "crossOrigin": true in clientDataJSON', {"cross_origin": True}),
    ("none", "none.ES256.topOrigin", "sctn-test-vectors-none-es256-topOrigin",
     'ES256 Credential with "topOrigin" in clientDataJSON', {"cross_origin": True, "top_origin": True}),
    ("none", "none.ES256.long-credential-id", "sctn-test-vectors-none-es256-long-credential-id",
     "ES256 Credential with very long credential ID", {"credential_id_length": 1023}),
    ("packed", "packed.ES256", "sctn-test-vectors-packed-es256", "Packed Attestation with ES256 Credential", {}),
    ("packed", "packed.ES384", "sctn-test-vectors-packed-es384", "Packed Attestation with ES384 Credential", {"alg": -35}),
    ("packed", "packed.ES512", "sctn-test-vectors-packed-es512", "Packed Attestation with ES512 Credential",
     {"alg": -36, "challenge_length": 128}),
    ("packed", "packed.RS256", "sctn-test-vectors-packed-rs256", "Packed Attestation with RS256 Credential", {"alg": -257}),
    ("packed", "packed.EdDSA", "sctn-test-vectors-packed-eddsa", "Packed Attestation with Ed25519 Credential", {"alg": -8}),
    ("packed", "packed.Ed448", "sctn-test-vectors-packed-ed448", "Packed Attestation with Ed448 Credential", {"alg": -53}),
    ("tpm", "tpm.ES256", "sctn-test-vectors-tpm-es256", "TPM Attestation with ES256 Credential", {}),
    ("android-key", "android-key.ES256", "sctn-test-vectors-android-key-es256",
     "Android Key Attestation with ES256 Credential", {}),
    ("apple", "apple.ES256", "sctn-test-vectors-apple-es256", "Apple Anonymous Attestation with ES256 Credential", {}),
    ("fido-u2f", "fido-u2f.ES256", "sctn-test-vectors-fido-u2f-es256", "FIDO U2F Attestation with ES256 Credential", {}),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    ca = {"name": "w3c_attestation_ca", "kind": "w3c-ca", "source": f"{SPEC}: \"Attestation trust root certificate\" "
          "(#sctn-test-vectors-attestation-root-cert)", **CA_RECORD}
    (OUT / "w3c_attestation_ca.json").write_text(json.dumps(ca, indent=2) + "\n")
    for kind, label, anchor, title, kw in SPECS:
        rec = vector(kind, label, anchor, title, **kw)
        (OUT / f"{rec['name']}.json").write_text(json.dumps(rec, indent=2) + "\n")
        print(rec["name"], rec["registration"]["attestation_object"][:60])


if __name__ == "__main__":
    main()
