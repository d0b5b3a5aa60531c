"""Re-verification of stored registrations at scale (CONTRACT.md "Batch re-verification").

``reverify(records, metadata=...)`` re-runs attestation verification (WebAuthn L3 §7.1 steps
19-24) over stored records against *new* metadata and reports, per record and in input order,
whether the statement still verifies and whether the verdict changed. Results stream: the input
is consumed lazily (never held in a list) and at most a bounded number of chunks is in flight.

Two clocks: certificates are checked as of the record's registration (``at="registration"``,
its ``registered_at``; now when absent) or now (``at="now"``); the metadata status is always
today's (FIDO MDS3 §3.2 step 8: the status in effect *now* decides whether we still trust it).

``mode="trust"`` recomputes only the trust verdict: records are grouped by (fmt, AAGUID,
x5c chain) read with the compiled parser (no signature check); one record per group (and per
certificate-validity interval, see ``_Group``) is verified in full and its verdict is reported
for every record of the group. ``valid`` then means "the record's attestation object is
strict CBOR with attested credential data, and its group's first record verified in full";
the other records' signatures and authenticator data are not re-checked.
"""
from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import pickle
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple
from uuid import UUID

from . import _core, certificates
from .attestation import TrustAnchors, prepare_anchors, verify_parsed
from .errors import VerificationError
from .policy import Policy
from .response import b64decode, b64encode

__all__ = ["ReverifyResult", "reverify", "freeze_metadata", "thaw_metadata", "CHANGES"]

#: the values of ``ReverifyResult.changed`` (None: nothing changed)
CHANGES = ("invalid", "status_rejected", "newly_untrusted", "newly_trusted", "status_changed")
_AT = ("registration", "now")
_MODES = ("full", "trust")
_ZERO = UUID(int=0)


