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
well-formed CBOR with attested credential data, and its group's first record verified in full";
the other records' signatures and authenticator data are not re-checked.
"""
from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import os
import pickle
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple, cast
from uuid import UUID

from . import _core, certificates
from .attestation import TrustAnchors, aware_now, prepare_anchors, verify_parsed
from .errors import VerificationError
from .policy import Policy
from .response import b64decode
from .types import MetadataSource, ReverifyAt, ReverifyMode

__all__ = ["ReverifyResult", "reverify", "freeze_metadata", "thaw_metadata", "CHANGES"]

#: the values of ``ReverifyResult.changed`` (None: nothing changed)
CHANGES = ("invalid", "status_rejected", "newly_untrusted", "newly_trusted", "status_changed")
_AT = ("registration", "now")
_MODES = ("full", "trust")
_ZERO = UUID(int=0)


class ReverifyResult(NamedTuple):
    """The outcome of re-verifying one stored record. Immutable (a tuple: cheap to build, to
    pickle between processes, and without a per-instance ``__dict__``)."""

    index: int  # type: ignore[assignment]  # position in the input (the contract's name; shadows tuple.index)
    valid: bool  # the statement and its signature still verify
    trusted: bool  # chains to an anchor of the new metadata and no status rejects it
    status: str | None  # the vouching entry's status today, or None
    changed: str | None  # see CHANGES; None when the verdict is unchanged (or nothing was stored)
    error: str | None  # the VerificationError code when valid is False
    aaguid: UUID | None = None
    description: str | None = None  # the vouching metadata entry's description
    fmt: str | None = None
    attestation_type: str | None = None
    trust_error: str | None = None  # why not trusted (a code), if it is not; for an invalid record, the error message

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (AAGUID as a string)."""
        d = self._asdict()
        if d["aaguid"] is not None:
            d["aaguid"] = str(d["aaguid"])
        return d


# --------------------------------------------------------------------------- metadata as of today


# --------------------------------------------------------------------------- shipping metadata


def freeze_metadata(store: MetadataSource | None) -> bytes:
    """Serialise a metadata store once, to send it to worker processes. A ``MetadataStore``
    pickles as its payload; the receiving process indexes it again and parses certificates
    lazily."""
    return pickle.dumps(store, protocol=pickle.HIGHEST_PROTOCOL)


def thaw_metadata(frozen: bytes) -> MetadataSource | None:
    return cast("MetadataSource | None", pickle.loads(frozen))


# --------------------------------------------------------------------------- one record


_b64 = b64decode  # response.b64decode: base64url or standard, padded or not (compiled)
_parse_ao = _core.parse_attestation_object  # WebAuthn §6.5.4 (CTAP2 canonical only under Policy.strict_cbor)
_sha256 = hashlib.sha256
_new = tuple.__new__  # builds a ReverifyResult without NamedTuple's Python-level __new__


def _utc(value: object) -> datetime:
    if type(value) is str:
        value = datetime.fromisoformat(value)
    elif not isinstance(value, datetime):
        raise TypeError("registered_at is not an ISO 8601 date-time")
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


# What re-verification reads of a record, in this order; trust mode also groups by the last three.
_FIELDS = ("attestation_object", "client_data_json", "client_data_hash", "registered_at", "trusted", "status")
_TRUST_FIELDS = _FIELDS + ("fmt", "aaguid", "trust_path")


def _values(rec: Any, fields: tuple[str, ...]) -> Any:
    """A record reduced to what re-verification reads: the tuple of its ``fields`` (None where
    absent: every reader treats an absent field and a null one alike). This is also what
    travels to worker processes: a stored record carries fields (public_key, transports, ...)
    that would otherwise be pickled for nothing, and a tuple pickles without its keys. A JSON
    line (str/bytes) is kept as is and parsed where it is verified; anything else becomes
    None, "not a mapping"."""
    if type(rec) is dict:
        return tuple(map(rec.get, fields))
    if isinstance(rec, (str, bytes, bytearray)):
        return rec
    if isinstance(rec, Mapping):
        try:
            return tuple(map(rec.get, fields))
        except Exception:  # a broken Mapping fails alone, as any bad record does
            return None
    return None


