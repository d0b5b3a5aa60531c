"""The type annotations agree with what the code accepts at runtime.

mypy itself runs in scripts/typecheck.sh; these checks catch what it cannot see: a Literal
alias that drifted from the tuple the runtime validates against, Policy's declared
constructor out of step with its fields, and the typed user program actually working.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import sys
import typing
from pathlib import Path

import pytest

import fastattest
from fastattest import batch, options, policy, types

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "alias, runtime",
    [
        (types.UserVerification, options._UV),
        (types.UserVerification, policy._UV),
        (types.AttestationConveyance, options._ATTESTATION),
        (types.ResidentKey, options._RESIDENT_KEY),
        (types.AuthenticatorAttachment, options._ATTACHMENT),
        (types.Hint, options._HINTS),
        (types.ReverifyMode, batch._MODES),
        (types.ReverifyAt, batch._AT),
        (types.CounterRegression, ("reject", "flag")),
        (types.CertificationLevel, (1, 2, 3)),
    ],
)
def test_literal_aliases_match_the_runtime_checks(alias: object, runtime: tuple[object, ...]) -> None:
    assert set(typing.get_args(alias)) == set(runtime)


def test_counter_regression_and_certification_level_are_enforced_as_typed() -> None:
    for value in typing.get_args(types.CounterRegression):
        assert fastattest.Policy(counter_regression=value).counter_regression == value
    with pytest.raises(ValueError):
        fastattest.Policy(counter_regression="warn")  # type: ignore[arg-type]
    for level in typing.get_args(types.CertificationLevel):
        with pytest.warns(UserWarning):
            assert fastattest.Policy(min_certification_level=level).min_certification_level == level
    with pytest.raises(ValueError):
        fastattest.Policy(min_certification_level=4)  # type: ignore[arg-type]


def _declared_policy_init() -> ast.FunctionDef:
    tree = ast.parse(inspect.getsource(policy))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Policy")
    block = next(n for n in cls.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    return next(n for n in block.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")


def test_policy_declared_init_matches_the_dataclass_fields() -> None:
    """Policy's TYPE_CHECKING ``__init__`` (what type checkers see) lists every field, in
    order, with the field's default: a field added without it would be invisible to users."""
    init = _declared_policy_init()
    args = init.args.args[1:]  # without self
    fields = [f for f in dataclasses.fields(fastattest.Policy) if f.init]
    assert [a.arg for a in args] == [f.name for f in fields]
    assert not init.args.kwonlyargs and init.args.vararg is None and init.args.kwarg is None
    assert len(init.args.defaults) == len(fields)
    for f, default in zip(fields, init.args.defaults):
        value = eval(compile(ast.Expression(default), "policy.py", "eval"), vars(policy))  # noqa: S307 - our source
        assert value == f.default, f.name


def test_policy_accepts_the_declared_input_types() -> None:
    p = fastattest.Policy(algorithms=[-7, -257], rejected_statuses={"REVOKED"}, top_origins=["https://a.example"],
                          crls=[], require_trusted=True, allowed_aaguids=["08987058-cadc-4b81-b6e1-30de50dcbe96"])
    assert p.algorithms == frozenset({-7, -257}) and p.rejected_statuses == frozenset({"REVOKED"})
    assert p.top_origins == ("https://a.example",) and p.crls == ()
    assert p.allowed_aaguids is not None and len(p.allowed_aaguids) == 1


def test_typed_user_program_runs() -> None:
    sys.path.insert(0, str(ROOT / "tests" / "typing"))
    try:
        import check_public_api
    finally:
        sys.path.pop(0)
    out = check_public_api.main()
    assert isinstance(out["entries"], int) and out["entries"] > 0
    opts = json.loads(str(out["options"]))
    assert opts["authenticatorSelection"]["residentKey"] == "required"
    assert opts["authenticatorSelection"]["authenticatorAttachment"] == "cross-platform"
    assert opts["hints"] == ["security-key", "hybrid"]
    assert out["audit"] == []
    assert out["bad"] == {"error": "response.missing_field"}


def test_package_ships_type_information() -> None:
    # the package as imported: the source tree here, the installed wheel in scripts/wheel.sh
    pkg = Path(fastattest.__file__).parent
    assert (pkg / "py.typed").is_file() and (pkg / "_core.pyi").is_file()
