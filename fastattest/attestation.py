"""Attestation verification: WebAuthn L3 §7.1 steps 19-25 for any statement format.

``verify_attestation`` parses the attestation object, runs the format's verification
procedure (§8.x, in ``fastattest.formats``) and then decides trust in one place for every
format: the statement's x5c must chain to an anchor the caller pinned for the format, an
anchor the format pins (Apple, Google) or an anchor of the metadata entry that matches the
authenticator (by AAGUID, or by the attestation key identifier for U2F), and no metadata
status may reject it.
"""
from __future__ import annotations

import hashlib
from collections import abc
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Mapping, Sequence
from uuid import UUID

from . import _core, algorithms, certificates, revocation, trust
from .errors import VerificationError
from .formats import Context, StatementResult, Verifier, registry
from .metadata import MetadataEntry
from .policy import Policy
from .types import MetadataSource

_DEFAULT_POLICY = Policy()
_FORMATS: dict[str, Verifier] | None = None
_ZERO16 = bytes(16)
_UNCHAINED = frozenset({"none", "self"})  # nothing to chain: trust is a policy decision (§7.1 step 24)


def _formats() -> dict[str, Verifier]:
    global _FORMATS
    if _FORMATS is None:
        _FORMATS = registry()
    return _FORMATS


@dataclass(slots=True)
class AttestationResult:
    """What an attestation proved, and whether it is trusted. Read-only by convention (a frozen
    dataclass costs ~1.5 us per verification in object.__setattr__ calls)."""

    fmt: str
    attestation_type: str
    trusted: bool
    #: trusted: the validated path, leaf first, ending at the anchor that vouched (the caller's,
    #: the format's pinned root or the metadata entry's), nothing after it; certificates x5c
    #: carried beyond that anchor (a root copy, a cross-certificate, anything) are not reported.
    #: Not trusted: no anchor vouched, and this is the statement's x5c as sent, unvalidated.
    trust_path: tuple[bytes, ...]
    aaguid: UUID
    metadata: MetadataEntry | None = None  # the entry that vouched, if any
    status: str | None = None  # that entry's status in effect at ``now``
    trust_error: str | None = None  # why not trusted (a code), for none/self: None
    auth_data: _core.AuthenticatorData | None = field(default=None, repr=False, compare=False)
    cose_key: _core.CoseKey | None = field(default=None, repr=False, compare=False)
    parts: tuple["AttestationResult", ...] = ()
    trust_detail: str | None = None  # with trust_error: what failed, for people (which certificate, why)


TrustAnchors = Mapping[str, Sequence[bytes | str]]


_uuid = lru_cache(maxsize=4096)(lambda raw: UUID(bytes=raw))  # few models, many registrations


@lru_cache(maxsize=256)
def _stores_cached(items: tuple[tuple[str, tuple[bytes | str, ...]], ...]) -> dict[str, trust.TrustStore]:
    return {fmt: trust.store_from(certs) for fmt, certs in items}


# The last mapping prepared, as an immutable-content copy, and its stores: a caller that passes
# the same anchors each call (a constant, or a fresh dict of the same certificates) gets them by
# one dict comparison. Equal contents give the stores ``_stores_cached`` would return; a mapping
# mutated since (a format added, a certificate appended to its list) no longer compares equal.
_LAST: tuple[dict[str, Any], dict[str, trust.TrustStore]] | None = None


def _snapshot(trust_anchors: Mapping[str, Any]) -> dict[str, Any] | None:
    """A copy of ``trust_anchors`` that compares equal to it until its contents change, or None
    when a value is not a str/bytes or a list/tuple of exact str/bytes (a bytearray can change
    in place, a subclass can compare as it likes: those mappings are not remembered)."""
    snap: dict[str, Any] = {}
    for fmt, certs in trust_anchors.items():
        if type(fmt) is not str:
            return None
        kind = type(certs)
        if kind is list or kind is tuple:
            for c in certs:
                if type(c) is not bytes and type(c) is not str:
                    return None
            snap[fmt] = list(certs) if kind is list else certs
        elif kind is bytes or kind is str:
            snap[fmt] = certs
        else:
            return None
    return snap


