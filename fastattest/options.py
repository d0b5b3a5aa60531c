"""Ceremony options (WebAuthn L3 §5.4, §5.5) in their JSON forms (§5.1.9:
PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON), and the
ceremony state the relying party keeps until the response arrives.

``options`` is exactly what ``PublicKeyCredential.parseCreationOptionsFromJSON()`` /
``parseRequestOptionsFromJSON()`` take: binary members as base64url strings, nothing else.
``state`` is plain JSON data (no keys, no objects): any RelyingParty with the same
configuration accepts it, in this process or another. The checks it drives live in
``relying_party.py``; this module only builds and reads it.
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from .errors import VerificationError
from .response import b64decode, b64encode

__all__ = ["registration_options", "authentication_options", "read_state", "CHALLENGE_SIZE", "ALGORITHM_PREFERENCE"]

#: §13.4.3: challenges are at least 16 random bytes; 32 leaves room
CHALLENGE_SIZE = 32
STATE_VERSION = 1
REGISTRATION, AUTHENTICATION = "webauthn.create", "webauthn.get"

#: pubKeyCredParams order (§5.4: "in descending order of preference"): the widely supported
#: ES256 first, then EdDSA, the other ECDSA curves, RSA-PSS, RSA PKCS#1 v1.5, then the rest
ALGORITHM_PREFERENCE = (-7, -8, -35, -36, -9, -51, -52, -19, -53, -37, -38, -39, -257, -258, -259, -48, -49, -50)

_ATTESTATION = ("none", "indirect", "direct", "enterprise")  # §5.4.7 AttestationConveyancePreference
_UV = ("required", "preferred", "discouraged")  # §5.8.6 UserVerificationRequirement
_RESIDENT_KEY = ("discouraged", "preferred", "required")  # §5.4.6 ResidentKeyRequirement
_ATTACHMENT = ("platform", "cross-platform")  # §5.4.5 AuthenticatorAttachment
_HINTS = ("security-key", "client-device", "hybrid")  # §5.8.7 PublicKeyCredentialHint
_TRANSPORTS = ("usb", "nfc", "ble", "smart-card", "hybrid", "internal")  # §5.8.4 AuthenticatorTransport
MAX_TIMEOUT_MS = 24 * 3600 * 1000


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {', '.join(allowed)}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _text(name: str, value: Any, *, max_len: int = 256) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str")
    if not value or len(value.encode("utf-8")) > max_len:
        raise ValueError(f"{name} must be 1-{max_len} bytes of UTF-8")
    return value


def _timeout(timeout_ms: Any) -> int:
    if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int):
        raise TypeError("timeout_ms must be an int (milliseconds)")
    if not 0 < timeout_ms <= MAX_TIMEOUT_MS:
        raise ValueError(f"timeout_ms must be between 1 and {MAX_TIMEOUT_MS}")
    return timeout_ms


def _hints(hints: Any) -> list[str]:
    if isinstance(hints, str) or not isinstance(hints, Iterable):
        raise TypeError("hints must be a sequence of str")
    out = [_choice("hint", h, _HINTS) for h in hints]
    if len(set(out)) != len(out):
        raise ValueError("hints must not repeat")
    return out


def _add_extensions(ext: dict[str, Any], extensions: Mapping[str, Any] | None) -> None:
    """The caller's extension inputs (§5.7.1, JSON-ready values) over the ones set here."""
    if extensions is not None:
        if not isinstance(extensions, Mapping):
            raise TypeError("extensions must be a mapping")
        ext.update(extensions)


def _appid(name: str, value: Any) -> str | None:
    """§10.1.1: the AppID is an https URL (FIDO AppID and Facet spec §3.1.2)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str (an https:// URL)")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{name} must be an https:// URL, not {value!r}")
    return value


def _descriptors(name: str, credentials: Any) -> list[dict[str, Any]]:
    """PublicKeyCredentialDescriptorJSON (§5.8.3) for stored Credentials (or raw IDs)."""
    if credentials is None:
        return []
    if isinstance(credentials, (str, bytes, Mapping)) or not isinstance(credentials, Iterable):
        raise TypeError(f"{name} must be a sequence of Credential (or credential ID bytes)")
    out: list[dict[str, Any]] = []
    cid: object
    transports: Iterable[object]
    for c in credentials:
        if isinstance(c, (bytes, bytearray)):
            cid, transports = bytes(c), ()
        else:
            cid = getattr(c, "credential_id", None)
            transports = getattr(c, "transports", ())
            if not isinstance(cid, (bytes, bytearray)):
                raise TypeError(f"{name} items must be Credential objects or credential ID bytes")
        if not cid:
            raise ValueError(f"{name}: an empty credential ID")
        d: dict[str, Any] = {"type": "public-key", "id": b64encode(bytes(cid))}
        # §5.8.4: clients ignore unknown transports; we pass on only the values the spec defines
        known = [t for t in transports if t in _TRANSPORTS]
        if known:
            d["transports"] = known
        out.append(d)
    return out


def _algorithms(algorithms: Iterable[int]) -> list[dict[str, Any]]:
    rank = {a: i for i, a in enumerate(ALGORITHM_PREFERENCE)}
    ordered = sorted(algorithms, key=lambda a: (rank.get(a, len(rank)), a))
    # §5.3 PublicKeyCredentialParameters; RS1 (-65535) is never offered for credential keys
    return [{"type": "public-key", "alg": a} for a in ordered if a != -65535]


def _challenge(given: Any = None) -> bytes:
    """A fresh random challenge, or the caller's (e.g. ``ChallengeStore.issue()``), checked."""
    if given is None:
        return os.urandom(CHALLENGE_SIZE)
    if not isinstance(given, (bytes, bytearray)):
        raise TypeError("challenge must be bytes (random, from os.urandom or ChallengeStore.issue())")
    if not 16 <= len(given) <= 64:
        raise ValueError("challenge must be 16-64 random bytes (WebAuthn L3 §13.4.3)")
    return bytes(given)


