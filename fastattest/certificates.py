"""X.509 certificates in attestation statements: parsing (cached by DER) and the
per-format certificate requirements of WebAuthn L3 §8.2.1 (packed) and shared helpers
(AAGUID extension, key identifiers) used by the other formats and by metadata.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from asn1crypto.core import Any as _Any, OctetBitString, Sequence
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from .errors import VerificationError

# Resource caps (R-rows of the catalogue; README "Security" section)
MAX_X5C = 8
MAX_CERT_SIZE = 16 * 1024



class _SubjectPublicKeyInfo(Sequence):
    """RFC 5280 §4.1: only the BIT STRING matters here, whatever the algorithm (ML-DSA too)."""

    _fields = [("algorithm", _Any), ("subject_public_key", OctetBitString)]


OID_FIDO_AAGUID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")  # WebAuthn L3 §8.2.1


@dataclass(frozen=True, eq=False)
class CertInfo:
    """A parsed certificate and what verifiers ask of it, computed once per DER."""

    der: bytes
    cert: x509.Certificate
    public_key: Any
    key_identifier: str  # RFC 5280 §4.2.1.2 (1): SHA-1 of the subjectPublicKey BIT STRING value


@lru_cache(maxsize=8192)
def load(der: bytes) -> CertInfo:
    """Parse a DER certificate once; later calls with the same bytes are a dict lookup."""
    if not isinstance(der, bytes) or not der:
        raise VerificationError("certificate.malformed", "certificate is not a non-empty byte string")
    if len(der) > MAX_CERT_SIZE:
        raise VerificationError("certificate.too_large", f"certificate is larger than {MAX_CERT_SIZE} bytes")
    try:
        cert = x509.load_der_x509_certificate(der)
        public_key = cert.public_key()
        # cryptography decodes names and extensions lazily, and raises ValueError on first use
        # (invalid UTF-8 in a name, a malformed extension value): decode them here, once, so
        # a malformed certificate fails at load with a code and never later (fuzz finding).
        cert.subject, cert.issuer, cert.extensions  # noqa: B018
        cert.not_valid_before_utc, cert.not_valid_after_utc  # noqa: B018
    except Exception as exc:  # cryptography raises ValueError and friends for bad DER or keys
        raise VerificationError("certificate.malformed", f"certificate could not be parsed: {exc}") from None
    return CertInfo(der, cert, public_key, key_identifier(public_key))


def key_identifier(public_key: Any) -> str:
    """Lowercase hex SHA-1 of the subjectPublicKey bit string (not the whole SPKI)."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    bits = _SubjectPublicKeyInfo.load(spki)["subject_public_key"].contents[1:]  # drop the unused-bits octet
    return hashlib.sha1(bits).hexdigest()


def parse_x5c(value: object) -> tuple[bytes, ...]:
    """x5c: a non-empty array of DER certificates, leaf first (P06, X08)."""
    if not isinstance(value, list) or not value:
        raise VerificationError("certificate.x5c_invalid", "x5c is not a non-empty array")
    n = len(value)
    if n > MAX_X5C:
        raise VerificationError("certificate.too_large", f"x5c has more than {MAX_X5C} certificates")
    for c in value:  # a plain loop: all() over a generator costs more than the check (hot path)
        if (type(c) is not bytes and not isinstance(c, bytes)) or not c:
            raise VerificationError("certificate.x5c_invalid", "x5c holds an item that is not a byte string")
    if n > 1 and len(set(value)) != n:
        raise VerificationError("certificate.x5c_invalid", "x5c holds the same certificate twice")
    for der in value:
        load(der)
    return tuple(value)


def aaguid_extension(cert: x509.Certificate) -> bytes | None:
    """The id-fido-gen-ce-aaguid extension value (16 bytes), or None if absent.

    WebAuthn L3 §8.2.1: the extension MUST NOT be marked critical and its value is an
    OCTET STRING wrapped in the extension's own OCTET STRING (P09).
    """
    try:  # the extensions were decoded by load(): duplicates and bad encodings failed there
        ext = cert.extensions.get_extension_for_oid(OID_FIDO_AAGUID)
    except x509.ExtensionNotFound:
        return None
    if ext.critical:
        raise VerificationError("certificate.aaguid_extension", "the AAGUID extension is marked critical")
    raw = ext.value.value if isinstance(ext.value, x509.UnrecognizedExtension) else b""
    if len(raw) != 18 or raw[:2] != b"\x04\x10":
        raise VerificationError("certificate.aaguid_extension", "the AAGUID extension is not an OCTET STRING of 16 bytes")
    return raw[2:]


def check_aaguid(cert: x509.Certificate, aaguid: bytes) -> None:
    """If the certificate names an AAGUID it must be the authenticator data's (§8.2.1, §8.3.1)."""
    ext = aaguid_extension(cert)
    if ext is not None and ext != aaguid:
        raise VerificationError("certificate.aaguid_mismatch", "certificate AAGUID extension differs from the authenticator data AAGUID")


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def check_version3(cert: x509.Certificate) -> None:
    if cert.version != x509.Version.v3:
        raise VerificationError("certificate.version", "attestation certificate is not X.509 version 3")


def check_not_ca(cert: x509.Certificate) -> None:
    if is_ca(cert):
        raise VerificationError("certificate.basic_constraints", "attestation certificate has basicConstraints CA=true")


@lru_cache(maxsize=4096)
def check_packed_leaf(der: bytes, aaguid: bytes) -> None:
    """WebAuthn L3 §8.2.1 packed attestation certificate requirements (P08, P09).

    Cached per (certificate, AAGUID): a certificate seen before costs a dict lookup.
    """
    cert = load(der).cert
    check_version3(cert)
    subject = cert.subject
    for oid, label in ((NameOID.COUNTRY_NAME, "C"), (NameOID.ORGANIZATION_NAME, "O"), (NameOID.COMMON_NAME, "CN")):
        values = subject.get_attributes_for_oid(oid)
        if len(values) != 1 or not values[0].value:
            raise VerificationError("certificate.subject", f"attestation certificate subject needs exactly one {label}")
    ou = subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if len(ou) != 1 or ou[0].value != "Authenticator Attestation":
        raise VerificationError("certificate.subject", 'attestation certificate subject OU must be "Authenticator Attestation"')
    check_not_ca(cert)
    check_aaguid(cert, aaguid)
