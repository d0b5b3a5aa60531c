"""`android-safetynet` attestation (WebAuthn L3 §8.5; SafetyNet is deprecated by Google).

The statement is ``{ver, response}``: ``response`` is a compact JWS (RFC 7515 §7.1) made by the
SafetyNet service, with the signing certificate chain in its header's ``x5c``. We check the
JWS strictly (algorithm allow-list, never ``none`` or HMAC), that the certificate is issued
to ``attest.android.com``, that the payload's ``nonce`` binds authenticatorData ‖
clientDataHash, the device integrity verdict, and the response's age.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .. import _core, algorithms, certificates, trust
from ..errors import VerificationError
from . import Context, StatementResult
from ._pinned import pinned_store

HOSTNAME = "attest.android.com"
MAX_RESPONSE = 64 * 1024
#: tolerated clock skew for a timestampMs ahead of ``now`` (the device's and the RP's clocks)
FUTURE_SKEW = timedelta(seconds=60)
_FIELDS = frozenset({"ver", "response"})
PINNED_ROOTS = ("globalsign-root-ca-r1-safetynet.pem", "globalsign-root-ca-r2-safetynet.pem")

#: JWS "alg" (RFC 7518 §3.1) -> COSE algorithm. none and HS* are never accepted.
JWS_ALGORITHMS: dict[str, int] = {
    "RS256": -257,
    "RS384": -258,
    "RS512": -259,
    "PS256": -37,
    "PS384": -38,
    "PS512": -39,
    "ES256": -7,
    "ES384": -35,
    "ES512": -36,
}


def _b64url(part: bytes, what: str) -> bytes:
    # RFC 7515 §2: base64url without padding, canonical (compiled core)
    try:
        return _core.b64url_decode(part, what)
    except VerificationError:
        raise VerificationError("android_safetynet.jws_malformed", f"JWS {what} is not base64url") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise VerificationError("android_safetynet.jws_malformed", f"JWS JSON has a duplicate key {k!r}")
        out[k] = v
    return out


def _json(raw: bytes, what: str) -> dict:
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except VerificationError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise VerificationError("android_safetynet.jws_malformed", f"JWS {what} is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise VerificationError("android_safetynet.jws_malformed", f"JWS {what} is not a JSON object")
    return value


def _header_x5c(header: dict) -> tuple[bytes, ...]:
    # RFC 7515 §4.1.6: x5c is an array of standard-base64 DER certificates
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        raise VerificationError("certificate.x5c_invalid", "JWS header x5c is not a non-empty array of strings")
    if len(x5c) > certificates.MAX_X5C:
        raise VerificationError("certificate.too_large", f"x5c has more than {certificates.MAX_X5C} certificates")
    try:
        ders = [base64.b64decode(c, validate=True) for c in x5c]
    except (binascii.Error, ValueError):
        raise VerificationError("certificate.x5c_invalid", "JWS header x5c holds a certificate that is not base64") from None
    return certificates.parse_x5c(ders)


def _issued_to_host(info: certificates.CertInfo) -> bool:
    """RFC 6125 §6.4: the SAN dNSNames if there are any, else the subject CN."""
    san = certificates.subject_alt_names(info)  # certificate.extension_malformed if it does not decode
    if san is not None:
        return HOSTNAME in [value for kind, value in san if kind == "dns"]
    cns = info.subject.get(certificates.OID_COMMON_NAME)
    return len(cns) == 1 and cns[0] == HOSTNAME


def _signature(alg: algorithms.Algorithm, sig: bytes) -> bytes:
    """JWS ECDSA signatures are R ‖ S (RFC 7518 §3.4); our verifier takes strict DER."""
    if alg.kind != "ecdsa":
        return sig
    if len(sig) != 2 * alg.coord_len:
        raise VerificationError("android_safetynet.signature_invalid", "JWS ECDSA signature has the wrong length")
    n = alg.coord_len
    return encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))


def pinned_anchors() -> trust.TrustStore:
    return pinned_store(PINNED_ROOTS)


def verify(stmt: dict, ctx: Context) -> StatementResult:
    # §8.5 syntax: {ver: text, response: bytes} (S01)
    if not isinstance(stmt, dict) or not stmt.keys() <= _FIELDS:
        raise VerificationError("format.statement_malformed", "android-safetynet statement has unexpected keys")
    ver, response = stmt.get("ver"), stmt.get("response")
    if type(ver) is not str or not ver:
        raise VerificationError("android_safetynet.invalid_statement", "ver is not a non-empty text string")
    if type(response) is not bytes or not response:
        raise VerificationError("android_safetynet.invalid_statement", "response is not a non-empty byte string")
    if len(response) > MAX_RESPONSE:
        raise VerificationError("input.too_large", f"SafetyNet response is larger than {MAX_RESPONSE} bytes")

    # §8.5 step 2: a valid SafetyNet response (RFC 7515 compact serialization)
    parts = response.split(b".")
    if len(parts) != 3 or not parts[0] or not parts[1] or not parts[2]:
        raise VerificationError("android_safetynet.jws_malformed", "response is not a compact JWS of three non-empty parts")
    header = _json(_b64url(parts[0], "header"), "header")
    payload = _json(_b64url(parts[1], "payload"), "payload")
    signature = _b64url(parts[2], "signature")
    name = header.get("alg")
    if not isinstance(name, str) or name not in JWS_ALGORITHMS:
        raise VerificationError("android_safetynet.bad_algorithm", f"JWS alg {name!r} is not allowed")
    if "crit" in header:  # RFC 7515 §4.1.11: we understand no extension
        raise VerificationError("android_safetynet.jws_malformed", "JWS header has crit parameters")
    alg = algorithms.algorithm(JWS_ALGORITHMS[name])
    x5c = _header_x5c(header)
    leaf = certificates.load(x5c[0])

    # §8.5 step 4: the attestation certificate is issued to attest.android.com
    if not _issued_to_host(leaf):
        raise VerificationError("android_safetynet.hostname", f"the SafetyNet certificate is not issued to {HOSTNAME}")
    algorithms.verify(alg, leaf.public_key, _signature(alg, signature), parts[0] + b"." + parts[1], "android_safetynet.signature_invalid")

    # §8.5 step 3: nonce = base64(SHA-256(authenticatorData ‖ clientDataHash))
    expected = base64.b64encode(hashlib.sha256(ctx.signed_data).digest()).decode()
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce.encode(), expected.encode()):
        raise VerificationError("android_safetynet.nonce_mismatch", "SafetyNet nonce does not bind authenticatorData and clientDataHash")

    # SafetyNet documentation: device integrity verdict
    if payload.get("basicIntegrity", True) is not True:
        raise VerificationError("android_safetynet.cts_profile", "SafetyNet basicIntegrity is not true")
    if ctx.policy.safetynet_require_cts and payload.get("ctsProfileMatch") is not True:
        raise VerificationError("android_safetynet.cts_profile", "SafetyNet ctsProfileMatch is not true")

    # freshness: timestampMs is milliseconds since the epoch (conformance: ≤ 60 s old, not ahead)
    ts = payload.get("timestampMs")
    if type(ts) is not int or ts < 0:
        raise VerificationError("android_safetynet.jws_malformed", "SafetyNet timestampMs is not a non-negative integer")
    now_ms = int(ctx.now.timestamp() * 1000)
    if ts > now_ms + int(FUTURE_SKEW.total_seconds() * 1000):
        raise VerificationError("android_safetynet.timestamp_future", "SafetyNet timestampMs is in the future")
    if now_ms - ts > ctx.policy.safetynet_max_age * 1000:
        raise VerificationError("android_safetynet.timestamp_stale", f"SafetyNet response is older than {ctx.policy.safetynet_max_age} s")

    # §8.5 step 5: basic attestation with the JWS header x5c as the trust path
    return StatementResult("basic", x5c, pinned_anchors(), details={"ver": ver, "cts_profile_match": payload.get("ctsProfileMatch")})