def _state(kind: str, rp_id: str, challenge: bytes, uv: str, timeout_ms: int, now: float | None, **extra: Any) -> dict[str, Any]:
    issued = int(time.time() if now is None else now)
    state: dict[str, Any] = {
        "v": STATE_VERSION,
        "type": kind,
        "rp_id": rp_id,
        "challenge": b64encode(challenge),
        "user_verification": uv,
        "expires": issued + -(-timeout_ms // 1000) + 60,  # the client timeout plus a minute for the round trip
    }
    state.update({k: v for k, v in extra.items() if v is not None})
    return state


def registration_options(
    *,
    rp_id: str,
    rp_name: str,
    algorithms: Iterable[int],
    policy_user_verification: str,
    user_id: Any,
    user_name: Any,
    user_display_name: Any = None,
    exclude_credentials: Any = (),
    attestation: Any = "direct",
    attestation_formats: Any = (),
    user_verification: Any = None,
    resident_key: Any = "preferred",
    authenticator_attachment: Any = None,
    hints: Any = (),
    timeout_ms: Any = 300_000,
    appid_exclude: Any = None,
    extensions: Mapping[str, Any] | None = None,
    challenge: Any = None,
    issued_at: float | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """PublicKeyCredentialCreationOptionsJSON (§5.4) and the registration state."""
    # §5.4.3 / §14.6.1: the user handle is 1-64 opaque random bytes, never a name or e-mail
    if not isinstance(user_id, (bytes, bytearray)):
        raise TypeError("user_id must be bytes: a random user handle (e.g. os.urandom(32)), never a name or e-mail address")
    if not 1 <= len(user_id) <= 64:
        raise ValueError("user_id must be 1-64 bytes (WebAuthn L3 §5.4.3)")
    name = _text("user_name", user_name)
    if user_display_name is None:
        display = name
    elif not isinstance(user_display_name, str):
        raise TypeError("user_display_name must be a str")
    elif len(user_display_name.encode("utf-8")) > 256:
        raise ValueError("user_display_name must be at most 256 bytes of UTF-8")
    else:
        display = user_display_name  # §5.4.3: may be empty
    uv = policy_user_verification if user_verification is None else _choice("user_verification", user_verification, _UV)
    rk = _choice("resident_key", resident_key, _RESIDENT_KEY)
    att = _choice("attestation", attestation, _ATTESTATION)
    if isinstance(attestation_formats, str) or not isinstance(attestation_formats, Iterable):
        raise TypeError("attestation_formats must be a sequence of str")
    formats = list(attestation_formats)
    if not all(isinstance(f, str) and f for f in formats):
        raise TypeError("attestation_formats must be non-empty str (attestation statement format identifiers, §8)")
    hint_list = _hints(hints)
    timeout = _timeout(timeout_ms)
    params = _algorithms(algorithms)
    if not params:
        raise ValueError("the policy allows no credential algorithm")
    selection: dict[str, Any] = {
        "residentKey": rk,
        "requireResidentKey": rk == "required",  # §5.4.4: kept for WebAuthn Level 1 clients
        "userVerification": uv,
    }
    if authenticator_attachment is not None:
        selection["authenticatorAttachment"] = _choice("authenticator_attachment", authenticator_attachment, _ATTACHMENT)
    ext: dict[str, Any] = {"credProps": True}  # §10.1.3: learn whether the credential is discoverable
    appid = _appid("appid_exclude", appid_exclude)
    if appid is not None:
        ext["appidExclude"] = appid  # §10.1.2
    _add_extensions(ext, extensions)
    challenge = _challenge(challenge)
    options: dict[str, Any] = {
        "rp": {"id": rp_id, "name": rp_name},
        "user": {"id": b64encode(bytes(user_id)), "name": name, "displayName": display},
        "challenge": b64encode(challenge),
        "pubKeyCredParams": params,
        "timeout": timeout,
        "excludeCredentials": _descriptors("exclude_credentials", exclude_credentials),
        "authenticatorSelection": selection,
        "hints": hint_list,
        "attestation": att,
        "attestationFormats": formats,
        "extensions": ext,
    }
    state = _state(REGISTRATION, rp_id, challenge, uv, timeout, issued_at, user_id=b64encode(bytes(user_id)))
    return options, state


def authentication_options(
    *,
    rp_id: str,
    policy_user_verification: str,
    allow_credentials: Any = None,
    user_verification: Any = None,
    hints: Any = (),
    timeout_ms: Any = 300_000,
    appid: Any = None,
    user_id: Any = None,
    extensions: Mapping[str, Any] | None = None,
    challenge: Any = None,
    issued_at: float | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """PublicKeyCredentialRequestOptionsJSON (§5.5) and the authentication state.

    ``allow_credentials=None`` (or empty) is a discoverable sign-in: the authenticator picks
    the credential and returns the userHandle (§7.2 step 6)."""
    uv = policy_user_verification if user_verification is None else _choice("user_verification", user_verification, _UV)
    allow = _descriptors("allow_credentials", allow_credentials)
    if user_id is not None:
        if not isinstance(user_id, (bytes, bytearray)):
            raise TypeError("user_id must be bytes: the user handle")
        if not 1 <= len(user_id) <= 64:
            raise ValueError("user_id must be 1-64 bytes (WebAuthn L3 §5.4.3)")
    app = _appid("appid", appid)
    ext: dict[str, Any] = {}
    if app is not None:
        ext["appid"] = app  # §10.1.1
    _add_extensions(ext, extensions)
    timeout = _timeout(timeout_ms)
    challenge = _challenge(challenge)
    options: dict[str, Any] = {
        "challenge": b64encode(challenge),
        "timeout": timeout,
        "rpId": rp_id,
        "allowCredentials": allow,
        "userVerification": uv,
        "hints": _hints(hints),
    }
    if ext:
        options["extensions"] = ext
    state = _state(AUTHENTICATION, rp_id, challenge, uv, timeout, issued_at,
                   allow=[d["id"] for d in allow] if allow else None, appid=app,
                   user_id=None if user_id is None else b64encode(bytes(user_id)))
    return options, state


class State:
    """A decoded ceremony state: what ``register``/``verify`` enforce."""

    __slots__ = ("type", "rp_id", "challenge", "uv_required", "expires", "user_id", "allow", "appid")

    def __init__(self, d: Mapping[str, Any]) -> None:
        self.type = d["type"]
        self.rp_id = d["rp_id"]
        self.challenge = b64decode(d["challenge"], "state.challenge")
        uv = d["user_verification"]
        if uv not in _UV:
            raise ValueError("user_verification")
        self.uv_required = uv == "required"
        self.expires = d["expires"]
        if isinstance(self.expires, bool) or not isinstance(self.expires, int):
            raise ValueError("expires")
        uid = d.get("user_id")
        self.user_id = None if uid is None else b64decode(uid, "state.user_id")
        allow = d.get("allow")
        if allow is not None and (not isinstance(allow, list) or not all(isinstance(a, str) for a in allow)):
            raise ValueError("allow")
        self.allow = None if allow is None else frozenset(b64decode(a, "state.allow") for a in allow)
        self.appid = d.get("appid")
        if self.appid is not None and not isinstance(self.appid, str):
            raise ValueError("appid")


def read_state(state: Any, kind: str, rp_id: str, now: float) -> State:
    """Decode ``state`` and check it belongs to this ceremony, this RP and is not expired."""
    if isinstance(state, (str, bytes, bytearray)):
        import json

        try:
            state = json.loads(state)
        except (ValueError, RecursionError):
            raise VerificationError("state.malformed", "the ceremony state is not JSON") from None
    if not isinstance(state, Mapping):
        raise TypeError("state must be the dict returned by registration_options() / authentication_options()")
    if state.get("v") != STATE_VERSION or state.get("type") not in (REGISTRATION, AUTHENTICATION):
        raise VerificationError("state.malformed", "the ceremony state is not one fastattest issued")
    try:
        st = State(state)
    except (KeyError, TypeError, ValueError, VerificationError) as exc:
        raise VerificationError("state.malformed", f"the ceremony state is malformed ({exc})") from None
    if st.type != kind:
        other = "registration" if st.type == REGISTRATION else "authentication"
        raise VerificationError("state.ceremony_mismatch", f"the state is for a {other} ceremony")
    if st.rp_id != rp_id:
        raise VerificationError("state.rp_mismatch", f"the state was issued for RP ID {st.rp_id!r}, not {rp_id!r}")
    if now > st.expires:
        raise VerificationError("state.expired", "the ceremony timed out: request new options")
    return st
