"""An organisation's authenticator policy (docs/policy.md; the Microsoft Entra passkey policy is
the model): enforced attestation, allowed / blocked models by AAGUID, device-bound only, a
minimum FIDO certification level. Each refusal has its own policy.* code."""
from __future__ import annotations

import os
import uuid
import warnings
from datetime import date, datetime, timezone

import pytest

import mds_pki
import softauthn as sa
from fastattest import MetadataStore, Policy, RelyingParty, VerificationError
from fastattest.policy import certification_level

RP_ID, ORIGIN = "example.com", "https://example.com"
AAGUID = sa.DEFAULT_AAGUID
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def enforced(**kw) -> Policy:
    return Policy(require_trusted=True, **kw)


def claim_only(**kw) -> Policy:
    with pytest.warns(UserWarning, match="require_trusted"):
        return Policy(**kw)


def register(auth: sa.SoftAuthenticator, policy: Policy, *, store=None, anchors=True, **kw):
    challenge = os.urandom(32)
    rp = RelyingParty(RP_ID, ORIGIN, metadata=store, policy=policy,
                      trust_anchors=auth.trust_anchors() if anchors else None)
    return rp.register(auth.create(RP_ID, ORIGIN, challenge, **kw), challenge, now=NOW)


def refused(code: str, *args, **kw) -> VerificationError:
    with pytest.raises(VerificationError) as e:
        register(*args, **kw)
    assert e.value.code == code, e.value
    return e.value


def store(reports, description="Soft Key 5 NFC"):
    return MetadataStore.from_payload(mds_pki.payload(entries=[
        mds_pki.entry(str(AAGUID), reports=reports, description=description)]))


def test_blocked_aaguid_refused_even_with_a_valid_trusted_attestation() -> None:
    auth = sa.SoftAuthenticator("packed")
    assert register(auth, enforced()).trusted  # the attestation itself is valid and trusted
    err = refused("policy.aaguid_blocked", auth, enforced(blocked_aaguids=[str(AAGUID)]))
    assert str(AAGUID) in err.message and "blocked" in err.message
    # a blocked model is refused even when also on the allow list
    refused("policy.aaguid_blocked", auth, enforced(blocked_aaguids={AAGUID}, allowed_aaguids={AAGUID}))
    assert register(auth, enforced(blocked_aaguids={uuid.uuid4()})).trusted


def test_message_names_the_model_when_metadata_knows_it() -> None:
    auth = sa.SoftAuthenticator("packed")
    md = store([{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}])
    err = refused("policy.aaguid_blocked", auth, enforced(blocked_aaguids={AAGUID}), store=md)
    assert "'Soft Key 5 NFC'" in err.message and str(AAGUID) in err.message


def test_aaguid_not_allowed() -> None:
    auth = sa.SoftAuthenticator("packed")
    refused("policy.aaguid_not_allowed", auth, enforced(allowed_aaguids={uuid.uuid4()}))
    assert register(auth, enforced(allowed_aaguids={AAGUID.bytes})).aaguid == AAGUID


def test_enforce_attestation() -> None:
    refused("policy.attestation_required", sa.SoftAuthenticator("none"), enforced())
    refused("policy.attestation_required", sa.SoftAuthenticator("packed-self"), enforced())
    refused("trust.no_anchors", sa.SoftAuthenticator("packed"), enforced(), anchors=False)


def test_synced_credentials_refused_when_only_device_bound_allowed() -> None:
    auth = sa.SoftAuthenticator("packed")
    err = refused("policy.synced_not_allowed", auth, enforced(allow_synced=False), backup_eligible=True, backed_up=True)
    assert "device-bound" in err.message
    refused("policy.synced_not_allowed", auth, enforced(allow_synced=False), backup_eligible=True, backed_up=False)
    cred = register(auth, enforced(allow_synced=False), backup_eligible=False)
    assert cred.backup_eligible is False
    assert register(auth, enforced(), backup_eligible=True).backup_eligible  # allowed by default


