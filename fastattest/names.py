"""Display names of authenticators, for account pages ("Security info" lists each passkey
under a default name the user can change).

Two sources, in order:
1. the FIDO metadata entry's ``description`` (MDS3 metadata statement), when there is one;
2. the community list of passkey-provider AAGUIDs
   (https://github.com/passkeydeveloper/passkey-authenticator-aaguids, ``aaguid.json`` or
   ``combined_aaguid.json``: ``{"<aaguid>": {"name": "...", ...}, ...}``), which names synced
   providers that send no attestation (iCloud Keychain, Google Password Manager, 1Password,
   Windows Hello, ...). That repository states no licence, so fastattest does not ship a copy:
   the relying party supplies the file (``load_provider_names(path)``, the environment variable
   ``FASTATTEST_AAGUID_NAMES``, or ``fastattest names fetch``, which downloads it to
   ``default_path()``, read automatically when present).

A name is never a security decision: the AAGUID of an unattested credential is whatever the
client claims. Policy decisions use ``Policy`` (docs/policy.md).
"""
from __future__ import annotations

import json
import os
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

from .errors import MetadataError
from .metadata import MetadataEntry
from .metadata.sources.cache import read_capped
from .types import MetadataSource

__all__ = ["authenticator_name", "provider_name", "load_provider_names", "default_path", "PROVIDER_LIST_URL"]

PROVIDER_LIST_URL = "https://raw.githubusercontent.com/passkeydeveloper/passkey-authenticator-aaguids/main/combined_aaguid.json"
ENV_VAR = "FASTATTEST_AAGUID_NAMES"
MAX_LIST_BYTES = 32 * 1024 * 1024  # the combined list with its SVG icons is a few MB
MAX_NAME = 200

_lock = threading.Lock()
_names: dict[UUID, str] | None = None  # None: not loaded yet (lazily, from ENV_VAR or default_path())


def default_path() -> Path:
    """Where ``fastattest names fetch`` writes the list and where it is read from by default."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "fastattest" / "aaguid.json"


def _aaguid(value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, (bytes, bytearray)):
        if len(value) != 16:
            raise ValueError("an AAGUID is 16 bytes")
        return UUID(bytes=bytes(value))
    if isinstance(value, str):
        return UUID(value)
    raise TypeError("aaguid must be a UUID, a str or 16 bytes")


def parse_provider_list(data: Any) -> dict[UUID, str]:
    """The names of a provider list (JSON text/bytes or the decoded object). Entries that are
    not ``"<uuid>": {"name": "<text>"}`` are skipped; an empty object (how the list's
    maintainers say they will retire it) gives an empty table and a warning."""
    if isinstance(data, (bytes, bytearray, str)):
        if len(data) > MAX_LIST_BYTES:
            raise ValueError(f"the provider list is larger than {MAX_LIST_BYTES} bytes")
        try:
            data = json.loads(data)
        except RecursionError:
            raise ValueError("the provider list nests too deeply to be a list of names") from None
    if not isinstance(data, Mapping):
        raise ValueError("the provider list is not a JSON object of AAGUID -> {name}")
    out: dict[UUID, str] = {}
    for key, value in data.items():
        name = value.get("name") if isinstance(value, Mapping) else None
        if not isinstance(key, str) or not isinstance(name, str) or not name.strip():
            continue
        try:
            out[UUID(key)] = name.strip()[:MAX_NAME]
        except ValueError:
            continue
    if not out:
        warnings.warn("the passkey provider AAGUID list is empty (retired upstream?); names fall back to metadata only",
                      UserWarning, stacklevel=2)
    return out


def load_provider_names(source: str | os.PathLike[str] | Mapping[str, Any] | None) -> int:
    """Use this provider list (a file path, or the decoded JSON object) from now on; ``None``
    forgets it. Returns the number of names loaded."""
    global _names
    if source is None:
        table: dict[UUID, str] = {}
    elif isinstance(source, Mapping):
        table = parse_provider_list(source)
    elif isinstance(source, (str, os.PathLike)):
        raw = read_capped(Path(source), MAX_LIST_BYTES, "the passkey provider list")  # never read whole
        if raw is None:
            raise FileNotFoundError(f"{source} does not exist")
        table = parse_provider_list(raw)
    else:
        raise TypeError("source must be a path, a mapping or None")
    with _lock:
        _names = table
    return len(table)


def _table() -> dict[UUID, str]:
    global _names
    if _names is None:
        with _lock:
            if _names is None:
                path = os.environ.get(ENV_VAR) or (str(default_path()) if default_path().is_file() else None)
                table: dict[UUID, str] = {}
                if path:
                    try:
                        raw = read_capped(Path(path), MAX_LIST_BYTES, "the passkey provider list")  # never read whole
                        if raw is None:
                            raise FileNotFoundError(f"{path} does not exist")
                        table = parse_provider_list(raw)
                    except (OSError, ValueError, MetadataError) as exc:  # a display aid: never fail a ceremony over it
                        warnings.warn(f"cannot read the passkey provider list {path}: {exc}", UserWarning, stacklevel=3)
                _names = table
    return _names


def provider_name(aaguid: UUID | str | bytes) -> str | None:
    """The community list's name for this AAGUID, or None."""
    return _table().get(_aaguid(aaguid))


def authenticator_name(aaguid: UUID | str | bytes, metadata: MetadataSource | None = None, *,
                       entry: MetadataEntry | None = None) -> str | None:
    """A display name for the authenticator model: the metadata entry's description (``entry``,
    else ``metadata.entry(aaguid)``), else the provider list's name, else None. The zero AAGUID
    (U2F, or an authenticator that hides its model) has no name. Never a security decision."""
    uid = _aaguid(aaguid)
    if uid.int == 0:
        return None
    if entry is None and metadata is not None:
        entry = metadata.entry(uid)
    description = getattr(entry, "description", None) if entry is not None else None
    if isinstance(description, str) and description.strip():
        return description.strip()
    return provider_name(uid)


def fetch_provider_list(url: str = PROVIDER_LIST_URL, path: str | os.PathLike[str] | None = None, *,
                        timeout: float = 30.0) -> tuple[Path, int]:
    """Download the community provider list (``fastattest names fetch``), check that it parses,
    and write it to ``path`` (default ``default_path()``) atomically. Returns (path, names)."""
    import tempfile

    from .metadata.http import download

    if not url.startswith("https://"):
        raise ValueError("the provider list URL must be https://")
    data = download(url, timeout, limit=MAX_LIST_BYTES, accept="application/json")  # one overall deadline, capped
    count = len(parse_provider_list(data))  # refuses a list that is not one
    target = Path(path) if path is not None else default_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".aaguid-", suffix=".json")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, target)
    return target, count
