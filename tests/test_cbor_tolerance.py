"""CBOR tolerance (issue 16): any well-formed encoding whose meaning is unambiguous is accepted.

WebAuthn L3 §7.1 step 13 asks the RP only to CBOR-decode the attestation object; the CTAP2
canonical form (CTAP2 §8) is a requirement on authenticators, and nothing signed depends on the
map order or head widths of the attestation object. So by default the core accepts map keys in
any order and integers/lengths in wider heads than needed, in the attestation object, attStmt,
COSE keys and authData extensions; ``Policy(strict_cbor=True)`` refuses them as before.

Still refused in both modes: duplicate keys (compared as decoded values), trailing bytes,
truncation, depth and count caps, key and value types outside the schema. And the tolerance
weakens nothing signed: every relaxed input whose signed content is changed is refused.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import random
from typing import Any, Callable
from unittest.mock import patch

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import softauthn as sa
import tpm_helpers
import vectors
from fastattest import Credential, Policy, RelyingParty, VerificationError, _core, verify_attestation
from fastattest.errors import CODES

STRICT = Policy(strict_cbor=True)
STRICT_CODES = ("cbor.non_canonical_order", "cbor.non_minimal_int")


def code_of(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(VerificationError) as info:
        fn(*args, **kwargs)
    assert info.value.code in CODES
    return info.value.code


# ------------------------------------------------------------------ a non-canonical CBOR encoder
def _head(major: int, arg: int, width: int) -> bytes:
    """Initial byte + argument, the argument in at least ``width`` bytes (0 = shortest form)."""
    if width == 0 and arg < 24:
        return bytes([major << 5 | arg])
    need = 1 if arg < 1 << 8 else 2 if arg < 1 << 16 else 4 if arg < 1 << 32 else 8
    w = max(need, width)
    return bytes([major << 5 | {1: 24, 2: 25, 4: 26, 8: 27}[w]]) + arg.to_bytes(w, "big")


def enc(v: Any, width: int = 0, order: Callable[[list], list] | None = None) -> bytes:
    """Encode ``v`` with every head at least ``width`` bytes wide and map items in ``order(items)``
    (default: as the dict holds them). Only the types WebAuthn uses."""
    if v is False or v is True or v is None:
        return {False: b"\xf4", True: b"\xf5", None: b"\xf6"}[v]
    if isinstance(v, int):
        return _head(0, v, width) if v >= 0 else _head(1, -1 - v, width)
    if isinstance(v, bytes):
        return _head(2, len(v), width) + v
    if isinstance(v, str):
        b = v.encode("utf-8")
        return _head(3, len(b), width) + b
    if isinstance(v, list):
        return _head(4, len(v), width) + b"".join(enc(x, width, order) for x in v)
    if isinstance(v, dict):
        items = list(v.items())
        items = order(items) if order else items
        return _head(5, len(items), width) + b"".join(enc(k, width, order) + enc(x, width, order) for k, x in items)
    raise TypeError(type(v))


def reverse(items: list) -> list:
    return items[::-1]


def canonical(v: Any) -> bytes:
    return cbor2.dumps(v, canonical=True)


# ------------------------------------------------------------------ 1. the core decoder
_keys = st.integers(-(2**64), 2**64 - 1) | st.text(max_size=6)
_leaf = (st.integers(-(2**64), 2**64 - 1) | st.binary(max_size=40) | st.text(max_size=12)
         | st.booleans() | st.none())
_values = st.recursive(_leaf, lambda c: st.lists(c, max_size=4) | st.dictionaries(_keys, c, max_size=5), max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_values, st.sampled_from([0, 1, 2, 4, 8]), st.randoms(use_true_random=False))
def test_any_order_any_width_decodes_to_the_same_value(value: Any, width: int, rnd: random.Random) -> None:
    data = enc(value, width, lambda items: rnd.sample(items, len(items)))
    ours = _core.cbor_decode(data)
    assert ours == value == cbor2.loads(data)
    assert repr(ours) == repr(cbor2.loads(data))  # same types, dict keys in the encoded order
    assert _core.cbor_decode_prefix(data + b"\x00") == (ours, len(data))
    if data == canonical(value):
        assert _core.cbor_decode(data, strict=True) == value
    else:
        assert code_of(_core.cbor_decode, data, strict=True) in STRICT_CODES


@pytest.mark.parametrize("data, value", [
    ("1805", 5), ("190005", 5), ("1a00000005", 5), ("1b0000000000000005", 5), ("1900ff", 255),
    ("3800", -1), ("3b0000000000000000", -1), ("5801ab", b"\xab"), ("5a0000000161", b"a"),
    ("7801" "61", "a"), ("7b0000000000000001" "61", "a"), ("9801" "00", [0]), ("990000", []),
    ("b801" "01" "02", {1: 2}), ("a1" "1801" "02", {1: 2}), ("a1" "7803" "666d74" "00", {"fmt": 0}),
])
def test_C11_non_shortest_heads_accepted_by_default_refused_strict(data: str, value: Any) -> None:
    raw = bytes.fromhex(data)
    assert _core.cbor_decode(raw) == value
    assert code_of(_core.cbor_decode, raw, strict=True) == "cbor.non_minimal_int"


@pytest.mark.parametrize("data, keys", [
    ("a2020001 00", [2, 1]), ("a2200001 00", [-1, 1]), ("a2616100 0100", ["a", 1]),
    ("a2626161 00616200", ["aa", "b"]), ("a2616200 616100", ["b", "a"]), ("a2181800 1700", [24, 23]),
])
def test_C12_any_key_order_accepted_by_default_refused_strict(data: str, keys: list) -> None:
    raw = bytes.fromhex(data.replace(" ", ""))
    assert list(_core.cbor_decode(raw)) == keys  # decoded in the encoded order
    assert code_of(_core.cbor_decode, raw, strict=True) == "cbor.non_canonical_order"


@pytest.mark.parametrize("data", [
    "a2 01 00 1801 00",                 # 1 and 1 (two-byte head): the same key
    "a2 1801 00 01 00",                 # the same, wide form first
    "a2 01 00 1b0000000000000001 00",   # 1 and 1 (nine-byte head)
    "a2 20 00 3800 00",                 # -1 and -1
    "a2 63666d74 00 7803666d74 00",     # "fmt" and "fmt" (two-byte length)
    "a2 7803666d74 00 63666d74 00",
    "a3 02 00 01 00 02 00",             # non-adjacent, out of order
    "a3 6161 00 6162 00 6161 00",
    "a1 01 a2 02 00 1802 00",           # nested
    "82 a0 a2 6161 00 780161 00",       # in an array
])
def test_C07_C08_duplicate_keys_refused_whatever_their_encoding_or_position(data: str) -> None:
    raw = bytes.fromhex(data.replace(" ", ""))
    assert code_of(_core.cbor_decode, raw) == "cbor.duplicate_key"
    assert code_of(_core.cbor_decode, raw, strict=True) in ("cbor.duplicate_key",) + STRICT_CODES
    with pytest.raises(VerificationError):
        _core.cbor_decode_prefix(raw)


def test_C07_duplicate_top_level_key_in_attestation_object_refused() -> None:
    ao = _w3c_ao(PACKED)
    # "fmt" twice (once with a wide head) among the three keys: a 4-entry map
    raw = b"\xa4" + enc("fmt") + enc("packed") + enc("attStmt") + enc(ao["attStmt"]) \
        + enc("authData") + enc(ao["authData"]) + enc("fmt", 1) + enc("none")
    assert code_of(_core.parse_attestation_object, raw) == "cbor.duplicate_key"


def test_C05_trailing_bytes_refused_after_non_canonical_item() -> None:
    raw = enc({"b": 1, "a": [1, 2]}, 2, reverse)
    assert _core.cbor_decode(raw) == {"a": [1, 2], "b": 1}
    for tail in (b"\x00", b"\xff", raw):
        assert code_of(_core.cbor_decode, raw + tail) == "cbor.trailing_bytes"


def test_C02_every_truncation_of_a_non_canonical_attestation_object_refused() -> None:
    raw = enc(_w3c_ao(PACKED), 2, reverse)
    assert _core.parse_attestation_object(raw).fmt == "packed"
    for n in range(len(raw)):
        assert code_of(_core.parse_attestation_object, raw[:n]) in (
            "cbor.empty", "cbor.truncated", "cbor.unexpected_eof")


@pytest.mark.parametrize("head", ["5b0000000100000000", "5bffffffffffffffff", "7a7fffffff", "9b0000000100000000",
                                  "bb00000000ffffffff"])
def test_C04_C22_wide_declared_lengths_and_counts_checked_against_the_input(head: str) -> None:
    assert code_of(_core.cbor_decode, bytes.fromhex(head) + b"\x00" * 16) == "cbor.truncated"


def test_C13_C22_count_and_depth_caps_hold_with_wide_heads() -> None:
    m = _core.MAX_ITEMS
    assert len(_core.cbor_decode(b"\x9a" + m.to_bytes(4, "big") + b"\x00" * m)) == m
    assert code_of(_core.cbor_decode, b"\x9b" + (m + 1).to_bytes(8, "big") + b"\x00" * (m + 1)) == "cbor.count_exceeded"
    d = _core.MAX_DEPTH
    assert _core.cbor_decode(b"\x98\x01" * d + b"\x00") is not None
    assert code_of(_core.cbor_decode, b"\x98\x01" * (d + 1) + b"\x00") == "cbor.depth_exceeded"
    assert code_of(_core.cbor_decode, b"\xb8\x01\x00" * (d + 1) + b"\x00") == "cbor.depth_exceeded"


@pytest.mark.parametrize("data, code", [
    ("a2 6161 00 f93c00 00", "cbor.invalid_key_type"),     # float key after a text key
    ("a2 6161 00 4101 00", "cbor.invalid_key_type"),       # byte-string key
    ("a2 6162 00 f5 00", "cbor.invalid_key_type"),         # true as a key
    ("a1 01 fa3f800000", "cbor.unsupported_simple"),       # float value
    ("a1 01 f814", "cbor.unsupported_simple"),             # false in a two-byte head: not well-formed (RFC 8949 §3.3)
    ("a1 01 c24101", "cbor.tag_not_allowed"),
    ("a1 01 5f4101ff", "cbor.indefinite_length"),
    ("b8 01 01 9f ff", "cbor.indefinite_length"),
])
def test_C09_C21_schema_types_still_refused_in_non_canonical_maps(data: str, code: str) -> None:
    assert code_of(_core.cbor_decode, bytes.fromhex(data.replace(" ", ""))) == code


# ------------------------------------------------------------------ 2. attestation object / authData / COSE
def _w3c(name: str) -> dict[str, Any]:
    return next(v for v in vectors.load("w3c") if v["name"] == name)


PACKED = _w3c("w3c_packed_es256")
PACKED_SELF = _w3c("w3c_packed_self_es256")


def _w3c_ao(v: dict[str, Any]) -> dict[str, Any]:
    return cbor2.loads(vectors.b64u_decode(v["response"]["response"]["attestationObject"]))


TOP_ORDER = ["fmt", "authData", "attStmt"]  # the Feitian BioPass order (issue 16)


def top_fmt_authdata_attstmt(ao: dict[str, Any]) -> bytes:
    return enc(ao, order=lambda items: sorted(items, key=lambda kv: TOP_ORDER.index(kv[0])
                                              if kv[0] in TOP_ORDER else -1))


def att_stmt_reversed(ao: dict[str, Any]) -> bytes:
    st_ = ao["attStmt"]
    reordered = dict(reversed(list(st_.items()))) if isinstance(st_, dict) else st_
    return _top_canonical({**ao, "attStmt": reordered})


def _top_canonical(ao: dict[str, Any]) -> bytes:
    # canonical top level (fmt, attStmt, authData), attStmt items as the dict holds them
    return b"\xa3" + enc("fmt") + enc(ao["fmt"]) + enc("attStmt") + enc(ao["attStmt"]) + enc("authData") + enc(ao["authData"])


def wide_heads(ao: dict[str, Any]) -> bytes:
    return enc({k: ao[k] for k in ("fmt", "attStmt", "authData")}, 4)


def everything(ao: dict[str, Any]) -> bytes:
    return enc(ao, 8, reverse)


TRANSFORMS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "top_fmt_authData_attStmt": top_fmt_authdata_attstmt,
    "attStmt_reversed": att_stmt_reversed,
    "wide_heads": wide_heads,
    "reversed_and_widest": everything,
}


@pytest.mark.parametrize("name", TRANSFORMS)
def test_parse_attestation_object_tolerates(name: str) -> None:
    original = vectors.b64u_decode(PACKED["response"]["response"]["attestationObject"])
    ao = cbor2.loads(original)
    raw = TRANSFORMS[name](ao)
    assert raw != original
    a, b = _core.parse_attestation_object(original), _core.parse_attestation_object(raw)
    assert (a.fmt, a.att_stmt, a.auth_data_raw) == (b.fmt, b.att_stmt, b.auth_data_raw)
    assert code_of(_core.parse_attestation_object, raw, strict=True) in STRICT_CODES


def _reorder_cose_in_auth_data(ad: bytes, width: int = 0) -> tuple[bytes, bytes]:
    """authData with its COSE key re-encoded (labels reversed, heads >= width); (authData, key bytes)."""
    parsed = _core.parse_authenticator_data(ad)
    key = cbor2.loads(parsed.credential_public_key)
    new_key = enc(key, width, reverse)
    assert new_key != parsed.credential_public_key
    start = 55 + len(parsed.credential_id)
    return ad[:start] + new_key + ad[start + len(parsed.credential_public_key):], new_key


def test_cose_key_bytes_are_kept_exactly_as_received() -> None:
    ad = cbor2.loads(vectors.b64u_decode(PACKED["response"]["response"]["attestationObject"]))["authData"]
    for width in (0, 2):
        new_ad, new_key = _reorder_cose_in_auth_data(ad, width)
        parsed = _core.parse_authenticator_data(new_ad)
        assert parsed.credential_public_key == new_key
        k = _core.parse_cose_key(new_key)
        assert (k.raw, k.alg, k.crv) == (new_key, -7, 1)
        assert code_of(_core.parse_authenticator_data, new_ad, strict=True) in STRICT_CODES
        assert code_of(_core.parse_cose_key, new_key, strict=True) in STRICT_CODES
        assert code_of(_core.parse_cose_key, new_key[:-1]) in ("cbor.truncated", "cbor.unexpected_eof")
        # a duplicate label (kty repeated in a wide head) is still refused inside authData
        dup = _head(5, 6, width) + new_key[len(_head(5, 5, width)):] + b"\x18\x01\x02"
        dup_ad = new_ad[:55 + len(parsed.credential_id)] + dup
        assert code_of(_core.parse_authenticator_data, dup_ad) == "cbor.duplicate_key"


# Solo 1 firmware's makeCredential extensions, {"hmac-secret": true, "credProtect": 1} out of
# canonical order: the bytes reported in solokeys/solo1 issue #499 (Azure AD refused them).
SOLO_EXTENSIONS = bytes.fromhex("A26B686D61632D736563726574F56B6372656450726F7465637401")


def test_real_out_of_order_extensions_accepted_by_default_refused_strict() -> None:
    ad = sa.build_auth_data("example.com", sign_count=3, extensions=SOLO_EXTENSIONS)
    parsed = _core.parse_authenticator_data(ad)
    assert parsed.extensions == {"hmac-secret": True, "credProtect": 1}
    assert list(parsed.extensions) == ["hmac-secret", "credProtect"]
    assert code_of(_core.parse_authenticator_data, ad, strict=True) == "cbor.non_canonical_order"
    dup = b"\xa3" + SOLO_EXTENSIONS[1:] + enc("credProtect", 1) + b"\x02"
    assert code_of(_core.parse_authenticator_data, sa.build_auth_data("example.com", extensions=dup)) == "cbor.duplicate_key"


# ------------------------------------------------------------------ 3. end to end on real registrations
REG = [v for v in vectors.load("registration", positive=True) if v.get("rp_id")]


def _rp(v: dict[str, Any], policy: Policy | None = None) -> RelyingParty:
    return RelyingParty(v["rp_id"], v["origin"], trust_anchors=vectors.trust_anchors(v), policy=policy)


def _register(v: dict[str, Any], resp: dict[str, Any], policy: Policy | None = None) -> Credential | str:
    try:
        return _rp(v, policy).register(resp, vectors.challenge(v), now=vectors.now(v))
    except VerificationError as exc:
        return exc.code


def _with_ao(resp: dict[str, Any], raw: bytes) -> dict[str, Any]:
    r = copy.deepcopy(resp)
    r["response"]["attestationObject"] = vectors.b64u_encode(raw)
    return r


def _py_webauthn(v: dict[str, Any], resp: dict[str, Any]) -> str:
    from OpenSSL.crypto import X509Store
    from webauthn import verify_registration_response
    from webauthn.helpers.structs import COSEAlgorithmIdentifier

    store = X509Store()
    if vectors.now(v) is not None:
        store.set_time(vectors.now(v).replace(tzinfo=None))
    anchors = vectors.trust_anchors(v)
    try:
        with patch("webauthn.helpers.validate_certificate_chain._generate_new_cert_store", return_value=store):
            verify_registration_response(
                credential=json.dumps(resp), expected_challenge=vectors.challenge(v), expected_origin=v["origin"],
                expected_rp_id=v["rp_id"], supported_pub_key_algs=list(COSEAlgorithmIdentifier),
                pem_root_certs_bytes_by_fmt={k: [p.encode() if isinstance(p, str) else p for p in ps]
                                             for k, ps in anchors.items()} if anchors else None)
    except Exception as exc:  # noqa: BLE001 - any py_webauthn refusal
        return f"reject:{type(exc).__name__}"
    return "ok"


def _fido2(raw_ao: bytes, cdh: bytes) -> str:
    from fido2.attestation import Attestation
    from fido2.webauthn import AttestationObject

    try:
        obj = AttestationObject(raw_ao)
        Attestation.for_type(obj.fmt)().verify(obj.att_stmt, obj.auth_data, cdh)
    except Exception as exc:  # noqa: BLE001 - any python-fido2 refusal
        return f"reject:{type(exc).__name__}"
    return "ok"


def _same_credential(a: Credential, b: Credential) -> None:
    for f in ("credential_id", "public_key", "sign_count", "algorithm", "aaguid", "fmt", "attestation_type",
              "trusted", "trust_path", "user_verified", "backup_eligible", "backed_up", "status", "trust_error"):
        assert getattr(a, f) == getattr(b, f), f


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("v", REG, ids=vectors.ids(REG))
def test_real_registration_re_encoded_registers(v: dict[str, Any], name: str) -> None:
    resp = v["response"]
    original = vectors.b64u_decode(resp["response"]["attestationObject"])
    raw = TRANSFORMS[name](cbor2.loads(original))
    mutated = _with_ao(resp, raw)
    before = _register(v, resp)
    after = _register(v, mutated)
    if isinstance(before, str):  # refused as recorded (stricter-than-peers): the re-encoding changes nothing
        assert after == before
        return
    assert isinstance(after, Credential), after
    _same_credential(before, after)
    assert after.attestation_object == raw  # stored as received, not re-encoded
    if raw != original:
        assert _register(v, mutated, Policy(strict_cbor=True)) in STRICT_CODES
    # the peers: python-fido2 (statement level) and py_webauthn (whole ceremony) where they accept the original
    cdh = hashlib.sha256(vectors.b64u_decode(resp["response"]["clientDataJSON"])).digest()
    if _fido2(original, cdh) == "ok":
        assert _fido2(raw, cdh) == "ok", "python-fido2 refuses the re-encoding"
    if _py_webauthn(v, resp) == "ok":
        assert _py_webauthn(v, mutated) == "ok", "py_webauthn refuses the re-encoding"


def _flip_auth_data(raw_ao: bytes) -> bytes:
    # signCount's last byte (signed, checked by nothing but the signature); keeps the encoding
    i = raw_ao.index(cbor2.loads(raw_ao)["authData"]) + 36
    return raw_ao[:i] + bytes([raw_ao[i] ^ 1]) + raw_ao[i + 1:]


_P256 = 2**256 - 2**224 + 2**192 + 2**96 - 1


def _negate_y(raw_ao: bytes) -> bytes:
    """Replace the credential key (P-256) by its negation (x, p - y): still a valid key, but not
    the one signed. fido-u2f signs rpIdHash, credentialId and the key, not signCount (§8.6)."""
    ad = _core.parse_authenticator_data(cbor2.loads(raw_ao)["authData"])
    y = cbor2.loads(ad.credential_public_key)[-3]
    i = raw_ao.index(ad.credential_public_key) + ad.credential_public_key.index(y)
    return raw_ao[:i] + (_P256 - int.from_bytes(y, "big")).to_bytes(32, "big") + raw_ao[i + 32:]


def _flip_signed_auth_data(raw_ao: bytes) -> bytes:
    return _negate_y(raw_ao) if cbor2.loads(raw_ao)["fmt"] == "fido-u2f" else _flip_auth_data(raw_ao)


def _flip_sig(raw_ao: bytes) -> bytes:
    sig = cbor2.loads(raw_ao)["attStmt"]["sig"]
    i = raw_ao.index(sig) + len(sig) - 1
    return raw_ao[:i] + bytes([raw_ao[i] ^ 1]) + raw_ao[i + 1:]


SIGNED = [v for v in REG if cbor2.loads(vectors.b64u_decode(v["response"]["response"]["attestationObject"]))["fmt"]
          in ("packed", "fido-u2f", "tpm", "android-key", "apple")]


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("v", SIGNED, ids=vectors.ids(SIGNED))
def test_signed_content_changes_in_re_encoded_registrations_refused(v: dict[str, Any], name: str) -> None:
    resp = v["response"]
    raw = TRANSFORMS[name](cbor2.loads(vectors.b64u_decode(resp["response"]["attestationObject"])))
    if isinstance(_register(v, _with_ao(resp, raw)), str):
        return  # refused as recorded (covered above)
    cdh = hashlib.sha256(vectors.b64u_decode(resp["response"]["clientDataJSON"])).digest()
    fmt = cbor2.loads(raw)["fmt"]
    sig_codes = (f"{fmt.replace('-', '_')}.signature_invalid", f"{fmt.replace('-', '_')}.nonce_mismatch",
                 "tpm.extra_data_mismatch", "apple.nonce_mismatch", "android_key.challenge_mismatch")
    for bad in (_flip_signed_auth_data(raw), _flip_sig(raw) if fmt != "apple" else None):
        if bad is not None:
            code = _register(v, _with_ao(resp, bad))
            assert isinstance(code, str) and code.split(".")[0] in (fmt.replace("-", "_"), "signature"), code
    # another clientDataHash: the statement no longer verifies
    code = code_of(verify_attestation, raw, hashlib.sha256(cdh).digest(),
                   trust_anchors=vectors.trust_anchors(v), now=vectors.now(v))
    assert code.split(".")[0] in (fmt.replace("-", "_"), "signature"), code
    assert code in sig_codes or code == "signature.malformed" or code.endswith("_mismatch"), code


# ------------------------------------------------------------------ 4. COSE key re-encoded inside authData, re-signed
def _resigned_w3c(v: dict[str, Any], width: int) -> tuple[dict[str, Any], bytes]:
    """The W3C packed vector with its COSE key re-encoded in authData, signed again with the
    published private key (attestation key for basic, credential key for self)."""
    resp = copy.deepcopy(v["response"])
    ao = _w3c_ao(v)
    ad, key = _reorder_cose_in_auth_data(ao["authData"], width)
    signer = v.get("attestation_private_key") or v["credential_private_key"]
    priv = ec.derive_private_key(int(signer, 16), ec.SECP256R1())
    cdh = hashlib.sha256(vectors.b64u_decode(resp["response"]["clientDataJSON"])).digest()
    st_ = dict(ao["attStmt"], sig=priv.sign(ad + cdh, ec.ECDSA(hashes.SHA256())))
    resp["response"]["attestationObject"] = vectors.b64u_encode(enc({"fmt": ao["fmt"], "authData": ad, "attStmt": st_}, 0, reverse))
    return resp, key


def _w3c_rp(v: dict[str, Any], policy: Policy | None = None) -> RelyingParty:
    return RelyingParty(v["rp_id"], [v["origin"]], trust_anchors=v.get("trust_anchors"), policy=policy)


def _w3c_now(v: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(v["now"].replace("Z", "+00:00"))


@pytest.mark.parametrize("width", [0, 2])
@pytest.mark.parametrize("v", [PACKED, PACKED_SELF], ids=lambda v: v["name"])
def test_w3c_cose_key_re_encoded_registers_and_signs_in(v: dict[str, Any], width: int) -> None:
    resp, key = _resigned_w3c(v, width)
    challenge = bytes.fromhex(v["registration"]["challenge"])
    cred = _w3c_rp(v).register(resp, challenge, now=_w3c_now(v))
    assert cred.public_key == key  # exactly the bytes of authData, never a re-encoding
    assert cred.trusted == bool(v.get("trust_anchors")) and cred.algorithm == -7
    again = Credential.from_dict(json.loads(json.dumps(cred.to_dict())))
    assert again.public_key == key
    # sign-in with the stored (non-canonical) key: the vector's own assertion verifies
    res = _w3c_rp(v).verify(v["assertion_response"], again, bytes.fromhex(v["authentication"]["challenge"]))
    assert res.credential_id == cred.credential_id
    with pytest.raises(VerificationError) as ei:
        _w3c_rp(v, STRICT).register(resp, challenge, now=_w3c_now(v))
    assert ei.value.code in STRICT_CODES
    # the peers accept it too
    raw = vectors.b64u_decode(resp["response"]["attestationObject"])
    cdh = hashlib.sha256(vectors.b64u_decode(resp["response"]["clientDataJSON"])).digest()
    assert _fido2(raw, cdh) == "ok"
    # ... and any change to signed content is refused
    for bad in (_flip_auth_data(raw), _flip_sig(raw)):
        with pytest.raises(VerificationError) as ei:
            _w3c_rp(v).register(_with_ao(resp, bad), challenge, now=_w3c_now(v))
        assert ei.value.code in ("packed.signature_invalid", "signature.malformed")
    assert code_of(verify_attestation, raw, hashlib.sha256(b"other").digest(), trust_anchors=v.get("trust_anchors"),
                   now=_w3c_now(v)) == "packed.signature_invalid"


@pytest.mark.parametrize("fmt, alg", [("fido-u2f", -7), ("packed-self", -7), ("packed-self", -8),
                                      ("packed-self", -257), ("packed", -7), ("none", -7)])
def test_soft_authenticator_cose_key_and_extensions_re_encoded(fmt: str, alg: int) -> None:
    """fido-u2f builds its signed data from the COSE x and y (§8.6 step 4), packed self checks the
    key against alg: both work from decoded fields, so the key's encoding does not matter."""
    ca = sa.TestCA()
    auth = sa.SoftAuthenticator(fmt, alg=alg, ca=ca if fmt in ("packed", "fido-u2f") else None)
    challenge = b"\x07" * 32
    reg = auth.make_registration("example.com", "https://example.com", challenge)
    ad, key = _reorder_cose_in_auth_data(reg.auth_data, 1)
    reg.auth_data = ad + SOLO_EXTENSIONS
    reg.auth_data = reg.auth_data[:32] + bytes([reg.auth_data[32] | 0x80]) + reg.auth_data[33:]  # ED
    reg.resign()
    reg.attestation_object_override = enc({"fmt": reg.fmt if fmt != "packed-self" else "packed", "attStmt": reg.att_stmt,
                                           "authData": reg.auth_data}, 0, reverse)
    anchors = {k: list(v) for k, v in auth.trust_anchors().items()} or None
    rp = RelyingParty("example.com", ["https://example.com"], trust_anchors=anchors)
    cred = rp.register(reg.to_json(), challenge)
    assert cred.public_key == key
    with pytest.raises(VerificationError) as ei:
        RelyingParty("example.com", ["https://example.com"], trust_anchors=anchors, policy=STRICT).register(reg.to_json(), challenge)
    assert ei.value.code in STRICT_CODES
    if fmt != "none":  # a signed statement: a changed byte of authData is refused
        raw = reg.attestation_object
        bad = _with_ao(reg.to_json(), _flip_signed_auth_data(raw))
        with pytest.raises(VerificationError) as ei:
            rp.register(bad, challenge)
        assert ei.value.code.endswith("signature_invalid")
    # sign-in: the assertion's authData carries the Solo extensions out of canonical order
    a = auth.make_assertion("example.com", "https://example.com", b"\x08" * 32, cred.credential_id)
    a.auth_data = sa.build_auth_data("example.com", sign_count=9, extensions=SOLO_EXTENSIONS)
    a.resign()
    assert rp.verify(a.to_json(), cred, b"\x08" * 32).sign_count == 9
    with pytest.raises(VerificationError) as ei:
        RelyingParty("example.com", ["https://example.com"], policy=STRICT).verify(a.to_json(), cred, b"\x08" * 32)
    assert ei.value.code == "cbor.non_canonical_order"
    a.auth_data = a.auth_data[:36] + b"\x0a" + a.auth_data[37:]  # signCount changed after signing
    with pytest.raises(VerificationError) as ei:
        rp.verify(a.to_json(), cred, b"\x08" * 32)
    assert ei.value.code == "assertion.signature_invalid"