@pytest.mark.parametrize(("reports", "minimum", "ok"), [
    ([{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}], 1, True),
    ([{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}], 2, False),
    ([{"status": "FIDO_CERTIFIED_L2", "effectiveDate": "2020-01-01"}], 2, True),
    ([{"status": "FIDO_CERTIFIED_L2plus", "effectiveDate": "2020-01-01"}], 3, False),
    ([{"status": "FIDO_CERTIFIED_L3", "effectiveDate": "2020-01-01"}], 3, True),
    # a level that takes effect after `now` is not in effect yet
    ([{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
      {"status": "FIDO_CERTIFIED_L2", "effectiveDate": "2030-01-01"}], 2, False),
    ([{"status": "NOT_FIDO_CERTIFIED", "effectiveDate": "2020-01-01"}], 1, False),
])
def test_min_certification_level(reports, minimum, ok) -> None:
    auth = sa.SoftAuthenticator("packed")
    policy = enforced(min_certification_level=minimum)
    if ok:
        assert register(auth, policy, store=store(reports)).metadata.description == "Soft Key 5 NFC"
    else:
        err = refused("policy.certification_insufficient", auth, policy, store=store(reports))
        assert "'Soft Key 5 NFC'" in err.message and f"level {minimum}" in err.message


def test_certification_unknown_without_a_metadata_entry() -> None:
    auth = sa.SoftAuthenticator("packed")
    other = MetadataStore.from_payload(mds_pki.payload(entries=[mds_pki.entry(str(uuid.uuid4()))]))
    refused("policy.certification_unknown", auth, enforced(min_certification_level=1), store=other)
    refused("policy.certification_unknown", auth, enforced(min_certification_level=1), store=None)


def test_certification_levels_of_statuses() -> None:
    class R:
        def __init__(self, status, day=None):
            self.status, self.effective_date = status, day

    class E:
        def __init__(self, *reports):
            self.status_reports = reports

    today = date(2026, 6, 1)
    for status, level in [("FIDO_CERTIFIED", 1), ("FIDO_CERTIFIED_L1", 1), ("FIDO_CERTIFIED_L1plus", 1),
                          ("FIDO_CERTIFIED_L2", 2), ("FIDO_CERTIFIED_L2plus", 2), ("FIDO_CERTIFIED_L3", 3),
                          ("FIDO_CERTIFIED_L3plus", 3), ("UPDATE_AVAILABLE", 0), ("REVOKED", 0)]:
        assert certification_level(E(R(status, date(2020, 1, 1))), today) == level, status
    # the highest level in effect counts; a later NOT_FIDO_CERTIFIED withdraws it; future reports wait
    assert certification_level(E(R("FIDO_CERTIFIED_L2", date(2021, 1, 1)), R("UPDATE_AVAILABLE", date(2022, 1, 1))), today) == 2
    assert certification_level(E(R("FIDO_CERTIFIED_L2", date(2021, 1, 1)), R("NOT_FIDO_CERTIFIED", date(2022, 1, 1))), today) == 0
    assert certification_level(E(R("FIDO_CERTIFIED_L3", date(2027, 1, 1))), today) == 0
    assert certification_level(E(), today) == 0


def test_claim_only_lists_warn_and_say_so_in_repr() -> None:
    for kw in ({"allowed_aaguids": {AAGUID}}, {"blocked_aaguids": {AAGUID}}, {"min_certification_level": 1}):
        p = claim_only(**kw)
        assert "UNENFORCED" in repr(p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = Policy(require_trusted=True, allowed_aaguids={AAGUID}, blocked_aaguids=set(), min_certification_level=2)
        Policy()
    assert "UNENFORCED" not in repr(p) and "min_certification_level=2" in repr(p)


def test_claim_only_block_list_still_applies_to_the_claim() -> None:
    auth = sa.SoftAuthenticator("none")  # no attestation: the AAGUID is only the client's claim
    refused("policy.aaguid_blocked", auth, claim_only(blocked_aaguids={AAGUID}))
    refused("policy.synced_not_allowed", auth, Policy(allow_synced=False), backup_eligible=True)


@pytest.mark.parametrize(("kwargs", "exc"), [
    ({"min_certification_level": 4}, ValueError),
    ({"min_certification_level": 0}, ValueError),
    ({"min_certification_level": "2"}, TypeError),
    ({"min_certification_level": True}, TypeError),
    ({"allow_synced": "no"}, TypeError),
    ({"allow_synced": None}, TypeError),
    ({"blocked_aaguids": str(AAGUID)}, TypeError),  # a single str, not a collection
    ({"blocked_aaguids": ["not-a-uuid"]}, ValueError),
    ({"blocked_aaguids": [42]}, TypeError),
    ({"allowed_aaguids": [b"short"]}, ValueError),
])
def test_policy_argument_errors(kwargs, exc) -> None:
    with pytest.raises(exc):
        Policy(require_trusted=True, **kwargs)
