"""CollectedClientData checks (WebAuthn L3 §5.8.1; §7.1 steps 5-12; §7.2 steps 10-15)."""
from __future__ import annotations

from typing import Any

from . import _core
from .errors import VerificationError

MAX_CLIENT_DATA = _core.MAX_CLIENT_DATA  # J13
_TOKEN_BINDING_STATUS = frozenset({"present", "supported"})  # WebAuthn L2 §5.8.1 TokenBindingStatus

#: §7.1 steps 5-6 / §7.2 steps 9-10: UTF-8 decode (a BOM is dropped, J12) and parse one JSON
#: object, strictly, refusing duplicate keys (J11). Compiled: ~0.45 us where json with an
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
    # §7.1 step 7 / §7.2 step 11: the ceremony type, exactly (J02)
    if cd.get("type") != type:
        raise VerificationError("client_data.type_mismatch", f"clientDataJSON type is {cd.get('type')!r}, expected {type!r}")
    # step 8 / 12: challenge is the base64url (no padding) encoding of the issued challenge (J03)
    expected_challenge(challenge)
    got = cd.get("challenge")
    if not isinstance(got, str) or got != encode_challenge(challenge):
        raise VerificationError("client_data.challenge_mismatch", "clientDataJSON challenge does not match the issued challenge")
    # step 9 / 13: origin is one the RP expects, compared exactly (J05-J07)
    origin = cd.get("origin")
    if not isinstance(origin, str) or origin not in origins:
        raise VerificationError("client_data.origin_mismatch", f"origin {origin!r} is not an expected origin")
    # step 10 / 14: crossOrigin only where the RP expects to be embedded (J08)
    cross = cd.get("crossOrigin", False)
    if not isinstance(cross, bool):
        raise VerificationError("client_data.cross_origin", "crossOrigin is not a boolean")
    if cross and not allow_cross_origin:
        raise VerificationError("client_data.cross_origin", "cross-origin ceremonies are not allowed")
    # step 11 / 15: topOrigin only when expected, and then one of the allowed top origins (J09)
    if "topOrigin" in cd:
        top = cd["topOrigin"]
        if not cross or not isinstance(top, str) or top not in top_origins:
            raise VerificationError("client_data.top_origin", f"topOrigin {top!r} is not allowed")
    # tokenBinding (L2 §5.8.1; conformance F-15..17): an object with a known status (J10). A string
    # (pre-L1 clients with U2F keys send "unused") carries no binding and is ignored, as peers do
    # (docs/stricter-than-peers.md, issue 16).
    if "tokenBinding" in cd and not isinstance(cd["tokenBinding"], str):
        tb = cd["tokenBinding"]
        if not isinstance(tb, dict) or tb.get("status") not in _TOKEN_BINDING_STATUS:
            raise VerificationError("client_data.token_binding", "tokenBinding must be an object with a valid status")
        if tb["status"] == "present":
            raise VerificationError("client_data.token_binding", "token binding is not supported by this relying party")
