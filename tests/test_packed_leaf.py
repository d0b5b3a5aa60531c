"""WebAuthn L3 §8.2.1 packed leaf checks with the memory of passes (certificates.check_packed_leaf):
a pass remembered for a device model never hides a refusal of another leaf, whose code and
message are those of the checks made in full; and the one-pass subject check agrees with the
check made attribute by attribute."""
from __future__ import annotations

import itertools
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import softauthn as sa
from fastattest import certificates
from fastattest.certificates import Name, VerificationError

AAGUID = uuid.UUID("01020304-0506-0708-090a-0b0c0d0e0f10")


def _reference(info: certificates.CertInfo, aaguid: bytes) -> None:
    """§8.2.1 as checked before the memory of passes: every check, attribute by attribute."""
    certificates.check_version3(info)
    subject = info.subject
    for oid, label in ((certificates.OID_COUNTRY, "C"), (certificates.OID_ORGANIZATION, "O"), (certificates.OID_COMMON_NAME, "CN")):
        values = subject.get(oid)
        if len(values) != 1 or not values[0]:
            raise VerificationError("certificate.subject", f"attestation certificate subject needs exactly one {label}")
    ou = subject.get(certificates.OID_ORGANIZATIONAL_UNIT)
    if len(ou) != 1 or ou[0] != "Authenticator Attestation":
        raise VerificationError("certificate.subject", 'attestation certificate subject OU must be "Authenticator Attestation"')
    certificates.check_not_ca(info)
    certificates.check_aaguid(info, aaguid)


def _outcome(fn, *args) -> tuple[str, str] | None:
    try:
        fn(*args)
    except VerificationError as exc:
        return exc.code, exc.message
    return None


_CA = sa.TestCA()
_KEY = ec.generate_private_key(ec.SECP256R1()).public_key()


def _leaf(**opts) -> bytes:
    return sa.der(_CA.attestation_cert(_KEY, aaguid=opts.pop("aaguid", AAGUID), **opts))


BAD = [
    {"version": 1},
    {"organizational_unit": "Authenticator"},
    {"organizational_unit": None},
    {"country": None},
    {"organization": None},
    {"common_name": None},
    {"basic_constraints": "ca_true"},
    {"aaguid": uuid.uuid4()},
    {"aaguid_critical": True},
    {"aaguid_wrapping": "single"},
    {"version": 1, "common_name": None},  # two faults: the first check's error, as before
    {"common_name": None, "basic_constraints": "ca_true"},
]


@pytest.mark.parametrize("opts", BAD, ids=repr)
def test_a_remembered_model_never_hides_a_refusal(opts) -> None:
    certificates.check_packed_leaf.cache_clear()
    good = _leaf(common_name="device 1")
    certificates.check_packed_leaf(good, AAGUID.bytes)  # the model's pass is remembered
    certificates.check_packed_leaf(_leaf(common_name="device 2"), AAGUID.bytes)  # a new leaf of it: passes
    bad = _leaf(**opts)
    expected = _outcome(_reference, certificates.load(bad), AAGUID.bytes)
    assert expected is not None
    assert _outcome(certificates.check_packed_leaf, bad, AAGUID.bytes) == expected
    assert _outcome(certificates.check_packed_leaf, bad, AAGUID.bytes) == expected  # and again (never cached)
    # another AAGUID in the authenticator data is not the remembered pass
    assert _outcome(certificates.check_packed_leaf, _leaf(common_name="device 3"), uuid.uuid4().bytes) == (
        "certificate.aaguid_mismatch", "certificate AAGUID extension differs from the authenticator data AAGUID")


_C, _O, _OU, _CN = certificates.OID_COUNTRY, certificates.OID_ORGANIZATION, certificates.OID_ORGANIZATIONAL_UNIT, certificates.OID_COMMON_NAME
_ATTRS = [(_C, "US"), (_C, ""), (_O, "Acme"), (_O, ""), (_OU, "Authenticator Attestation"), (_OU, "Other"),
          (_CN, "x"), (_CN, ""), ("2.5.4.7", "L"), (_C, "DE"), (_CN, "y")]


def _names():
    good = [(_C, "US"), (_O, "Acme"), (_OU, "Authenticator Attestation"), (_CN, "x")]
    yield ()
    for r in range(1, 6):
        for combo in itertools.combinations(_ATTRS, r):
            yield tuple((a,) for a in combo)  # one attribute per RDN
    for perm in itertools.permutations(good):
        yield tuple((a,) for a in perm)
        yield (tuple(perm),)  # all in one multi-valued RDN
    for extra in _ATTRS:
        yield tuple((a,) for a in good) + ((extra,),)


def test_subject_check_agrees_with_the_attribute_by_attribute_check() -> None:
    class Info:  # what the subject part of _reference reads, with the other checks passing
        version = 3
        extensions: dict = {}
        _decoded: dict = {}

    n = 0
    for rdns in _names():
        info = Info()
        info.subject = Name(b"", rdns)
        expected = _outcome(_reference, info, AAGUID.bytes)
        assert _outcome(certificates._check_packed_subject, info.subject) == expected, rdns
        n += 1
    assert n > 400
