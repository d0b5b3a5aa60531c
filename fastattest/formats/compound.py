"""`compound` attestation (WebAuthn L3 §8.9).

``attStmt`` is an ARRAY of at least two statements, each ``{fmt, attStmt}`` of a format other
than compound. Every statement is verified by its own format's procedure against the same
authenticatorData and clientDataHash; whether the combination is trusted is decided by
``fastattest.attestation`` (``Policy.compound_require_all``), which assesses every part.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..errors import VerificationError
from . import Context, Statement, StatementResult

MAX_STATEMENTS = 8  # resource cap (M01): real authenticators send two or three


def verify(stmt: list[Any] | Statement, ctx: Context) -> StatementResult:
    from . import registry

    # §8.9 syntax: attStmt: [2* nonCompoundAttStmt] (M01)
    if not isinstance(stmt, list):
        raise VerificationError("compound.invalid_statement", "compound attStmt is not an array")
    if len(stmt) > MAX_STATEMENTS:
        raise VerificationError("compound.too_many", f"compound attStmt has more than {MAX_STATEMENTS} statements")
    if len(stmt) < 2:
        raise VerificationError("compound.invalid_statement", "compound attStmt has fewer than two statements")
    formats = registry()
    parts: list[StatementResult] = []
    for i, item in enumerate(stmt):
        if not isinstance(item, dict) or set(item) != {"fmt", "attStmt"}:
            raise VerificationError("compound.invalid_statement", f"compound statement {i} is not a {{fmt, attStmt}} map")
        fmt, att_stmt = item["fmt"], item["attStmt"]
        if not isinstance(fmt, str) or not isinstance(att_stmt, (dict, list)):
            raise VerificationError("compound.invalid_statement", f"compound statement {i} has a mistyped fmt or attStmt")
        if fmt == "compound":
            raise VerificationError("compound.nested", "a compound statement must not contain a compound statement")
        verifier = formats.get(fmt)
        if verifier is None:  # §7.1 step 20, case-sensitive (F01)
            raise VerificationError("format.unsupported", f"attestation statement format {fmt!r} is not supported")
        if not isinstance(att_stmt, dict):
            raise VerificationError("compound.invalid_statement", f"compound statement {i} attStmt is not a map")
        part = verifier(att_stmt, ctx)  # every statement must verify (§8.9 verification procedure)
        parts.append(replace(part, details={**part.details, "fmt": fmt}))
    types = {p.attestation_type for p in parts}
    attestation_type = types.pop() if len(types) == 1 else parts[0].attestation_type
    # the combination's own trust path is its first statement's; each part keeps its own
    return StatementResult(attestation_type, parts[0].trust_path, parts=tuple(parts), details={"fmts": [p.details["fmt"] for p in parts]})
