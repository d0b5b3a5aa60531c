"""COSE_Key checks of the compiled core (WebAuthn L3 §5.8.5, RFC 9053, RFC 8230; catalogue
D16, D18, D19, D21-D24, R03). The on-curve check (D20) has its own file, test_ec_point.py."""
from __future__ import annotations

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from fastattest import _core
from fastattest.errors import CODES, VerificationError

# a 2048-bit odd modulus (top bit set) and 4096/16384-bit ones
N2048 = b"\xc0" + b"\x5a" * 254 + b"\x01"
N4096 = b"\xc0" + b"\x5a" * 510 + b"\x01"
N16384 = b"\xc0" + b"\x5a" * 2046 + b"\x01"
E65537 = b"\x01\x00\x01"


def _point(curve: ec.EllipticCurve, size: int) -> tuple[bytes, bytes]:
    n = ec.derive_private_key(7, curve).public_key().public_numbers()  # 7G: a point on the curve
    return n.x.to_bytes(size, "big"), n.y.to_bytes(size, "big")


POINTS = {1: _point(ec.SECP256R1(), 32), 2: _point(ec.SECP384R1(), 48), 3: _point(ec.SECP521R1(), 66)}


def ec2(alg: int, crv: int, size: int, **over: object) -> dict:
    x, y = POINTS.get(crv, (b"\x11" * size, b"\x22" * size))
    if len(x) != size:
        x, y = b"\x11" * size, b"\x22" * size
    key: dict = {1: 2, 3: alg, -1: crv, -2: x, -3: y}
    key.update({int(k[1:]) * (-1 if k[0] == "m" else 1): v for k, v in over.items()})
    return key


def enc(key: dict) -> bytes:
    return cbor2.dumps(key, canonical=True)


def code_of(data: object) -> str:
    with pytest.raises(VerificationError) as info:
        _core.parse_cose_key(data)  # type: ignore[arg-type]
    assert info.value.code in CODES
    return info.value.code


def both_codes(key: dict) -> str:
    """Same outcome whether the key comes as bytes or as an already-decoded dict."""
    a, b = code_of(enc(key)), code_of(key)
    assert a == b
    return a


# --- positives for every supported algorithm ---------------------------------------------------

@pytest.mark.parametrize("alg,crv,size", [(-7, 1, 32), (-9, 1, 32), (-35, 2, 48), (-51, 2, 48),
                                          (-36, 3, 66), (-52, 3, 66)])
def test_ec2_algorithms(alg: int, crv: int, size: int) -> None:
    raw = enc(ec2(alg, crv, size))
    k = _core.parse_cose_key(raw)
    assert (k.kty, k.alg, k.crv) == (2, alg, crv)
    assert (k.x, k.y) == POINTS[crv]
    assert k.raw == raw and k.n is None and k.e is None and k.pub is None
    k2 = _core.parse_cose_key(ec2(alg, crv, size))
    assert k2.raw is None and k2.x == k.x


@pytest.mark.parametrize("alg,crv,size", [(-8, 6, 32), (-8, 7, 57), (-19, 6, 32), (-53, 7, 57)])
def test_okp_algorithms(alg: int, crv: int, size: int) -> None:
    k = _core.parse_cose_key(enc({1: 1, 3: alg, -1: crv, -2: b"\x33" * size}))
    assert (k.kty, k.alg, k.crv, k.x, k.y) == (1, alg, crv, b"\x33" * size, None)


@pytest.mark.parametrize("alg", [-257, -258, -259, -65535, -37, -38, -39])
@pytest.mark.parametrize("n", [N2048, N4096, N16384])
def test_rsa_algorithms(alg: int, n: bytes) -> None:
    k = _core.parse_cose_key(enc({1: 3, 3: alg, -1: n, -2: E65537}))
    assert (k.kty, k.alg, k.n, k.e, k.crv) == (3, alg, n, E65537, None)


@pytest.mark.parametrize("e", [b"\x03", b"\x01\x00\x01", b"\xff" * 32])
def test_rsa_exponents_accepted(e: bytes) -> None:
    assert _core.parse_cose_key(enc({1: 3, 3: -257, -1: N2048, -2: e})).e == e


