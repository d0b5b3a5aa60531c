"""Placeholder until this format lands: refuses with a coded error."""
from __future__ import annotations

from ..errors import VerificationError
from . import Context, StatementResult


def verify(stmt: dict, ctx: Context) -> StatementResult:
    raise VerificationError("format.unsupported", "this attestation statement format is not supported yet")
