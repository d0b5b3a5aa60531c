"""Validated issuers: what a chain above its leaf proved, kept so a new leaf costs one signature.

Every Windows machine sends its own AIK certificate, every Apple and Android registration its
own leaf, but they hang under a handful of intermediates. ``trust.validate_path`` builds a path
leaf first (RFC 5280 §6.1); everything it decides from x5c[1] up (each issuer's signature, CA
constraints, pathLen, strength, the anchor, nothing beyond it) depends only on x5c[1:], the
trust store and the options, never on the leaf. So once a path through x5c[1:] has been
validated, this module keeps that tail with the window of time in which all of it is valid,
and a later chain ``[new leaf] + same x5c[1:]`` is checked by:

- the leaf's own path checks, exactly those ``trust._build`` makes at depth 0: no unknown
  critical extension (X07), not itself an anchor, not issued by an anchor directly (either of
  those takes the full path), issuer name = x5c[1] subject and x5c[1]'s signature over it;
- the leaf's strength (X11: key size, signature hash) and its validity at ``now``;
- ``now`` within the tail's window.

Anything unusual (a failed check) falls back to the full
validation, so errors and their codes are the full path's.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Any

from . import certificates

# (x5c[1:], store serial, anchor_in_chain, allow_weak) -> (tail path DERs, not_before, not_after)
_TAILS: OrderedDict[tuple[Any, ...], tuple[tuple[bytes, ...], datetime, datetime]] = OrderedDict()
_TAILS_MAX = 1024


def remember(key: tuple[Any, ...], path: tuple[certificates.CertInfo, ...]) -> None:
    """Keep the validated tail ``path`` (x5c[1] first, anchor last) for ``key``."""
    start = max(i.not_before for i in path)
    end = min(i.not_after for i in path)
    _TAILS[key] = (tuple(i.der for i in path), start, end)
    if len(_TAILS) > _TAILS_MAX:
        _TAILS.popitem(last=False)


def lookup(key: tuple[Any, ...], now: datetime) -> tuple[tuple[bytes, ...], datetime, datetime] | None:
    """The validated tail for ``key`` and its window, if ``now`` lies in that window."""
    hit = _TAILS.get(key)
    if hit is None or not (hit[1] <= now <= hit[2]):
        return None
    return hit


def clear() -> None:
    _TAILS.clear()