def _decode_line(rec: Any, fields: tuple[str, ...]) -> tuple[Any, ...]:
    """A JSON line (str/bytes) as its fields; or raise for None ("not a mapping")."""
    if rec is not None:
        try:
            rec = json.loads(rec)
        except (ValueError, RecursionError) as exc:
            raise VerificationError("batch.record_invalid", f"record is not valid JSON: {exc}") from None
        if type(rec) is dict:
            return tuple(map(rec.get, fields))
    raise VerificationError("batch.record_invalid", "record is not a mapping")


def _failed(error: str, detail: str | None = None) -> tuple[Any, ...]:
    return (False, False, None, "invalid", error, None, None, None, None, detail)


class _Job:
    """Everything needed to re-verify records; built once per process.

    ``outcome(values)`` re-verifies one record given as ``_values(record)`` and returns its
    ReverifyResult fields after ``index`` (a plain tuple: cheap to build, and compact between
    processes); it never raises for a bad record."""

    def __init__(self, metadata: MetadataSource | None, policy: Policy | None, at: str, mode: str,
                 trust_anchors: TrustAnchors | None, now: datetime | None) -> None:
        self.today = now or datetime.now(timezone.utc)
        self.metadata = metadata
        self.policy = policy or Policy()
        self.strict = self.policy.strict_cbor  # the CBOR decoder's flag, as registration used it
        self.at = at
        self.mode = mode
        self.fields = _TRUST_FIELDS if mode == "trust" else _FIELDS
        self.anchors = prepare_anchors(trust_anchors)
        self.groups: dict[tuple[Any, ...], _Group] = {}
        self.outcome = self._full if mode == "full" else self._trust

    # -- helpers
    def _chain_time(self, reg: Any) -> datetime:
        if reg is None or self.at == "now":
            return self.today
        try:
            return _utc(reg)
        except (TypeError, ValueError) as exc:
            raise VerificationError("batch.record_invalid", f"registered_at is malformed: {exc}") from None

    @staticmethod
    def _cdh(cdj: Any, cdh: Any) -> bytes:
        if cdj is not None:
            return _sha256(_b64(cdj, "client_data_json")).digest()  # §7.1 step 12
        if cdh is not None:
            digest = _b64(cdh, "client_data_hash")
            if len(digest) != 32:
                raise VerificationError("batch.record_invalid", "client_data_hash is not 32 bytes")
            return digest
        raise VerificationError("batch.record_invalid", "record lacks client_data_json (or client_data_hash)")

    @staticmethod
    def _raw(ao: Any) -> bytes:
        """The record's attestation object bytes."""
        if ao is None:
            raise VerificationError("batch.record_invalid", "record lacks attestation_object")
        return _b64(ao, "attestation_object")

    def _verify(self, obj: _core.AttestationObject, cdj: Any, cdh: Any, when: datetime) -> tuple[Any, ...]:
        """The trust verdict of a full verification: (trusted, status, aaguid, description, fmt,
        attestation_type, trust_error)."""
        res = verify_parsed(obj, self._cdh(cdj, cdh), self.anchors, self.metadata, when, self.policy, status_time=self.today)
        entry = res.metadata
        return (res.trusted, res.status, res.aaguid, entry.description if entry is not None else None,
                res.fmt, res.attestation_type, res.trust_error)

    # -- one record
    def _full(self, v: Any) -> tuple[Any, ...]:
        """Full mode: every record's statement and signature are verified (the hot path)."""
        try:
            if type(v) is not tuple:
                v = _decode_line(v, _FIELDS)
            ao, cdj, cdh, reg, was_trusted, was_status = v
            obj = _parse_ao(self._raw(ao), self.strict)
            res = verify_parsed(obj, self._cdh(cdj, cdh), self.anchors, self.metadata, self._chain_time(reg),
                                self.policy, status_time=self.today)
        except VerificationError as exc:
            return _failed(exc.code, exc.message[:200])  # the report says why
        except Exception as exc:  # defensive: one record must never stop the batch
            return _failed("batch.record_invalid", f"{type(exc).__name__}: {exc}"[:200])
        trusted, status, error = res.trusted, res.status, res.trust_error
        entry = res.metadata
        return (True, trusted, status,
                None if was_trusted is None else _changed(was_trusted, was_status, trusted, status, error),
                None, res.aaguid, entry.description if entry is not None else None, res.fmt,
                res.attestation_type, error)

    def _trust(self, v: Any) -> tuple[Any, ...]:
        try:
            if type(v) is not tuple:
                v = _decode_line(v, _TRUST_FIELDS)
            verdict = self._grouped(v, self._chain_time(v[3]))
        except VerificationError as exc:
            return _failed(exc.code, exc.message[:200])  # the report says why
        except Exception as exc:  # defensive: one record must never stop the batch
            return _failed("batch.record_invalid", f"{type(exc).__name__}: {exc}"[:200])
        trusted, status, error = verdict[0], verdict[1], verdict[6]
        was_trusted = v[4]
        changed = None if was_trusted is None else _changed(was_trusted, v[5], trusted, status, error)
        return (True, trusted, status, changed, None) + verdict[2:]

    def _grouped(self, v: tuple[Any, ...], when: datetime) -> tuple[Any, ...]:
        """Trust mode: the record's group is read from the fields a Credential stores (fmt,
        aaguid, trust_path: what registration verified), else from the attestation object with
        the core CBOR decoder only; the group's verdict is computed by a full verification
        of the first record seen for its validity interval, whose attestation object must
        agree with the stored fields."""
        ao, cdj, cdh, fmt, aaguid_text, path = v[0], v[1], v[2], v[6], v[7], v[8]
        stored = type(fmt) is str and type(aaguid_text) is str and type(path) is list
        if stored:
            key: tuple[Any, ...] = (fmt, aaguid_text, tuple(path))
        else:
            raw = self._raw(ao)
            doc = _core.cbor_decode(raw, _core.MAX_DEPTH, self.strict)
            fmt = doc.get("fmt") if type(doc) is dict else None
            stmt = doc.get("attStmt") if type(doc) is dict else None
            ad = doc.get("authData") if type(doc) is dict else None
            if type(fmt) is not str or type(stmt) is not dict or type(ad) is not bytes or len(ad) < 55 or not ad[32] & 0x40:
                obj = _parse_ao(raw, self.strict)  # raises with the precise code
                fmt, stmt, ad = obj.fmt, obj.att_stmt, obj.auth_data.raw
                if obj.auth_data.aaguid is None:
                    raise VerificationError("auth_data.attested_data_required", "registration authenticator data lacks attested credential data")
            x5c = stmt.get("x5c") if type(stmt) is dict else None  # compound (§8.9): an array
            key = (fmt, ad[37:53], tuple(x5c) if type(x5c) is list else ())  # §6.5.2: AAGUID after rpIdHash, flags, signCount
        group = self.groups.get(key)
        if group is None:
            obj = _parse_ao(self._raw(ao), self.strict)
            chain = obj.att_stmt.get("x5c") if type(obj.att_stmt) is dict else None
            chain = tuple(chain) if type(chain) is list else ()
            if stored and (obj.fmt != fmt or str(UUID(bytes=obj.auth_data.aaguid)) != aaguid_text
                           or not _path_agrees(chain, tuple(_b64(c, "trust_path") for c in path))):
                raise VerificationError("batch.record_invalid", "stored fmt, aaguid or trust_path disagree with the attestation object")
            group = self.groups[key] = _Group(self, obj.fmt, obj.auth_data.aaguid, chain)
        slot = bisect.bisect_right(group.bounds, when)
        verdict = group.verdicts.get(slot)
        if verdict is None:
            # raises for a bad record: the group stays open
            verdict = self._verify(_parse_ao(self._raw(ao), self.strict), cdj, cdh, when)
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
            times.add(i.not_before)
            times.add(i.not_after)
        # a certificate is valid on both of its boundary instants (trust._check_time), so an
        # interval is [b_k, b_k+1) except that the instants themselves may behave like the inside:
        # key them separately by making each instant its own slot.
        bounds: list[datetime] = []
        for t in sorted(times):
            bounds.append(t)
            bounds.append(t + _EPSILON)
        self.bounds = bounds


