"""Authentication ceremony (WebAuthn L3 §7.2) through RelyingParty.verify (catalogue D05,
D12, D13, D15, D25 and the signature check)."""
from __future__ import annotations

import os

import pytest

import softauthn as sa
from fastattest import Credential, Policy, RelyingParty, VerificationError

RP_ID, ORIGIN = "example.com", "https://example.com"


def setup(alg=-7, backup_eligible=False, policy=None):
    auth = sa.SoftAuthenticator("none", alg=alg)
    ch = os.urandom(32)
    party = RelyingParty(RP_ID, ORIGIN, policy=policy or Policy())
    cred = party.register(auth.create(RP_ID, ORIGIN, ch, backup_eligible=backup_eligible), ch)
    return auth, party, cred


def refused(party, resp, cred, ch, code, **kw):
    with pytest.raises(VerificationError) as ei:
        party.verify(resp, credential=cred, challenge=ch, **kw)
    assert ei.value.code == code, ei.value


@pytest.mark.parametrize("alg", [-7, -35, -36, -8, -257, -258, -37])
def test_three_sign_ins_advance_the_counter(alg):
    auth, party, cred = setup(alg)
    for i in range(1, 4):
        ch = os.urandom(16)
        res = party.verify(auth.get(RP_ID, ORIGIN, ch, cred.credential_id), credential=cred, challenge=ch)
        assert res.sign_count == i and res.credential.sign_count == i and not res.counter_regressed
        cred = res.credential


def test_minimal_credential_from_another_library():
    auth, party, cred = setup()
    minimal = Credential(credential_id=cred.credential_id, public_key=cred.public_key, sign_count=0)
    assert minimal.algorithm == -7 and minimal.backup_eligible is None
    ch = os.urandom(16)
    assert party.verify(auth.get(RP_ID, ORIGIN, ch, cred.credential_id), credential=minimal, challenge=ch).sign_count == 1


def test_signature_invalid():
    auth, party, cred = setup()
    ch = os.urandom(16)
    resp = auth.get(RP_ID, ORIGIN, ch, cred.credential_id)
    other = auth.get(RP_ID, ORIGIN, os.urandom(16), cred.credential_id)
    resp["response"]["signature"] = other["response"]["signature"]
    refused(party, resp, cred, ch, "assertion.signature_invalid")


def test_signature_by_another_key():
    auth, party, cred = setup()
    _, _, cred2 = setup()
    ch = os.urandom(16)
    refused(party, auth.get(RP_ID, ORIGIN, ch, cred.credential_id), Credential(cred.credential_id, cred2.public_key, 0),
            ch, "assertion.signature_invalid")


def test_D05_attested_data_in_assertion():
    auth, party, cred = setup()
    ch = os.urandom(16)
    reg = auth.make_registration(RP_ID, ORIGIN, ch)
    resp = auth.get(RP_ID, ORIGIN, ch, cred.credential_id, overrides={"auth_data": reg.auth_data})
    refused(party, resp, cred, ch, "auth_data.unexpected_attested_data")


def test_D12_D13_flags():
    auth, party, cred = setup()
    ch = os.urandom(16)
    refused(party, auth.get(RP_ID, ORIGIN, ch, cred.credential_id, user_present=False), cred, ch, "auth_data.user_not_present")
    strict = RelyingParty(RP_ID, ORIGIN, policy=Policy(user_verification="required"))
    refused(strict, auth.get(RP_ID, ORIGIN, ch, cred.credential_id, user_verified=False), cred, ch, "auth_data.user_not_verified")


def test_D15_backup_eligibility_changed():
    auth, party, cred = setup(backup_eligible=True)
    ch = os.urandom(16)
    resp = auth.get(RP_ID, ORIGIN, ch, cred.credential_id, overrides={"flags": 0x05})  # UP|UV, BE=0
    refused(party, resp, cred, ch, "auth_data.backup_eligibility_changed")
    resp = auth.get(RP_ID, ORIGIN, ch, cred.credential_id, overrides={"flags": 0x15})  # BS without BE
    refused(party, resp, cred, ch, "auth_data.invalid_backup_flags")


def test_D25_counter_regression_refused_and_not_lowered():
    auth, party, cred = setup()
    ch = os.urandom(16)
    cred5 = Credential.from_dict({**cred.to_dict(), "sign_count": 5})
    for n in (5, 4, 0):
        refused(party, auth.get(RP_ID, ORIGIN, ch, cred.credential_id, sign_count=n), cred5, ch, "auth_data.counter_regression")
    flag = RelyingParty(RP_ID, ORIGIN, policy=Policy(counter_regression="flag"))
    res = flag.verify(auth.get(RP_ID, ORIGIN, ch, cred.credential_id, sign_count=3), credential=cred5, challenge=ch)
    assert res.counter_regressed and res.credential.sign_count == 5  # the stored count is never lowered
    # both zero: an authenticator without a counter is fine
    res = party.verify(auth.get(RP_ID, ORIGIN, ch, cred.credential_id, sign_count=0), credential=cred, challenge=ch)
    assert res.sign_count == 0 and not res.counter_regressed


def test_client_data_and_rp_checks():
    auth, party, cred = setup()
    ch = os.urandom(16)
    refused(party, auth.get(RP_ID, ORIGIN, ch, cred.credential_id), cred, os.urandom(16), "client_data.challenge_mismatch")
    refused(party, auth.get(RP_ID, ORIGIN, ch, cred.credential_id, overrides={"client_data": {"type": "webauthn.create"}}),
            cred, ch, "client_data.type_mismatch")
    refused(party, auth.get("other.com", ORIGIN, ch, cred.credential_id), cred, ch, "auth_data.rp_id_mismatch")


def test_user_handle_and_credential_binding():
    auth, party, cred = setup()
    ch = os.urandom(16)
    resp = auth.get(RP_ID, ORIGIN, ch, cred.credential_id, user_handle=b"alice")
    refused(party, resp, cred, ch, "response.user_handle_mismatch", user_handle=b"bob")
    assert party.verify(resp, credential=cred, challenge=ch, user_handle=b"alice").user_handle == b"alice"
    other = Credential(os.urandom(16), cred.public_key, 0)
    refused(party, auth.get(RP_ID, ORIGIN, ch, cred.credential_id), other, ch, "response.credential_id_mismatch")


def test_truncated_authenticator_data():
    auth, party, cred = setup()
    ch = os.urandom(16)
    resp = auth.get(RP_ID, ORIGIN, ch, cred.credential_id)
    resp["response"]["authenticatorData"] = sa.b64u(sa.unb64u(resp["response"]["authenticatorData"])[:36])
    refused(party, resp, cred, ch, "auth_data.too_short")


def test_J04_replayed_challenge_with_challenge_store():
    from fastattest import ChallengeStore

    auth, party, cred = setup()
    store = ChallengeStore(ttl=60)
    ch = store.issue()
    assert len(ch) == 32
    resp = auth.get(RP_ID, ORIGIN, ch, cred.credential_id)
    party.verify(resp, credential=cred, challenge=store.consume(ch))
    with pytest.raises(VerificationError) as ei:
        store.consume(ch)  # the same response replayed
    assert ei.value.code == "client_data.challenge_reused"
    with pytest.raises(VerificationError) as ei:
        store.consume(os.urandom(32))  # never issued
    assert ei.value.code == "client_data.challenge_reused"
    expired = ChallengeStore(ttl=-1)
    with pytest.raises(VerificationError):
        expired.consume(expired.issue())
