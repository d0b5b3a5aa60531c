"""The compiled certificate splitter (``_core.split_certificate``, fastattest/_x509.pxi) against
a reference written with the pure-Python DER reader (fastattest/_der.py), field by field as
RFC 5280 §4.1 lays a certificate out: on real certificates they agree, and on thousands of
mutations of them (flipped, truncated, extended bytes) they either agree or both refuse."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from fastattest import _core, _der, certificates, trust

ROOTS = Path(certificates.__file__).parent / "roots"


def reference(der: bytes) -> tuple:
    """What certificates._parse read before the split moved into the core."""
    tag, s, e = _der.tlv(der, 0, len(der))
    if tag != 0x30 or e != len(der):
        raise _der.DerError("not a single SEQUENCE")
    top = _der.children(der, s, e)
    if len(top) != 3 or top[0][0] != 0x30 or top[1][0] != 0x30 or top[2][0] != 0x03:
        raise _der.DerError("not SEQUENCE { tbsCertificate, signatureAlgorithm, signature }")
    bits = der[top[2][2]:top[2][3]]
    if not bits or bits[0] != 0:
        raise _der.DerError("signature BIT STRING has unused bits")
    fields = _der.children(der, top[0][2], top[0][3])
    version = None
    if fields and fields[0][0] == 0xA0:
        inner = _der.children(der, fields[0][2], fields[0][3])
        if len(inner) != 1 or inner[0][0] != 0x02:
            raise _der.DerError("malformed version")
        version = der[inner[0][2]:inner[0][3]]
        fields = fields[1:]
    if len(fields) < 6 or [f[0] for f in fields[:6]] != [0x02, 0x30, 0x30, 0x30, 0x30, 0x30]:
        raise _der.DerError("tbsCertificate lacks a field")
    serial_f, alg_f, issuer_f, validity_f, subject_f, spki_f = fields[:6]
    if der[alg_f[1]:alg_f[3]] != der[top[1][1]:top[1][3]]:
        raise _der.DerError("signatureAlgorithm differs")
    alg_parts = _der.children(der, alg_f[2], alg_f[3])
    if not alg_parts or alg_parts[0][0] != 0x06:
        raise _der.DerError("malformed AlgorithmIdentifier")
    times = _der.children(der, validity_f[2], validity_f[3])
    if len(times) != 2:
        raise _der.DerError("validity is not two times")
    extensions = []
    for f in fields[6:]:
        if f[0] != 0xA3:
            continue
        seq = _der.children(der, f[2], f[3])
        if len(seq) != 1 or seq[0][0] != 0x30:
            raise _der.DerError("extensions is not a SEQUENCE")
        extensions.extend(der[h:ee] for _, h, _, ee in _der.children(der, seq[0][2], seq[0][3]))
    return (der[top[0][1]:top[0][3]], der[top[1][1]:top[1][3]], der[alg_parts[0][2]:alg_parts[0][3]], bits[1:],
            version, der[serial_f[2]:serial_f[3]],
            der[issuer_f[1]:issuer_f[3]], issuer_f[2] - issuer_f[1], der[subject_f[1]:subject_f[3]], subject_f[2] - subject_f[1],
            times[0][0], der[times[0][2]:times[0][3]], times[1][0], der[times[1][2]:times[1][3]],
            der[spki_f[1]:spki_f[3]], extensions)


def outcome(fn, der: bytes) -> object:
    try:
        return fn(der)
    except ValueError:  # DerError is a ValueError
        return "refused"


def _corpus() -> list[bytes]:
    ders: list[bytes] = []
    for pem in sorted(ROOTS.glob("*.pem")):
        ders.extend(trust.to_der(pem.read_bytes()))
    import softauthn  # tests/softauthn.py: a test PKI with an intermediate, leaves of v3 and v1

    ca = softauthn.TestCA(intermediate=True)
    key = softauthn.generate_key(-7).public_key()
    ders += [softauthn.der(ca.root_cert), *ca.chain_der(),
             softauthn.der(ca.attestation_cert(key, aaguid=bytes(range(16)))),
             softauthn.der(ca.attestation_cert(key, version=1))]
    return ders


CORPUS = _corpus()


def test_corpus_is_real() -> None:
    assert len(CORPUS) >= 8
    for der in CORPUS:
        assert certificates.load(der).der == der


@pytest.mark.parametrize("i", range(len(CORPUS)))
def test_agrees_on_real_certificates(i: int) -> None:
    der = CORPUS[i]
    got = _core.split_certificate(der)
    assert got == reference(der)
    assert got[0] + got[1] + b"\x03" in der and got[14] in got[0]  # tbs, algorithm, key: slices of the input


def test_agrees_on_mutations() -> None:
    rng = random.Random(20)
    refused = agreed = 0
    for round_ in range(6000):
        der = bytearray(rng.choice(CORPUS))
        kind = round_ % 4
        if kind == 0:  # flip a byte (headers are where structure lives: favour the first 200)
            pos = rng.randrange(min(len(der), 200) if rng.random() < 0.7 else len(der))
            der[pos] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del der[rng.randrange(len(der)):]
        elif kind == 2:
            pos = rng.randrange(len(der))
            der[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4)))
        else:  # a length byte set to a long form or an extreme value
            pos = rng.randrange(min(len(der), 200))
            der[pos] = rng.choice([0x80, 0x81, 0x84, 0x85, 0x8F, 0xFF, 0x00, 0x7F])
        data = bytes(der)
        want = outcome(reference, data)
        assert outcome(_core.split_certificate, data) == want, (round_, data.hex())
        if want != "refused":  # the names, compiled and reference
            for name, header in (want[6:8], want[8:10]):
                assert outcome(lambda d: _core.split_name(d, header), name) == outcome(
                    lambda d: _der.parse_name(d, header, len(d)), name), (round_, name.hex())
        refused += want == "refused"
        agreed += want != "refused"
    assert refused > 1000 and agreed > 100  # both kinds of outcome were exercised


@pytest.mark.parametrize("data", [b"", b"\x30", b"\x30\x00", b"\x30\x80", b"\x30\x84\xff\xff\xff\xff", b"\x30\x85" + b"\x00" * 5,
                                  b"\x1f\x00", b"\x30\x03\x30\x01"])
def test_short_and_hostile_inputs_are_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        _core.split_certificate(data)


def test_names_agree_with_the_reference() -> None:
    rng = random.Random(16)
    names = []
    for der in CORPUS:
        got = _core.split_certificate(der)
        names += [got[6:8], got[8:10]]
    assert any(len(_core.split_name(*nh)) >= 3 for nh in names)
    for round_ in range(4000):
        name, header = rng.choice(names)
        data = bytearray(name)
        pos = rng.randrange(len(data))
        if round_ % 3 == 0:
            data[pos] ^= 1 << rng.randrange(8)
        elif round_ % 3 == 1:  # the header length stays within the bytes, as the splitter gives it
            del data[max(pos, header):]
        else:
            data[pos] = rng.choice([0x0C, 0x13, 0x1E, 0x1C, 0x03, 0x31, 0x30, 0x06, 0x80, 0xFF])
        data = bytes(data)
        assert outcome(lambda d: _core.split_name(d, header), data) == outcome(
            lambda d: _der.parse_name(d, header, len(d)), data), data.hex()


def test_only_bytes() -> None:
    with pytest.raises(TypeError):
        _core.split_certificate(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _core.split_certificate(bytearray(CORPUS[0]))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        _core.split_name(b"\x30\x00", 3)


def test_a_huge_object_identifier_is_refused_quickly() -> None:
    """One arc of 16 KiB took ~20 ms to decode (time quadratic in its length): OIDs are capped."""
    import time

    from fastattest import _der

    assert _der.oid(bytes([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B])) == "1.2.840.113549.1.1.11"
    huge = b"\x2a" + b"\xff" * (16 * 1024) + b"\x01"
    start = time.perf_counter()
    with pytest.raises(_der.DerError):
        _der.oid(huge)
    assert time.perf_counter() - start < 0.005
    longest = b"\x2a" + b"\x81" * (_der.MAX_OID - 2) + b"\x01"
    assert _der.oid(longest).startswith("1.2.")


def test_split_name_refuses_any_out_of_range_header_with_value_error() -> None:
    for header in (-1, 3, 2**63, 2**64, -(2**64), "1", 1.0, None):
        with pytest.raises(ValueError):
            _core.split_name(b"0\x00", header)  # type: ignore[arg-type]


def test_a_bytes_subclass_certificate_loads_like_bytes() -> None:
    class Der(bytes):
        pass

    der = CORPUS[0]
    certificates.load.cache_clear()  # equal bytes would otherwise hit the cache, not the parser
    assert certificates.load(Der(der)).tbs == certificates.load(der).tbs