@pytest.mark.parametrize("cred, aik", [("rsa", "rsa"), ("ec", "ec")])
def test_tpm_pub_area_matches_a_re_encoded_cose_key(cred: str, aik: str) -> None:
    """TPM §8.3 step: pubArea's key must equal the credential key: compared field by field, so a
    COSE key with labels out of order (re-signed certInfo over the new authData) verifies."""
    att = tpm_helpers.build(cred=cred, aik=aik)
    ad, key = _reorder_cose_in_auth_data(att.auth_data, 2)
    att.auth_data = ad
    h = hashlib.sha256(ad + att.client_data_hash).digest()
    att.resign(tpm_helpers.cert_info(h, tpm_helpers.tpm_name(att.pub_area)))
    raw = enc({"fmt": "tpm", "attStmt": att.stmt, "authData": ad}, 0, reverse)
    anchors = {"tpm": [att.root_pem]}
    res = verify_attestation(raw, att.client_data_hash, trust_anchors=anchors, now=tpm_helpers.NOW)
    assert res.trusted and res.fmt == "tpm" and res.cose_key.raw == key
    assert code_of(verify_attestation, raw, att.client_data_hash, trust_anchors=anchors, now=tpm_helpers.NOW,
                   policy=STRICT) in STRICT_CODES
    assert code_of(verify_attestation, raw, hashlib.sha256(b"x").digest(), trust_anchors=anchors,
                   now=tpm_helpers.NOW) == "tpm.extra_data_mismatch"
    # a COSE key that no longer matches pubArea (another y/modulus byte), re-signed: refused
    other = bytearray(ad)
    other[-1] ^= 1
    h = hashlib.sha256(bytes(other) + att.client_data_hash).digest()
    att.auth_data = bytes(other)
    att.resign(tpm_helpers.cert_info(h, tpm_helpers.tpm_name(att.pub_area)))
    raw = enc({"fmt": "tpm", "attStmt": att.stmt, "authData": bytes(other)}, 0, reverse)
    code = code_of(verify_attestation, raw, att.client_data_hash, trust_anchors=anchors, now=tpm_helpers.NOW)
    assert code.startswith(("tpm.", "cose.")), code


def test_batch_reverification_of_non_canonical_registrations() -> None:
    from fastattest import reverify

    v = PACKED
    resp, _ = _resigned_w3c(v, 2)
    cred = _w3c_rp(v).register(resp, bytes.fromhex(v["registration"]["challenge"]), now=_w3c_now(v))
    records = [cred.to_dict()]
    for mode in ("full", "trust"):
        out = list(reverify(records, trust_anchors=v["trust_anchors"], now=_w3c_now(v), mode=mode, workers=1))
        assert out[0].valid and out[0].trusted, out[0]
        strict = list(reverify(records, trust_anchors=v["trust_anchors"], now=_w3c_now(v), mode=mode, workers=1,
                               policy=STRICT))
        assert not strict[0].valid and strict[0].error in STRICT_CODES, strict[0]


def test_strict_cbor_is_a_typed_policy_field() -> None:
    assert Policy().strict_cbor is False and STRICT.strict_cbor is True
    assert Policy(strict_cbor=True) == STRICT and Policy() != STRICT
