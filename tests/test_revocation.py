"""Attestation certificate revocation by the RP's CRLs (catalogue X09; RFC 5280 §6.3;
fastattest/revocation.py). The test PKI is a root, an intermediate and a packed leaf."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import softauthn as sa
from fastattest import Policy, RelyingParty, VerificationError, parse_attestation_object, reverify, verify_attestation
from fastattest.errors import FastAttestError

RP_ID, ORIGIN = "example.com", "https://example.com"
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)


def crl(cert: x509.Certificate, key: Any, revoked: tuple[int, ...] = (), *, last: dt.datetime = NOW - dt.timedelta(days=1),
        next_: dt.datetime = NOW + dt.timedelta(days=7), pem: bool = False) -> bytes:
    b = x509.CertificateRevocationListBuilder().issuer_name(cert.subject).last_update(last).next_update(next_)
    for serial in revoked:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(NOW - dt.timedelta(days=2)).build())
    c = b.sign(key, hashes.SHA256())
    return c.public_bytes(serialization.Encoding.PEM if pem else serialization.Encoding.DER)


class World:
    def __init__(self) -> None:
        self.ca = sa.TestCA(intermediate=True)
        self.auth = sa.SoftAuthenticator("packed", ca=self.ca)
        self.challenge = b"revocation challenge 0123456789"
        self.response = self.auth.create(RP_ID, ORIGIN, self.challenge)
        ao = sa.unb64u(self.response["response"]["attestationObject"])
        self.attestation_object = ao
        self.cdh = hashlib.sha256(sa.unb64u(self.response["response"]["clientDataJSON"])).digest()
        self.leaf = x509.load_der_x509_certificate(parse_attestation_object(ao).att_stmt["x5c"][0])

    def leaf_crl(self, revoked: bool = False, **kw: Any) -> bytes:  # the intermediate's CRL
        return crl(self.ca.intermediate_cert, self.ca.intermediate_key, (self.leaf.serial_number,) if revoked else (), **kw)

    def root_crl(self, revoked: bool = False, **kw: Any) -> bytes:  # the root's CRL (covers the intermediate)
        return crl(self.ca.root_cert, self.ca.root_key, (self.ca.intermediate_cert.serial_number,) if revoked else (), **kw)

    def register(self, **policy: Any) -> Any:
        party = RelyingParty(RP_ID, [ORIGIN], policy=Policy(**policy), trust_anchors=self.auth.trust_anchors())
        return party.register(self.response, self.challenge, NOW)

    def verify(self, **policy: Any) -> Any:
        return verify_attestation(self.attestation_object, self.cdh, trust_anchors=self.auth.trust_anchors(),
                                  now=NOW, policy=Policy(**policy))


@pytest.fixture(scope="module")
def w() -> World:
    return World()


def code_of(fn: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(FastAttestError) as ei:
        fn(*args, **kw)
    return ei.value.code


def test_current_crls_that_list_nothing_keep_the_chain_trusted(w: World) -> None:
    crls = (w.leaf_crl(), w.root_crl())
    assert w.register(crls=crls).trusted
    assert w.register(crls=crls, require_crls=True, require_trusted=True).trusted


def test_X09_revoked_leaf_refuses_registration(w: World) -> None:
    crls = (w.leaf_crl(revoked=True), w.root_crl())
    assert code_of(w.register, crls=crls) == "trust.revoked"  # even without require_trusted
    res = w.verify(crls=crls)
    assert (res.trusted, res.trust_error) == (False, "trust.revoked")


def test_X09_revoked_intermediate_refuses_registration(w: World) -> None:
    assert code_of(w.register, crls=(w.leaf_crl(), w.root_crl(revoked=True))) == "trust.revoked"


def test_X09_the_refusal_names_the_certificate(w: World) -> None:
    """The code is for machines; the message says which certificate, so an operator can act."""
    for crls, cert in (((w.leaf_crl(revoked=True), w.root_crl()), w.leaf),
                       ((w.leaf_crl(), w.root_crl(revoked=True)), w.ca.intermediate_cert)):
        with pytest.raises(VerificationError) as ei:
            w.register(crls=crls)
        assert cert.subject.rfc4514_string() in ei.value.message and "revoked" in ei.value.message
        assert w.verify(crls=crls).trust_detail == ei.value.message.split(": ", 1)[1]
    with pytest.raises(VerificationError) as ei:
        w.register(require_crls=True)
    assert "no CRL from its issuer" in ei.value.message and w.leaf.subject.rfc4514_string() in ei.value.message


def test_X09_crl_unavailable_fails_closed_when_required(w: World) -> None:
    # only the intermediate's CRL: the intermediate's own revocation (the root's CRL) is unknown
    assert code_of(w.register, crls=(w.leaf_crl(),), require_crls=True) == "trust.revocation_unavailable"
    assert code_of(w.register, require_crls=True) == "trust.revocation_unavailable"
    # not required: a certificate whose issuer sent no CRL is not checked
    assert w.register(crls=(w.leaf_crl(),)).trusted


@pytest.mark.parametrize("kind", ["expired", "not_yet_valid", "forged"])
def test_X09_unusable_crl_from_the_issuer_fails_closed(w: World, kind: str) -> None:
    if kind == "expired":
        bad = w.leaf_crl(revoked=False, last=NOW - dt.timedelta(days=30), next_=NOW - dt.timedelta(days=1))
    elif kind == "not_yet_valid":
        bad = w.leaf_crl(revoked=False, last=NOW + dt.timedelta(days=1), next_=NOW + dt.timedelta(days=9))
    else:  # right issuer name, signed by another key
        bad = crl(w.ca.intermediate_cert, ec.generate_private_key(ec.SECP256R1()))
    assert code_of(w.register, crls=(bad,)) == "trust.revocation_unavailable"
    res = w.verify(crls=(bad,))
    assert (res.trusted, res.trust_error) == (False, "trust.revocation_unavailable")
    # a usable CRL beside the bad one is used
    assert w.register(crls=(bad, w.leaf_crl())).trusted


def test_X09_a_forged_crl_cannot_revoke(w: World) -> None:
    """A CRL that lists the leaf but is not signed by its issuer revokes nothing; with a genuine
    one beside it the chain stays trusted."""
    forged = crl(w.ca.intermediate_cert, ec.generate_private_key(ec.SECP256R1()), (w.leaf.serial_number,))
    assert w.register(crls=(forged, w.leaf_crl())).trusted


def test_pem_crls_and_a_single_crl_are_accepted(w: World) -> None:
    assert code_of(w.register, crls=w.leaf_crl(revoked=True, pem=True)) == "trust.revoked"
    one = w.leaf_crl()
    assert Policy(crls=one).crls == (one,)


@pytest.mark.parametrize("bad", [b"not a crl", "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----", 42, [b"x"], None])
def test_unparseable_crl_fails_at_policy_construction(bad: Any) -> None:
    """A configuration mistake: TypeError (not a CRL type) or ValueError (not a CRL), never a
    VerificationError a log would count as a failed ceremony."""
    with pytest.raises((TypeError, ValueError)) as ei:
        Policy(crls=(bad,))
    assert not isinstance(ei.value, VerificationError)
    assert isinstance(ei.value, TypeError if isinstance(bad, (int, list)) or bad is None else ValueError)


def test_policy_crls_none_or_a_non_sequence() -> None:
    assert Policy(crls=None).crls == ()
    with pytest.raises(TypeError):
        Policy(crls=42)


def test_crls_of_other_issuers_are_ignored(w: World) -> None:
    other = sa.TestCA(intermediate=True, name="Other Root CA")
    assert w.register(crls=(crl(other.intermediate_cert, other.intermediate_key, (w.leaf.serial_number,)),)).trusted


@pytest.mark.parametrize("mode", ["full", "trust"])
def test_X09_batch_reports_a_newly_revoked_attestation_certificate(w: World, mode: str) -> None:
    stored = w.register().to_dict()
    stored["registered_at"] = NOW.isoformat()
    anchors = w.auth.trust_anchors()
    policy = Policy(crls=(w.leaf_crl(revoked=True), w.root_crl()))
    [r] = list(reverify([stored], policy=policy, trust_anchors=anchors, mode=mode, now=NOW))
    assert (r.valid, r.trusted, r.trust_error, r.changed) == (True, False, "trust.revoked", "newly_untrusted")
    [ok] = list(reverify([stored], policy=Policy(crls=(w.leaf_crl(), w.root_crl())), trust_anchors=anchors, mode=mode, now=NOW))
    assert (ok.trusted, ok.changed) == (True, None)


def test_crl_policy_pickles_for_worker_processes(w: World) -> None:
    import pickle

    p = Policy(crls=(w.leaf_crl(revoked=True),))
    assert pickle.loads(pickle.dumps(p)) == p


def test_no_crls_is_the_hot_path_unchanged(w: World) -> None:
    """Without CRLs nothing is looked up: the result is trusted exactly as before."""
    res = w.verify()
    assert res.trusted and res.trust_error is None
    assert json.dumps(w.register().to_dict())  # serialisable as ever


def _crl_with(cert: x509.Certificate, key: Any, revoked: tuple[int, ...] = (), *, extension: Any = None,
              entry_extension: Any = None) -> bytes:
    b = (x509.CertificateRevocationListBuilder().issuer_name(cert.subject)
         .last_update(NOW - dt.timedelta(days=1)).next_update(NOW + dt.timedelta(days=7)))
    if extension is not None:
        b = b.add_extension(extension, critical=True)
    for serial in revoked:
        e = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - dt.timedelta(days=2))
        if entry_extension is not None:
            e = e.add_extension(entry_extension, critical=True)
        b = b.add_revoked_certificate(e.build())
    return b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("kind", ["delta", "issuing_distribution_point", "critical_entry"])
def test_X09_a_crl_with_a_critical_extension_is_not_used(w: World, kind: str) -> None:
    """RFC 5280 §5.2 / §5.3: a CRL with a critical CRL or CRL entry extension the checker does
    not process must not be used. A delta CRL lists only changes since its base: taken for a
    complete CRL, it would pass a certificate the base revokes."""
    other = (w.leaf.serial_number + 1,)  # the leaf is not listed: only the extension can refuse
    if kind == "delta":
        bad = _crl_with(w.ca.intermediate_cert, w.ca.intermediate_key, other, extension=x509.DeltaCRLIndicator(1))
    elif kind == "issuing_distribution_point":
        idp = x509.IssuingDistributionPoint(full_name=[x509.UniformResourceIdentifier("http://crl.example/ca.crl")],
                                            relative_name=None, only_contains_user_certs=True,
                                            only_contains_ca_certs=False, only_some_reasons=None,
                                            indirect_crl=False, only_contains_attribute_certs=False)
        bad = _crl_with(w.ca.intermediate_cert, w.ca.intermediate_key, other, extension=idp)
    else:
        issuer = x509.CertificateIssuer([x509.DirectoryName(w.ca.intermediate_cert.subject)])
        bad = _crl_with(w.ca.intermediate_cert, w.ca.intermediate_key, other, entry_extension=issuer)
    with pytest.raises(VerificationError) as ei:
        w.register(crls=(bad,))
    assert ei.value.code == "trust.revocation_unavailable" and "critical extension" in ei.value.message
    # the same CRL without the extension is used, and lists nothing against the chain
    assert w.register(crls=(_crl_with(w.ca.intermediate_cert, w.ca.intermediate_key, other),)).trusted
    # a usable complete CRL beside it decides
    assert w.register(crls=(bad, w.leaf_crl())).trusted
    assert code_of(w.register, crls=(bad, w.leaf_crl(revoked=True))) == "trust.revoked"
