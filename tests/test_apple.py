"""apple anonymous attestation (WebAuthn L3 §8.8): real vectors, generated vectors, A01."""
from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

import fastattest
from fastattest import VerificationError
from fastattest.formats import apple

import format_helpers as H



_b64 = H.unb64
_real = H.real_vector


def _verify(v: H.AndroidKey, **kw):
    kw.setdefault("trust_anchors", {"apple": [v.pki.root.pem]})
    kw.setdefault("now", H.NOW)
    return fastattest.verify_attestation(v.object(), v.cdh, **kw)


def _code(v: H.AndroidKey, **kw) -> str:
    with pytest.raises(VerificationError) as e:
        _verify(v, **kw)
    return e.value.code


@pytest.mark.parametrize("path", ["registration/py_webauthn_apple_passkey.json", "statements/python_fido2_apple.json"])
def test_real_vector_trusted_by_pinned_apple_root(path: str) -> None:
    ao, cdh, now = _real(path)
    res = fastattest.verify_attestation(ao, cdh, now=now)
    # x5c is [credential certificate, intermediate]; trust_path goes on to the pinned root that vouched
    assert (res.fmt, res.attestation_type, res.trusted, len(res.trust_path)) == ("apple", "anonca", True, 3)
    assert res.trust_path[-1] in apple.pinned_anchors().anchors


def test_real_vector_other_client_data_hash_is_A01_nonce_mismatch() -> None:
    ao, _, now = _real("statements/python_fido2_apple.json")
    with pytest.raises(VerificationError) as e:
        fastattest.verify_attestation(ao, b"\x00" * 32, now=now)
    assert e.value.code == "apple.nonce_mismatch"


def test_pinned_apple_root_fingerprint() -> None:
    pem = (Path(fastattest.__file__).parent / "roots" / "apple-webauthn-root-ca.pem").read_bytes()
    cert = x509.load_pem_x509_certificate(pem)
    assert cert.fingerprint(hashes.SHA256()).hex() == "0915dd5c07a28db549d1f677bb5a75d4bfbe9561a773424327762e9e02f9bb29"
    assert len(apple.pinned_anchors()) == 1


def test_generated_valid() -> None:
    v = H.apple()
    res = _verify(v)
    assert (res.attestation_type, res.trusted) == ("anonca", True)


def test_generated_not_trusted_without_the_test_root() -> None:
    res = _verify(H.apple(), trust_anchors=None)
    assert not res.trusted and res.trust_error == "trust.untrusted_root"


def test_A01_x5c_missing() -> None:
    v = H.apple()
    del v.stmt["x5c"]
    assert _code(v) == "apple.invalid_statement"


def test_A01_unexpected_key() -> None:
    v = H.apple()
    v.stmt["sig"] = b"\x01"
    assert _code(v) == "format.statement_malformed"


def test_A01_nonce_extension_missing() -> None:
    assert _code(H.apple(omit_ext=True)) == "apple.nonce_missing"


@pytest.mark.parametrize(
    "ext",
    [
        b"",
        b"\x04\x20" + b"\x00" * 32,  # bare OCTET STRING, no SEQUENCE / [1]
        H.seq(H.octets(b"\x00" * 32)),  # untagged
        H.seq(H.explicit(2, H.octets(b"\x00" * 32))),  # wrong tag
        H.seq(H.explicit(1, H.octets(b"\x00" * 31))),  # short nonce
        H.seq(H.explicit(1, H.octets(b"\x00" * 32)), H.NULL),  # extra field
        H.apple_nonce(b"\x00" * 32) + b"\x00",  # trailing bytes
        b"\x30\x81\x24" + H.explicit(1, H.octets(b"\x00" * 32)),  # non-minimal length
    ],
)
def test_A01_nonce_extension_corrupt(ext: bytes) -> None:
    assert _code(H.apple(nonce_ext=ext)) == "apple.nonce_malformed"


def test_A01_nonce_mismatch() -> None:
    assert _code(H.apple(nonce_ext=H.apple_nonce(b"\x42" * 32))) == "apple.nonce_mismatch"


def test_A01_key_mismatch() -> None:
    assert _code(H.apple(leaf_key=H.ec_key())) == "apple.key_mismatch"
