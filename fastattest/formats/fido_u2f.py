"""`fido-u2f` attestation (WebAuthn L3 §8.6)."""
from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec

from .. import algorithms, certificates
from ..errors import VerificationError
from . import Context, Statement, StatementResult

_ZERO_AAGUID = bytes(16)


def verify(stmt: Statement, ctx: Context) -> StatementResult:
    if stmt.keys() != {"sig", "x5c"}:
        raise VerificationError("fido_u2f.invalid_statement", "fido-u2f statement must hold exactly sig and x5c")
    sig, x5c_value = stmt["sig"], stmt["x5c"]
    if type(sig) is not bytes or not sig:
        raise VerificationError("fido_u2f.invalid_statement", "fido-u2f sig is not a non-empty byte string")
    # step 2: exactly one certificate, with an EC P-256 key (U01)
    if not isinstance(x5c_value, list) or len(x5c_value) != 1:
        raise VerificationError("fido_u2f.invalid_certificate", "fido-u2f x5c must hold exactly one certificate")
    x5c = certificates.parse_x5c(x5c_value)
    leaf = certificates.load(x5c[0])
    if not isinstance(leaf.public_key, ec.EllipticCurvePublicKey) or leaf.public_key.curve.name != "secp256r1":
        raise VerificationError("fido_u2f.invalid_certificate", "fido-u2f attestation certificate key is not EC P-256")
    # U2F authenticators have no AAGUID (conformance Resp-8 F-1)
    if ctx.auth_data.aaguid != _ZERO_AAGUID:
        raise VerificationError("fido_u2f.aaguid_not_zero", "fido-u2f authenticator data must carry the zero AAGUID")
    # step 3-4: the credential key is an uncompressed P-256 point (x, y 32 bytes each)
    key = ctx.cose_key
    if key.kty != algorithms.KTY_EC2 or key.crv != algorithms.CRV_P256 or key.alg != -7:
        raise VerificationError("fido_u2f.invalid_credential_key", "fido-u2f credential key must be ES256 on P-256")
    cred_id = ctx.auth_data.credential_id
    if key.x is None or key.y is None or cred_id is None:  # the core sets them for an EC2 key / with AT
        raise VerificationError("fido_u2f.invalid_credential_key", "fido-u2f credential key lacks its coordinates")
    # step 5-6: verificationData = 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ 0x04 ‖ x ‖ y
    data = b"".join(
        (b"\x00", ctx.auth_data.rp_id_hash, ctx.client_data_hash, cred_id, b"\x04", key.x, key.y)
    )
    algorithms.verify(-7, leaf.public_key, sig, data, "fido_u2f.signature_invalid")
    return StatementResult("basic", x5c)
