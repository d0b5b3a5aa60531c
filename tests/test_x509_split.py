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
        for _, h, _, ee in _der.children(der, seq[0][2], seq[0][3]):
            _extension(der[h:ee])  # its shape: certificates._parse refused the certificate otherwise
            extensions.append(der[h:ee])
    return (der[top[0][1]:top[0][3]], der[top[1][1]:top[1][3]], der[alg_parts[0][2]:alg_parts[0][3]], bits[1:],
            version, der[serial_f[2]:serial_f[3]],
            der[issuer_f[1]:issuer_f[3]], issuer_f[2] - issuer_f[1], der[subject_f[1]:subject_f[3]], subject_f[2] - subject_f[1],
            times[0][0], der[times[0][2]:times[0][3]], times[1][0], der[times[1][2]:times[1][3]],
            der[spki_f[1]:spki_f[3]], extensions)


def _extension(der: bytes) -> tuple[bytes, bool, bytes]:
    """RFC 5280 §4.1 Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue
    OCTET STRING } -> (extnID contents, critical, extnValue contents), as certificates._parse read
    it before the split moved into the core: any nonzero critical octet is TRUE."""
    etag, es, ee = _der.tlv(der, 0, len(der))
    parts = _der.children(der, es, ee)
    if etag != 0x30 or not 2 <= len(parts) <= 3 or parts[0][0] != 0x06 or parts[-1][0] != 0x04:
        raise _der.DerError("an extension is not SEQUENCE { OID, critical?, OCTET STRING }")
    critical = False
    if len(parts) == 3:
        if parts[1][0] != 0x01 or parts[1][3] - parts[1][2] != 1:
            raise _der.DerError("an extension's critical flag is not a BOOLEAN")
        critical = der[parts[1][2]] != 0
    return der[parts[0][2]:parts[0][3]], critical, der[parts[-1][2]:parts[-1][3]]


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


def _with_extensions(extensions: bytes) -> bytes:
    """A certificate of the corpus with its [3] Extensions replaced by a SEQUENCE of ``extensions``
    (the TBS is no longer signed: the split reads structure, not signatures)."""
    def tlv(tag: int, body: bytes) -> bytes:
        n = len(body)
        head = bytes([n]) if n < 0x80 else b"\x82" + n.to_bytes(2, "big")
        return bytes([tag]) + head + body

    der = next(d for d in CORPUS if _core.split_certificate(d)[15])
    _, s, e = _der.tlv(der, 0, len(der))
    (tbs_tag, th, ts, te), alg, sig = _der.children(der, s, e)
    fields = [der[h:fe] for tag, h, _, fe in _der.children(der, ts, te) if tag != 0xA3]
    tbs = tlv(0x30, b"".join(fields) + tlv(0xA3, tlv(0x30, extensions)))
    return tlv(0x30, tbs + der[alg[1]:alg[3]] + der[sig[1]:sig[3]])


@pytest.mark.parametrize("extension, want", [
    (bytes.fromhex("300c0603551d130101ff04023000"), (b"\x55\x1d\x13", True, b"\x30\x00")),
    (bytes.fromhex("300c0603551d1301010104023000"), (b"\x55\x1d\x13", True, b"\x30\x00")),  # any nonzero octet is TRUE
    (bytes.fromhex("300c0603551d1301010004023000"), (b"\x55\x1d\x13", False, b"\x30\x00")),  # DEFAULT FALSE, explicit
    (bytes.fromhex("30090603551d1304023000"), (b"\x55\x1d\x13", False, b"\x30\x00")),
    (bytes.fromhex("30070603551d130400"), (b"\x55\x1d\x13", False, b"")),
    (bytes.fromhex("300d0603551d13010200ff04023000"), "refused"),  # a two-octet BOOLEAN
    (bytes.fromhex("300c0603551d130201ff04023000"), "refused"),  # an INTEGER for critical
    (bytes.fromhex("30090603551d1330023000"), "refused"),  # extnValue not an OCTET STRING
    (bytes.fromhex("3009040355 1d1304023000".replace(" ", "")), "refused"),  # extnID not an OID
    (bytes.fromhex("30050603551d13"), "refused"),  # no extnValue
    (bytes.fromhex("300e0603551d130101ff040230000500"), "refused"),  # a fourth child
    (bytes.fromhex("300b0603551d130101ff040230"), "refused"),  # a child runs past the extension
    (bytes.fromhex("3100"), "refused"), (bytes.fromhex("3000"), "refused"),
    (bytes.fromhex("0c0c0603551d130101ff04023000"), "refused"),  # not a SEQUENCE
])
def test_extensions_are_split_as_the_reference_reads_them(extension: bytes, want: object) -> None:
    der = _with_extensions(extension)
    got = outcome(_core.split_certificate, der)
    assert got == outcome(reference, der)
    assert (got if got == "refused" else got[15]) == (want if want == "refused" else [extension])
    assert outcome(_core.split_extension, extension) == want == outcome(_extension, extension)


