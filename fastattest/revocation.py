"""Certificate revocation by CRL (RFC 5280 §5, §6.3), offline: the caller supplies the CRLs.

Used for the metadata BLOB chain (FIDO MDS3 §3.2 steps 2 and 4; catalogue B03) and, when the
relying party's Policy carries CRLs, for attestation chains (catalogue X09). Every certificate
of a validated path below its anchor is looked up in a CRL of its issuer: one whose issuer
name is the certificate's issuer, whose signature verifies with the issuer's key, and which is
current (thisUpdate <= now <= nextUpdate), and which carries no critical CRL or CRL entry
extension: none is processed here, so such a CRL (a delta CRL, a CRL scoped by an issuing
distribution point, an indirect CRL) is never used (RFC 5280 §5.2, §5.3). A listed serial
number is revoked, whatever the revocation date or reason: when in doubt, reject.

CRLs are parsed once per distinct tuple of CRLs, their serial numbers indexed in a set, and a
CRL's signature is verified once per issuer certificate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Sequence

from cryptography import x509

from . import _der, certificates

__all__ = ["Crl", "CrlError", "normalize", "load", "check", "REVOKED", "UNAVAILABLE"]

REVOKED = "revoked"
UNAVAILABLE = "unavailable"
MAX_CRL_SIZE = 32 * 1024 * 1024


class CrlError(ValueError):
    """A supplied CRL is not DER or PEM that parses; callers re-raise with their own code."""


@dataclass(frozen=True, eq=False)
class Crl:
    """A parsed CRL and what checks ask of it, computed once."""

    crl: x509.CertificateRevocationList
    issuer: certificates.Name  # compared with certificates' issuer names (RFC 5280 §6.3.3 (b))
    this_update: datetime
    next_update: datetime | None
    serials: frozenset[int]
    critical: str | None = None  # the first critical (CRL or entry) extension: the CRL is unusable


def _name(oid: x509.ObjectIdentifier) -> str:
    return getattr(oid, "_name", None) or oid.dotted_string


def _parse(item: object) -> Crl:
    data = item.encode() if isinstance(item, str) else item
    if not isinstance(data, (bytes, bytearray)):
        raise CrlError("a CRL must be DER or PEM bytes")
    data = bytes(data)
    if len(data) > MAX_CRL_SIZE:
        raise CrlError(f"a CRL is larger than {MAX_CRL_SIZE} bytes")
    try:
        crl = x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
        entries = list(crl)
        critical = next((_name(e.oid) for e in crl.extensions if e.critical), None)
        if critical is None:
            critical = next((_name(e.oid) for r in entries for e in r.extensions if e.critical), None)
        issuer = crl.issuer.public_bytes()
        tag, s, e = _der.tlv(issuer, 0, len(issuer))
        return Crl(crl, certificates.Name(issuer, _der.parse_name(issuer, s, e)), crl.last_update_utc, crl.next_update_utc,
                   frozenset(r.serial_number for r in entries), critical)
    except ValueError as exc:
        raise CrlError(f"a supplied CRL could not be parsed: {exc}") from None


def normalize(crls: object) -> tuple[bytes | str, ...]:
    """A caller's CRLs (one DER or PEM CRL, a list or tuple of them, or None) as the hashable
    tuple ``load`` takes; TypeError for anything else."""
    if crls is None:
        return ()
    if isinstance(crls, (bytes, bytearray, str)):
        crls = (crls,)
    elif not isinstance(crls, (tuple, list)):
        raise TypeError("crls must be a sequence of DER or PEM CRLs")
    out = tuple(bytes(c) if isinstance(c, bytearray) else c for c in crls)
    if not all(isinstance(c, (bytes, str)) for c in out):
        raise TypeError("crls must be DER or PEM CRLs (bytes or str)")
    return out


@lru_cache(maxsize=64)
def load(crls: tuple[bytes | str, ...]) -> tuple[Crl, ...]:
    """Parse DER or PEM CRLs; raise CrlError for one that does not parse. Cached by the tuple."""
    return tuple(_parse(c) for c in crls)


@lru_cache(maxsize=1024)
def _signed_by(crl: Crl, issuer_der: bytes) -> bool:
    try:
        return bool(crl.crl.is_signature_valid(certificates.load(issuer_der).public_key))
    except (TypeError, ValueError):  # a key type that cannot sign CRLs
        return False


@lru_cache(maxsize=4096)
def _issuer_crls(child_der: bytes, issuer_der: bytes, crls: tuple[Crl, ...]) -> tuple[bool, tuple[Crl, ...], int, str]:
    """What of a (certificate, issuer) pair does not depend on the time: whether any CRL names
    its issuer, those of them the issuer signed, its serial number and subject."""
    child = certificates.load(child_der)
    named = [c for c in crls if c.issuer == child.issuer]
    return bool(named), tuple(c for c in named if _signed_by(c, issuer_der)), child.serial, child.subject.rfc4514()


def check(path: Sequence[bytes], crls: Sequence[Crl], now: datetime, require: bool) -> tuple[str, str] | None:
    """Check each certificate of ``path`` (DER, leaf first, anchor last) below the anchor
    against a CRL of its issuer. Return None when none is revoked, else ``(REVOKED, message)``
    or ``(UNAVAILABLE, message)``: no usable CRL for a certificate although a CRL from its
    issuer was supplied (expired, badly signed), or although ``require`` asks for one each."""
    crls = crls if type(crls) is tuple else tuple(crls)
    for child_der, issuer_der in zip(path, path[1:]):
        named, signed, serial, subject = _issuer_crls(child_der, issuer_der, crls)
        usable = None
        for crl in signed:
            if (crl.critical is None and crl.this_update <= now and crl.next_update is not None
                    and now <= crl.next_update):
                usable = crl
                break
        if usable is None:
            if named or require:
                return UNAVAILABLE, f"revocation of {subject!r} cannot be checked: {_why_unusable(named, signed)}"
            continue
        if serial in usable.serials:
            return REVOKED, f"certificate {subject!r} is revoked by its issuer's CRL"
    return None


def _why_unusable(named: bool, signed: tuple[Crl, ...]) -> str:
    if not named:
        return "no CRL from its issuer was supplied"
    if not signed:
        return "the CRL signature does not verify with the issuer's key"
    unprocessed = next((c.critical for c in signed if c.critical is not None), None)
    if unprocessed is not None:
        return f"the CRL has a critical extension that is not processed ({unprocessed})"
    return "the CRL is expired or not yet valid"
