"""FIDO Metadata Service v3 (MDS3): the BLOB, its entries, the store, its sources.

The modules follow the specification (FIDO Metadata Service v3.0 / 3.1.1):

- :mod:`.jws`: RFC 7515/7518 compact JWS, the BLOB's envelope (§3.1.7); shared with the
  ``android-safetynet`` attestation format.
- :mod:`.blob`: the Metadata BLOB (§3.1.7) and the processing rules of §3.2: chain from
  ``x5u``/``x5c`` to a pinned root, CRLs, signature, ``nextUpdate``, ``no``.
- :mod:`.entries`: MetadataBLOBPayloadEntry (§3.1.1), StatusReport (§3.1.3),
  AuthenticatorStatus (§3.1.4) and the status in effect at a moment.
- :mod:`.store`: the MetadataBLOBPayload (§3.1.6) as :class:`MetadataStore` with its indexes.
- :mod:`.http`: bounded downloads (deadline, size cap) for the BLOB, x5u and CRLs (§3.2 steps 1, 2, 4).
- :mod:`.sources`: download, cache with a rollback mark, shipped snapshot (§3.2 steps 1, 6, 7).
- :mod:`.refresh`: :class:`MetadataService`, a store kept current in the background.

See ``docs/metadata.md`` for the sources, defaults and the refresh service.
"""
from __future__ import annotations

from ._common import (
    DEFAULT_ROOT_FILES,
    DEFAULT_URL,
    MAX_BLOB_SIZE,
    ROOTS_DIR,
    default_cache_dir,
    default_roots,
)
from .blob import MAX_X5C
from .entries import CERTIFIED_STATUSES, COMPROMISE_STATUSES, KNOWN_STATUSES, MetadataEntry, StatusReport
from .refresh import Health, MetadataService
from .sources import DEFAULT_GRACE, MetadataWarning
from .sources.cache import CACHE_FILE, MARK_FILE
from .store import MAX_ENTRIES, MetadataStore, _rebuild_store  # noqa: F401  (_rebuild_store: pickles)

__all__ = [
    "CACHE_FILE",
    "CERTIFIED_STATUSES",
    "COMPROMISE_STATUSES",
    "DEFAULT_GRACE",
    "DEFAULT_ROOT_FILES",
    "DEFAULT_URL",
    "Health",
    "KNOWN_STATUSES",
    "MARK_FILE",
    "MAX_BLOB_SIZE",
    "MAX_ENTRIES",
    "MAX_X5C",
    "MetadataEntry",
    "MetadataService",
    "MetadataStore",
    "MetadataWarning",
    "ROOTS_DIR",
    "StatusReport",
    "default_cache_dir",
    "default_roots",
    "fingerprint",
]


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate, lowercase hex (as listed in ``roots/README.md``)."""
    import hashlib

    return hashlib.sha256(der).hexdigest()
