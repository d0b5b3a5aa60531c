"""The PublicKeyCredential JSON envelope (WebAuthn L3 §5.1, `toJSON()`), decoded strictly.

Binary fields are base64url; standard base64 and padding are accepted too, because real
clients and stored records contain both.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Mapping  # isinstance on typing.Mapping costs ~2 us a call
from typing import Any

from . import _core
from .errors import VerificationError

MAX_RESPONSE = 1024 * 1024  # R01: cap before parsing


#: base64url or standard base64, padded or not; anything else is refused (compiled core)
b64decode = _core.b64decode


#: base64url without padding (RFC 4648 §5), as stored records and the JSON form carry it
b64encode = _core.b64url_encode


def load_json(response: Any) -> Mapping[str, Any]:
    if type(response) is dict:  # the common case: a framework already decoded the body
        return response
    if isinstance(response, (bytes, bytearray, str)):
        if len(response) > MAX_RESPONSE:
            raise VerificationError("input.too_large", f"response is larger than {MAX_RESPONSE} bytes")
        try:
            response = json.loads(response)
        except (ValueError, RecursionError) as exc:
            raise VerificationError("response.malformed", f"response is not JSON: {exc}") from None
    if type(response) is not dict and not isinstance(response, Mapping):
        raise VerificationError("response.malformed", "response is not a JSON object")
    return response


def _field(obj: Mapping[str, Any], name: str, where: str = "response") -> Any:
    try:
        return obj[name]
    except KeyError:
        raise VerificationError("response.missing_field", f"{where} lacks {name}") from None


@dataclass(slots=True)
class Envelope:
    credential_id: bytes  # rawId, checked equal to id (D10)
    client_data_json: bytes
    attestation_object: bytes | None
    authenticator_data: bytes | None
    signature: bytes | None
    user_handle: bytes | None
    transports: tuple[str, ...]
    authenticator_attachment: str | None
    client_extension_results: Mapping[str, Any]


def parse(response: Any, *, registration: bool) -> Envelope:
    obj = load_json(response)
    if obj.get("type", "public-key") != "public-key":
        raise VerificationError("response.type", "credential type is not public-key")
    inner = _field(obj, "response")
    if type(inner) is not dict and not isinstance(inner, Mapping):
        raise VerificationError("response.malformed", "response.response is not an object")
    raw_id = b64decode(_field(obj, "rawId") if "rawId" in obj else _field(obj, "id"), "rawId")
    if "id" in obj and obj["id"] != obj.get("rawId") and b64decode(obj["id"], "id") != raw_id:
        raise VerificationError("response.credential_id_mismatch", "id and rawId differ")
    cdj = b64decode(_field(inner, "clientDataJSON", "response.response"), "clientDataJSON")
    transports = inner.get("transports", obj.get("transports", ())) or ()
    if type(transports) is not list and not isinstance(transports, tuple):
        raise VerificationError("response.malformed", "transports is not a list of strings")
    for t in transports:
        if not isinstance(t, str):
            raise VerificationError("response.malformed", "transports is not a list of strings")
    ext = obj.get("clientExtensionResults", {}) or {}
    if type(ext) is not dict and not isinstance(ext, Mapping):
        raise VerificationError("response.malformed", "clientExtensionResults is not an object")
    attachment = obj.get("authenticatorAttachment")
    if registration:
        return Envelope(
            raw_id, cdj, b64decode(_field(inner, "attestationObject", "response.response"), "attestationObject"),
            None, None, None, tuple(transports), attachment if isinstance(attachment, str) else None, ext,
        )
    uh = inner.get("userHandle")
    return Envelope(
        raw_id, cdj, None,
        b64decode(_field(inner, "authenticatorData", "response.response"), "authenticatorData"),
        b64decode(_field(inner, "signature", "response.response"), "signature"),
        b64decode(uh, "userHandle") if uh else None,
        tuple(transports), attachment if isinstance(attachment, str) else None, ext,
    )
