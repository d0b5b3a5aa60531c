"""The compiled EC2 on-curve check (fastattest/_ec.pxi; WebAuthn L3 §5.8.5, catalogue D20).

Three witnesses must agree on every point: the core's Montgomery arithmetic, the curve equation
in Python integers (the oracle below), and OpenSSL (building the key object).
"""
from __future__ import annotations

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from fastattest import VerificationError, _core

# COSE crv -> (p, b, coordinate bytes, cryptography curve, ES alg); SP 800-186 §3.2.1, a = -3
CURVES = {
    1: (2**256 - 2**224 + 2**192 + 2**96 - 1,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B, 32, ec.SECP256R1(), -7),
    2: (2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
        48, ec.SECP384R1(), -35),
    3: (2**521 - 1,
        0x0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF073573DF883D2C34F1EF451FD46B503F00,
        66, ec.SECP521R1(), -36),
}


def oracle(crv: int, x: int, y: int) -> bool:
    p, b = CURVES[crv][:2]
    return x < p and y < p and (y * y - x * x * x + 3 * x - b) % p == 0


def openssl(crv: int, x: int, y: int) -> bool:
    """OpenSSL's decoding of the uncompressed point (SEC 1 §2.3.4, which refuses x, y >= p;
    EllipticCurvePublicNumbers would reduce them), as algorithms.load_cose_key builds keys."""
    size = CURVES[crv][2]
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(CURVES[crv][3], b"\x04" + x.to_bytes(size, "big") + y.to_bytes(size, "big"))
        return True
    except ValueError:
        return False


def core(crv: int, x: int, y: int) -> bool:
    size = CURVES[crv][2]
    return _core.ec_point_on_curve(crv, x.to_bytes(size, "big"), y.to_bytes(size, "big"))


def cose(crv: int, x: int, y: int) -> bytes:
    p, b, size, curve, alg = CURVES[crv]
    return cbor2.dumps({1: 2, 3: alg, -1: crv, -2: x.to_bytes(size, "big"), -3: y.to_bytes(size, "big")})


def point(crv: int) -> tuple[int, int]:
    n = ec.generate_private_key(CURVES[crv][3]).public_key().public_numbers()
    return n.x, n.y


@pytest.mark.parametrize("crv", [1, 2, 3])
def test_three_witnesses_agree_on_points_and_near_misses(crv: int) -> None:
    p, b, size = CURVES[crv][:3]
    top = 1 << (8 * size)
    accepted = refused = 0
    for i in range(120):
        x, y = point(crv)
        cases = [(x, y), (x, p - y), (x, y ^ (1 << (i % (8 * size - 8)))), ((x + 1) % top, y), (x, (y + p) % top)]
        for cx, cy in cases:
            want = oracle(crv, cx, cy)
            assert core(crv, cx, cy) == want, (crv, i, cx, cy)
            if i % 10 == 0:  # OpenSSL is slow (a scalar multiplication); a sample suffices
                assert openssl(crv, cx, cy) == want, (crv, i, cx, cy)
            accepted += want
            refused += not want
    assert accepted >= 240 and refused >= 240  # (x, y) and (x, -y) are on the curve, the rest off it


@pytest.mark.parametrize("crv", [1, 2, 3])
def test_edge_coordinates(crv: int) -> None:
    p, b, size = CURVES[crv][:3]
    x, y = point(crv)
    top = (1 << (8 * size)) - 1
    for cx in (0, 1, 2, p - 1, p, p + 1, top, x):
        for cy in (0, 1, p - 1, p, top, y, p - y):
            assert core(crv, cx % (top + 1), cy % (top + 1)) == oracle(crv, cx % (top + 1), cy % (top + 1)), (cx, cy)
    assert core(crv, x, y) and not core(crv, 0, 0) and not core(crv, x, y + p if y + p <= top else y ^ 1)


