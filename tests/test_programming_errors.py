"""A caller's programming error (wrong type, unknown option) is a TypeError or ValueError at the
call, never a VerificationError that a log would count as a failed ceremony (issue 18)."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

import softauthn as sa
from fastattest import Credential, Policy, RelyingParty, VerificationError, reverify, verify_attestation

RP_ID, ORIGIN = "example.com", "https://example.com"


def raises(exc: type[Exception], fn, *args, **kw) -> Exception:
    with pytest.raises(exc) as ei:
        fn(*args, **kw)
    assert not isinstance(ei.value, VerificationError)
    return ei.value


@pytest.fixture(scope="module")
def registered() -> tuple[RelyingParty, sa.SoftAuthenticator, Credential]:
    auth = sa.SoftAuthenticator("none")
    ch = os.urandom(32)
    rp = RelyingParty(RP_ID, ORIGIN)
    return rp, auth, rp.register(auth.create(RP_ID, ORIGIN, ch), ch)


def test_str_challenge_to_register_is_a_type_error() -> None:
    auth = sa.SoftAuthenticator("none")
    ch = os.urandom(32)
    resp = auth.create(RP_ID, ORIGIN, ch)
    rp = RelyingParty(RP_ID, ORIGIN)
    e = raises(TypeError, rp.register, resp, sa.b64u(ch))
    assert "bytes" in str(e) and "base64url" in str(e)
    raises(TypeError, rp.register, "not even a response", "abc")  # checked before the response
    raises(ValueError, rp.register, resp, b"")
    raises(TypeError, rp.register, resp, None)
    assert rp.register(resp, ch).fmt == "none"  # the right call still works


def test_str_challenge_to_verify_is_a_type_error(registered) -> None:
    rp, auth, cred = registered
    ch = os.urandom(32)
    assertion = auth.get(RP_ID, ORIGIN, ch, cred.credential_id)
    raises(TypeError, rp.verify, assertion, credential=cred, challenge=sa.b64u(ch))
    raises(TypeError, rp.verify, assertion, credential=cred.to_dict(), challenge=ch)
    raises(ValueError, rp.verify, assertion, credential=cred, challenge=ch, now=datetime(2026, 1, 1))
    assert rp.verify(assertion, credential=cred, challenge=ch).sign_count >= 0


def test_naive_or_wrong_now() -> None:
    auth = sa.SoftAuthenticator("none")
    ch = os.urandom(32)
    resp = auth.create(RP_ID, ORIGIN, ch)
    rp = RelyingParty(RP_ID, ORIGIN)
    e = raises(ValueError, rp.register, resp, ch, now=datetime(2026, 1, 1))
    assert "aware" in str(e)
    raises(TypeError, rp.register, resp, ch, now="2026-01-01T00:00:00Z")
    raises(ValueError, verify_attestation, b"\xa0", bytes(32), now=datetime(2026, 1, 1))
    assert rp.register(resp, ch, now=datetime.now(timezone.utc)).fmt == "none"


@pytest.mark.parametrize("kw, exc", [
    ({"user_verification": "REQUIRED"}, ValueError),
    ({"user_verification": "always"}, ValueError),
    ({"user_verification": True}, TypeError),
    ({"counter_regression": "ignore"}, ValueError),
    ({"counter_regression": None}, TypeError),
    ({"require_trusted": "yes"}, TypeError),
    ({"require_user_presence": 1}, TypeError),
    ({"allow_cross_origin": None}, TypeError),
    ({"require_crls": "false"}, TypeError),
    ({"safetynet_max_age": "60"}, TypeError),
    ({"safetynet_max_age": -1}, ValueError),
    ({"algorithms": -7}, TypeError),
    ({"algorithms": ["ES256"]}, TypeError),
    ({"algorithms": [True]}, TypeError),
    ({"rejected_statuses": "REVOKED"}, TypeError),
    ({"rejected_statuses": [1]}, TypeError),
    ({"top_origins": [1]}, TypeError),
    ({"allowed_aaguids": "cb69481e-8ff7-4039-93ec-0a2729a154a8"}, TypeError),
    ({"allowed_aaguids": ["not-a-uuid"]}, ValueError),
    ({"allowed_aaguids": [b"short"]}, ValueError),
    ({"allowed_aaguids": [42]}, TypeError),
    ({"crls": [b"not a crl"]}, ValueError),
    ({"crls": 42}, TypeError),
    ({"tpm_vendors": "FFFFF1D0"}, TypeError),
    ({"tpm_vendors": ["FIDO"]}, ValueError),
    ({"strict_cbor": "yes"}, TypeError),
])
def test_policy_refuses_bad_options_at_construction(kw: dict, exc: type[Exception]) -> None:
    raises(exc, Policy, **kw)


def test_policy_hint_and_accepted_forms() -> None:
    e = raises(ValueError, Policy, user_verification="REQUIRED")
    assert "did you mean \"required\"" in str(e)
    p = Policy(user_verification="required", algorithms=[-7, -257], rejected_statuses=["REVOKED"],
               top_origins="https://top.example", allowed_aaguids=["cb69481e-8ff7-4039-93ec-0a2729a154a8"],
               safetynet_max_age=0)
    assert p.algorithms == frozenset({-7, -257}) and p.top_origins == ("https://top.example",)
    assert len(p.allowed_aaguids or ()) == 1


@pytest.mark.parametrize("args, kw, exc", [
    ((None, ORIGIN), {}, TypeError),
    ((b"example.com", ORIGIN), {}, TypeError),
    (("", ORIGIN), {}, ValueError),
    ((RP_ID, []), {}, ValueError),
    ((RP_ID, None), {}, TypeError),
    ((RP_ID, b"https://example.com"), {}, TypeError),
    ((RP_ID, [ORIGIN, 42]), {}, TypeError),
    ((RP_ID, [""]), {}, ValueError),
    ((RP_ID, ORIGIN), {"policy": {"user_verification": "required"}}, TypeError),
])
def test_relying_party_refuses_bad_arguments(args: tuple, kw: dict, exc: type[Exception]) -> None:
    raises(exc, RelyingParty, *args, **kw)


@pytest.mark.parametrize("kw, exc", [({"workers": 0}, ValueError), ({"workers": "2"}, TypeError),
                                     ({"chunk_size": 0}, ValueError), ({"mode": "fast"}, ValueError),
                                     ({"at": "then"}, ValueError), ({"now": datetime(2026, 1, 1)}, ValueError),
                                     ({"now": "today"}, TypeError)])
def test_reverify_refuses_bad_arguments(kw: dict, exc: type[Exception]) -> None:
    raises(exc, reverify, [], **kw)


def test_challenge_store_size() -> None:
    from fastattest import ChallengeStore

    raises(ValueError, ChallengeStore, size=8)
    raises(TypeError, ChallengeStore, size="32")
    assert len(ChallengeStore(size=16).issue()) == 16
