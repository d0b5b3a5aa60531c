"""android-key attestation (WebAuthn L3 §8.4): real vectors, generated vectors, K01-K04."""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

import fastattest
from fastattest import VerificationError, certificates
from fastattest.formats import android_key as ak
from fastattest.policy import Policy

import format_helpers as H

ROOTS = Path(fastattest.__file__).parent / "roots"


_b64 = H.unb64


def _real(name: str) -> tuple[bytes, bytes, datetime]:
    return H.real_vector(f"registration/{name}.json")


def _verify(v: H.AndroidKey, **kw):
    kw.setdefault("trust_anchors", v.anchors)
    kw.setdefault("now", H.NOW)
    return fastattest.verify_attestation(v.object(), v.cdh, **kw)


def _code(v: H.AndroidKey, **kw) -> str:
    with pytest.raises(VerificationError) as e:
        _verify(v, **kw)
    return e.value.code


# --- real devices, trusted through the pinned Google roots alone ------------------------------


@pytest.mark.parametrize("name", ["py_webauthn_android_key_root_5", "py_webauthn_android_key_hardware_authority"])
def test_real_vector_trusted_by_pinned_google_roots(name: str) -> None:
    ao, cdh, now = _real(name)
    res = fastattest.verify_attestation(ao, cdh, now=now)
    assert (res.fmt, res.attestation_type, res.trusted, res.trust_error) == ("android-key", "basic", True, None)
    assert len(res.trust_path) == 5


def test_real_vector_wrong_client_data_hash_is_K02() -> None:
    ao, cdh, now = _real("py_webauthn_android_key_root_5")
    with pytest.raises(VerificationError) as e:
        fastattest.verify_attestation(ao, hashlib.sha256(b"other").digest(), now=now)
    # the signature covers cdh too, so the first check to fail is the signature
    assert e.value.code == "android_key.signature_invalid"


def test_real_key_descriptions_parse_versions_300_and_400() -> None:
    for name, version in (("py_webauthn_android_key_hardware_authority", 300), ("py_webauthn_android_key_root_5", 400)):
        ao, _, _ = _real(name)
        leaf = certificates.load(fastattest.parse_attestation_object(ao).att_stmt["x5c"][0])
        kd = ak.key_description(leaf)
        assert kd["attestationVersion"] == version
        assert kd["teeEnforced"]["purpose"] == [2] and kd["teeEnforced"]["origin"] == 0


def test_pinned_roots_fingerprints() -> None:
    expected = {
        "google-hardware-attestation-root-1.pem": "c1984a3ef45c1e2a918551de10603c86f7051b2249c4891cae3230eabd0c97d5",
        "google-hardware-attestation-root-2.pem": "1ef1a04b8ba58ab94589ac498c8982a783f24ea7307e0159a0c3a73b377d87cc",
        "google-hardware-attestation-root-3.pem": "ab6641178a36e179aa0c1cdddf9a16eb45fa20943e2b8cd7c7c05c26cf8b487a",
        "google-hardware-attestation-root-4.pem": "cedb1cb6dc896ae5ec797348bce9286753c2b38ee71ce0fbe34a9a1248800dfc",
        "google-hardware-attestation-root-5.pem": "6d9db4ce6c5c0b293166d08986e05774a8776ceb525d9e4329520de12ba4bcc0",
    }
    assert ak.PINNED_ROOTS == tuple(expected)
    for name, fp in expected.items():
        cert = x509.load_pem_x509_certificate((ROOTS / name).read_bytes())
        assert cert.fingerprint(hashes.SHA256()).hex() == fp
    assert len(ak.pinned_anchors()) == 5


# --- generated vectors -----------------------------------------------------------------------


def test_generated_valid_is_trusted_with_test_root() -> None:
    v = H.android_key()
    res = _verify(v)
    assert (res.fmt, res.attestation_type, res.trusted) == ("android-key", "basic", True)
    assert res.trust_path == tuple(v.stmt["x5c"])


def test_generated_valid_without_anchor_is_untrusted_not_rejected() -> None:
    v = H.android_key()
    res = _verify(v, trust_anchors=None)
    assert res.trusted is False and res.trust_error == "trust.untrusted_root"


@pytest.mark.parametrize("version", [1, 2, 3, 4, 41, 100, 200, 300, 400])
def test_every_attestation_version_parses(version: int) -> None:
    v = H.android_key(kd=H.key_description(H.CDH, version=version))
    assert _verify(v).trusted


def test_unknown_authorization_tag_is_tolerated() -> None:
    tee = H.tee_list(extra={727: H.octets(b"future"), 9999: H.der_int(5)})
    v = H.android_key(kd=H.key_description(H.CDH, tee=tee))
    assert _verify(v).trusted
    assert ak.parse_authorization_list(H.auth_list(tee))["tag727"]


