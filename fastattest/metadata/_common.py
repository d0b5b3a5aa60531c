"""Small helpers shared by the metadata modules: base64 and JSON as MDS3 uses them, dates,
``now``, AAGUID keys, the pinned BLOB roots and the cache directory. No MDS3 rule lives here."""
from __future__ import annotations

import base64
import binascii
import gc
import json
import os
import re
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from .. import trust
from ..errors import FastAttestError, MetadataError

DEFAULT_URL = "https://mds3.fidoalliance.org/"
#: The current BLOB is ~12 MB of base64url; anything past this is refused before decoding (R05).
MAX_BLOB_SIZE = 64 * 1024 * 1024

ROOTS_DIR = Path(__file__).resolve().parent.parent / "roots"
#: FIDO moved the BLOB signing chain from GlobalSign Root CA - R3 to GlobalSign Root R46 on
#: 2026-08-21; both are pinned so older cached BLOBs and the current one verify.
DEFAULT_ROOT_FILES = ("globalsign-root-r46.pem", "globalsign-root-ca-r3.pem")

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
KID_RE = re.compile(r"[0-9a-fA-F]{40}\Z")
ZERO_AAGUID = bytes(16)
_SB64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")


def b64(value: object) -> bytes | None:
    """Standard base64 (MDS certificates, x5c per RFC 7515 §4.1.6); None when not decodable."""
    if not isinstance(value, str) or not value or len(value) > 1_000_000 or not _SB64.match(value):
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True) or None
    except (binascii.Error, ValueError):
        return None


def _reject_constant(name: str) -> None:
    raise ValueError(f"JSON constant {name} is not allowed")


def parse_json(data: bytes | str, what: str) -> Any:
    """RFC 8259 JSON (NaN/Infinity refused); MetadataError("metadata.malformed") otherwise."""
    # A 10 MB payload creates ~10^5 containers; the cyclic GC would scan them repeatedly while
    # they are being built (none can be garbage yet), so it is paused for large inputs.
    pause = len(data) > 1_000_000 and gc.isenabled()
    if pause:
        gc.disable()
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError, TypeError) as exc:
        raise MetadataError("metadata.malformed", f"{what} is not valid JSON: {exc}") from None
    finally:
        if pause:
            gc.enable()


def parse_date(value: object) -> date | None:
    """An MDS3 date (``YYYY-MM-DD``, ISO 8601 calendar date); None if it is not one."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if not isinstance(now, datetime):
        raise MetadataError("input.type", "now must be a datetime")
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def utc_day(now: datetime) -> date:
    return now.astimezone(timezone.utc).date()


def aaguid_key(value: object) -> bytes | None:
    """16 raw bytes for a UUID, an AAGUID string or 16 bytes; None if it is none of those."""
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return raw if len(raw) == 16 else None
    if isinstance(value, str):
        s = value.strip()
        if len(s) == 32 and all(c in "0123456789abcdefABCDEF" for c in s):
            return bytes.fromhex(s)
        if UUID_RE.match(s):
            return uuid.UUID(s).bytes
    return None


def default_roots() -> list[bytes]:
    """DER of the pinned MDS BLOB roots shipped in ``fastattest/roots`` (see its README)."""
    ders: list[bytes] = []
    for name in DEFAULT_ROOT_FILES:
        ders.extend(trust.to_der((ROOTS_DIR / name).read_bytes()))
    return ders


def root_store(root_certificate: object) -> trust.TrustStore:
    """One or several PEM/DER roots (bytes, str, or a sequence of them); None: the pinned roots."""
    if root_certificate is None:
        items: list[bytes | str] = list(default_roots())
    elif isinstance(root_certificate, (bytes, bytearray, str)):
        items = [bytes(root_certificate) if isinstance(root_certificate, bytearray) else root_certificate]
    elif isinstance(root_certificate, Iterable):
        items = list(root_certificate)
    else:
        raise MetadataError("input.type", "root_certificate must be PEM/DER bytes or a sequence of them")
    try:
        return trust.store_from(items)
    except FastAttestError as exc:
        raise MetadataError("trust.anchor_invalid", f"a configured MDS root is invalid: {exc.message}") from None


def default_cache_dir() -> Path:
    """``$FASTATTEST_CACHE_DIR``, else ``$XDG_CACHE_HOME/fastattest``, else ``~/.cache/fastattest``."""
    env = os.environ.get("FASTATTEST_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fastattest"
