"""A metadata store kept current for a long-running relying party (FIDO MDS3 §3.2 step 3: the
BLOB's ``nextUpdate`` is the latest date of the next download; step 7: use the cached BLOB until
then).

:class:`MetadataService` holds a :class:`~.store.MetadataStore` and refreshes it in a background
thread with :meth:`MetadataStore.fetch` (download within a deadline, verification, rollback
refusal, atomic cache). A ceremony never waits for the network: it reads the current store, a
plain attribute swapped atomically when a newer BLOB verified. When a refresh fails (network,
HTTP 429, a BLOB that does not verify, a rollback), the last good store keeps serving; the
failure is logged on the ``fastattest.metadata`` logger and shown by :attr:`MetadataService.health`.

Use it wherever a store goes: ``RelyingParty(..., metadata=service)`` (the service answers
``lookup`` from its current store), or read ``service.store`` / ``service.current()`` per
ceremony. The thread works for threaded (WSGI) and asyncio (ASGI) servers alike: nothing of it
runs on the event loop; :meth:`MetadataService.refresh_now` blocks, so from a coroutine call it as
``await asyncio.to_thread(service.refresh_now)``.

Schedule: after a successful refresh the next one is due after ``interval`` (default 24 h), and
no later than one day before the store's ``nextUpdate``; after a failure, after ``retry``
(default 5 min) doubling up to ``interval``. At :meth:`start`, a store loaded from a cache
younger than ``interval`` and not stale is not refreshed at once (so that many worker processes
starting together do not all download the 10 MB BLOB). The thread is a daemon and
:meth:`stop` is registered with ``atexit``; ``with MetadataService(...) as service:`` starts and
stops it.
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from ..errors import MetadataError
from ._common import DEFAULT_URL, default_cache_dir
from .entries import MetadataEntry
from .sources.cache import CACHE_FILE
from .store import MetadataStore

__all__ = ["Health", "MetadataService"]

log = logging.getLogger("fastattest.metadata")


@dataclass(frozen=True)
class Health:
    """What the service knows about its metadata, for a health endpoint or a metric.

    ``ok``: the store is not stale and the last refresh attempt (if any) succeeded.
    ``age``: seconds since the last successful refresh (None: never refreshed in this process).
    ``last_error``: ``"code: message"`` of the last failure, kept after later successes
    (compare ``last_error_at`` with ``last_success``)."""

    ok: bool
    no: int
    next_update: date
    stale: bool
    source: str
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    age: float | None
    next_refresh: datetime | None
    running: bool


class MetadataService:
    """A :class:`MetadataStore` refreshed in the background; see the module documentation.

    ``store``: the store to serve at first (default: :meth:`MetadataStore.load` with the same
    ``cache_dir`` and ``root_certificate``, i.e. offline and immediate). ``url``, ``timeout``
    (an overall deadline per refresh, seconds), ``cache_dir``, ``root_certificate``,
    ``check_crls``: as for :meth:`MetadataStore.fetch`. ``interval``, ``retry``: the schedule.
    ``clock``: returns the current time (tests).
    """

    def __init__(
        self,
        store: MetadataStore | None = None,
        *,
        url: str = DEFAULT_URL,
        timeout: float = 30,
        cache_dir: str | os.PathLike[str] | None = None,
        root_certificate: bytes | str | Sequence[bytes | str] | None = None,
        check_crls: bool = False,
        interval: timedelta = timedelta(hours=24),
        retry: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if store is not None and not isinstance(store, MetadataStore):
            raise TypeError("store must be a MetadataStore or None")
        for name, value in (("interval", interval), ("retry", retry)):
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise ValueError(f"{name} must be a positive datetime.timedelta")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.url = url
        self.timeout = float(timeout)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.root_certificate = root_certificate
        self.check_crls = check_crls
        self.interval = interval
        self.retry = retry
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        if store is None:
            store = MetadataStore.load(cache_dir=self.cache_dir, root_certificate=root_certificate, now=self._clock())
        self._store: MetadataStore = store
        self._refresh_lock = threading.Lock()  # one fetch at a time
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_success: datetime | None = None
        self._last_success_mono: float | None = None
        self._last_attempt: datetime | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._failures = 0
        self._next: datetime | None = None

    # ----- what ceremonies use (never blocks)

    @property
    def store(self) -> MetadataStore:
        """The current store (an atomic attribute read; keep it for the whole ceremony)."""
        return self._store

    def current(self) -> MetadataStore:
        return self._store

    def lookup(self, aaguid: bytes, leaf_key_identifier: str | None) -> MetadataEntry | None:
        """:meth:`MetadataStore.lookup` on the current store: what attestation verification calls."""
        return self._store.lookup(aaguid, leaf_key_identifier)

    def entry(self, aaguid: uuid.UUID | str | bytes) -> MetadataEntry | None:
        return self._store.entry(aaguid)

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self) -> Iterator[MetadataEntry]:
        return iter(self._store)

    def __contains__(self, aaguid: object) -> bool:
        return aaguid in self._store

    def __reduce__(self) -> tuple[Any, ...]:
        # batch workers and Dask get the current store, never the thread
        return self._store.__reduce__()

    def __repr__(self) -> str:
        return f"MetadataService(no={self._store.no}, url={self.url!r}, running={self.running})"

    # ----- refreshing

    def refresh_now(self) -> bool:
        """Fetch once, now (blocking, at most ``timeout`` seconds plus verification). True when
        the fetch succeeded (a newer store is then in place, or the BLOB was the same); False
        when it failed (logged; the current store stays)."""
        with self._refresh_lock:
            now = self._clock()
            self._last_attempt = now
            try:
                fresh = MetadataStore.fetch(
                    self.url,
                    timeout=self.timeout,
                    cache_dir=self.cache_dir,
                    root_certificate=self.root_certificate,
                    now=now,
                    check_crls=self.check_crls,
                )
                current = self._store
                if fresh.no < current.no:
                    raise MetadataError("metadata.rollback", f"the fetched BLOB no {fresh.no} is lower than the one in use, {current.no}")
            except Exception as exc:  # noqa: BLE001  the thread must survive anything
                code = exc.code if isinstance(exc, MetadataError) else type(exc).__name__
                message = exc.message if isinstance(exc, MetadataError) else str(exc)
                self._failures += 1
                self._last_error = f"{code}: {message}"
                self._last_error_at = now
                self._next = now + min(self.retry * (2 ** min(self._failures - 1, 20)), self.interval)
                wait = getattr(exc, "retry_after", None)
                if wait:  # the server's Retry-After (RFC 9110 §10.2.3) comes first: never ask sooner
                    self._next = max(self._next, now + timedelta(seconds=wait))
                log.warning(
                    "metadata refresh from %s failed (%s); still serving no %d (nextUpdate %s); next attempt at %s",
                    self.url, self._last_error, self._store.no, self._store.next_update, self._next.isoformat(),
                    exc_info=not isinstance(exc, MetadataError),
                )
                return False
            if fresh.no > current.no:
                self._store = fresh  # the swap: one attribute assignment, atomic for readers
                log.info("metadata refreshed from %s: no %d -> %d (nextUpdate %s)", self.url, current.no, fresh.no, fresh.next_update)
            self._failures = 0
            self._last_success = now
            self._last_success_mono = time.monotonic()
            self._next = self._after_success(now)
            return True

    def _after_success(self, now: datetime) -> datetime:
        due = now + self.interval
        # MDS3 §3.2 step 3: be refreshed before nextUpdate (a day ahead), unless already past it
        before = datetime.combine(self._store.next_update, datetime.min.time(), timezone.utc) - timedelta(days=1)
        if now < before < due:
            due = before
        return due

    def _first_due(self, now: datetime) -> datetime:
        store = self._store
        if store.is_stale(now) or store.source != str(self.cache_dir / CACHE_FILE):
            return now
        try:
            written = datetime.fromtimestamp((self.cache_dir / CACHE_FILE).stat().st_mtime, timezone.utc)
        except OSError:
            return now
        return min(max(now, written + self.interval), self._after_success(now))

    def _run(self) -> None:
        while not self._stopping:
            now = self._clock()
            due = self._next or now
            wait = (due - now).total_seconds()
            if wait > 0:
                self._wake.wait(min(wait, 3600.0))  # re-read the clock at least hourly (suspend, clock jumps)
                self._wake.clear()
                continue
            self.refresh_now()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "MetadataService":
        """Start the background thread (idempotent); returns the service."""
        if self.running:
            return self
        self._stopping = False
        self._wake.clear()
        if self._next is None:
            self._next = self._first_due(self._clock())
        thread = threading.Thread(target=self._run, name="fastattest-metadata-refresh", daemon=True)
        self._thread = thread
        thread.start()
        _live.add(self)
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread and wait for it (a fetch in progress ends within its own deadline)."""
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.timeout + 5 if timeout is None else timeout)
        self._thread = None
        _live.discard(self)

    def wake(self) -> None:
        """Make the thread refresh now (without waiting for it)."""
        self._next = self._clock()
        self._wake.set()

    def __enter__(self) -> "MetadataService":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def health(self) -> Health:
        store = self._store
        now = self._clock()
        stale = store.is_stale(now)
        failing = self._failures > 0  # the last attempt failed
        return Health(
            ok=not stale and not failing,
            no=store.no,
            next_update=store.next_update,
            stale=stale,
            source=store.source,
            last_success=self._last_success,
            last_attempt=self._last_attempt,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            consecutive_failures=self._failures,
            age=None if self._last_success_mono is None else time.monotonic() - self._last_success_mono,
            next_refresh=self._next if self.running else None,
            running=self.running,
        )


_live: "weakref.WeakSet[MetadataService]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for service in list(_live):
        service._stopping = True
        service._wake.set()
