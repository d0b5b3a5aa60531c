"""Certificate path validation to trust anchors (RFC 5280 §6, the subset attestation needs).

An anchor may be a root, an intermediate, or the attestation certificate itself (FIDO MDS3
attestationRootCertificates). A self-signed certificate inside x5c never acts as an anchor
(X03). Validated paths are cached by (x5c DER bytes, trust store) together with the window
of time in which every certificate is valid, so a repeated chain costs a dict lookup and a
time comparison.
"""
from __future__ import annotations

import base64
import itertools
import re
from collections import OrderedDict
from datetime import datetime, timezone
from functools import lru_cache
from typing import Iterable, Sequence, cast

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from . import certificates, issuers
from .errors import VerificationError

MAX_PATH = 8
_SERIALS = itertools.count()
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)

# Critical extensions this validator understands; any other critical extension fails (X07,
# RFC 5280 §4.2). Each but certificatePolicies (no policy is required, so any policy will do) has
# a decoder, and a critical one must decode: a critical extension we cannot read is not processed.
_DECODERS = {
    certificates.OID_BASIC_CONSTRAINTS: certificates.basic_constraints,
    certificates.OID_KEY_USAGE: certificates.key_usage,
    certificates.OID_EXTENDED_KEY_USAGE: certificates.extended_key_usage,
    certificates.OID_SUBJECT_ALT_NAME: certificates.subject_alt_names,  # critical when the subject is empty (TPM AIK)
}
_KNOWN_CRITICAL = frozenset(_DECODERS) | {certificates.OID_CERTIFICATE_POLICIES}
_VALUE_DECODERS = {oid: certificates.VALUE_DECODERS[oid] for oid in _DECODERS}


def to_der(cert: bytes | str) -> list[bytes]:
    """Accept DER bytes, or PEM (str or bytes, one or more certificates)."""
    if isinstance(cert, str):
        cert = cert.encode()
    if not isinstance(cert, (bytes, bytearray)):
        raise VerificationError("trust.anchor_invalid", "a trust anchor must be PEM or DER bytes")
    cert = bytes(cert)
    if b"-----BEGIN" in cert:
        blocks = _PEM.findall(cert)
        if not blocks:
            raise VerificationError("trust.anchor_invalid", "PEM trust anchor holds no certificate")
        return [base64.b64decode(b"".join(b.split())) for b in blocks]
    return [cert]


class TrustStore:
    """An immutable set of anchors, indexed by subject. Build once; share freely."""

    __slots__ = ("anchors", "serial", "_by_subject", "__weakref__")

    def __init__(self, ders: Iterable[bytes]) -> None:
        anchors: dict[bytes, certificates.CertInfo] = {}
        for der in ders:
            try:
                anchors[der] = certificates.load(der)
            except VerificationError as exc:
                raise VerificationError("trust.anchor_invalid", f"trust anchor is not a certificate: {exc.message}") from None
        self.anchors = anchors
        self.serial = next(_SERIALS)  # cache key: unlike id(), never reused
        by_subject: dict[certificates.Name, list[certificates.CertInfo]] = {}
        for info in anchors.values():
            by_subject.setdefault(info.subject, []).append(info)
        self._by_subject = by_subject

    def __len__(self) -> int:
        return len(self.anchors)

    def __contains__(self, der: object) -> bool:
        return der in self.anchors

    def issuers_of(self, info: certificates.CertInfo) -> list[certificates.CertInfo]:
        return self._by_subject.get(info.issuer, [])


@lru_cache(maxsize=1024)
def _store(ders: tuple[bytes, ...]) -> TrustStore:
    return TrustStore(ders)


def store_from(certs: Iterable[bytes | str]) -> TrustStore:
    """A TrustStore for PEM/DER certificates, shared between calls with the same anchors."""
    ders: list[bytes] = []
    for c in certs:
        ders.extend(to_der(c))
    return _store(tuple(dict.fromkeys(ders)))


def _issued_by(child: certificates.CertInfo, issuer: certificates.CertInfo) -> bool:
    """RFC 5280 §6.1.3 (a)(1), (a)(4): the issuer's key signs the child's TBS bytes, and names chain."""
    return child.issuer == issuer.subject and certificates.signed_by(child, issuer.public_key)


