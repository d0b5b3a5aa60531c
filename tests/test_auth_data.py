"""Authenticator data parser of the compiled core (WebAuthn L3 §6.1; catalogue D01-D03, D06-D09).

Policy checks (UP, UV, AT required, rpIdHash: D04, D05, D11-D15) belong to the Python layer and
are tested there; here only the structure is checked."""
from __future__ import annotations

import hashlib
import struct

import cbor2
import pytest

from fastattest import _core
from fastattest.errors import CODES, VerificationError

RP_HASH = hashlib.sha256(b"example.com").digest()
AAGUID = bytes(range(16))
# the P-256 base point (SEC 2 §2.4.2): the core refuses points off the curve (D20)
G_X = bytes.fromhex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296")
G_Y = bytes.fromhex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")
COSE_KEY = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: G_X, -3: G_Y}, canonical=True)

UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80


def auth_data(flags: int, count: int = 0, attested: bytes = b"", ext: bytes = b"") -> bytes:
    return RP_HASH + bytes([flags]) + struct.pack(">I", count) + attested + ext


def attested(cred_id: bytes = b"\xaa" * 16, key: bytes = COSE_KEY, declared: int | None = None) -> bytes:
    n = len(cred_id) if declared is None else declared
    return AAGUID + struct.pack(">H", n) + cred_id + key


def code_of(data: bytes, strict: bool = False) -> str:
    with pytest.raises(VerificationError) as info:
        _core.parse_authenticator_data(data, strict)
    assert info.value.code in CODES
    return info.value.code


# --- positives ----------------------------------------------------------------------------------

def test_assertion_round_trip() -> None:
    raw = auth_data(UP | UV | BE | BS, 0x01020304)
    ad = _core.parse_authenticator_data(raw)
    assert ad.raw == raw
    assert ad.rp_id_hash == RP_HASH
    assert ad.flags == UP | UV | BE | BS
    assert (ad.user_present, ad.user_verified, ad.backup_eligible, ad.backed_up) == (True,) * 4
    assert not ad.has_attested_data and not ad.has_extensions
    assert ad.sign_count == 0x01020304
    assert ad.aaguid is None and ad.credential_id is None
    assert ad.credential_public_key is None and ad.extensions is None


def test_registration_round_trip() -> None:
    cred_id = b"\xcd" * 64
    ext = cbor2.dumps({"credProtect": 2, "hmac-secret": True}, canonical=True)
    raw = auth_data(UP | AT | ED, 0xFFFFFFFF, attested(cred_id), ext)
    ad = _core.parse_authenticator_data(raw)
    assert ad.has_attested_data and ad.has_extensions and ad.user_present
    assert not ad.user_verified
    assert ad.sign_count == 0xFFFFFFFF
    assert ad.aaguid == AAGUID
    assert ad.credential_id == cred_id
    assert ad.credential_public_key == COSE_KEY           # exact bytes as they appear
    assert ad.extensions == {"credProtect": 2, "hmac-secret": True}
    key = _core.parse_cose_key(ad.credential_public_key)
    assert key.alg == -7 and key.raw == COSE_KEY


def test_bytes_like_inputs() -> None:
    raw = auth_data(UP | AT, 1, attested())
    for data in (bytearray(raw), memoryview(raw)):
        assert _core.parse_authenticator_data(data).credential_public_key == COSE_KEY


def test_credential_id_limits_accepted() -> None:
    assert _core.parse_authenticator_data(auth_data(AT, 0, attested(b""))).credential_id == b""
    ad = _core.parse_authenticator_data(auth_data(AT, 0, attested(b"\x01" * 1023)))
    assert ad.credential_id == b"\x01" * 1023


def test_attestation_object_round_trip() -> None:
    raw = auth_data(UP | AT, 7, attested())
    obj = cbor2.dumps({"fmt": "packed", "attStmt": {"alg": -7, "sig": b"s"}, "authData": raw},
                      canonical=True)
    ao = _core.parse_attestation_object(obj)
    assert ao.fmt == "packed"
    assert ao.att_stmt == {"alg": -7, "sig": b"s"}
    assert ao.auth_data_raw == raw
    assert ao.auth_data.credential_public_key == COSE_KEY
    assert ao.auth_data.sign_count == 7