def test_union_policy_accepts_software_enforced_purpose_and_origin() -> None:
    tee = H.tee_list(purpose=None, origin=None)
    sw = {1: H.set_of(H.der_int(2)), 702: H.der_int(0)}
    v = H.android_key(kd=H.key_description(H.CDH, sw=sw, tee=tee))
    assert _code(v) == "android_key.origin_not_generated"  # default: TEE only
    res = _verify(v, policy=Policy(android_key_tee_only=False))
    assert res.trusted


# --- K01: signature not by the leaf / leaf key is not the credential key ----------------------


def test_K01_signature_not_by_leaf() -> None:
    v = H.android_key(sign_with=H.ec_key())
    assert _code(v) == "android_key.signature_invalid"


def test_K01_leaf_key_is_not_credential_key() -> None:
    other = H.ec_key()
    v = H.android_key(leaf_key=other)  # leaf key signs, but the credential key differs
    assert _code(v) == "android_key.key_mismatch"


@pytest.mark.parametrize(
    "mutate,code",
    [
        (lambda s: s.pop("alg"), "android_key.invalid_statement"),
        (lambda s: s.pop("sig"), "android_key.invalid_statement"),
        (lambda s: s.pop("x5c"), "android_key.invalid_statement"),
        (lambda s: s.update(alg="-7"), "android_key.invalid_statement"),
        (lambda s: s.update(alg=-12345), "android_key.invalid_statement"),
        (lambda s: s.update(sig=b""), "android_key.invalid_statement"),
        (lambda s: s.update(x5c=[]), "certificate.x5c_invalid"),
        (lambda s: s.update(x5c=[b"not a certificate"]), "certificate.malformed"),
        (lambda s: s.update(extra=1), "format.statement_malformed"),
    ],
)
def test_K01_statement_fields(mutate, code: str) -> None:
    v = H.android_key()
    mutate(v.stmt)
    assert _code(v) == code


# --- K02: attestationChallenge -------------------------------------------------------------


def test_K02_attestation_challenge_mismatch() -> None:
    v = H.android_key(challenge=b"\x00" * 32)
    assert _code(v) == "android_key.challenge_mismatch"


# --- K03: the key description ---------------------------------------------------------------


def test_K03_extension_missing() -> None:
    v = H.android_key(extensions=[])
    assert _code(v) == "android_key.extension_missing"


@pytest.mark.parametrize("where", ["tee", "sw"])
def test_K03_all_applications(where: str) -> None:
    extra = {600: H.NULL}
    tee = H.tee_list(extra=extra if where == "tee" else None)
    sw = {701: H.der_int(1), **(extra if where == "sw" else {})}
    v = H.android_key(kd=H.key_description(H.CDH, sw=sw, tee=tee))
    assert _code(v) == "android_key.all_applications"


@pytest.mark.parametrize("origin", [1, 2, 3, None])
def test_K03_origin_not_generated(origin) -> None:
    v = H.android_key(kd=H.key_description(H.CDH, tee=H.tee_list(origin=origin)))
    assert _code(v) == "android_key.origin_not_generated"


def test_K03_origin_generated_in_tee_but_imported_in_software_union() -> None:
    v = H.android_key(kd=H.key_description(H.CDH, sw={702: H.der_int(2)}))
    assert _verify(v).trusted  # TEE only: the software list is ignored
    assert _code(v, policy=Policy(android_key_tee_only=False)) == "android_key.origin_not_generated"


@pytest.mark.parametrize("purpose", [(), (0,), (3, 7), None])
def test_K03_purpose_without_sign(purpose) -> None:
    v = H.android_key(kd=H.key_description(H.CDH, tee=H.tee_list(purpose=purpose)))
    assert _code(v) == "android_key.purpose_not_sign"


def _kd_with_tee(tee_der: bytes) -> bytes:
    sw = H.auth_list({701: H.der_int(1)})
    return H.seq(H.der_int(3), H.der_enum(1), H.der_int(4), H.der_enum(1), H.octets(H.CDH), H.octets(b""), sw, tee_der)