def _check_extensions(info: certificates.CertInfo) -> None:
    for ext in info.extensions.values():
        if ext.critical:
            _check_critical(info, ext)


def _check_critical(info: certificates.CertInfo, ext: certificates.Extension) -> None:
    """X07, RFC 5280 §4.2: a critical extension must be one this validator processes, and decode."""
    oid = ext.oid
    if oid not in _KNOWN_CRITICAL:
        raise VerificationError("trust.unknown_critical_extension", f"unsupported critical extension {oid}")
    decode = _VALUE_DECODERS.get(oid)
    if decode is not None:
        try:
            decode(ext.value)  # cached by the bytes: a model's extensions decode once
        except Exception:
            _DECODERS[oid](info)  # certificate.extension_malformed, naming it and the certificate
            raise  # (not reached: the same bytes fail the same way)


#: critical extensions (OID, extnValue) that _check_critical passed: its outcome depends on these alone
_CRITICAL_PASSED = certificates.Passed()


def _check_ca(info: certificates.CertInfo, below: int) -> None:
    """RFC 5280 §6.1.4 (k), (l), (n): an issuer must be a CA allowed to sign certificates."""
    bc = certificates.basic_constraints(info)
    if bc is None:
        raise VerificationError("trust.constraints", "an issuing certificate lacks basicConstraints CA=true")
    if not bc.ca:
        raise VerificationError("trust.constraints", "an issuing certificate has CA=false")
    if bc.path_length is not None and below > bc.path_length:
        raise VerificationError("trust.constraints", "pathLenConstraint exceeded")
    ku = certificates.key_usage(info)
    if ku is not None and "key_cert_sign" not in ku:
        raise VerificationError("trust.constraints", "an issuing certificate lacks keyCertSign")


_WEAK_HASHES = frozenset({"sha1", "md5"})


def _strength(info: certificates.CertInfo) -> tuple[str | None, str | None]:
    """(what is weak about the certificate's key, what is weak about its signature), each None
    when nothing is; computed once per certificate."""
    decoded = info._decoded
    found = decoded.get("strength")
    if found is None:
        key, key_problem = info.public_key, None
        kind = certificates.key_kind(key)
        if kind == "rsa":
            if key.key_size < 2048:
                key_problem = f"a certificate on the path has a {key.key_size}-bit RSA key"
        elif kind == "ec":
            curve = key.curve
            if curve.key_size < 256:
                key_problem = f"a certificate on the path has a {curve.name} key"
        known = _SIGNATURE_PROBLEMS.get(info.signature_algorithm, _UNKNOWN)
        if known is _UNKNOWN:  # RSASSA-PSS (the hash is in its parameters), or not a known algorithm
            alg = info.signature_hash  # unsupported signature algorithms are refused by path building already
            sig_problem = f"a certificate on the path is signed with {alg.name.upper()}" if alg is not None and alg.name in _WEAK_HASHES else None
        else:
            sig_problem = cast("str | None", known)
        found = decoded["strength"] = (key_problem, sig_problem)
    return found


_UNKNOWN: object = object()
# signatureAlgorithm OID -> what is weak about it (None: nothing), where the OID alone decides
_SIGNATURE_PROBLEMS: dict[str, str | None] = {
    oid: (f"a certificate on the path is signed with {h.name.upper()}" if h is not None and h.name in _WEAK_HASHES else None)
    for oid, (kind, h) in certificates._SIGNATURE_ALGORITHMS.items() if kind != "pss"
}


def _check_strength(path: Sequence[certificates.CertInfo]) -> None:
    """X11: every signature on the path uses a collision-resistant hash, and every key on it
    (the leaf's signs the attestation, the others sign certificates) has at least 112-bit strength."""
    last = len(path) - 1
    for depth, info in enumerate(path):
        key_problem, sig_problem = _strength(info)
        if key_problem is not None:
            raise VerificationError("trust.weak_crypto", key_problem)
        if sig_problem is not None and depth < last:  # the anchor's own signature is not part of the path
            raise VerificationError("trust.weak_crypto", sig_problem)


def _window(infos: Sequence[certificates.CertInfo]) -> tuple[datetime, datetime]:
    start = max(i.not_before for i in infos)
    end = min(i.not_after for i in infos)
    return start, end