@pytest.mark.parametrize("alg,size", [(-48, 1312), (-49, 1952), (-50, 2592)])
def test_akp_ml_dsa(alg: int, size: int) -> None:
    k = _core.parse_cose_key(enc({1: 7, 3: alg, -1: b"\x44" * size}))
    assert (k.kty, k.alg, k.pub) == (7, alg, b"\x44" * size)
    assert code_of(enc({1: 7, 3: alg, -1: b"\x44" * (size - 1)})) == "cose.invalid_key"


def test_unknown_labels_ignored() -> None:
    key = ec2(-7, 1, 32)
    key[2] = b"kid"
    key["note"] = "x"
    assert _core.parse_cose_key(enc(key)).alg == -7


# --- D16 missing parameters ----------------------------------------------------------------------

@pytest.mark.parametrize("label", [1, 3, -1, -2, -3])
def test_D16_ec2_missing(label: int) -> None:
    key = ec2(-7, 1, 32)
    del key[label]
    assert both_codes(key) == "cose.missing_parameter"


@pytest.mark.parametrize("label", [1, 3, -1, -2])
def test_D16_rsa_missing(label: int) -> None:
    key = {1: 3, 3: -257, -1: N2048, -2: E65537}
    del key[label]
    assert both_codes(key) == "cose.missing_parameter"


@pytest.mark.parametrize("key", [{1: 1, 3: -8, -1: 6}, {1: 1, 3: -8, -2: b"\x00" * 32},
                                 {1: 7, 3: -48}])
def test_D16_okp_akp_missing(key: dict) -> None:
    assert both_codes(key) == "cose.missing_parameter"


# --- wrong value types (C21-style) --------------------------------------------------------------

@pytest.mark.parametrize("label,value", [(1, "EC2"), (1, True), (1, None), (1, b"\x02"),
                                         (3, "-7"), (3, None), (3, False), (3, [-7]),
                                         (-1, "P-256"), (-1, True), (-2, "x"), (-2, 5),
                                         (-3, 7), (-3, None), (-3, [b"y"])])
def test_invalid_parameter_types(label: int, value: object) -> None:
    key = ec2(-7, 1, 32)
    key[label] = value
    got = both_codes(key)
    # null is the same as an absent parameter
    assert got == ("cose.missing_parameter" if value is None else "cose.invalid_parameter")


# --- D18 curve / alg binding ---------------------------------------------------------------------

@pytest.mark.parametrize("alg,crv,size", [(-7, 2, 32), (-7, 3, 32), (-35, 1, 48), (-36, 2, 66),
                                          (-9, 2, 32), (-51, 3, 48), (-52, 1, 66), (-7, 8, 32),
                                          (-7, 6, 32)])
def test_D18_ec2_curve_mismatch(alg: int, crv: int, size: int) -> None:
    assert both_codes(ec2(alg, crv, size)) == "cose.curve_mismatch"


@pytest.mark.parametrize("alg,crv", [(-8, 4), (-8, 5), (-8, 1), (-19, 7), (-53, 6)])
def test_D18_okp_curve_mismatch(alg: int, crv: int) -> None:
    assert both_codes({1: 1, 3: alg, -1: crv, -2: b"\x00" * 32}) == "cose.curve_mismatch"


# --- D19 / D22 coordinate lengths ----------------------------------------------------------------

@pytest.mark.parametrize("xlen,ylen", [(31, 32), (33, 32), (32, 31), (32, 33), (0, 32), (65, 65)])
def test_D19_ec2_coordinate_length(xlen: int, ylen: int) -> None:
    key = ec2(-7, 1, 32)
    key[-2], key[-3] = b"\x01" * xlen, b"\x02" * ylen
    assert both_codes(key) == "cose.invalid_coordinate"


def test_D19_p521_needs_66_bytes() -> None:
    assert both_codes(ec2(-36, 3, 65)) == "cose.invalid_coordinate"


@pytest.mark.parametrize("crv,size", [(6, 31), (6, 33), (6, 57), (7, 32), (7, 56)])
def test_D22_okp_x_length(crv: int, size: int) -> None:
    assert both_codes({1: 1, 3: -8, -1: crv, -2: b"\x00" * size}) == "cose.invalid_coordinate"


