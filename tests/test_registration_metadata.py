"""Registration against MDS3 metadata (WebAuthn L3 §7.1 steps 23-25, FIDO MDS3 §3.2, catalogue
X06 and X10): an entry's anchors vouch for its own authenticators only; statuses apply."""
from __future__ import annotations

import os
import uuid

import pytest

import mds_pki
import softauthn as sa
from fastattest import MetadataStore, Policy, RelyingParty, VerificationError, certificates

RP_ID, ORIGIN = "example.com", "https://example.com"
AAGUID = sa.DEFAULT_AAGUID


def store_with(*entries):
    return MetadataStore.from_payload(mds_pki.payload(entries=list(entries)))


def register(store, auth, policy=None, challenge=None):
    challenge = challenge or os.urandom(32)
    party = RelyingParty(RP_ID, ORIGIN, metadata=store, policy=policy or Policy())
    return party.register(auth.create(RP_ID, ORIGIN, challenge), challenge)


@pytest.fixture
def ca():
    return sa.TestCA(intermediate=True)


def test_trusted_by_its_entry_and_records_it(ca):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    store = store_with(mds_pki.entry(str(AAGUID), roots=[sa.der(ca.root_cert)], description="Soft Key 5"))
    cred = register(store, auth, Policy(require_trusted=True))
    assert cred.trusted and cred.metadata.description == "Soft Key 5" and cred.status == "FIDO_CERTIFIED_L1"
    assert cred.to_dict()["metadata"]["description"] == "Soft Key 5"


def test_intermediate_as_entry_anchor(ca):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    store = store_with(mds_pki.entry(str(AAGUID), roots=[sa.der(ca.intermediate_cert)]))
    assert register(store, auth).trusted


def test_leaf_as_entry_anchor():
    ca = sa.TestCA()
    auth = sa.SoftAuthenticator("packed", ca=ca)
    _, leaf = auth.attestation_identity()
    store = store_with(mds_pki.entry(str(AAGUID), roots=[sa.der(leaf)]))
    assert register(store, auth).trusted


def test_X06_another_entrys_anchor_does_not_vouch(ca):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    other = sa.TestCA()
    store = store_with(
        mds_pki.entry(str(AAGUID), roots=[sa.der(other.root_cert)]),
        mds_pki.entry(str(uuid.uuid4()), roots=[sa.der(ca.root_cert)], description="Other model"),
    )
    cred = register(store, auth)
    assert not cred.trusted and cred.trust_error == "trust.untrusted_root" and cred.metadata is None
    with pytest.raises(VerificationError) as ei:
        register(store, auth, Policy(require_trusted=True))
    assert ei.value.code == "trust.untrusted_root"


def test_X06_unknown_aaguid_has_no_anchors(ca):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    store = store_with(mds_pki.entry(str(uuid.uuid4()), roots=[sa.der(ca.root_cert)]))
    with pytest.raises(VerificationError) as ei:
        register(store, auth, Policy(require_trusted=True))
    assert ei.value.code == "trust.no_anchors"


@pytest.mark.parametrize(
    "status",
    ["REVOKED", "ATTESTATION_KEY_COMPROMISE", "USER_VERIFICATION_BYPASS", "USER_KEY_REMOTE_COMPROMISE",
     "USER_KEY_PHYSICAL_COMPROMISE"],
)
def test_X10_rejected_status(status, ca):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reports = [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}, {"status": status, "effectiveDate": "2024-01-01"}]
    store = store_with(mds_pki.entry(str(AAGUID), roots=[sa.der(ca.root_cert)], reports=reports))
    with pytest.raises(VerificationError) as ei:
        register(store, auth)
    assert ei.value.code == "policy.status_rejected"
    # a policy that accepts the status registers it, untrusted is not claimed
    cred = register(store, auth, Policy(rejected_statuses=frozenset()))
    assert cred.trusted and cred.status == status


def test_X10_key_compromise_of_another_certificate_does_not_reject(ca):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    other_leaf = ca.attestation_cert(sa.generate_key(-7).public_key())
    reports = [{"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2024-01-01",
                "certificate": __import__("base64").b64encode(sa.der(other_leaf)).decode()}]
    store = store_with(mds_pki.entry(str(AAGUID), roots=[sa.der(ca.root_cert)], reports=reports))
    assert register(store, auth).trusted
    # ... but the compromised certificate itself is refused
    _, mine = auth.attestation_identity()
    reports[0]["certificate"] = __import__("base64").b64encode(sa.der(mine)).decode()
    store = store_with(mds_pki.entry(str(AAGUID), roots=[sa.der(ca.root_cert)], reports=reports))
    with pytest.raises(VerificationError) as ei:
        register(store, auth)
    assert ei.value.code == "policy.status_rejected"


def test_future_report_not_yet_in_effect(ca):
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reports = [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}, {"status": "REVOKED", "effectiveDate": "2999-01-01"}]
    store = store_with(mds_pki.entry(str(AAGUID), roots=[sa.der(ca.root_cert)], reports=reports))
    assert register(store, auth).status == "FIDO_CERTIFIED_L1"


def test_self_attestation_is_not_identified_so_no_status_applies():
    auth = sa.SoftAuthenticator("packed-self")
    reports = [{"status": "REVOKED", "effectiveDate": "2024-01-01"}]
    store = store_with(mds_pki.entry(str(AAGUID), reports=reports))
    cred = register(store, auth)
    assert cred.attestation_type == "self" and not cred.trusted and cred.metadata is None


def test_u2f_found_by_key_identifier():
    ca = sa.TestCA()
    auth = sa.SoftAuthenticator("fido-u2f", ca=ca)
    _, leaf = auth.attestation_identity()
    kid = certificates.load(sa.der(leaf)).key_identifier
    store = store_with(mds_pki.entry(None, key_ids=[kid], roots=[sa.der(ca.root_cert)], description="U2F key"))
    cred = register(store, auth, Policy(require_trusted=True))
    assert cred.trusted and cred.metadata.description == "U2F key"
    # REVOKED by key identifier
    store = store_with(mds_pki.entry(None, key_ids=[kid], roots=[sa.der(ca.root_cert)],
                                     reports=[{"status": "REVOKED", "effectiveDate": "2024-01-01"}]))
    with pytest.raises(VerificationError) as ei:
        register(store, auth)
    assert ei.value.code == "policy.status_rejected"


def test_embedded_default_metadata_loads_offline():
    store = MetadataStore.load()
    assert len(store) > 100
    party = RelyingParty(RP_ID, ORIGIN, metadata=store)
    auth = sa.SoftAuthenticator("none")
    ch = os.urandom(32)
    assert party.register(auth.create(RP_ID, ORIGIN, ch), ch).fmt == "none"