def _check_time(infos: Sequence[certificates.CertInfo], now: datetime) -> None:
    for i in infos:
        if not (i.not_before <= now <= i.not_after):
            raise VerificationError("trust.expired", f"certificate {i.subject.rfc4514()!r} is not valid at {now.isoformat()}")


# (x5c, store) -> (path, not_before, not_after). Bounded LRU.
_PATHS: OrderedDict[tuple[tuple[bytes, ...], int, bool, bool], tuple[tuple[bytes, ...], datetime, datetime]] = OrderedDict()
_PATHS_MAX = 8192


def validate_path(
    x5c: tuple[bytes, ...],
    store: TrustStore,
    now: datetime | None = None,
    *,
    anchor_in_chain: bool = False,
    allow_weak: bool = False,
) -> tuple[bytes, ...]:
    """Validate x5c (leaf first) to an anchor of ``store`` at ``now``; return the validated path:
    x5c's certificates up to the one the anchor issued, then the anchor (the store's copy), and
    nothing after it. What x5c carries beyond the anchor is never returned: ignored where the
    chain may carry its own root (``anchor_in_chain``, RFC 5280 §6 path building stops at the
    anchor), refused otherwise (X04/X05), except a cross-certificate of the anchor, skipped.
    Before the anchor x5c must be ordered, each certificate issued by the next (X04).

    ``anchor_in_chain``: whether x5c may itself contain the anchor (android-key chains and the
    MDS BLOB do; packed, tpm and fido-u2f attestations must not, conformance X05).
    ``allow_weak``: accept SHA-1/MD5 certificate signatures and RSA keys under 2048 bits or EC
    keys under 256 bits on the path (X11; refused by default).
    """
    if now is None:
        now = datetime.now(timezone.utc)
    key = (x5c, store.serial, anchor_in_chain, allow_weak)
    hit = _PATHS.get(key)
    if hit is not None and hit[1] <= now <= hit[2]:
        return hit[0]
    if not store.anchors:
        raise VerificationError("trust.no_anchors", "no trust anchors are configured for this attestation")
    n = len(x5c)
    if n > MAX_PATH:
        raise VerificationError("trust.path_too_long", f"certificate chain is longer than {MAX_PATH}")
    known = None
    tail_key = (x5c[1:], store.serial, anchor_in_chain, allow_weak) if n > 1 else None
    if tail_key is not None:
        tail = issuers._TAILS.get(tail_key)  # issuers.lookup, inline (hot path)
        if tail is not None and tail[1] <= now <= tail[2]:  # a new leaf under a validated issuer (fastattest/issuers.py)
            # x5c[2:] was loaded when the tail was validated: loading is a function of the bytes
            known = _via_known_issuer(certificates.load(x5c[0]), certificates.load(x5c[1]), tail, store, now, allow_weak)
    if known is not None:
        result, start, end = known
    else:
        infos = [certificates.load(d) for d in x5c]
        path = _build(infos, store, anchor_in_chain)
        if not allow_weak:
            _check_strength(path)
        _check_time(path, now)
        result = tuple(i.der for i in path)
        start, end = _window(path)
        if tail_key and len(path) > 1 and path[1] is infos[1]:
            issuers.remember(tail_key, tuple(path[1:]))
    _PATHS[key] = (result, start, end)
    if len(_PATHS) > _PATHS_MAX:
        _PATHS.popitem(last=False)
    return result