def prepare_anchors(trust_anchors: TrustAnchors | None) -> dict[str, trust.TrustStore]:
    """{fmt: [PEM or DER, ...]} -> {fmt: TrustStore}; cached, so a repeated mapping is free."""
    global _LAST
    if not trust_anchors:
        return {}
    last = _LAST
    if last is not None and type(trust_anchors) is dict and trust_anchors == last[0]:
        return last[1]
    if type(trust_anchors) is not dict and not isinstance(trust_anchors, abc.Mapping):  # typing.Mapping: ~1.5 us
        raise VerificationError("trust.anchor_invalid", "trust_anchors must map a format name to certificates")
    items = []
    for fmt, certs in trust_anchors.items():
        if isinstance(certs, (bytes, str)):
            certs = (certs,)
        items.append((fmt, tuple(certs)))
    try:
        stores = _stores_cached(tuple(items))
    except TypeError:  # an unhashable certificate (a bytearray): prepared as well, not cached
        stores = {fmt: trust.store_from(certs) for fmt, certs in items}
    if type(trust_anchors) is dict:
        snap = _snapshot(trust_anchors)
        if snap is not None:
            _LAST = (snap, stores)
    return stores


def aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if not isinstance(now, datetime):
        raise TypeError(f"now must be a datetime, not {type(now).__name__}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (e.g. datetime.now(timezone.utc))")
    return now


def verify_attestation(
    attestation_object: bytes,
    client_data_hash: bytes,
    *,
    metadata: MetadataSource | None = None,
    trust_anchors: TrustAnchors | None = None,
    now: datetime | None = None,
    policy: Policy | None = None,
) -> AttestationResult:
    """Verify an attestation object against ``client_data_hash`` (SHA-256 of clientDataJSON)."""
    if type(now) is not datetime or now.tzinfo is not timezone.utc:  # UTC, the usual: nothing to check
        now = aware_now(now)  # a caller's mistake (TypeError / ValueError) before any verdict on the data
    if not isinstance(client_data_hash, bytes) or len(client_data_hash) != 32:
        raise VerificationError("input.type", "client_data_hash must be 32 bytes")
    policy = policy or _DEFAULT_POLICY
    obj = _core.parse_attestation_object(attestation_object, policy.strict_cbor)
    return verify_parsed(obj, client_data_hash, prepare_anchors(trust_anchors), metadata, now, policy)


def verify_parsed(
    obj: _core.AttestationObject,
    client_data_hash: bytes,
    anchors: Mapping[str, trust.TrustStore],
    metadata: MetadataSource | None,
    now: datetime,
    policy: Policy,
    *,
    status_time: datetime | None = None,
) -> AttestationResult:
    """Verify a parsed attestation object. Certificates are checked at ``now``; metadata status
    at ``status_time`` (default ``now``): batch re-verification checks chains as of registration
    but always applies today's status (FIDO MDS3 §3.2 step 8)."""
    auth_data = obj.auth_data
    # §7.1 step 13 (registration carries attested credential data; F-10, D04)
    if auth_data.credential_public_key is None or auth_data.aaguid is None:
        raise VerificationError("auth_data.attested_data_required", "registration authenticator data lacks attested credential data")
    cose_key = algorithms.parse_cose_key(auth_data.credential_public_key)  # validated; no key object yet
    # §7.1 step 20: fmt is matched case-sensitively against supported formats (F01)
    verifier = _formats().get(obj.fmt)
    if verifier is None:
        raise VerificationError("format.unsupported", f"attestation statement format {obj.fmt!r} is not supported")
    ctx = Context(auth_data, client_data_hash, cose_key, None, now, policy)
    statement = verifier(obj.att_stmt, ctx)  # §7.1 step 21
    result = _assess(obj.fmt, statement, auth_data.aaguid, anchors, metadata, now, policy, status_time or now)
    result.auth_data, result.cose_key = auth_data, cose_key
    return result


