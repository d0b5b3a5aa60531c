"""Strict DER Ecdsa-Sig-Value framing of the compiled core (SEC 1 §C.5, X.690 §10; catalogue
P12/P13). The numeric range check r, s < n is the Python layer's job."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from fastattest import _core
from fastattest.errors import VerificationError


def der_int(v: bytes) -> bytes:
    return b"\x02" + bytes([len(v)]) + v


def seq(body: bytes) -> bytes:
    return b"\x30" + bytes([len(body)]) + body


def code_of(sig: object, n: int = 32) -> str:
    with pytest.raises(VerificationError) as info:
        _core.check_ecdsa_der(sig, n)  # type: ignore[arg-type]
    return info.value.code


R = b"\x01" * 32
S = b"\x02" * 32
GOOD = seq(der_int(R) + der_int(S))


@pytest.mark.parametrize("curve,n", [(ec.SECP256R1(), 32), (ec.SECP384R1(), 48), (ec.SECP521R1(), 66)])
def test_real_signatures_accepted(curve: ec.EllipticCurve, n: int) -> None:
    key = ec.generate_private_key(curve)
    for i in range(20):
        sig = key.sign(b"msg %d" % i, ec.ECDSA(hashes.SHA256()))
        assert _core.check_ecdsa_der(sig, n) is None


def test_minimal_forms_accepted() -> None:
    _core.check_ecdsa_der(GOOD, 32)
    _core.check_ecdsa_der(seq(der_int(b"\x01") + der_int(b"\x7f")), 32)
    # one permitted leading zero for a high bit
    _core.check_ecdsa_der(seq(der_int(b"\x00\x80" + b"\x00" * 31) + der_int(S)), 32)
    _core.check_ecdsa_der(encode_dss_signature(2**256 - 1, 1), 32)
    # P-521: 66-byte integers need the long-form sequence length 0x81
    sig = encode_dss_signature(2**521 - 1, 2**520)
    assert sig[1] == 0x81
    _core.check_ecdsa_der(sig, 66)
    _core.check_ecdsa_der(bytearray(GOOD), 32)
    _core.check_ecdsa_der(memoryview(GOOD), 32)


# --- P12 non-canonical framing -------------------------------------------------------------------

@pytest.mark.parametrize("sig", [
    GOOD + b"\x00",                                            # trailing byte
    GOOD + GOOD,
    seq(der_int(R) + der_int(S) + der_int(b"\x03")),           # third INTEGER
    seq(der_int(R) + der_int(S) + b"\x00\x00"),                # junk inside the SEQUENCE
    b"\x30\x81" + bytes([len(GOOD) - 2]) + GOOD[2:],           # non-minimal long-form length
    b"\x30\x82\x00" + bytes([len(GOOD) - 2]) + GOOD[2:],
    b"\x30\x80" + GOOD[2:] + b"\x00\x00",                      # indefinite length (BER)
    b"\x30\x84\x00\x00\x00" + bytes([len(GOOD) - 2]) + GOOD[2:],
    seq(b"\x02\x81\x20" + R + der_int(S)),                     # long-form INTEGER length < 128
    seq(der_int(b"\x00" + R) + der_int(S)),                    # superfluous leading zero
    seq(der_int(b"\x00\x00\x80" + R[3:]) + der_int(S)),
    seq(der_int(R) + der_int(b"\x00\x01")),
    seq(der_int(b"\x80" + R[1:]) + der_int(S)),                # negative r
    seq(der_int(R) + der_int(b"\xff")),                        # negative s
    seq(der_int(R)),                                           # one INTEGER only
    seq(b"\x03\x20" + R + der_int(S)),                         # wrong tag
    b"\x31" + GOOD[1:],                                        # SET instead of SEQUENCE
    seq(der_int(R) + b"\x02\x00"),                             # empty INTEGER
    GOOD[:-1],                                                 # truncated
    bytes([0x30, len(GOOD) - 1]) + GOOD[2:],                   # outer length too long
    bytes([0x30, len(GOOD) - 3]) + GOOD[2:],                   # outer length too short
    b"", b"\x30", b"\x30\x00", b"\x30\x06\x02\x01\x01\x02\x01",
])
def test_P12_non_canonical(sig: bytes) -> None:
    assert code_of(sig) == "signature.malformed"


# --- P13 zero / oversized values -----------------------------------------------------------------

@pytest.mark.parametrize("sig", [
    seq(der_int(b"\x00") + der_int(b"\x00")),                  # r = s = 0 (CVE-2022-21449)
    seq(der_int(b"\x00") + der_int(S)),
    seq(der_int(R) + der_int(b"\x00")),
    seq(der_int(b"\x01" * 33) + der_int(S)),                   # r wider than the curve
    seq(der_int(R) + der_int(b"\x00\x80" + b"\x00" * 32)),     # s = 2^263
])
def test_P13_zero_or_too_wide(sig: bytes) -> None:
    assert code_of(sig) == "signature.malformed"


def test_P13_max_len_per_curve() -> None:
    sig384 = encode_dss_signature(2**383, 5)
    _core.check_ecdsa_der(sig384, 48)
    assert code_of(sig384, 32) == "signature.malformed"


def test_raw_r_s_is_not_der() -> None:
    # a 64-byte raw r||s signature (the wrong encoding for WebAuthn ECDSA) is refused
    assert code_of(R + S) == "signature.malformed"


@pytest.mark.parametrize("sig,n", [("30", 32), (None, 32), (GOOD, 0), (GOOD, "32"), (GOOD, 10**30)])
def test_bad_arguments(sig: object, n: object) -> None:
    with pytest.raises(VerificationError) as info:
        _core.check_ecdsa_der(sig, n)  # type: ignore[arg-type]
    assert info.value.code == "input.type"