def _build(infos: list[certificates.CertInfo], store: TrustStore, anchor_in_chain: bool) -> list[certificates.CertInfo]:
    path: list[certificates.CertInfo] = []
    for depth, info in enumerate(infos):
        _check_extensions(info)
        if info.der in store:
            # The certificate is itself an anchor: the leaf (MDS allows it) or an intermediate
            # that metadata lists. A self-signed root sent in x5c is refused where the context
            # forbids it (X05; conformance F-10).
            if depth > 0 and not anchor_in_chain and info.issuer == info.subject:
                raise VerificationError("trust.chain_invalid", "x5c must not contain the root certificate")
            _nothing_after(infos, depth + 1, anchor_in_chain)
            return path + [info]
        path.append(info)
        if depth > 0:
            _check_ca(info, depth - 1)
        for anchor in store.issuers_of(info):
            if _issued_by(info, anchor):
                _check_ca(anchor, depth)
                rest = infos[depth + 1 :]
                if rest and _certifies_anchor(rest[0], anchor):
                    rest = rest[1:]  # the intermediate that metadata lists as anchor, or a cross-certificate of the root
                elif rest and rest[0].der == anchor.der and not anchor_in_chain:
                    raise VerificationError("trust.chain_invalid", "x5c must not contain the root certificate")
                _nothing_after(rest, 0, anchor_in_chain)
                return path + [anchor]
        if depth + 1 >= len(infos):
            break
        nxt = infos[depth + 1]
        if not _issued_by(info, nxt):
            raise VerificationError("trust.chain_invalid", "x5c is not an ordered chain: a certificate is not issued by the next")
        if nxt.issuer == nxt.subject and infos[depth + 1].der not in store:
            raise VerificationError("trust.untrusted_root", "x5c ends at a self-signed certificate that is not a trust anchor")
    raise VerificationError("trust.untrusted_root", "the certificate chain does not end at a trust anchor")


def _certifies_anchor(info: certificates.CertInfo, anchor: certificates.CertInfo) -> bool:
    """Whether an x5c certificate just past the anchor is a certificate for the anchor itself
    that is not a self-signed root copy (X05): the anchor's own bytes when the anchor is an
    intermediate, or another CA's certificate for the anchor's name and key (a cross-certificate,
    which real chains carry). Trust stops at the anchor, so it is skipped, never put on the path."""
    if info.issuer == info.subject:
        return False
    return info.der == anchor.der or (info.subject == anchor.subject and info.spki == anchor.spki)


def _nothing_after(infos: list[certificates.CertInfo], start: int, anchor_in_chain: bool) -> None:
    """x5c holds the path and nothing else (X04, X05); where a chain may carry its own root,
    what lies beyond the anchor is ignored, since trust stops at the anchor."""
    if start < len(infos) and not anchor_in_chain:
        raise VerificationError("trust.chain_invalid", "x5c holds certificates beyond the trust anchor or out of order")


# --------------------------------------------------------------------------- a new leaf under a known issuer


def _via_known_issuer(
    leaf: certificates.CertInfo, issuer: certificates.CertInfo, tail: tuple[tuple[bytes, ...], datetime, datetime],
    store: TrustStore, now: datetime, allow_weak: bool,
) -> tuple[tuple[bytes, ...], datetime, datetime] | None:
    """The path for [``leaf``, ``issuer``, ...] and its validity window, given the validated tail
    from ``issuer`` up (``issuers.lookup``, valid at ``now``): only the checks ``_build`` makes at
    depth 0 plus the leaf's strength and validity are left. None: take the full path (which also
    gives every error its code)."""
    if leaf.der in store.anchors or leaf.issuer in store._by_subject:
        return None  # the leaf is an anchor or hangs directly under one: not this shape
    for ext in leaf.extensions.values():  # X07, as _build does first (_check_extensions)
        if ext.critical and (ext.oid, ext.value) not in _CRITICAL_PASSED:  # a model's critical extensions recur
            _check_critical(leaf, ext)
            _CRITICAL_PASSED.add((ext.oid, ext.value))
    if not _issued_by(leaf, issuer):  # RFC 5280 §6.1.3 (a)(1), (a)(4)
        return None
    if not allow_weak:  # X11 for the leaf: the tail, x5c[1]'s key included, passed already
        key_problem, sig_problem = _strength(leaf)
        if key_problem is not None:
            raise VerificationError("trust.weak_crypto", key_problem)
        if sig_problem is not None:  # the leaf is below its issuer: its signature is on the path
            raise VerificationError("trust.weak_crypto", sig_problem)
    not_before, not_after = leaf.not_before, leaf.not_after
    if not (not_before <= now <= not_after):  # RFC 5280 §6.1.3 (a)(2); the tail is valid at now (lookup)
        _check_time((leaf,), now)
    path, start, end = tail
    return (leaf.der, *path), (not_before if not_before > start else start), (not_after if not_after < end else end)
