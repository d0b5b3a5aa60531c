"""`apple` anonymous attestation (WebAuthn L3 §8.8).

The statement is ``{x5c}`` (Apple also sends ``alg``, which the procedure does not use). The
credential certificate carries the nonce extension 1.2.840.113635.100.8.2, whose value is
``SEQUENCE { [1] EXPLICIT OCTET STRING }`` holding SHA-256(authenticatorData ‖ clientDataHash),
and its public key is the credential public key. The chain ends at the Apple WebAuthn Root CA.
"""
from __future__ import annotations

import hashlib
import hmac

from .. import certificates, trust
from ..errors import VerificationError
from . import Context, Statement, StatementResult
from ._pinned import pinned_store
from .android_key import same_key

OID_APPLE_NONCE = "1.2.840.113635.100.8.2"
_FIELDS = frozenset({"x5c", "alg"})
PINNED_ROOTS = ("apple-webauthn-root-ca.pem",)


# The extension value SEQUENCE { [1] EXPLICIT OCTET STRING (32 bytes) } has exactly one DER
# encoding: these 6 header bytes, then the nonce. Anything else (extra fields, BER, long-form
# lengths, another nonce size) is refused.
_NONCE_DER_HEADER = b"\x30\x24\xa1\x22\x04\x20"


def parse_nonce(value: bytes) -> bytes:
    """The 32-byte nonce of the extension value; anything but the exact DER form is refused."""
    if len(value) != 38 or value[:6] != _NONCE_DER_HEADER:
        raise VerificationError("apple.nonce_malformed", "apple nonce extension is not SEQUENCE { [1] OCTET STRING (32 bytes) }")
    return value[6:]


def pinned_anchors() -> trust.TrustStore:
    return pinned_store(PINNED_ROOTS)


def verify(stmt: Statement, ctx: Context) -> StatementResult:
    # §8.8 syntax: {x5c: [credCert, *caCert]}
    if not isinstance(stmt, dict) or not stmt.keys() <= _FIELDS:
        raise VerificationError("format.statement_malformed", "apple statement has unexpected keys")
    if "x5c" not in stmt:
        raise VerificationError("apple.invalid_statement", "apple statement lacks x5c")  # A01
    x5c = certificates.parse_x5c(stmt["x5c"])
    leaf = certificates.load(x5c[0])

    # §8.8 steps 2-4: nonce = SHA-256(authenticatorData ‖ clientDataHash) is in credCert's extension
    raw = certificates.extension_value(leaf, OID_APPLE_NONCE)
    if raw is None:
        raise VerificationError("apple.nonce_missing", "the credential certificate lacks the apple nonce extension")
    expected = hashlib.sha256(ctx.signed_data).digest()
    if not hmac.compare_digest(parse_nonce(raw), expected):
        raise VerificationError("apple.nonce_mismatch", "apple nonce is not SHA-256(authenticatorData ‖ clientDataHash)")

    # §8.8 step 5: the credential public key equals the subject public key of credCert
    if not same_key(leaf, ctx):
        raise VerificationError("apple.key_mismatch", "the credential certificate key is not the credential public key")
    # §8.8 step 6: anonymization CA attestation with x5c as the trust path
    return StatementResult("anonca", x5c, pinned_anchors())
