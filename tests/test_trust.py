"""Path validation to trust anchors (fastattest.trust; catalogue X01-X08)."""
from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fastattest import VerificationError, certificates, trust

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
NB, NA = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)


def make(cn, issuer=None, *, ca=True, path_len=None, key_usage=True, nb=NB, na=NA, extra=()):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer[0].subject if issuer else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number()).not_valid_before(nb).not_valid_after(na))
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None), critical=True)
    if key_usage and ca:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
    for ext, crit in extra:
        b = b.add_extension(ext, critical=crit)
    cert = b.sign(issuer[1] if issuer else key, hashes.SHA256())
    return cert, key


def der(c):
    return c[0].public_bytes(serialization.Encoding.DER)


def code(x5c, anchors, now=NOW, **kw):
    with pytest.raises(VerificationError) as ei:
        trust.validate_path(tuple(x5c), trust.store_from(anchors), now, **kw)
    return ei.value.code


@pytest.fixture(scope="module")
def pki():
    root = make("Root")
    inter = make("Intermediate", root)
    leaf = make("Leaf", inter, ca=False)
    return root, inter, leaf


def test_leaf_intermediate_root(pki):
    root, inter, leaf = pki
    path = trust.validate_path((der(leaf), der(inter)), trust.store_from([der(root)]), NOW)
    assert path == (der(leaf), der(inter), der(root))


def test_intermediate_as_anchor_and_leaf_as_anchor(pki):
    root, inter, leaf = pki
    assert trust.validate_path((der(leaf),), trust.store_from([der(inter)]), NOW)[-1] == der(inter)
    assert trust.validate_path((der(leaf),), trust.store_from([der(leaf)]), NOW) == (der(leaf),)


def test_pem_anchor(pki):
    root, inter, leaf = pki
    pem = root[0].public_bytes(serialization.Encoding.PEM).decode()
    assert trust.validate_path((der(leaf), der(inter)), trust.store_from([pem]), NOW)[-1] == der(root)