@pytest.mark.parametrize("crv", [1, 2, 3])
def test_x_zero(crv: int) -> None:
    """x = 0 means y^2 = b: on the curve exactly when b is a square mod p (p = 3 mod 4 for all
    three curves, so the candidate root is b^((p+1)/4))."""
    p, b = CURVES[crv][:2]
    y = pow(b, (p + 1) // 4, p)
    on = y * y % p == b
    assert core(crv, 0, y) == on == oracle(crv, 0, y) == openssl(crv, 0, y)
    assert core(crv, 0, p - y) == on


@settings(max_examples=400, deadline=None)
@given(crv=st.sampled_from([1, 2, 3]), data=st.data())
def test_random_coordinates_match_the_oracle(crv: int, data: st.DataObject) -> None:
    size = CURVES[crv][2]
    x = data.draw(st.integers(0, (1 << (8 * size)) - 1))
    y = data.draw(st.integers(0, (1 << (8 * size)) - 1))
    assert core(crv, x, y) == oracle(crv, x, y)


@settings(max_examples=200, deadline=None)
@given(crv=st.sampled_from([1, 2, 3]), k=st.integers(1, 2**64), neg=st.booleans())
def test_multiples_of_the_generator_are_on_the_curve(crv: int, k: int, neg: bool) -> None:
    n = ec.derive_private_key(k, CURVES[crv][3]).public_key().public_numbers()
    y = CURVES[crv][0] - n.y if neg else n.y
    assert core(crv, n.x, y)


@pytest.mark.parametrize("crv", [1, 2, 3])
def test_cose_parser_refuses_off_curve_points(crv: int) -> None:
    x, y = point(crv)
    assert _core.parse_cose_key(cose(crv, x, y)).crv == crv
    with pytest.raises(VerificationError) as exc:
        _core.parse_cose_key(cose(crv, x, y ^ 1))
    assert exc.value.code == "cose.invalid_key"


def test_unknown_curve_or_unequal_lengths_are_refused() -> None:
    x, y = point(1)
    xb, yb = x.to_bytes(32, "big"), y.to_bytes(32, "big")
    assert _core.ec_point_on_curve(1, xb, yb)
    assert not _core.ec_point_on_curve(0, xb, yb)
    assert not _core.ec_point_on_curve(4, xb, yb)
    assert not _core.ec_point_on_curve(1, xb, yb[1:])
    assert not _core.ec_point_on_curve(1, b"", b"")
    assert not _core.ec_point_on_curve(2, xb, yb)  # P-256 coordinates are not a P-384 point


@pytest.mark.parametrize("args", [(1, None, b"x"), (1, b"x", None), (1, "x", b"x"), (1, bytearray(b"x"), b"x"),
                                  ("1", b"x", b"x"), (2**70, b"x", b"x")])
def test_wrong_argument_types_raise_verification_error(args: tuple) -> None:
    if type(args[0]) is int and args[0] > 3:
        assert _core.ec_point_on_curve(*args) is False  # an unknown (huge) curve number is not a curve
        return
    with pytest.raises(VerificationError) as ei:
        _core.ec_point_on_curve(*args)
    assert ei.value.code == "input.type"


# ------------------------------------------------------------------ the two builds of the limb arithmetic
def test_build_flavour_is_the_one_asked_for() -> None:
    """CI builds the core twice (scripts/portable.sh): the default uses the compiler's 128-bit
    integers where it has them; FASTATTEST_PORTABLE_INT=1 (set for that run) the 32-bit-halves
    path MSVC gets. This pins which one the rest of this file just exercised."""
    import os
    import platform
    import sysconfig

    if os.environ.get("FASTATTEST_PORTABLE_INT") == "1":
        assert _core.EC_INT128 is False
    elif sysconfig.get_platform().startswith(("linux-x86_64", "linux-aarch64", "macosx")) and platform.architecture()[0] == "64bit":
        assert _core.EC_INT128 is True  # GCC / Clang on a 64-bit target
    else:
        assert isinstance(_core.EC_INT128, bool)


@settings(max_examples=300, deadline=None)
@given(crv=st.sampled_from([1, 2, 3]), data=st.data())
def test_carry_heavy_limbs_match_the_oracle(crv: int, data: st.DataObject) -> None:
    """Coordinates built from 64-bit limbs that are all ones, all zeros, a single high or low
    bit, or p's own limbs: every carry and borrow chain of the limb arithmetic is taken."""
    p, b, size = CURVES[crv][:3]
    limbs = (size * 8 + 63) // 64
    words = st.sampled_from([0, 1, 2**63, 2**64 - 1, 2**64 - 2, 2**32 - 1, 2**32, (2**64 - 1) ^ (2**32)])

    def coordinate() -> int:
        v = sum(w << (64 * i) for i, w in enumerate(data.draw(st.lists(words, min_size=limbs, max_size=limbs))))
        v %= 1 << (8 * size)
        return data.draw(st.sampled_from([v, v % p, (p - 1 - v) % p, v ^ (p >> 1) if v else p - 1]))

    x, y = coordinate(), coordinate()
    assert core(crv, x, y) == oracle(crv, x, y)
    # and a point on the curve with x carry-heavy, when y^2 = rhs has a root (p = 3 mod 4)
    x %= p
    rhs = (x ** 3 - 3 * x + b) % p
    r = pow(rhs, (p + 1) // 4, p)
    if r * r % p == rhs:
        assert core(crv, x, r) and core(crv, x, (p - r) % p)
