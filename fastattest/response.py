"""The PublicKeyCredential JSON envelope (WebAuthn L3 §5.1, `toJSON()`), decoded strictly.

Binary fields are base64url; standard base64 and padding are accepted too, because real
clients and stored records contain both.
"""
from __future__ import annotations

import json
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


#: The decoded envelope (compiled core, fastattest/_envelope.pxi): ``credential_id`` (rawId,
#: which must decode equal to id, D10), ``client_data_json``, ``attestation_object`` or
#: ``authenticator_data`` / ``signature`` / ``user_handle``, ``transports``,
#: ``authenticator_attachment``, ``client_extension_results``.
Envelope = _core.Envelope


def parse(response: Any, *, registration: bool) -> Envelope:
    """The envelope of a registration or an assertion response, decoded strictly: type is
    ``public-key`` when present; ``response`` is an object; rawId (else id) and the binary
    members decode as base64 (see ``b64decode``); transports is a list of strings;
    clientExtensionResults an object. Missing members raise ``response.missing_field``."""
    return _core.parse_envelope(load_json(response), registration)
