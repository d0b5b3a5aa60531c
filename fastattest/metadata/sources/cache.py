"""The BLOB cache on disk (FIDO MDS3 §3.2 step 7: "cache the BLOB for reuse until nextUpdate")
and its rollback high-water mark (§3.2 step 6: serial numbers strictly increase).

Files in the cache directory (:func:`fastattest.metadata.default_cache_dir`):

- ``mds3-blob.jwt``: the last BLOB :meth:`MetadataStore.fetch` verified, as downloaded;
- ``mds3-blob.no``: the highest ``no`` ever verified from this cache, ``{"no": N}``.

Both are written atomically: a temporary file in the same directory, ``fsync``, ``os.replace``,
then ``fsync`` of the directory. The mark never goes down: a genuine but older BLOB planted in
place of ``mds3-blob.jwt`` is refused by ``load()`` and ``fetch()`` (``metadata.rollback``).
Every read is capped: the file's size is checked with ``fstat`` before anything is read, and
at most ``limit + 1`` bytes are ever read (a file growing meanwhile is still refused).
"""
from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from pathlib import Path

from ...errors import MetadataError

__all__ = ["CACHE_FILE", "MARK_FILE", "MAX_MARK_SIZE", "atomic_write", "read_capped", "read_mark", "raise_mark"]

CACHE_FILE = "mds3-blob.jwt"
MARK_FILE = "mds3-blob.no"
MAX_MARK_SIZE = 4096
_MARK_LOCK = threading.Lock()


def read_capped(path: Path, limit: int, what: str = "the metadata cache") -> bytes | None:
    """The bytes of ``path``; None if it does not exist; ``metadata.malformed`` if it is not a
    regular file or holds more than ``limit`` bytes (refused without reading it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MetadataError("metadata.unavailable", f"{what} {path} cannot be opened: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MetadataError("metadata.malformed", f"{what} {path} is not a regular file")
        if info.st_size > limit:
            raise MetadataError("metadata.malformed", f"{what} {path} holds {info.st_size} bytes, more than {limit}")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise MetadataError("metadata.unavailable", f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise MetadataError("metadata.malformed", f"{what} {path} holds more than {limit} bytes")
    return data


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same directory, fsync, os.replace (atomic on POSIX and
    Windows), then fsync the directory so the rename itself is durable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".mds3-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        _fsync_dir(path.parent)
    except OSError as exc:
        raise MetadataError("metadata.fetch_failed", f"the metadata cache {path} could not be written: {exc}") from None


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory; its rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_mark(directory: Path) -> int | None:
    """The highest ``no`` verified from this cache; None when there is no (readable) mark.

    A mark that exists but cannot be understood raises ``metadata.malformed``: the caller must
    not treat a damaged mark as "no rollback protection"."""
    raw = read_capped(directory / MARK_FILE, MAX_MARK_SIZE, "the metadata rollback mark")
    if raw is None:
        return None
    try:
        value = json.loads(raw)
        no = value["no"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        raise MetadataError("metadata.malformed", f"the metadata rollback mark {directory / MARK_FILE} is not {{\"no\": N}}") from None
    if not isinstance(no, int) or isinstance(no, bool) or no < 0:
        raise MetadataError("metadata.malformed", f"the metadata rollback mark {directory / MARK_FILE} is not {{\"no\": N}}")
    return no


def raise_mark(directory: Path, no: int) -> None:
    """Record ``no`` as verified unless the mark already holds as much (never lowers it)."""
    with _MARK_LOCK:
        try:
            current = read_mark(directory)
        except MetadataError:
            current = None  # damaged: rewrite it with what was just verified
        if current is not None and current >= no:
            return
        atomic_write(directory / MARK_FILE, json.dumps({"no": no}).encode() + b"\n")
