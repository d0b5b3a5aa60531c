"""`packed` attestation (WebAuthn L3 §8.2): full (x5c) and self attestation."""
from __future__ import annotations

from .. import algorithms, certificates
from ..errors import VerificationError
from . import Context, Statement, StatementResult

_SELF = StatementResult("self")
_FIELDS = frozenset({"alg", "sig", "x5c"})


def verify(stmt: Statement, ctx: Context) -> StatementResult:
    # §8.2 syntax: {alg, sig, x5c?}; ECDAA was removed in L3 (P11)
    if "ecdaaKeyId" in stmt:
        raise VerificationError("packed.ecdaa_unsupported", "ECDAA attestation is not supported")
    if not stmt.keys() <= _FIELDS:
        raise VerificationError("format.statement_malformed", f"unexpected packed statement keys {sorted(map(str, stmt.keys() - _FIELDS))}")
    if "alg" not in stmt or "sig" not in stmt:
        raise VerificationError("packed.missing_field", "packed statement lacks alg or sig")  # P01
    alg, sig = stmt["alg"], stmt["sig"]
    if type(alg) is not int or alg not in algorithms.ALGORITHMS:
        raise VerificationError("packed.invalid_alg", f"packed alg {alg!r} is not a supported COSE algorithm")  # P02
    if type(sig) is not bytes or not sig:
        raise VerificationError("packed.invalid_sig", "packed sig is not a non-empty byte string")  # P03

    if "x5c" in stmt:
        # §8.2 verification procedure, x5c present
        x5c = certificates.parse_x5c(stmt["x5c"])
        leaf = certificates.load(x5c[0])
        algorithms.verify(alg, leaf.public_key, sig, ctx.signed_data, "packed.signature_invalid")
        certificates.check_packed_leaf(x5c[0], ctx.auth_data.aaguid)  # §8.2.1
        return StatementResult("basic", x5c)  # basic or attca: indistinguishable from the statement

    # §8.2 self attestation: alg matches the credential key's; the credential key signs
    if alg != ctx.cose_key.alg:
        raise VerificationError("packed.alg_mismatch", f"self attestation alg {alg} differs from credential alg {ctx.cose_key.alg}")  # P04
    algorithms.verify(alg, ctx.public_key, sig, ctx.signed_data, "packed.signature_invalid")
    return _SELF
