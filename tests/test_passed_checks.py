"""Memories of passed checks (certificates.Passed): trust._via_known_issuer remembers a critical
extension that passed X07 by its OID and extnValue, so a new leaf of the model skips the check;
another value, or another extension, is still checked with the full path's code."""
from __future__ import annotations

import pytest
from cryptography import x509

from fastattest import VerificationError, certificates, issuers, trust

from test_trust import NOW, der, make

SAN = x509.SubjectAlternativeName([x509.DNSName("model.example")])


@pytest.fixture
def pki():
    trust._PATHS.clear()
    issuers.clear()
    trust._CRITICAL_PASSED.clear()
    root = make("root")
    inter = make("intermediate", root)
    return root, inter, trust.store_from([der(root)])


def _code(x5c, store):
    with pytest.raises(VerificationError) as ei:
        trust.validate_path(tuple(x5c), store, NOW)
    return ei.value.code, ei.value.message


def _full(x5c, store):
    trust._PATHS.clear()
    issuers.clear()
    trust._CRITICAL_PASSED.clear()
    return _code(x5c, store)


def test_a_remembered_critical_extension_is_not_checked_again(pki, monkeypatch):
    root, inter, store = pki
    a, b, c = (make(n, inter, ca=False, extra=[(SAN, True)]) for n in "abc")
    trust.validate_path((der(a), der(inter)), store, NOW)  # the full path: the issuer becomes known
    trust.validate_path((der(b), der(inter)), store, NOW)  # a new leaf under it: its checks remembered
    assert len(trust._CRITICAL_PASSED) == 2  # basicConstraints and the SAN, both critical, passed
    monkeypatch.setattr(trust, "_check_critical", lambda *a: pytest.fail("checked again"))
    assert trust.validate_path((der(c), der(inter)), store, NOW) == (der(c), der(inter), der(root))


@pytest.mark.parametrize("extra", [
    [(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"), True)],  # X07: unknown, critical
    [(x509.UnrecognizedExtension(x509.ObjectIdentifier("2.5.29.17"), b"\x30\x03\x82\x01"), True)],  # a SAN that does not decode
], ids=["unknown", "malformed"])
def test_another_critical_extension_is_refused_as_by_the_full_path(pki, extra):
    root, inter, store = pki
    good = make("good", inter, ca=False, extra=[(SAN, True)])
    odd = make("odd", inter, ca=False, extra=extra)
    x5c = [der(odd), der(inter)]
    expected = _full(x5c, store)
    for leaf in (good, make("good 2", inter, ca=False, extra=[(SAN, True)])):  # the issuer known, then the model's extensions
        trust.validate_path((der(leaf), der(inter)), store, NOW)
    assert len(trust._CRITICAL_PASSED) == 2
    assert _code(x5c, store) == expected
    assert _code(x5c, store) == expected  # never remembered


def test_passed_is_bounded_and_keeps_passes_only():
    p = certificates.Passed(3)
    for k in range(10):
        p.add(k)
        assert len(p) <= 3 and k in p
    p.clear()
    assert not p