class ReverifyResult(NamedTuple):
    """The outcome of re-verifying one stored record. Immutable (a tuple: cheap to build, to
    pickle between processes, and without a per-instance ``__dict__``)."""

    index: int  # position in the input
    valid: bool  # the statement and its signature still verify
    trusted: bool  # chains to an anchor of the new metadata and no status rejects it
    status: str | None  # the vouching entry's status today, or None
    changed: str | None  # see CHANGES; None when the verdict is unchanged (or nothing was stored)
    error: str | None  # the VerificationError code when valid is False
    aaguid: UUID | None = None
    description: str | None = None  # the vouching metadata entry's description
    fmt: str | None = None
    attestation_type: str | None = None
    trust_error: str | None = None  # why not trusted (a code), if it is not

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (AAGUID as a string)."""
        d = self._asdict()
        if d["aaguid"] is not None:
            d["aaguid"] = str(d["aaguid"])
        return d


# --------------------------------------------------------------------------- metadata as of today


# --------------------------------------------------------------------------- shipping metadata


def freeze_metadata(store: Any) -> bytes:
    """Serialise a metadata store once, to send it to worker processes. A ``MetadataStore``
    pickles as its payload; the receiving process indexes it again and parses certificates
    lazily."""
    return pickle.dumps(store, protocol=pickle.HIGHEST_PROTOCOL)


def thaw_metadata(frozen: bytes) -> Any:
    return pickle.loads(frozen)


# --------------------------------------------------------------------------- one record


_b64 = b64decode  # response.b64decode: base64url or standard, padded or not (compiled)


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError("registered_at is not an ISO 8601 date-time")
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


_FIELDS = ("attestation_object", "client_data_json", "client_data_hash", "registered_at", "trusted", "status")
_TRUST_FIELDS = _FIELDS + ("fmt", "aaguid", "trust_path")  # trust mode groups records by these
_BAD = object()  # marks a record that is not a mapping


def _slim(rec: Any, fields: tuple[str, ...] = _FIELDS) -> Any:
    """Keep only what re-verification reads: a stored record carries fields (public_key,
    transports, ...) that would otherwise be pickled to the workers for nothing."""
    if isinstance(rec, Mapping):
        return {k: rec[k] for k in fields if k in rec}
    if isinstance(rec, (str, bytes, bytearray)):
        return rec  # a JSON line: parsed where it is verified
    return _BAD


def _as_record(rec: Any) -> Mapping[str, Any]:
    if type(rec) is dict or isinstance(rec, Mapping):
        return rec
    if isinstance(rec, (str, bytes, bytearray)):
        try:
            rec = json.loads(rec)
        except (ValueError, RecursionError) as exc:
            raise VerificationError("batch.record_invalid", f"record is not valid JSON: {exc}") from None
        if isinstance(rec, dict):
            return rec
    raise VerificationError("batch.record_invalid", "record is not a mapping")


class _Job:
    """Everything needed to re-verify records; built once per process."""

    def __init__(self, metadata: Any, policy: Policy | None, at: str, mode: str,
                 trust_anchors: TrustAnchors | None, now: datetime | None) -> None:
        self.today = now or datetime.now(timezone.utc)
        self.metadata = metadata
        self.policy = policy or Policy()
        self.at = at
        self.mode = mode
        self.anchors = prepare_anchors(trust_anchors)
        self.groups: dict[tuple[Any, ...], _Group] = {}
        self._verdicts: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    # -- helpers
    def _chain_time(self, r: Mapping[str, Any]) -> datetime:
        reg = r.get("registered_at")
        if reg is None or self.at == "now":
            return self.today
        try:
            return _utc(reg)
        except (TypeError, ValueError) as exc:
            raise VerificationError("batch.record_invalid", f"registered_at is malformed: {exc}") from None

    @staticmethod
    def _cdh(r: Mapping[str, Any]) -> bytes:
        cdj, cdh = r.get("client_data_json"), r.get("client_data_hash")
        if cdj is not None:
            return hashlib.sha256(_b64(cdj, "client_data_json")).digest()  # §7.1 step 12
        if cdh is not None:
            cdh = _b64(cdh, "client_data_hash")
            if len(cdh) != 32:
                raise VerificationError("batch.record_invalid", "client_data_hash is not 32 bytes")
            return cdh
        raise VerificationError("batch.record_invalid", "record lacks client_data_json (or client_data_hash)")

    def _raw(self, r: Mapping[str, Any]) -> bytes:
        """The record's attestation object bytes."""
        text = r.get("attestation_object")
        if text is None:
            raise VerificationError("batch.record_invalid", "record lacks attestation_object")
        return _b64(text, "attestation_object")

    def _parse(self, r: Mapping[str, Any]) -> _core.AttestationObject:
        return _core.parse_attestation_object(self._raw(r))  # WebAuthn §6.5.4, strict CBOR

    def _full(self, obj: _core.AttestationObject, r: Mapping[str, Any], when: datetime) -> tuple[Any, ...]:
        res = verify_parsed(obj, self._cdh(r), self.anchors, self.metadata, when, self.policy, status_time=self.today)
        entry = res.metadata
        verdict = (res.trusted, res.status, res.aaguid, entry.description if entry is not None else None,
                   res.fmt, res.attestation_type, res.trust_error)
        # one shared object per distinct verdict: results of a chunk then pickle their fields once
        if len(self._verdicts) > 4096:
            self._verdicts.clear()
        return self._verdicts.setdefault(verdict, verdict)

    # -- one record
    def run(self, index: int, rec: Any) -> ReverifyResult:
        r: Mapping[str, Any] | None = None
        try:
            if rec is _BAD:
                raise VerificationError("batch.record_invalid", "record is not a mapping")
            r = _as_record(rec)
            when = self._chain_time(r)
            if self.mode == "full":
                verdict = self._full(self._parse(r), r, when)
            else:
                verdict = self._grouped(r, when)
        except VerificationError as exc:
            return ReverifyResult(index, False, False, None, "invalid", exc.code)
        except Exception as exc:  # defensive: one record must never stop the batch
            return ReverifyResult(index, False, False, None, "invalid", "batch.record_invalid",
                                  trust_error=f"{type(exc).__name__}: {exc}"[:200])
        trusted, status = verdict[0], verdict[1]
        return ReverifyResult(index, True, trusted, status, _changed(r, trusted, status, verdict[6]), None, *verdict[2:])

    def _grouped(self, r: Mapping[str, Any], when: datetime) -> tuple[Any, ...]:
        """Trust mode: the record's group is read from the fields a Credential stores (fmt,
        aaguid, trust_path: what registration verified), else from the attestation object with
        the strict CBOR decoder only; the group's verdict is computed by a full verification
        of the first record seen for its validity interval, whose attestation object must
        agree with the stored fields."""
        fmt, aaguid_text, path = r.get("fmt"), r.get("aaguid"), r.get("trust_path")
        stored = type(fmt) is str and type(aaguid_text) is str and type(path) is list
        if stored:
            key: tuple[Any, ...] = (fmt, aaguid_text, tuple(path))
        else:
            raw = self._raw(r)
            ao = _core.cbor_decode(raw)
            fmt = ao.get("fmt") if type(ao) is dict else None
            stmt = ao.get("attStmt") if type(ao) is dict else None
            ad = ao.get("authData") if type(ao) is dict else None
            if type(fmt) is not str or type(stmt) is not dict or type(ad) is not bytes or len(ad) < 55 or not ad[32] & 0x40:
                obj = _core.parse_attestation_object(raw)  # raises with the precise code
                fmt, stmt, ad = obj.fmt, obj.att_stmt, obj.auth_data.raw
                if obj.auth_data.aaguid is None:
                    raise VerificationError("auth_data.attested_data_required", "registration authenticator data lacks attested credential data")
            x5c = stmt.get("x5c")
            key = (fmt, ad[37:53], tuple(x5c) if type(x5c) is list else ())  # §6.5.2: AAGUID after rpIdHash, flags, signCount
        group = self.groups.get(key)
        if group is None:
            obj = self._parse(r)
            chain = obj.att_stmt.get("x5c") if type(obj.att_stmt) is dict else None
            chain = tuple(chain) if type(chain) is list else ()
            if stored and (obj.fmt != fmt or str(UUID(bytes=obj.auth_data.aaguid)) != aaguid_text
                           or tuple(b64encode(c) for c in chain) != tuple(b64encode(_b64(c, "trust_path")) for c in path)):
                raise VerificationError("batch.record_invalid", "stored fmt, aaguid or trust_path disagree with the attestation object")
            group = self.groups[key] = _Group(self, obj.fmt, obj.auth_data.aaguid, chain)
        slot = bisect.bisect_right(group.bounds, when)
        verdict = group.verdicts.get(slot)
        if verdict is None:
            verdict = self._full(self._parse(r), r, when)  # raises for a bad record: the group stays open
            group.verdicts[slot] = verdict
        return verdict