_GOOD_TEE = H.tee_list()
MALFORMED = {
    "not_der": b"\x01\x02\x03",
    "empty": b"",
    "trailing_bytes": H.key_description(H.CDH) + b"\x00",
    "seven_fields": H.seq(H.der_int(3), H.der_enum(1), H.der_int(4), H.der_enum(1), H.octets(H.CDH), H.octets(b""), H.auth_list({})),
    "nine_fields": H.seq(
        H.der_int(3), H.der_enum(1), H.der_int(4), H.der_enum(1), H.octets(H.CDH), H.octets(b""), H.auth_list({}), H.auth_list(_GOOD_TEE), H.NULL
    ),
    "challenge_not_octets": H.seq(H.der_int(3), H.der_enum(1), H.der_int(4), H.der_enum(1), H.der_int(7), H.octets(b""), H.auth_list({}), H.auth_list(_GOOD_TEE)),
    "tags_out_of_order": _kd_with_tee(H.seq(H.explicit(702, H.der_int(0)), H.explicit(1, H.set_of(H.der_int(2))))),
    "tag_repeated": _kd_with_tee(H.seq(H.explicit(1, H.set_of(H.der_int(2))), H.explicit(1, H.set_of(H.der_int(2))), H.explicit(702, H.der_int(0)))),
    "purpose_not_set": _kd_with_tee(H.seq(H.explicit(1, H.der_int(2)), H.explicit(702, H.der_int(0)))),
    "origin_not_integer": _kd_with_tee(H.seq(H.explicit(1, H.set_of(H.der_int(2))), H.explicit(702, H.octets(b"\x00")))),
    "untagged_item": _kd_with_tee(H.seq(H.der_int(2), H.explicit(702, H.der_int(0)))),
    "two_values_in_tag": _kd_with_tee(H.seq(H.explicit(1, H.set_of(H.der_int(2)) + H.der_int(1)), H.explicit(702, H.der_int(0)))),
    "root_of_trust_garbled": _kd_with_tee(H.seq(H.explicit(1, H.set_of(H.der_int(2))), H.explicit(702, H.der_int(0)), H.explicit(704, H.seq(H.der_int(1))))),
    "truncated_length": _kd_with_tee(b"\x30\x20" + H.explicit(1, H.set_of(H.der_int(2)))),
    "indefinite_length": _kd_with_tee(b"\x30\x80" + H.explicit(1, H.set_of(H.der_int(2))) + H.explicit(702, H.der_int(0)) + b"\x00\x00"),
    "attestation_version_zero": H.key_description(H.CDH, version=0),
    # an unknown tag is kept under its number: one of ~14,700 bits leaked Python's ValueError
    # (an int too long to print) before tag numbers were capped at 64 bits
    "tag_number_past_64_bits": _kd_with_tee(H.seq(H.explicit(1, H.set_of(H.der_int(2))), H.explicit(702, H.der_int(0)),
                                                  b"\xbf" + b"\xff" * 2100 + b"\x01" + b"\x03" + H.der_int(5))),
    "tag_number_2_64": _kd_with_tee(H.seq(H.explicit(1, H.set_of(H.der_int(2))), H.explicit(702, H.der_int(0)),
                                          b"\xbf\x82" + b"\x80" * 8 + b"\x00" + b"\x03" + H.der_int(5))),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_K03_malformed_key_description_fails_closed(name: str) -> None:
    v = H.android_key(kd=MALFORMED[name])
    assert _code(v) == "android_key.extension_malformed"


# --- K04: chain ----------------------------------------------------------------------------


def test_K04_non_google_root_is_untrusted_with_pinned_roots_only() -> None:
    v = H.android_key()
    res = _verify(v, trust_anchors=None)
    assert not res.trusted and res.trust_error == "trust.untrusted_root"


def test_K04_wrong_order_is_not_trusted() -> None:
    v = H.android_key()
    leaf, inter, root = v.stmt["x5c"]
    v.stmt["x5c"] = [leaf, root, inter]
    res = _verify(v)
    assert not res.trusted and res.trust_error == "trust.chain_invalid"


def test_K04_leaf_from_another_pki_is_not_trusted() -> None:
    v = H.android_key(pki=H.make_pki("Attacker"))
    res = _verify(v, trust_anchors=H.android_key().anchors)
    assert not res.trusted and res.trust_error in ("trust.untrusted_root", "trust.chain_invalid")


def test_K04_real_chain_is_not_trusted_after_expiry_of_its_root() -> None:
    ao, cdh, _ = _real("py_webauthn_android_key_root_5")
    res = fastattest.verify_attestation(ao, cdh, now=datetime.fromisoformat("2036-01-01T00:00:00+00:00"))
    assert not res.trusted and res.trust_error == "trust.expired"


def test_random_key_description_bytes_never_crash() -> None:
    import random

    rnd = random.Random(1234)
    base = H.key_description(H.CDH)
    for _ in range(3000):
        data = bytearray(base)
        for _ in range(rnd.randint(1, 4)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        try:
            ak.parse_key_description(bytes(data))
        except VerificationError as exc:
            assert exc.code == "android_key.extension_malformed"
