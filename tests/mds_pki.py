"""A throw-away PKI that signs MDS3 BLOBs like the FIDO Alliance does (signer, intermediate and
root in x5c), plus CRLs, for tests and benchmarks. Keys are generated once per process."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

NOT_BEFORE = datetime(2020, 1, 1, tzinfo=timezone.utc)
NOT_AFTER = datetime(2040, 1, 1, tzinfo=timezone.utc)
#: a moment inside every validity window of this PKI, before every payload's nextUpdate
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=timezone.utc)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test MDS"), x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_cert(
    subject: str,
    key: Any,
    issuer_name: str | None = None,
    issuer_key: Any = None,
    *,
    ca: bool,
    serial: int | None = None,
    not_before: datetime = NOT_BEFORE,
    not_after: datetime = NOT_AFTER,
    crl_url: str | None = None,
) -> x509.Certificate:
    issuer_key = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name or subject))
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    algo = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(issuer_key, algo)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class PKI:
    root_key: Any
    root: x509.Certificate
    int_key: Any
    intermediate: x509.Certificate
    signer_key: Any  # EC P-256 (ES256)
    signer: x509.Certificate
    rsa_key: Any  # RSA-2048 signer (RS*/PS*)
    rsa_signer: x509.Certificate
    ed_key: Any  # Ed25519 signer (EdDSA)
    ed_signer: x509.Certificate

    def chain(self, signer: x509.Certificate | None = None) -> list[x509.Certificate]:
        return [signer or self.signer, self.intermediate, self.root]

    def crl(
        self,
        issuer: str = "intermediate",
        revoked: tuple[int, ...] = (),
        *,
        last_update: datetime = NOT_BEFORE,
        next_update: datetime = NOT_AFTER,
        signing_key: Any = None,
    ) -> bytes:
        """A DER CRL issued by the intermediate (covers signers) or the root (covers the intermediate)."""
        cert, key = (self.intermediate, self.int_key) if issuer == "intermediate" else (self.root, self.root_key)
        builder = x509.CertificateRevocationListBuilder().issuer_name(cert.subject).last_update(last_update).next_update(next_update)
        for serial in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOT_BEFORE).build()
            )
        return builder.sign(signing_key or key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def all_crls(self) -> list[bytes]:
        return [self.crl("intermediate"), self.crl("root")]


@lru_cache(maxsize=None)
def pki(label: str = "Test") -> PKI:
    root_key = ec.generate_private_key(ec.SECP384R1())
    root = make_cert(f"{label} MDS Root", root_key, ca=True)
    int_key = ec.generate_private_key(ec.SECP256R1())
    intermediate = make_cert(f"{label} MDS CA", int_key, f"{label} MDS Root", root_key, ca=True)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = make_cert(f"{label} MDS Signer", signer_key, f"{label} MDS CA", int_key, ca=False)
    rsa_key = rsa.generate_private_key(65537, 2048)
    rsa_signer = make_cert(f"{label} MDS RSA Signer", rsa_key, f"{label} MDS CA", int_key, ca=False)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_signer = make_cert(f"{label} MDS Ed Signer", ed_key, f"{label} MDS CA", int_key, ca=False)
    return PKI(root_key, root, int_key, intermediate, signer_key, signer, rsa_key, rsa_signer, ed_key, ed_signer)


def jws_sign(alg: str, key: Any, signing_input: bytes) -> bytes:
    """RFC 7515 signature bytes for ``alg`` (RFC 7518 §3)."""
    if alg.startswith("ES"):
        h = {"ES256": hashes.SHA256(), "ES384": hashes.SHA384(), "ES512": hashes.SHA512()}[alg]
        size = (key.curve.key_size + 7) // 8
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(h)))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    if alg.startswith("RS") or alg.startswith("PS"):
        h = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}[alg[2:]]
        pad = padding.PKCS1v15() if alg.startswith("RS") else padding.PSS(padding.MGF1(h), h.digest_size)
        return key.sign(signing_input, pad, h)
    if alg == "EdDSA":
        return key.sign(signing_input)
    raise ValueError(alg)


def sign_blob(
    payload: dict | bytes,
    *,
    p: PKI | None = None,
    alg: str = "ES256",
    key: Any = None,
    x5c: list[x509.Certificate] | list[Any] | None = None,
    header: dict | None = None,
) -> str:
    """Sign ``payload`` into a compact JWS with x5c [signer, intermediate, root] (FIDO's layout).

    ``header`` entries override or extend the default header (``None`` values remove keys).
    """
    p = p or pki()
    if key is None:
        key = {"ES": p.signer_key, "RS": p.rsa_key, "PS": p.rsa_key, "Ed": p.ed_key}[alg[:2]]
    if x5c is None:
        leaf = {"ES": p.signer, "RS": p.rsa_signer, "PS": p.rsa_signer, "Ed": p.ed_signer}[alg[:2]]
        x5c = p.chain(leaf)
    hdr: dict[str, Any] = {"alg": alg, "typ": "JWT", "x5c": [c if isinstance(c, str) else base64.b64encode(der(c)).decode() for c in x5c]}
    for k, v in (header or {}).items():
        if v is None:
            hdr.pop(k, None)
        else:
            hdr[k] = v
    body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
    signing_input = (b64url(json.dumps(hdr).encode()) + "." + b64url(body)).encode()
    return (signing_input + b"." + b64url(jws_sign(alg, key, signing_input)).encode()).decode()


def payload(no: int = 10, next_update: str = "2026-12-01", entries: list[dict] | None = None) -> dict:
    return {"legalHeader": "Test legal header", "no": no, "nextUpdate": next_update, "entries": entries if entries is not None else [entry()]}


def entry(
    aaguid: str | None = "01020304-0506-0708-090a-0b0c0d0e0f10",
    *,
    reports: list[dict] | None = None,
    roots: list[bytes] | None = None,
    key_ids: list[str] | None = None,
    description: str = "Test Authenticator",
) -> dict:
    statement: dict[str, Any] = {
        "legalHeader": "x",
        "description": description,
        "authenticatorVersion": 1,
        "protocolFamily": "fido2",
        "schema": 3,
        "upv": [{"major": 1, "minor": 0}],
        "attestationRootCertificates": [base64.b64encode(r).decode() for r in (roots or [])],
    }
    e: dict[str, Any] = {
        "metadataStatement": statement,
        "statusReports": reports if reports is not None else [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}],
        "timeOfLastStatusChange": "2020-01-01",
    }
    if aaguid is not None:
        e["aaguid"] = aaguid
        statement["aaguid"] = aaguid
    if key_ids is not None:
        e["attestationCertificateKeyIdentifiers"] = key_ids
        statement["attestationCertificateKeyIdentifiers"] = key_ids
    return e
