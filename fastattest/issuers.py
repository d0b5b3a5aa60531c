"""Validated issuers: what a chain above its leaf proved, kept so a new leaf costs one signature.

Every Windows machine sends its own AIK certificate, every Apple and Android registration its
own leaf, but they hang under a handful of intermediates. ``trust.validate_path`` builds a path
leaf first (RFC 5280 §6.1); everything it decides from x5c[1] up (each issuer's signature, CA
constraints, pathLen, strength, the anchor, nothing beyond it) depends only on x5c[1:], the
trust store and the options, never on the leaf. So once a path through x5c[1:] has been
validated, this module keeps that tail with the window of time in which all of it is valid,
and a later chain ``[new leaf] + same x5c[1:]`` is checked by:

- the leaf's own path checks, exactly those ``trust._build`` makes at depth 0: no unknown
  critical extension (X07), not itself an anchor, not issued by an anchor directly (either of
  those takes the full path), issuer name = x5c[1] subject and x5c[1]'s signature over it;
- the leaf's strength (X11: key size, signature hash) and its validity at ``now``;
- ``now`` within the tail's window.

Anything unusual (an algorithm outside the table below, a failed check) falls back to the full
validation, so errors and their codes are the full path's.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import SignatureAlgorithmOID as _S

from . import certificates

# (x5c[1:], store serial, anchor_in_chain, allow_weak) -> (tail path DERs, not_before, not_after)
_TAILS: OrderedDict[tuple[Any, ...], tuple[tuple[bytes, ...], datetime, datetime]] = OrderedDict()
_TAILS_MAX = 1024

# Certificate signature algorithms checked here directly with the issuer's loaded key (the
# same operation ``verify_directly_issued_by`` does, without its name re-encoding); others go
# through cryptography's own check.
_ECDSA = {_S.ECDSA_WITH_SHA256: hashes.SHA256(), _S.ECDSA_WITH_SHA384: hashes.SHA384(), _S.ECDSA_WITH_SHA512: hashes.SHA512()}
_RSA = {_S.RSA_WITH_SHA256: hashes.SHA256(), _S.RSA_WITH_SHA384: hashes.SHA384(), _S.RSA_WITH_SHA512: hashes.SHA512()}
_PKCS1 = padding.PKCS1v15()


def remember(key: tuple[Any, ...], path: tuple[certificates.CertInfo, ...]) -> None:
    """Keep the validated tail ``path`` (x5c[1] first, anchor last) for ``key``."""
    start = max(i.cert.not_valid_before_utc for i in path)
    end = min(i.cert.not_valid_after_utc for i in path)
    _TAILS[key] = (tuple(i.der for i in path), start, end)
    if len(_TAILS) > _TAILS_MAX:
        _TAILS.popitem(last=False)


def lookup(key: tuple[Any, ...], now: datetime) -> tuple[bytes, ...] | None:
    hit = _TAILS.get(key)
    if hit is None or not (hit[1] <= now <= hit[2]):
        return None
    return hit[0]


def window(key: tuple[Any, ...]) -> tuple[datetime, datetime]:
    hit = _TAILS[key]
    return hit[1], hit[2]


def _tlv(der: bytes, pos: int) -> tuple[int, int]:
    """(content start, end) of the DER TLV at ``pos``; ValueError if it does not fit."""
    if pos + 2 > len(der):
        raise ValueError("truncated")
    first = der[pos + 1]
    if first < 0x80:
        start, length = pos + 2, first
    else:
        n = first & 0x7F
        if not 1 <= n <= 3 or pos + 2 + n > len(der):
            raise ValueError("bad length")
        start, length = pos + 2 + n, int.from_bytes(der[pos + 2:pos + 2 + n], "big")
    if start + length > len(der):
        raise ValueError("truncated")
    return start, start + length


def tbs_bytes(der: bytes) -> bytes:
    """The tbsCertificate exactly as sent (RFC 5280 §4.1.1.3: the signature is over its DER).
    ``cert.tbs_certificate_bytes`` re-encodes it (~10 µs); slicing the certificate costs ~1 µs."""
    outer, _ = _tlv(der, 0)  # Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    if der[0] != 0x30 or der[outer] != 0x30:
        raise ValueError("not a SEQUENCE")
    return der[outer:_tlv(der, outer)[1]]


def signed_by(child: certificates.CertInfo, issuer: certificates.CertInfo) -> bool:
    """Whether ``issuer`` signed ``child`` (names compared by the caller)."""
    cert, key = child.cert, issuer.public_key
    oid = cert.signature_algorithm_oid
    try:
        if oid in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, tbs_bytes(child.der), ec.ECDSA(_ECDSA[oid]))
        elif oid in _RSA and isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, tbs_bytes(child.der), _PKCS1, _RSA[oid])
        else:
            cert.verify_directly_issued_by(issuer.cert)
        return True
    except Exception:  # InvalidSignature, ValueError, TypeError: not issued by it
        return False


def clear() -> None:
    _TAILS.clear()