# --- D21 compressed points -----------------------------------------------------------------------

@pytest.mark.parametrize("y", [True, False])
def test_D21_compressed_point(y: bool) -> None:
    key = ec2(-7, 1, 32)
    key[-3] = y
    assert both_codes(key) == "cose.compressed_point"


# --- D23 / R03 RSA sizes -------------------------------------------------------------------------

@pytest.mark.parametrize("n,code", [
    (b"\x7f" + b"\x5a" * 254 + b"\x01", "cose.weak_key"),       # 2047 bits
    (b"\xc0" + b"\x5a" * 126 + b"\x01", "cose.weak_key"),       # 1024 bits
    (N2048[:-1] + b"\x02", "cose.weak_key"),                      # even modulus
    (b"\x01" + b"\x5a" * 2047 + b"\x01", "cose.key_too_large"),  # 16385 bits
    (b"\xff" * 4096, "cose.key_too_large"),                      # 32768 bits (R03)
    (b"\x00" + N2048, "cose.invalid_parameter"),                 # leading zero byte
    (b"", "cose.invalid_parameter"),
])
def test_D23_rsa_modulus(n: bytes, code: str) -> None:
    assert both_codes({1: 3, 3: -257, -1: n, -2: E65537}) == code


@pytest.mark.parametrize("e,code", [
    (b"\x01", "cose.weak_key"),
    (b"\x02", "cose.weak_key"),
    (b"\x01\x00\x00", "cose.weak_key"),          # even
    (b"\x01" + b"\x00" * 31 + b"\x01", "cose.weak_key"),   # > 2^256
    (b"\x00\x01\x00\x01", "cose.invalid_parameter"),
    (b"", "cose.invalid_parameter"),
])
def test_D23_rsa_exponent(e: bytes, code: str) -> None:
    assert both_codes({1: 3, 3: -257, -1: N2048, -2: e}) == code


# --- D24 unsupported key types and algorithms ----------------------------------------------------

@pytest.mark.parametrize("kty", [4, 0, 5, 6, 8, -1, 2**64 - 1, -(2**64)])
def test_D24_unsupported_key_type(kty: int) -> None:
    assert both_codes({1: kty, 3: -7, -1: b"k" * 16}) == "cose.unsupported_key_type"


@pytest.mark.parametrize("key", [
    ec2(9999, 1, 32), ec2(-8, 1, 32), ec2(-257, 1, 32), ec2(2**64 - 1, 1, 32),
    {1: 1, 3: -7, -1: 6, -2: b"\x00" * 32},
    {1: 3, 3: -7, -1: N2048, -2: E65537}, {1: 3, 3: -36, -1: N2048, -2: E65537},
    {1: 7, 3: -7, -1: b"\x00" * 1312},
])
def test_D24_unsupported_algorithm(key: dict) -> None:
    assert both_codes(key) == "cose.unsupported_algorithm"


# --- framing -------------------------------------------------------------------------------------

def test_not_a_map() -> None:
    assert code_of(cbor2.dumps([1, 2])) == "cose.not_a_map"
    assert code_of(cbor2.dumps(b"key")) == "cose.not_a_map"


def test_cbor_errors() -> None:
    assert code_of(enc(ec2(-7, 1, 32)) + b"\x00") == "cbor.trailing_bytes"
    assert code_of(b"") == "cbor.empty"
    # C09: a boolean label in a COSE key (py_webauthn #265)
    assert code_of(b"\xa2\x01\x02\xf5\x03") == "cbor.invalid_key_type"
    # C15: a tagged alg
    assert code_of(b"\xa2\x01\x02\x03\xc2\x41\x07") == "cbor.tag_not_allowed"


def test_dict_with_bool_label_rejected() -> None:
    key = ec2(-7, 1, 32)
    del key[1]
    key[True] = 2                 # True == 1 in Python; must not pass as kty
    assert code_of(key) == "cose.invalid_parameter"


@pytest.mark.parametrize("value", ["a0", 5, None, [1]])
def test_input_type(value: object) -> None:
    assert code_of(value) == "input.type"