class _Group:
    """Records sharing (fmt, AAGUID, x5c). Their trust verdict can differ only through the time
    the chain is checked at, and only when that time crosses a validity boundary of one of the
    certificates involved (x5c, the caller's anchors for the format, the entry's roots), so one
    verdict is kept per interval between consecutive boundaries. Anchors a format pins itself
    (Apple, Google roots) are not among the boundaries: they outlive any stored record."""

    __slots__ = ("bounds", "verdicts")

    def __init__(self, job: _Job, fmt: str, aaguid: bytes | None, chain: tuple[Any, ...]) -> None:
        self.verdicts: dict[int, tuple[Any, ...]] = {}
        infos = []
        try:
            infos = [certificates.load(d) for d in chain]
            store = job.anchors.get(fmt)
            if store is not None:
                infos.extend(store.anchors.values())
            if job.metadata is not None and infos and aaguid is not None:
                entry = job.metadata.lookup(aaguid, infos[0].key_identifier)
                if entry is not None:
                    infos.extend(entry.trust_store.anchors.values())
        except (VerificationError, TypeError):
            pass  # the full verification of a record of this group reports the problem
        times: set[datetime] = set()
        for i in infos:
            times.add(i.cert.not_valid_before_utc)
            times.add(i.cert.not_valid_after_utc)
        # a certificate is valid on both of its boundary instants (trust._check_time), so an
        # interval is [b_k, b_k+1) except that the instants themselves may behave like the inside:
        # key them separately by making each instant its own slot.
        bounds: list[datetime] = []
        for t in sorted(times):
            bounds.append(t)
            bounds.append(t + _EPSILON)
        self.bounds = bounds


_EPSILON = timedelta(microseconds=1)


def _changed(r: Mapping[str, Any], trusted: bool, status: str | None, trust_error: str | None) -> str | None:
    """What changed against the stored verdict (the record's ``trusted`` / ``status``); None
    when the record stores no verdict (``trusted`` absent)."""
    was_trusted, was_status = r.get("trusted"), r.get("status")
    if was_trusted is None:
        return None
    if trust_error == "policy.status_rejected":  # newly revoked or compromised (FIDO MDS3 §3.1.4)
        return None if (not was_trusted and was_status == status) else "status_rejected"
    if was_trusted and not trusted:
        return "newly_untrusted"
    if trusted and not was_trusted:
        return "newly_trusted"
    if trusted and was_status is not None and status != was_status:
        return "status_changed"
    return None


