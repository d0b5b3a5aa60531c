"""compound attestation (WebAuthn L3 §8.9): every statement verified; M01.

Most tests call the
format's ``verify`` with a Context, and ``fastattest.attestation.verify_parsed`` with a parsed
object whose attStmt is the array, to check how the trust of the parts is combined.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from fastattest import VerificationError, _core, attestation
from fastattest.formats import compound
from fastattest.policy import Policy

import format_helpers as H


def _pair(**kw):
    cred = H.ec_key()
    a = H.android_key(cred=cred)
    b = H.apple(cred=cred)
    assert a.ad == b.ad
    stmt = [{"fmt": "android-key", "attStmt": a.stmt}, {"fmt": "apple", "attStmt": b.stmt}]
    anchors = {"android-key": [a.pki.root.pem], "apple": [b.pki.root.pem]}
    return a.ad, stmt, anchors


def _verify(ad: bytes, stmt, **kw):
    return compound.verify(stmt, H.context(ad, H.CDH, **kw))


def _code(ad: bytes, stmt) -> str:
    with pytest.raises(VerificationError) as e:
        _verify(ad, stmt)
    return e.value.code


def _assess(ad: bytes, stmt, anchors, policy: Policy | None = None):
    obj = SimpleNamespace(fmt="compound", att_stmt=stmt, auth_data=_core.parse_authenticator_data(ad))
    return attestation.verify_parsed(obj, H.CDH, attestation.prepare_anchors(anchors), None, H.NOW, policy or Policy())


def test_two_statements_verify() -> None:
    ad, stmt, _ = _pair()
    res = _verify(ad, stmt)
    assert [p.details["fmt"] for p in res.parts] == ["android-key", "apple"]
    assert [p.attestation_type for p in res.parts] == ["basic", "anonca"]
    assert res.attestation_type == "basic"  # mixed: the first statement's type
    assert res.trust_path == res.parts[0].trust_path


def test_self_and_none_parts() -> None:
    cred = H.ec_key()
    ad = H.auth_data(cred.public_key())
    packed_self = {"alg": -7, "sig": H.sign_ecdsa(cred, ad + H.CDH)}
    res = _verify(ad, [{"fmt": "packed", "attStmt": packed_self}, {"fmt": "packed", "attStmt": dict(packed_self)}])
    assert res.attestation_type == "self" and len(res.parts) == 2


def test_trust_of_the_parts_is_combined() -> None:
    ad, stmt, anchors = _pair()
    res = _assess(ad, stmt, anchors)
    assert res.trusted and [p.trusted for p in res.parts] == [True, True]
    only_android = {"android-key": anchors["android-key"]}
    res = _assess(ad, stmt, only_android)
    assert not res.trusted and [p.trusted for p in res.parts] == [True, False]
    res = _assess(ad, stmt, only_android, Policy(compound_require_all=False))
    assert res.trusted


def test_a_failing_part_fails_the_whole() -> None:
    ad, stmt, _ = _pair()
    stmt[1]["attStmt"]["x5c"] = list(reversed(stmt[1]["attStmt"]["x5c"]))  # leaf is now the CA: no nonce
    assert _code(ad, stmt) == "apple.nonce_missing"


# --- M01 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stmt", [{}, {"fmt": "none", "attStmt": {}}, "x", None, b""])
def test_M01_not_an_array(stmt) -> None:
    ad, _, _ = _pair()
    assert _code(ad, stmt) == "compound.invalid_statement"


def test_M01_fewer_than_two() -> None:
    ad, stmt, _ = _pair()
    assert _code(ad, []) == "compound.invalid_statement"
    assert _code(ad, stmt[:1]) == "compound.invalid_statement"


def test_M01_nested_compound() -> None:
    ad, stmt, _ = _pair()
    assert _code(ad, [stmt[0], {"fmt": "compound", "attStmt": stmt}]) == "compound.nested"


@pytest.mark.parametrize(
    "item",
    [
        {"attStmt": {}},
        {"fmt": "none"},
        {"fmt": 1, "attStmt": {}},
        {"fmt": "none", "attStmt": b""},
        {"fmt": "none", "attStmt": {}, "authData": b""},
        ["none", {}],
    ],
)
def test_M01_missing_or_mistyped_fmt(item) -> None:
    ad, stmt, _ = _pair()
    assert _code(ad, [stmt[0], item]) == "compound.invalid_statement"


def test_M01_unknown_fmt() -> None:
    ad, stmt, _ = _pair()
    assert _code(ad, [stmt[0], {"fmt": "Packed", "attStmt": {}}]) == "format.unsupported"


@pytest.mark.parametrize("n", [compound.MAX_STATEMENTS + 1, 10_000])
def test_M01_too_many(n: int) -> None:
    ad, stmt, _ = _pair()
    assert _code(ad, [stmt[0]] * n) == "compound.too_many"


def test_M01_huge_array_in_an_attestation_object_is_refused_by_the_parser() -> None:
    import cbor2

    ad, stmt, _ = _pair()
    data = cbor2.dumps({"fmt": "compound", "attStmt": [{"fmt": "none", "attStmt": {}}] * 10_000, "authData": ad}, canonical=True)
    with pytest.raises(VerificationError):
        _core.parse_attestation_object(data)


def test_compound_through_verify_attestation() -> None:
    import cbor2

    import fastattest

    ad, stmt, anchors = _pair()
    data = cbor2.dumps({"fmt": "compound", "attStmt": stmt, "authData": ad}, canonical=True)
    res = fastattest.verify_attestation(data, H.CDH, trust_anchors=anchors, now=H.NOW)
    assert res.fmt == "compound" and res.trusted and len(res.parts) == 2
    assert [p.fmt for p in res.parts] == ["android-key", "apple"]
    # an array statement is only valid for compound
    bad = cbor2.dumps({"fmt": "packed", "attStmt": stmt, "authData": ad}, canonical=True)
    with pytest.raises(VerificationError) as e:
        fastattest.verify_attestation(bad, H.CDH, now=H.NOW)
    assert e.value.code == "attestation_object.field_type"
