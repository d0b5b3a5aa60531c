"""`none` attestation (WebAuthn L3 §8.7): the statement must be the empty map (N01)."""
from __future__ import annotations

from ..errors import VerificationError
from . import Context, Statement, StatementResult

_NONE = StatementResult("none")


def verify(stmt: Statement, ctx: Context) -> StatementResult:
    if stmt:
        raise VerificationError("none.statement_not_empty", "none attestation statement must be an empty map")
    return _NONE