def _assess(
    fmt: str,
    st: StatementResult,
    aaguid_bytes: bytes,
    anchors: Mapping[str, trust.TrustStore],
    metadata: MetadataSource | None,
    now: datetime,
    policy: Policy,
    status_time: datetime,
) -> AttestationResult:
    """§7.1 steps 22-24: obtain trust anchors and assess the attestation's trustworthiness."""
    aaguid = _uuid(aaguid_bytes)
    if st.parts:  # compound (§8.9): every part is assessed on its own
        parts = tuple(_assess(p.details.get("fmt", fmt), p, aaguid_bytes, anchors, metadata, now, policy, status_time) for p in st.parts)
        ok = [p.trusted for p in parts]
        trusted = all(ok) if policy.compound_require_all else any(ok)
        first_err = next((p.trust_error for p in parts if not p.trusted), None)
        entry = next((p.metadata for p in parts if p.metadata is not None), None)
        # the combination's path is its first statement's, as that statement's assessment reports it
        return AttestationResult(fmt, st.attestation_type, trusted, parts[0].trust_path, aaguid, entry,
                                 parts[0].status if parts else None, None if trusted else first_err, parts=parts)
    if st.attestation_type in _UNCHAINED or not st.trust_path:
        return AttestationResult(fmt, st.attestation_type, False, st.trust_path, aaguid)

    entry = None
    if metadata is not None:
        # by AAGUID; by the attestation key identifier only for a zero AAGUID (U2F; FIDO MDS3 §3.1.1)
        kid = certificates.load(st.trust_path[0]).key_identifier if aaguid_bytes == _ZERO16 else None
        entry = metadata.lookup(aaguid_bytes, kid)
    # the caller's anchors for the format, the format's pinned root, the metadata entry's: each
    # tried in turn when it holds any anchor
    store = anchors.get(fmt) if anchors else None
    if entry is None and st.pinned_anchors is None:  # the usual case: one candidate, no list
        stores: Sequence[trust.TrustStore] = (store,) if store is not None and (
            store.anchors if type(store) is trust.TrustStore else store) else ()
    else:
        stores = [s for s in (store, st.pinned_anchors, entry.trust_store if entry is not None else None) if s]
    if not stores:
        return AttestationResult(fmt, st.attestation_type, False, st.trust_path, aaguid, None, None, "trust.no_anchors",
                                 trust_detail=f"no trust anchor is known for this {fmt} attestation")
    error: VerificationError | None = None
    path = None
    trust_path, in_chain, allow_weak = st.trust_path, st.anchor_in_chain, policy.allow_weak_certificates
    for store in stores:
        try:
            path = trust.validate_path(trust_path, store, now, anchor_in_chain=in_chain, allow_weak=allow_weak)
            break
        except VerificationError as exc:
            # keep the most telling reason: a broken or expired chain beats "not our anchor"
            if error is None or error.code in ("trust.untrusted_root", "trust.no_anchors"):
                error = exc
    if path is None:
        return AttestationResult(fmt, st.attestation_type, False, st.trust_path, aaguid, None, None,
                                 error.code if error else "trust.untrusted_root",
                                 trust_detail=error.message if error else "the path reaches no trust anchor")
    if policy.crls or policy.require_crls:
        # catalogue X09: RFC 5280 §6.3 revocation against the RP's CRLs, as of today
        problem = revocation.check(path, revocation.load(policy.crls), status_time, policy.require_crls)
        if problem is not None:
            code = "trust.revoked" if problem[0] == revocation.REVOKED else "trust.revocation_unavailable"
            return AttestationResult(fmt, st.attestation_type, False, st.trust_path, aaguid, entry,
                                     entry.status_at(status_time) if entry is not None else None, code,
                                     trust_detail=problem[1])
    if entry is None:
        return AttestationResult(fmt, st.attestation_type, True, path, aaguid)
    # FIDO MDS3 §3.2 step 8 / catalogue X10: the status in effect decides
    status = entry.status_at(status_time)
    rejected = entry.rejection(path, status_time, policy.rejected_statuses)
    if rejected is not None:
        return AttestationResult(fmt, st.attestation_type, False, st.trust_path, aaguid, entry, rejected, "policy.status_rejected")
    return AttestationResult(fmt, st.attestation_type, True, path, aaguid, entry, status)


def client_data_hash(client_data_json: bytes) -> bytes:
    return hashlib.sha256(client_data_json).digest()