_EPSILON = timedelta(microseconds=1)


def _path_agrees(x5c: tuple[Any, ...], stored: tuple[bytes, ...]) -> bool:
    """Whether a stored trust_path can be what registration reported for this x5c: the x5c as
    sent (not trusted, or stored before trust_path became the validated path), or a validated
    path, i.e. x5c's leading certificates then the anchor that vouched (which x5c may or may not
    carry). The verdict itself never comes from the stored path: a full verification decides."""
    sent = tuple(bytes(c) for c in x5c if isinstance(c, (bytes, bytearray)))
    if len(sent) != len(x5c):
        return False
    if not stored:
        return not sent
    return bool(sent) and len(stored) - 1 <= len(sent) and stored[:-1] == sent[: len(stored) - 1] and stored[0] == sent[0]


def _changed(was_trusted: Any, was_status: str | None, trusted: bool, status: str | None,
             trust_error: str | None) -> str | None:
    """What changed against the stored verdict (the record's ``trusted`` / ``status``, the
    former not None: a record storing no verdict has nothing to change)."""
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


def _worker_chunk(chunk: list[Any]) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Re-verify a chunk of ``_values`` in a worker process. The answer is compact: the chunk's
    distinct outcomes (most records of a chunk share one) and, per record, the position of its
    outcome; the parent adds the indices and builds the ReverifyResults."""
    job = _WORKER_JOB
    assert job is not None, "worker was not initialised"
    outcome = job.outcome
    table: dict[tuple[Any, ...], int] = {}
    ids = []
    for v in chunk:
        o = outcome(v)
        k = table.get(o)
        if k is None:
            k = table[o] = len(table)
        ids.append(k)
    return list(table), ids


def reverify(
    records: Iterable[Any],
    metadata: MetadataSource | None = None,
    policy: Policy | None = None,
    workers: int = 1,
    at: ReverifyAt = "registration",
    mode: ReverifyMode = "full",
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

    ``workers``: processes that verify: this one and ``workers - 1`` children, each loading
    the metadata once; records travel in chunks of ``chunk_size`` (1: all in this process).
    ``mode``: "full" or "trust" (see the module docstring). ``now``: today's date for statuses
    (and the chain time for ``at="now"``); default: the current time. ``mp_context``:
    multiprocessing start method (default "spawn"). ``max_in_flight``: chunks held ahead of
    the one being yielded, verified or not (default 4 x workers + 4).
    """
    # a caller's mistake is a TypeError / ValueError here, not a VerificationError
    if at not in _AT:
        raise ValueError(f"at must be one of {_AT}, not {at!r}")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, not {mode!r}")
    for name, value in (("workers", workers), ("chunk_size", chunk_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        if value < 1:
            raise ValueError(f"{name} must be a positive integer")
    if now is not None:
        aware_now(now)
    if workers > 1 and _bootstrapping():
        _note_unguarded()
        raise RuntimeError(_UNGUARDED)
    today = now or datetime.now(timezone.utc)
    job = _Job(metadata, policy, at, mode, trust_anchors, today)
    if workers == 1:
        return _serial(records, job)
    return _parallel(records, job, (policy, at, mode, trust_anchors, today), workers, chunk_size,
                     mp_context or "spawn", max_in_flight or 4 * workers + 4)


def _serial(records: Iterable[Any], job: _Job) -> Iterator[ReverifyResult]:
    outcome, fields = job.outcome, job.fields
    for i, rec in enumerate(records):
        v = tuple(map(rec.get, fields)) if type(rec) is dict else _values(rec, fields)
        yield _new(ReverifyResult, (i,) + outcome(v))


_SLICE = 64  # records verified here between two looks at the children's queues
#: What a child costs before it verifies anything: a spawned interpreter imports fastattest and
#: cryptography and thaws the metadata (0.25-0.45 s measured on the shared 2-core machine).
#: Children are started only when the work left is worth more than that (module constants, so
#: tests can force children on tiny inputs).
_STARTUP_S = 0.4
_WORTH = 2.0  # start children when the work left, at this process's rate, exceeds _WORTH x _STARTUP_S
_RATE_AFTER = 4 * _SLICE  # records verified here before the rate is trusted


def _worker_ready() -> bool:
    """A probe: returns once the child has started and run its initializer."""
    return _WORKER_JOB is not None


_UNGUARDED = (
    "reverify(workers > 1) was called while a worker process was starting: the worker re-ran the "
    "main script (multiprocessing's 'spawn' start method imports it), and the script calls reverify "
    "at module level. Put that code under `if __name__ == \"__main__\":` (or pass workers=1)."
)


def _bootstrapping() -> bool:
    """True in a spawned child while it imports the parent's main module (multiprocessing sets
    ``_inheriting`` for that phase; starting processes then is what it refuses)."""
    import multiprocessing.process

    return bool(getattr(multiprocessing.process.current_process(), "_inheriting", False))


def _marker(parent: int) -> str:
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"fastattest-unguarded-main-{parent}")


def _note_unguarded() -> None:
    """Leave the parent a note before this child dies: the pool only sees the child exit."""
    try:
        with open(_marker(os.getppid()), "w") as f:
            f.write("unguarded\n")
    except OSError:
        pass


def _unguarded_children() -> bool:
    path = _marker(os.getpid())
    if not os.path.exists(path):
        return False
    try:
        os.remove(path)
    except OSError:
        pass
    return True


def _parallel(records: Iterable[Any], job: _Job, job_args: tuple[Any, ...], workers: int, chunk_size: int,
              method: str, max_in_flight: int) -> Iterator[ReverifyResult]:
    """``workers`` processes verify: this one and, when there is work for them, ``workers - 1``
    children. More workers never make a batch much slower than one:

    - this process starts verifying at once, on its own, and measures its rate; children are
      started only when the work left is worth more than their start-up (a sized input says
      how much is left; for an iterator, once this process has been busy for ``_STARTUP_S``);
    - a started child gets chunks only after it answered a probe (it has imported fastattest
      and thawed the metadata), so no chunk waits in the queue of a child that is not there yet;
      meanwhile this process goes on verifying;
    - while the next chunk to yield is with a child, this process verifies the following chunk
      of the input itself, looking every ``_SLICE`` records whether a child needs another; once
      the input is exhausted it takes back the last chunk no child has started;
    - at the end, or when the consumer stops early, the pool is shut down and waited for
      (``shutdown(wait=True)``): with ``wait=False`` its manager thread outlived the generator
      and the interpreter's exit hook (``concurrent.futures.process._python_exit``) could wake
      it through a pipe that thread had already closed, printing "Exception ignored ...
      OSError: [Errno 9] Bad file descriptor" after the results (CPython gh-83279, gh-125451).

    At most ``max_in_flight`` chunks are held ahead of the consumer."""
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    children = workers - 1
    _unguarded_children()  # forget a note left by an earlier pool of this process
    outcome, fields = job.outcome, job.fields
    try:
        total: int | None = len(records)  # type: ignore[arg-type]
    except TypeError:
        total = None  # an iterator: how much is left shows only as it goes
    it = iter(records)
    # per chunk, in input order: [first index, Future (None once verified here), values or outcomes]
    pending: deque[list[Any]] = deque()
    cursor = [0, False]  # index of the next record, input exhausted
    # the pool (once started), its readiness probe, seconds and records verified here
    st: dict[str, Any] = {"pool": None, "probe": None, "ready": False, "busy": 0.0, "done": 0}

    def take() -> list[Any]:
        chunk = list(itertools.islice(it, chunk_size))
        if not chunk:
            cursor[1] = True
        return chunk

    def maybe_start() -> None:
        if st["pool"] is not None or cursor[1] or st["done"] < _RATE_AFTER:
            return  # the first records are the slowest (chains and keys seen for the first time)
        if total is not None:
            worth = st["busy"] / st["done"] * (total - cursor[0]) > _WORTH * _STARTUP_S
        else:
            worth = st["busy"] > _STARTUP_S
        if worth:
            # the store is serialised once; each child receives it once (initializer), not per
            # chunk. An executor, not multiprocessing.Pool: a child that dies (OOM killer, crash)
            # breaks its futures instead of leaving them unfinished forever.
            pool = ProcessPoolExecutor(children, mp_context=multiprocessing.get_context(method),
                                       initializer=_worker_init, initargs=(freeze_metadata(job.metadata), *job_args))
            st["pool"] = pool
            st["probe"] = [pool.submit(_worker_ready) for _ in range(children)]

    def feed() -> None:
        if not st["ready"]:
            maybe_start()
            probe = st["probe"]
            if probe is None or not any(f.done() for f in probe):
                return
            for f in probe:
                if f.done():
                    f.result()  # a child that died while starting: BrokenProcessPool
            st["ready"] = True
        pool = st["pool"]
        queued = sum(1 for e in pending if e[1] is not None and not e[1].done())
        while queued < 2 * children and not cursor[1] and len(pending) < max_in_flight:
            chunk = take()
            if not chunk:
                return
            values = [_values(r, fields) for r in chunk]
            pending.append([cursor[0], pool.submit(_worker_chunk, values), values])
            cursor[0] += len(chunk)
            queued += 1

    def here(values: list[Any], convert: bool) -> list[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        for k in range(0, len(values), _SLICE):
            part = values[k:k + _SLICE]
            t = time.perf_counter()
            out += [outcome(_values(r, fields)) for r in part] if convert else [outcome(v) for v in part]
            st["busy"] += time.perf_counter() - t
            st["done"] += len(part)
            feed()
        return out

    try:
        while True:
            feed()
            if not pending:
                chunk = [] if cursor[1] else take()
                if not chunk:
                    break
                entry: list[Any] = [cursor[0], None, None]  # no child has room (or none is started): verify it here
                pending.append(entry)
                cursor[0] += len(chunk)
                entry[2] = here(chunk, True)
                continue
            head = pending[0]
            result = head[1]
            if result is not None and not result.done():
                if not cursor[1] and len(pending) < max_in_flight:
                    chunk = take()
                    if chunk:
                        entry = [cursor[0], None, None]
                        pending.append(entry)
                        cursor[0] += len(chunk)
                        entry[2] = here(chunk, True)
                    continue
                if cursor[1]:
                    last = next((e for e in reversed(pending) if e[1] is not None and not e[1].done()), head)
                    if last is not head and last[1].cancel():  # not started by a child: verify it here
                        last[1] = None
                        last[2] = here(last[2], False)
                        continue
            if result is None:
                outcomes = head[2]
            else:
                outs, ids = result.result()
                outcomes = [outs[k] for k in ids]
            pending.popleft()
            for i, o in enumerate(outcomes, head[0]):
                yield _new(ReverifyResult, (i,) + o)
        if st["pool"] is not None:
            # every result came from here, but the children died re-running an unguarded script:
            # say so rather than leave their tracebacks unexplained
            st["pool"].shutdown(wait=True)
            if _unguarded_children():
                raise RuntimeError(_UNGUARDED)
    except BrokenProcessPool:
        if _unguarded_children():
            raise RuntimeError(_UNGUARDED) from None
        delivered = pending[0][0] if pending else cursor[0]
        raise VerificationError(
            "batch.worker_failed",
            f"a worker process exited unexpectedly (killed or crashed); the results of records 0..{delivered - 1} "
            f"were delivered, the batch stops at record {delivered}",
        ) from None
    finally:
        if st["pool"] is not None:
            st["pool"].shutdown(wait=True, cancel_futures=True)
        _unguarded_children()
