"""CollectedClientData checks (WebAuthn L3 §5.8.1; §7.1 steps 5-12; §7.2 steps 10-15)."""
from __future__ import annotations

from typing import Any

from . import _core

MAX_CLIENT_DATA = _core.MAX_CLIENT_DATA  # J13

#: §7.1 steps 5-6 / §7.2 steps 9-10: UTF-8 decode (a BOM is dropped, J12) and parse one JSON
#: object, strictly, refusing duplicate keys (J11). Compiled: ~0.4 us where json with an
#: object_pairs_hook took ~1.9 us. See fastattest/_json.pxi.
parse = _core.parse_client_data


#: base64url without padding (WebAuthn L3 §5.8.1 challenge member); compiled
encode_challenge = _core.b64url_encode


def expected_challenge(challenge: object) -> None:
    """The caller's expected challenge is the raw bytes it issued: anything else is a programming
    error (TypeError / ValueError at the call), not a failed ceremony. A ``str`` is refused
    rather than guessed at: it may be the base64url text or a decoded form of it."""
    if not isinstance(challenge, (bytes, bytearray)):
        hint = " (pass the raw bytes issued, not their base64url text)" if isinstance(challenge, str) else ""
        raise TypeError(f"challenge must be bytes, not {type(challenge).__name__}{hint}")
    if not challenge:
        raise ValueError("challenge must not be empty")


def verify(
    cd: dict[str, Any],
    *,
    type: str,  # noqa: A002 - the spec's member name
    challenge: bytes,
    origins: frozenset[str],
    allow_cross_origin: bool = False,
    top_origins: tuple[str, ...] | frozenset[str] = (),
) -> None:
    """§7.1 steps 7-11 / §7.2 steps 11-15 on a parsed clientDataJSON (compiled, fastattest/_json.pxi):
    type exactly (J02); challenge the base64url, unpadded, of the issued bytes (J03); origin one
    of ``origins`` exactly (J05-J07); crossOrigin a boolean, true only when allowed (J08);
    topOrigin only with crossOrigin and one of ``top_origins`` (J09); tokenBinding an object with
    a known status that is not "present", or a string, which is ignored (J10; issue 16)."""
    expected_challenge(challenge)
    _core.verify_client_data(cd if cd.__class__ is dict else dict(cd), type, challenge, origins,
                             allow_cross_origin, top_origins)


#: parse(raw), verify(...), then SHA-256 of raw (§7.1 steps 5-12 / §7.2 steps 9-16) in one compiled
#: call, positional: (raw, type, challenge, origins, allow_cross_origin, top_origins) -> the hash.
#: The challenge must already be checked with expected_challenge (RelyingParty does so on entry).
checked_hash = _core.check_client_data
