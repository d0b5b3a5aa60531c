"""Bounded HTTP(S) GET for the MDS3 BLOB (FIDO MDS3 §3.2 step 1), its x5u chain (step 4) and
the CRLs of its chain (steps 2 and 4).

Every download has both

- a **size cap**: the body is read in chunks and refused as soon as it passes ``limit`` bytes
  (a ``Content-Length`` above the cap is refused before reading), and
- an **overall deadline**: ``timeout`` seconds for the whole request, connection, headers and
  body together. A watchdog shuts the socket down when the deadline passes, so a server that
  trickles one byte every half second (which resets a per-read socket timeout forever) is cut
  off at the deadline. Name resolution (``getaddrinfo``) cannot be interrupted; it is bounded
  by the system resolver's own timeout.

Defaults: the BLOB 64 MiB / 30 s (:data:`fastattest.metadata.MAX_BLOB_SIZE`), an x5u chain
1 MB, a CRL 16 MiB; x5u and CRL downloads share the deadline of the ``fetch()`` that needs them.
Errors: ``metadata.fetch_failed`` (network, deadline), ``metadata.not_a_blob`` (an HTTP error
status: a 429 or an error page is not a BLOB), ``metadata.malformed`` (over the size cap).
"""
from __future__ import annotations

import email.utils
import http.client
import math
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any

from ..errors import MetadataError

__all__ = ["Deadline", "download", "MAX_X5U_SIZE", "MAX_CRL_SIZE", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 30.0
MAX_X5U_SIZE = 1_000_000
MAX_CRL_SIZE = 16 * 1024 * 1024
_CHUNK = 256 * 1024


class Deadline:
    """A point in time (``time.monotonic``) shared by the downloads of one operation."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not seconds > 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.seconds = float(seconds)
        self.at = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()


class _Watch:
    """Remembers the connections of one request and shuts their sockets down at the deadline."""

    def __init__(self) -> None:
        self.connections: list[http.client.HTTPConnection] = []
        self.fired = False
        self.lock = threading.Lock()

    def fire(self) -> None:
        with self.lock:
            self.fired = True
            for conn in self.connections:
                sock = conn.sock
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

    def wrap(self, cls: type[http.client.HTTPConnection]) -> Any:
        watch = self

        class Watched(cls):  # type: ignore[valid-type, misc]  # cls is one of http.client's two classes
            def connect(self) -> None:
                # a connection still being opened (slow DNS, a dead first address, a redirect)
                # when the deadline fires had no socket to shut down: check again once it has one
                if watch.fired:
                    raise TimeoutError("the download deadline passed")
                super().connect()
                with watch.lock:
                    if watch.fired:
                        self.sock.shutdown(socket.SHUT_RDWR)
                        raise TimeoutError("the download deadline passed")

        def make(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
            conn = Watched(*args, **kwargs)
            with self.lock:
                self.connections.append(conn)
            return conn

        return make


def _opener(watch: _Watch) -> urllib.request.OpenerDirector:
    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req: Any) -> Any:
            return self.do_open(watch.wrap(http.client.HTTPConnection), req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req: Any) -> Any:
            return self.do_open(watch.wrap(http.client.HTTPSConnection), req, context=getattr(self, "_context", None))

    return urllib.request.build_opener(HTTP, HTTPS)


#: a Retry-After beyond this is read as this (a week): a server cannot park a client for ever
MAX_RETRY_AFTER = 7 * 24 * 3600


def retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110 §10.2.3): delay-seconds or an
    HTTP-date; None when absent or unreadable. Capped at :data:`MAX_RETRY_AFTER`."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(int(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 §5.6.7: HTTP-dates are UTC
        when = when.replace(tzinfo=timezone.utc)
    delta = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(0, math.ceil(delta)), MAX_RETRY_AFTER)


def download(url: str, deadline: Deadline | float, *, limit: int, accept: str = "*/*") -> bytes:
    """GET ``url`` within ``deadline`` (a :class:`Deadline` or seconds) and at most ``limit`` bytes."""
    if not isinstance(deadline, Deadline):
        deadline = Deadline(deadline)
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme.lower() not in ("https", "http"):
        raise MetadataError("metadata.fetch_failed", "the metadata URL must be http(s)")
    remaining = deadline.remaining()
    if remaining <= 0:
        raise MetadataError("metadata.fetch_failed", f"{url}: the {deadline.seconds:g} s deadline passed before the download")
    watch = _Watch()
    timer = threading.Timer(remaining, watch.fire)
    timer.daemon = True
    timer.start()
    request = urllib.request.Request(url, headers={"User-Agent": "fastattest", "Accept": accept})
    try:
        with _opener(watch).open(request, timeout=remaining) as resp:
            length = resp.headers.get("Content-Length")
            if length is not None and length.strip().isdigit() and int(length) > limit:
                raise MetadataError("metadata.malformed", f"{url} announces {int(length)} bytes, more than {limit}")
            chunks: list[bytes] = []
            size = 0
            while True:
                chunk = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise MetadataError("metadata.malformed", f"{url} returned more than {limit} bytes")
                chunks.append(chunk)
                if deadline.remaining() <= 0:
                    raise TimeoutError()
            if watch.fired:  # the body ended because the watchdog shut the socket down
                raise TimeoutError()
            return b"".join(chunks)
    except MetadataError:
        raise
    except urllib.error.HTTPError as exc:
        # B09: a 429 "Too Many Requests" or an HTML error page is not a BLOB; nothing is cached.
        wait = retry_after(exc.headers.get("Retry-After") if exc.headers is not None else None)
        hint = f"; it asks to retry after {wait} s" if wait is not None else ""
        err = MetadataError("metadata.not_a_blob", f"{url} answered HTTP {exc.code} {exc.reason}, not a BLOB{hint}")
        err.retry_after = wait
        raise err from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        if watch.fired or deadline.remaining() <= 0:
            raise MetadataError("metadata.fetch_failed", f"{url}: the {deadline.seconds:g} s download deadline passed") from None
        raise MetadataError("metadata.fetch_failed", f"{url} could not be downloaded: {exc}") from None
    finally:
        timer.cancel()