def test_X01_validity(pki):
    root, inter, leaf = pki
    assert code((der(leaf), der(inter)), [der(root)], now=dt.datetime(2031, 1, 1, tzinfo=dt.timezone.utc)) == "trust.expired"
    assert code((der(leaf), der(inter)), [der(root)], now=dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)) == "trust.expired"
    old_inter = make("Old Intermediate", root, na=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
    leaf2 = make("Leaf2", old_inter, ca=False)
    assert code((der(leaf2), der(old_inter)), [der(root)]) == "trust.expired"


def test_cached_path_still_checks_time(pki):
    root, inter, leaf = pki
    store = trust.store_from([der(root)])
    trust.validate_path((der(leaf), der(inter)), store, NOW)
    with pytest.raises(VerificationError) as ei:
        trust.validate_path((der(leaf), der(inter)), store, dt.datetime(2035, 1, 1, tzinfo=dt.timezone.utc))
    assert ei.value.code == "trust.expired"


def test_X02_bad_issuer_signature(pki):
    root, inter, leaf = pki
    impostor = make("Intermediate")  # same name, other key, self-signed
    assert code((der(leaf), der(impostor)), [der(root)]) == "trust.chain_invalid"


def test_X03_self_signed_in_x5c_is_not_an_anchor(pki):
    root, inter, leaf = pki
    evil_root = make("Evil Root")
    evil_leaf = make("Leaf", evil_root, ca=False)
    assert code((der(evil_leaf), der(evil_root)), [der(root)]) == "trust.untrusted_root"
    assert code((der(evil_leaf),), [der(root)]) == "trust.untrusted_root"


def test_X04_out_of_order(pki):
    root, inter, leaf = pki
    assert code((der(inter), der(leaf)), [der(root)]) in ("trust.chain_invalid", "trust.constraints")


def test_X05_anchor_in_chain_is_per_context(pki):
    root, inter, leaf = pki
    assert code((der(leaf), der(inter), der(root)), [der(root)]) == "trust.chain_invalid"
    path = trust.validate_path((der(leaf), der(inter), der(root)), trust.store_from([der(root)]), NOW, anchor_in_chain=True)
    assert path[-1] == der(root)


def test_X06_no_anchors(pki):
    root, inter, leaf = pki
    assert code((der(leaf), der(inter)), []) == "trust.no_anchors"


def test_X07_constraints():
    root = make("Root")
    not_ca = make("NotCA", root, ca=False)
    leaf = make("Leaf", not_ca, ca=False)
    assert code((der(leaf), der(not_ca)), [der(root)]) == "trust.constraints"
    no_bc = make("NoBC", root, ca=None)
    leaf = make("Leaf", no_bc, ca=False)
    assert code((der(leaf), der(no_bc)), [der(root)]) == "trust.constraints"
    limited = make("Limited", root, path_len=0)
    sub = make("Sub", limited)
    leaf = make("Leaf", sub, ca=False)
    assert code((der(leaf), der(sub), der(limited)), [der(root)]) == "trust.constraints"
    no_ku = make("NoKeyCertSign", root, key_usage=False,
                 extra=((x509.KeyUsage(True, False, False, False, False, False, False, False, False), True),))
    leaf = make("Leaf", no_ku, ca=False)
    assert code((der(leaf), der(no_ku)), [der(root)]) == "trust.constraints"
    odd = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4.5"), b"\x05\x00")
    leaf = make("Leaf", root, ca=False, extra=((odd, True),))
    assert code((der(leaf),), [der(root)]) == "trust.unknown_critical_extension"


def test_X08_duplicates_and_size(pki):
    root, inter, leaf = pki
    with pytest.raises(VerificationError) as ei:
        certificates.parse_x5c([der(leaf), der(leaf)])
    assert ei.value.code == "certificate.x5c_invalid"
    with pytest.raises(VerificationError) as ei:
        certificates.parse_x5c([der(leaf)] * 1000)
    assert ei.value.code == "certificate.too_large"
    with pytest.raises(VerificationError) as ei:
        certificates.load(b"\x30" + b"\x00" * (1024 * 1024))
    assert ei.value.code == "certificate.too_large"


def test_anchor_invalid():
    with pytest.raises(VerificationError) as ei:
        trust.store_from([b"not a certificate"])
    assert ei.value.code == "trust.anchor_invalid"


def test_key_identifier_is_method_1(pki):
    import hashlib

    root, inter, leaf = pki
    info = certificates.load(der(leaf))
    point = leaf[0].public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    spki = leaf[0].public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert info.key_identifier == hashlib.sha1(point).hexdigest()
    assert info.key_identifier != hashlib.sha1(spki).hexdigest()


def _rsa_chain(bits, hash_alg):
    from cryptography.hazmat.primitives.asymmetric import rsa

    root_key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA Root")])
    root = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(root_key.public_key())
            .serial_number(1).not_valid_before(NB).not_valid_after(NA)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(root_key, hashes.SHA256()))
    leaf_key = rsa.generate_private_key(65537, bits)
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Leaf")]))
            .issuer_name(name).public_key(leaf_key.public_key()).serial_number(2).not_valid_before(NB)
            .not_valid_after(NA).add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(root_key, hash_alg))
    return (root, root_key), (leaf, leaf_key)


def test_X11_weak_crypto_refused_unless_allowed():
    # (cryptography 50 / OpenSSL 4 cannot even sign with SHA-1: a SHA-1 chain fails to verify
    # before the strength check; the check still names SHA-1 and MD5 for older backends)
    root, leaf = _rsa_chain(1024, hashes.SHA256())
    assert code((der(leaf),), [der(root)]) == "trust.weak_crypto"
    path = trust.validate_path((der(leaf),), trust.store_from([der(root)]), NOW, allow_weak=True)
    assert path == (der(leaf), der(root))


def test_X11_strong_rsa_chain_accepted():
    root, leaf = _rsa_chain(2048, hashes.SHA256())
    assert trust.validate_path((der(leaf),), trust.store_from([der(root)]), NOW)[-1] == der(root)
