"""The anchors that formats pin (fastattest/roots/, provenance in PINNED.md there), read and
parsed once per process."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from .. import trust


@lru_cache(maxsize=None)
def pinned_store(names: tuple[str, ...]) -> trust.TrustStore:
    root = resources.files("fastattest").joinpath("roots")
    return trust.store_from([root.joinpath(name).read_bytes() for name in names])