# --- negatives ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 32, 36])
def test_D01_too_short(n: int) -> None:
    assert code_of(auth_data(UP)[:n]) == "auth_data.too_short"


def test_D02_at_set_without_attested_data() -> None:
    assert code_of(auth_data(UP | AT)) == "auth_data.attested_data_missing"
    assert code_of(auth_data(UP | AT, 0, AAGUID + b"\x00")) == "auth_data.attested_data_missing"
    # credential id present but no COSE key after it
    assert code_of(auth_data(UP | AT, 0, attested(key=b""))) == "auth_data.attested_data_missing"


def test_D03_attested_data_without_at() -> None:
    assert code_of(auth_data(UP, 0, attested())) == "auth_data.leftover_bytes"
    assert code_of(auth_data(UP) + b"\x00") == "auth_data.leftover_bytes"


def test_D06_bytes_after_cose_key() -> None:
    assert code_of(auth_data(UP | AT, 0, attested() + b"\x00")) == "auth_data.leftover_bytes"
    # extensions present but ED=0
    ext = cbor2.dumps({"credProtect": 1})
    assert code_of(auth_data(UP | AT, 0, attested(), ext)) == "auth_data.leftover_bytes"


def test_D07_extensions_malformed() -> None:
    # ED=1 with nothing
    assert code_of(auth_data(UP | ED)) == "auth_data.extensions_malformed"
    assert code_of(auth_data(UP | AT | ED, 0, attested())) == "auth_data.extensions_malformed"
    # ED=1 with a non-map
    assert code_of(auth_data(UP | ED, 0, ext=b"\x80")) == "auth_data.extensions_malformed"
    assert code_of(auth_data(UP | ED, 0, ext=b"\x01")) == "auth_data.extensions_malformed"
    # ED=1, map, then trailing bytes
    assert code_of(auth_data(UP | ED, 0, ext=b"\xa0\x00")) == "auth_data.leftover_bytes"
    # ED=1 with a broken map: the CBOR code is kept
    assert code_of(auth_data(UP | ED, 0, ext=b"\xa1\x19\x01")) == "cbor.unexpected_eof"


@pytest.mark.parametrize("declared", [0xFFFF, 1024, 16 + len(COSE_KEY) + 1])
def test_D08_credential_id_length_exceeds_data(declared: int) -> None:
    raw = auth_data(UP | AT, 0, attested(b"\xaa" * 16, declared=declared))
    assert code_of(raw) == "auth_data.credential_id_truncated"


def test_D08_credential_id_length_swallows_key() -> None:
    # length covers the COSE key exactly: nothing left for the key
    raw = auth_data(UP | AT, 0, attested(b"\xaa" * 16, declared=16 + len(COSE_KEY)))
    assert code_of(raw) == "auth_data.attested_data_missing"


def test_D09_credential_id_too_long() -> None:
    assert code_of(auth_data(UP | AT, 0, attested(b"\x01" * 1024))) == "auth_data.credential_id_too_long"
    assert code_of(auth_data(UP | AT, 0, attested(b"\x01" * 2000))) == "auth_data.credential_id_too_long"


def test_cose_key_not_a_map() -> None:
    assert code_of(auth_data(UP | AT, 0, attested(key=b"\x80"))) == "cose.not_a_map"
    assert code_of(auth_data(UP | AT, 0, attested(key=b"\x41\x00"))) == "cose.not_a_map"


def test_cose_key_cbor_errors_surface() -> None:
    assert code_of(auth_data(UP | AT, 0, attested(key=b"\xbf\xff"))) == "cbor.indefinite_length"
    out_of_order = auth_data(UP | AT, 0, attested(key=b"\xa2\x03\x26\x01\x02"))
    assert code_of(out_of_order, strict=True) == "cbor.non_canonical_order"
    assert _core.parse_authenticator_data(out_of_order).credential_public_key == b"\xa2\x03\x26\x01\x02"
    assert code_of(auth_data(UP | AT, 0, attested(key=b"\xa2\x03\x26\x03\x26"))) == "cbor.duplicate_key"
    assert code_of(auth_data(UP | AT, 0, attested(key=b"\xa1\x01"))) == "cbor.truncated"


def test_input_type() -> None:
    with pytest.raises(VerificationError) as info:
        _core.parse_authenticator_data("x" * 40)  # type: ignore[arg-type]
    assert info.value.code == "input.type"
