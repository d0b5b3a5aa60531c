"""Regression tests for inputs the fuzzers found (fuzz/README.md). Each names the catalogue row it
belongs to and asserts the code; the fix for all of these is that certificates.load decodes a
certificate's names, extensions and validity eagerly (cryptography parses them lazily and raised
ValueError / TypeError long after load, outside any VerificationError handling)."""
from __future__ import annotations

import os

import pytest

import softauthn as sa
from fastattest import RelyingParty, VerificationError, certificates
from fastattest.policy import Policy

RP_ID, ORIGIN = "example.com", "https://example.com"


def _register_with_leaf(mutate) -> str:
    ch = os.urandom(32)
    ca = sa.TestCA()
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, ch)
    leaf = reg.x5c[0]
    bad = mutate(leaf)
    assert len(bad) == len(leaf) and bad != leaf
    reg.att_stmt["x5c"] = [bad] + reg.x5c[1:]
    reg.resign()
    with pytest.raises(VerificationError) as ei:
        RelyingParty(RP_ID, [ORIGIN], trust_anchors=ca.trust_anchors()).register(reg.to_json(), ch)
    return ei.value.code


def _subject_o(leaf: bytes, new_tlv: bytes) -> bytes:
    needle = b"\x0c\x10fastattest tests"            # O=fastattest tests (UTF8String), issuer then subject
    i = leaf.index(needle, leaf.index(needle) + 1)
    return leaf[:i] + new_tlv + leaf[i + len(needle):]


def test_P08_subject_attribute_as_bit_string() -> None:
    # fuzz_register: a BIT STRING-typed O in the subject made cert.subject raise TypeError
    # ("oid must be X500_UNIQUE_IDENTIFIER for BitString type")
    assert _register_with_leaf(lambda leaf: _subject_o(leaf, b"\x03\x10\x00astattest tests")) == "certificate.malformed"


def test_P08_subject_attribute_bad_printable_string() -> None:
    # A PrintableString holding '@' is read as the text it spells (issue 16; Go's x509 reads it
    # too): the certificate loads. The mutation changed the signed TBS, so the CA's signature no
    # longer verifies and a relying party that requires a trusted attestation refuses it.
    ch = os.urandom(32)
    ca = sa.TestCA()
    reg = sa.SoftAuthenticator("packed", ca=ca).make_registration(RP_ID, ORIGIN, ch)
    bad = _subject_o(reg.x5c[0], b"\x13\x10fastattest@tests")
    assert certificates.load(bad).subject.get(certificates.OID_ORGANIZATION) == ["fastattest@tests"]
    reg.att_stmt["x5c"] = [bad] + reg.x5c[1:]
    reg.resign()
    party = RelyingParty(RP_ID, [ORIGIN], trust_anchors=ca.trust_anchors(), policy=Policy(require_trusted=True))
    with pytest.raises(VerificationError) as ei:
        party.register(reg.to_json(), ch)
    assert ei.value.code.startswith("trust.")


def test_X02_issuer_attribute_unexpected_tag() -> None:
    # fuzz_register: ParseError UnexpectedTag in the issuer name (tag 17, SET, where a string belongs)
    def issuer(leaf: bytes) -> bytes:
        needle = b"\x0c\x10fastattest tests"
        i = leaf.index(needle)
        return leaf[:i] + b"\x11" + leaf[i + 1:]
    assert _register_with_leaf(issuer) == "certificate.malformed"