# --------------------------------------------------------------------------- driving


_WORKER_JOB: _Job | None = None


def _worker_init(frozen: bytes, policy: Policy | None, at: str, mode: str,
                 trust_anchors: TrustAnchors | None, now: datetime) -> None:
    global _WORKER_JOB
    _WORKER_JOB = _Job(thaw_metadata(frozen), policy, at, mode, trust_anchors, now)


def _worker_chunk(start: int, chunk: list[Any]) -> list[ReverifyResult]:
    job = _WORKER_JOB
    assert job is not None, "worker was not initialised"
    return [job.run(start + k, rec) for k, rec in enumerate(chunk)]


def _chunks(records: Iterable[Any], size: int, fields: tuple[str, ...] = _FIELDS) -> Iterator[tuple[int, list[Any]]]:
    it = iter(records)
    start = 0
    while True:
        chunk = [_slim(r, fields) for r in itertools.islice(it, size)]
        if not chunk:
            return
        yield start, chunk
        start += len(chunk)


def reverify(
    records: Iterable[Any],
    metadata: Any = None,
    policy: Policy | None = None,
    workers: int = 1,
    at: str = "registration",
    mode: str = "full",
    trust_anchors: TrustAnchors | None = None,
    chunk_size: int = 1024,
    *,
    now: datetime | None = None,
    mp_context: str | None = None,
    max_in_flight: int | None = None,
) -> Iterator[ReverifyResult]:
    """Re-verify stored registrations against ``metadata``; yield one ReverifyResult per record,
    lazily and in input order.

    ``records``: ``Credential.to_dict()`` dicts, or mappings with at least ``attestation_object``
    and ``client_data_json`` (or ``client_data_hash``), base64url or raw bytes; a JSON text line
    (str/bytes) of such a mapping is also accepted (and parsed in the worker). Optional
    ``registered_at`` (ISO 8601), ``trusted`` and ``status`` (the stored verdict) are used for
    ``at="registration"`` and for ``changed``.

    ``workers``: processes (1: in this process). ``mode``: "full" or "trust" (see the module
    docstring). ``now``: today's date for statuses (and the chain time for ``at="now"``);
    default: the current time. ``mp_context``: multiprocessing start method (default "spawn").
    ``max_in_flight``: chunks submitted ahead of the one being yielded (default 2 x workers + 1).
    """
    if at not in _AT:
        raise VerificationError("policy.invalid", f"at must be one of {_AT}")
    if mode not in _MODES:
        raise VerificationError("policy.invalid", f"mode must be one of {_MODES}")
    if not isinstance(workers, int) or workers < 1:
        raise VerificationError("policy.invalid", "workers must be a positive integer")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise VerificationError("policy.invalid", "chunk_size must be a positive integer")
    if now is not None and now.tzinfo is None:
        raise VerificationError("input.type", "now must be an aware datetime")
    today = now or datetime.now(timezone.utc)
    if workers == 1:
        return _serial(records, _Job(metadata, policy, at, mode, trust_anchors, today))
    return _parallel(records, metadata, policy, at, mode, trust_anchors, today, workers, chunk_size,
                     mp_context or "spawn", max_in_flight or 2 * workers + 1)


def _serial(records: Iterable[Any], job: _Job) -> Iterator[ReverifyResult]:
    run = job.run
    for i, rec in enumerate(records):
        yield run(i, rec if type(rec) is dict or isinstance(rec, (Mapping, str, bytes, bytearray)) else _BAD)


def _parallel(records: Iterable[Any], metadata: Any, policy: Policy | None, at: str, mode: str,
              trust_anchors: TrustAnchors | None, today: datetime, workers: int, chunk_size: int,
              method: str, max_in_flight: int) -> Iterator[ReverifyResult]:
    import multiprocessing

    ctx = multiprocessing.get_context(method)
    frozen = freeze_metadata(metadata)  # serialised once; each worker receives it once (initializer)
    pool = ctx.Pool(workers, initializer=_worker_init, initargs=(frozen, policy, at, mode, trust_anchors, today))
    del frozen
    try:
        pending: deque[Any] = deque()
        chunks = _chunks(records, chunk_size, _TRUST_FIELDS if mode == "trust" else _FIELDS)
        for start, chunk in chunks:
            pending.append(pool.apply_async(_worker_chunk, (start, chunk)))
            if len(pending) >= max_in_flight:  # bounded: memory stays flat however long the input
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()
