"""`android-safetynet` attestation (WebAuthn L3 §8.5; SafetyNet is deprecated by Google).

The statement is ``{ver, response}``: ``response`` is a compact JWS (RFC 7515 §7.1) made by the
SafetyNet service, with the signing certificate chain in its header's ``x5c``. We check the
JWS strictly (algorithm allow-list, never ``none`` or HMAC), that the certificate is issued
to ``attest.android.com``, that the payload's ``nonce`` binds authenticatorData ‖
clientDataHash, the device integrity verdict, and the response's age.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

from .. import certificates, trust
from ..errors import VerificationError
from ..metadata import jws
from . import Context, Statement, StatementResult
from ._pinned import pinned_store

HOSTNAME = "attest.android.com"
MAX_RESPONSE = 64 * 1024
#: tolerated clock skew for a timestampMs ahead of ``now`` (the device's and the RP's clocks)
FUTURE_SKEW = timedelta(seconds=60)
_FIELDS = frozenset({"ver", "response"})
PINNED_ROOTS = ("globalsign-root-ca-r1-safetynet.pem", "globalsign-root-ca-r2-safetynet.pem")

#: JWS "alg" (RFC 7518 §3.1) accepted here; none, HS* and EdDSA are never accepted.
JWS_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"})

# JWS failure kinds (fastattest.metadata.jws, the one JWS verifier) -> this format's codes
_CODES = {
    jws.MALFORMED: "android_safetynet.jws_malformed",
    jws.CRIT: "android_safetynet.jws_malformed",
    jws.BAD_ALGORITHM: "android_safetynet.bad_algorithm",
    jws.X5C: "certificate.x5c_invalid",
    jws.X5C_TOO_LONG: "certificate.too_large",
    jws.SIGNATURE_INVALID: "android_safetynet.signature_invalid",
}


def _issued_to_host(info: certificates.CertInfo) -> bool:
    """RFC 6125 §6.4: the SAN dNSNames if there are any, else the subject CN."""
    san = certificates.subject_alt_names(info)  # certificate.extension_malformed if it does not decode
    if san is not None:
        return HOSTNAME in [value for kind, value in san if kind == "dns"]
    cns = info.subject.get(certificates.OID_COMMON_NAME)
    return len(cns) == 1 and cns[0] == HOSTNAME


def pinned_anchors() -> trust.TrustStore:
    return pinned_store(PINNED_ROOTS)


def verify(stmt: Statement, ctx: Context) -> StatementResult:
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
    try:
        header = jws.header(parts[0])
        payload = jws.json_object(jws.decode_segment(parts[1], "payload"), "payload")
        signature = jws.decode_segment(parts[2], "signature")
        alg = jws.check_alg(header.get("alg"), JWS_ALGORITHMS)
        x5c = certificates.parse_x5c(list(jws.x5c(header, min_items=1, max_items=certificates.MAX_X5C)))
    except jws.JWSError as exc:
        raise VerificationError(_CODES[exc.kind], exc.message) from None
    leaf = certificates.load(x5c[0])

    # §8.5 step 4: the attestation certificate is issued to attest.android.com
    if not _issued_to_host(leaf):
        raise VerificationError("android_safetynet.hostname", f"the SafetyNet certificate is not issued to {HOSTNAME}")
    try:
        jws.verify(alg, leaf.public_key, signature, parts[0] + b"." + parts[1])
    except jws.JWSError as exc:
        raise VerificationError(_CODES[exc.kind], exc.message) from None

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
