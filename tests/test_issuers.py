"""Validated issuers (fastattest/issuers.py): a new leaf under an intermediate validated before
costs the leaf's own checks only, and gets exactly the verdicts the full path gives."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from fastattest import VerificationError, certificates, issuers, trust

from test_trust import NA, NB, NOW, der, make


@pytest.fixture
def pki():
    trust._PATHS.clear()
    issuers.clear()
    root = make("root")
    inter = make("intermediate", root)
    return root, inter, trust.store_from([der(root)])


def _validate(x5c, store, now=NOW, **kw):
    return trust.validate_path(tuple(x5c), store, now, **kw)


def test_second_leaf_takes_the_known_issuer(pki, monkeypatch):
    root, inter, store = pki
    a, b = make("leaf a", inter, ca=False), make("leaf b", inter, ca=False)
    assert _validate([der(a), der(inter)], store) == (der(a), der(inter), der(root))
    assert len(issuers._TAILS) == 1
    # the second leaf must not run the full path: _build would check the intermediate again
    monkeypatch.setattr(trust, "_build", lambda *a, **k: pytest.fail("full path taken"))
    assert _validate([der(b), der(inter)], store) == (der(b), der(inter), der(root))


def _full_path_code(x5c, store, now=NOW, **kw):
    trust._PATHS.clear()
    issuers.clear()
    with pytest.raises(VerificationError) as ei:
        _validate(x5c, store, now, **kw)
    return ei.value.code


def _cached_path_code(warm, x5c, store, now=NOW, **kw):
    trust._PATHS.clear()
    issuers.clear()
    _validate(warm, store)
    with pytest.raises(VerificationError) as ei:
        _validate(x5c, store, now, **kw)
    return ei.value.code


def test_a_leaf_not_signed_by_the_known_issuer_fails_as_without_cache(pki):
    root, inter, store = pki
    good = make("good", inter, ca=False)
    other = make("intermediate", make("other root"))  # same issuer name, another key
    forged = make("forged", other, ca=False)
    x5c = [der(forged), der(inter)]
    assert _cached_path_code([der(good), der(inter)], x5c, store) == _full_path_code(x5c, store) == "trust.chain_invalid"


def test_expired_leaf_under_known_issuer(pki):
    root, inter, store = pki
    good = make("good", inter, ca=False)
    old = make("old", inter, ca=False, nb=NB, na=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    x5c = [der(old), der(inter)]
    assert _cached_path_code([der(good), der(inter)], x5c, store) == _full_path_code(x5c, store) == "trust.expired"


def test_known_issuer_outside_its_window_is_not_used(pki):
    root, inter, store = pki
    a, b = make("a", inter, ca=False), make("b", inter, ca=False)
    _validate([der(a), der(inter)], store)
    later = NA + dt.timedelta(days=1)  # the intermediate has expired by then
    with pytest.raises(VerificationError) as ei:
        _validate([der(b), der(inter)], store, later)
    assert ei.value.code == "trust.expired"


def test_unknown_critical_extension_on_a_new_leaf(pki):
    root, inter, store = pki
    good = make("good", inter, ca=False)
    odd = make("odd", inter, ca=False, extra=[(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00"), True)])
    x5c = [der(odd), der(inter)]
    assert _cached_path_code([der(good), der(inter)], x5c, store) == _full_path_code(x5c, store) == "trust.unknown_critical_extension"


def test_weak_leaf_key_under_known_issuer(pki):
    root, inter, store = pki
    good = make("good", inter, ca=False)
    key = ec.generate_private_key(ec.SECP192R1()) if hasattr(ec, "SECP192R1") else None
    if key is None:
        pytest.fail("cryptography lacks SECP192R1")
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "weak")])
    weak = (x509.CertificateBuilder().subject_name(name).issuer_name(inter[0].subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NB).not_valid_after(NA)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True).sign(inter[1], hashes.SHA256()))
    x5c = [der((weak, key)), der(inter)]
    assert _cached_path_code([der(good), der(inter)], x5c, store) == _full_path_code(x5c, store) == "trust.weak_crypto"
    trust._PATHS.clear()
    assert _validate(x5c, store, allow_weak=True)[0] == x5c[0]


def test_tail_is_per_store(pki):
    root, inter, store = pki
    a, b = make("a", inter, ca=False), make("b", inter, ca=False)
    _validate([der(a), der(inter)], store)
    elsewhere = trust.store_from([der(make("unrelated root"))])
    with pytest.raises(VerificationError) as ei:
        _validate([der(b), der(inter)], elsewhere)
    assert ei.value.code == "trust.untrusted_root"


def test_tbs_bytes_are_the_signed_bytes(pki):
    root, inter, store = pki
    for c in (root, inter, make("leaf", inter, ca=False)):
        assert certificates.load(der(c)).tbs == c[0].tbs_certificate_bytes
    for bad in (b"\x30", b"\x30\x84\x00\x00\x00\x10", b"\x31\x03\x30\x01\x00", der(inter)[:40]):
        with pytest.raises(VerificationError):
            certificates.load(bad)