def test_extensions_agree_on_mutations() -> None:
    """Mutations inside the extensions (where the corpus-wide mutations, which favour the first
    bytes, seldom land): the compiled extension split and the reference agree or both refuse."""
    rng = random.Random(3)
    spans = []  # (certificate, where its [3] Extensions start, where they end)
    for d in CORPUS:
        _, s, e = _der.tlv(d, 0, len(d))
        tbs = _der.children(d, s, e)[0]
        spans += [(d, h, fe) for tag, h, _, fe in _der.children(d, tbs[2], tbs[3]) if tag == 0xA3]
    assert len(spans) >= 4
    refused = agreed = 0
    for round_ in range(3000):
        base, start, end = rng.choice(spans)
        der = bytearray(base)
        pos = rng.randrange(start, end)
        if round_ % 3 == 0:
            der[pos] ^= 1 << rng.randrange(8)
        elif round_ % 3 == 1:
            der[pos] = rng.choice([0x01, 0x04, 0x06, 0x30, 0x00, 0xFF, 0x80, 0x81])
        else:
            der[pos:pos] = bytes([rng.choice([0x01, 0x04, 0x05, 0x00])])
        data = bytes(der)
        want = outcome(reference, data)
        assert outcome(_core.split_certificate, data) == want, (round_, data.hex())
        if want != "refused":
            for ext in want[15]:
                assert _core.split_extension(ext) == _extension(ext)
        refused += want == "refused"
        agreed += want != "refused"
    assert refused > 300 and agreed > 100


def test_directory_strings_agree_with_the_reference() -> None:
    """split_name decodes UTF8String and the latin-1 string types itself: the same text as
    _der.decode_string, and invalid UTF-8 refused with _der's message."""
    def name(tag: int, body: bytes) -> bytes:
        atv = b"\x06\x03\x55\x04\x03" + bytes([tag, len(body)]) + body
        rdn = b"\x31" + bytes([len(atv) + 2]) + b"\x30" + bytes([len(atv)]) + atv
        return b"\x30" + bytes([len(rdn)]) + rdn

    for tag in (0x0C, 0x13, 0x16, 0x14, 0x1A, 0x12, 0x1E, 0x1C, 0x03, 0x04):
        for body in (b"", b"abc", "é€".encode(), b"\xff\xfe", b"\xed\xa0\x80", b"\x00\x00\x00\x41", "x@_".encode("latin-1") + b"\xe9"):
            data = name(tag, body)
            got = outcome(lambda d: _core.split_name(d, 2), data)
            assert got == outcome(lambda d: _der.parse_name(d, 2, len(d)), data), (tag, body)
            if got == "refused":
                with pytest.raises(ValueError) as compiled:
                    _core.split_name(data, 2)
                with pytest.raises(ValueError) as python:
                    _der.parse_name(data, 2, len(data))
                assert str(compiled.value) == str(python.value)


def test_attribute_types_agree_with_the_reference() -> None:
    """split_name reads id-at (2.5.4.N, one arc under 128) from a table: every such type, the
    arcs around the table's edge and other OIDs read as _der.oid reads them, or both refuse."""
    oids = [bytes((0x55, 0x04, n)) for n in range(0x100)] + [b"\x55\x04\x81\x00", b"\x55\x04", b"\x55\x05\x03", b"\x56\x04\x03",
                                                           b"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", b"\x55\x04\x03\x00", b""]
    for raw in oids:
        atv = b"\x06" + bytes([len(raw)]) + raw + b"\x13\x02ab"
        rdn = b"\x31" + bytes([len(atv) + 2]) + b"\x30" + bytes([len(atv)]) + atv
        data = b"\x30" + bytes([len(rdn)]) + rdn
        got = outcome(lambda d: _core.split_name(d, 2), data)
        assert got == outcome(lambda d: _der.parse_name(d, 2, len(d)), data), raw.hex()
        if len(raw) == 3 and raw[:2] == b"\x55\x04" and raw[2] < 0x80:
            assert got == (((f"2.5.4.{raw[2]}", "ab"),),)


def test_split_extension_takes_exactly_one_extension() -> None:
    """split_extension reads what split_certificate gave (one whole Extension): anything else,
    trailing bytes included, is refused, never read past."""
    one = bytes.fromhex("300c0603551d130101ff04023000")
    assert _core.split_extension(one) == (b"\x55\x1d\x13", True, b"\x30\x00")
    rng = random.Random(9)
    for data in [b"", b"\x30", one + b"\x00", one[:-1], b"\x30\x84\xff\xff\xff\xff", one[:1] + b"\x80" + one[2:]]:
        with pytest.raises(ValueError):
            _core.split_extension(data)
    for _ in range(3000):
        data = bytearray(one)
        data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
        want = outcome(_extension, data)
        if want != "refused" and _der.tlv(data, 0, len(data))[2] != len(data):
            want = "refused"  # bytes after the Extension: the reference does not look
        assert outcome(_core.split_extension, data) == want, data.hex()
    with pytest.raises(TypeError):
        _core.split_extension(bytearray(one))  # type: ignore[arg-type]
