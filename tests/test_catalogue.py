"""Catalogue rows (SECURITY-CATALOGUE.md §4) not covered by the per-module test files, the resource
caps of fuzz/README.md "Security: resource bounds", bugs found by fuzzing (strict xfail until fixed),
and the check that tests/CATALOGUE.md lists every catalogue ID."""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import catalogue_table
import softauthn as sa
from fastattest import Credential, RelyingParty, VerificationError, _core, algorithms, parse_attestation_object
from fastattest import certificates, client_data, response, trust
from fastattest.errors import FastAttestError

# scripts/sanitize.sh runs these under ASan beside the fuzzers: time budgets scale, the work does not
TIME_FACTOR = float(os.environ.get("FASTATTEST_TIME_FACTOR", "1"))

RP_ID, ORIGIN = "example.com", "https://example.com"
P256_P = 2**256 - 2**224 + 2**192 + 2**96 - 1


def code_of(fn, *args, **kw) -> str:
    with pytest.raises(FastAttestError) as ei:
        fn(*args, **kw)
    return ei.value.code


def none_registration(cose: dict | bytes, challenge: bytes, *, extensions: dict | bytes | None = None,
                      att_obj: bytes | None = None) -> dict:
    """A fmt "none" registration (no signature to fake) carrying an arbitrary credential key."""
    cred_id = os.urandom(16)
    ad = sa.build_auth_data(RP_ID, aaguid=sa.ZERO_AAGUID, credential_id=cred_id, credential_public_key=cose,
                            extensions=extensions)
    ao = att_obj if att_obj is not None else sa.encode_attestation_object("none", {}, ad)
    cdj = sa.client_data_json("webauthn.create", challenge, ORIGIN)
    return {"id": sa.b64u(cred_id), "rawId": sa.b64u(cred_id), "type": "public-key",
            "response": {"clientDataJSON": sa.b64u(cdj), "attestationObject": sa.b64u(ao)},
            "clientExtensionResults": {}}


def register_code(resp: dict, challenge: bytes) -> str:
    return code_of(RelyingParty(RP_ID, [ORIGIN]).register, resp, challenge)


def ec2(x: bytes, y: bytes, alg: int = -7, crv: int = 1) -> dict:
    return {1: 2, 3: alg, -1: crv, -2: x, -3: y}


# ------------------------------------------------------------------ A. CBOR through the attestation object
def test_C13_deep_nesting_in_attestation_object() -> None:
    deep = b"\x81" * 100_000 + b"\x00"
    ao = b"\xa3" + b"\x63fmt" + b"\x64none" + b"\x67attStmt" + deep + b"\x68authData\x40"
    t = time.perf_counter()
    assert code_of(parse_attestation_object, ao) == "cbor.depth_exceeded"
    assert time.perf_counter() - t < 0.1 * TIME_FACTOR


def test_C14_nested_tags_in_attestation_object() -> None:
    tags = b"\xc6" * 100_000 + b"\x00"
    ao = b"\xa3" + b"\x63fmt" + b"\x64none" + b"\x67attStmt" + tags + b"\x68authData\x40"
    assert code_of(parse_attestation_object, ao) == "cbor.tag_not_allowed"


def test_C13_deep_nesting_through_register(challenge: bytes) -> None:
    ad = sa.build_auth_data(RP_ID, aaguid=sa.ZERO_AAGUID, credential_id=b"c" * 16,
                            credential_public_key=sa.cose_key(-7, ec.generate_private_key(ec.SECP256R1()).public_key()))
    ao = (b"\xa3" + b"\x63fmt" + b"\x64none" + b"\x67attStmt" + b"\xa1\x61a" * 20 + b"\xa0"
          + b"\x68authData" + cbor2.dumps(ad))
    resp = none_registration({}, challenge, att_obj=ao)
    resp["id"] = resp["rawId"] = sa.b64u(b"c" * 16)
    assert register_code(resp, challenge) == "cbor.depth_exceeded"


# ------------------------------------------------------------------ B. COSE keys: D20, D22
def test_D20_point_off_curve(challenge: bytes) -> None:
    k = sa.cose_key(-7, ec.generate_private_key(ec.SECP256R1()).public_key())
    y = bytearray(k[-3]); y[-1] ^= 1
    assert code_of(algorithms.load_cose_key, cbor2.dumps(ec2(k[-2], bytes(y)))) == "cose.invalid_key"
    assert register_code(none_registration(ec2(k[-2], bytes(y)), challenge), challenge) == "cose.invalid_key"


@pytest.mark.parametrize("x, y", [
    (bytes(32), bytes(32)),                                              # all zero (point at infinity encoding)
    (P256_P.to_bytes(32, "big"), bytes(31) + b"\x01"),                   # x = p
    (b"\xff" * 32, b"\xff" * 32),                                        # x, y > p
], ids=["all_zero", "x_eq_p", "x_y_gt_p"])
def test_D20_invalid_coordinates(x: bytes, y: bytes, challenge: bytes) -> None:
    assert code_of(algorithms.load_cose_key, cbor2.dumps(ec2(x, y))) == "cose.invalid_key"
    assert register_code(none_registration(ec2(x, y), challenge), challenge) == "cose.invalid_key"


@pytest.mark.parametrize("fmt", ["packed", "fido-u2f"])
def test_D20_off_curve_key_in_formats_that_never_use_it(fmt: str, challenge: bytes) -> None:
    """packed full and fido-u2f verify with the attestation key, not the credential key, so
    registration validates the credential key on its own (algorithms.parse_cose_key): a validly
    signed statement over an off-curve credential key is still refused."""
    auth = sa.SoftAuthenticator(fmt, ca=sa.TestCA())
    k = sa.cose_key(-7, ec.generate_private_key(ec.SECP256R1()).public_key())
    y = bytearray(k[-3]); y[-1] ^= 1
    cid = os.urandom(16)
    ad = sa.build_auth_data(RP_ID, aaguid=bytes(16) if fmt == "fido-u2f" else sa.DEFAULT_AAGUID.bytes,
                            credential_id=cid, credential_public_key=ec2(k[-2], bytes(y)))
    resp = auth.create(RP_ID, ORIGIN, challenge, credential_id=cid, overrides={"auth_data": ad})
    party = RelyingParty(RP_ID, [ORIGIN], trust_anchors=auth.trust_anchors())
    assert code_of(party.register, resp, challenge) == "cose.invalid_key"


@pytest.mark.parametrize("crv, curve, size", [(1, ec.SECP256R1(), 32), (2, ec.SECP384R1(), 48), (3, ec.SECP521R1(), 66)])
def test_D20_on_curve_check_agrees_with_openssl(crv: int, curve: ec.EllipticCurve, size: int) -> None:
    """parse_cose_key (the compiled on-curve check) accepts exactly the points OpenSSL accepts."""
    alg = {1: -7, 2: -35, 3: -36}[crv]
    accepted = refused = 0
    for i in range(60):
        n = ec.generate_private_key(curve).public_key().public_numbers()
        x, y = n.x, n.y
        if i % 3 == 1:
            y ^= 1 << (i % 8)  # off the curve
        elif i % 3 == 2:
            x = (x + i) % (1 << (8 * size))
        raw = cbor2.dumps(ec2(x.to_bytes(size, "big"), y.to_bytes(size, "big"), alg, crv))
        algorithms.parse_cose_key.cache_clear()
        try:
            algorithms.load_cose_key(raw)
            openssl_ok = True
        except VerificationError:
            openssl_ok = False
        try:
            algorithms.parse_cose_key(raw)
            ours_ok = True
        except VerificationError as exc:
            assert exc.code == "cose.invalid_key"
            ours_ok = False
        assert ours_ok == openssl_ok, (crv, i)
        accepted += ours_ok
        refused += not ours_ok
    assert accepted >= 20 and refused >= 30


P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def test_D20_x_plus_p_alias_of_valid_point(challenge: bytes) -> None:
    """A valid point (x, y) with x small, sent as x + p (still 32 bytes): unreduced, must fail."""
    for x in range(1, 1000):
        rhs = (x ** 3 - 3 * x + P256_B) % P256_P
        y = pow(rhs, (P256_P + 1) // 4, P256_P)      # p = 3 mod 4
        if y * y % P256_P == rhs:
            break
    yb = y.to_bytes(32, "big")
    algorithms.load_cose_key(cbor2.dumps(ec2(x.to_bytes(32, "big"), yb)))          # the point itself is valid
    alias = (x + P256_P).to_bytes(32, "big")
    assert code_of(algorithms.load_cose_key, cbor2.dumps(ec2(alias, yb))) == "cose.invalid_key"
    assert register_code(none_registration(ec2(alias, yb), challenge), challenge) == "cose.invalid_key"


# RFC 8032 / Wycheproof small-order Ed25519 encodings (order 1, 2, 4, 8 points)
SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
]


@pytest.mark.parametrize("x", SMALL_ORDER)
def test_D22_small_order_ed25519(x: str, challenge: bytes) -> None:
    key = {1: 1, 3: -8, -1: 6, -2: bytes.fromhex(x)}
    assert code_of(algorithms.load_cose_key, cbor2.dumps(key)) == "cose.invalid_key"
    assert register_code(none_registration(key, challenge), challenge) == "cose.invalid_key"


# ------------------------------------------------------------------ G. resources
def test_R01_100MB_input() -> None:
    big = b"\x5a" + (100 * 2**20).to_bytes(4, "big") + bytes(100 * 2**20)
    t = time.perf_counter()
    assert code_of(_core.cbor_decode, big) == "input.too_large"
    assert code_of(parse_attestation_object, big) == "input.too_large"
    assert code_of(_core.parse_authenticator_data, big) == "input.too_large"
    assert time.perf_counter() - t < 0.5 * TIME_FACTOR


def test_R01_100MB_response_through_register(challenge: bytes) -> None:
    party = RelyingParty(RP_ID, [ORIGIN])
    body = '{"id":"' + "A" * (100 * 2**20) + '"}'
    assert code_of(party.register, body, challenge) == "input.too_large"
    assert code_of(party.register, body.encode(), challenge) == "input.too_large"
    # a dict carrying a 100 MB attestationObject: the core caps it before parsing
    resp = none_registration({}, challenge)
    resp["response"]["attestationObject"] = "o" * (100 * 2**20)
    assert register_code(resp, challenge) == "input.too_large"


def test_R02_million_entry_map() -> None:
    # 10^6 entries actually present: the size cap refuses the input before any parsing
    body = b"".join(cbor2.dumps(i) + b"\x00" for i in range(1_000_000))
    data = b"\xba" + (1_000_000).to_bytes(4, "big") + body
    assert code_of(_core.cbor_decode, data) == "input.too_large"
    # the same header cut to fit the size cap: the count exceeds what the input can hold
    assert code_of(_core.cbor_decode, data[: _core.MAX_INPUT]) == "cbor.truncated"


def test_R02_hundred_thousand_entries_hit_the_count_cap(challenge: bytes) -> None:
    arr = b"\x9a" + (100_000).to_bytes(4, "big") + b"\x00" * 100_000
    t = time.perf_counter()
    assert code_of(_core.cbor_decode, arr) == "cbor.count_exceeded"
    assert time.perf_counter() - t < 0.1 * TIME_FACTOR
    # authenticator extensions (ED flag) with 10^5 entries, through register
    ext = b"\xba" + (100_000).to_bytes(4, "big") + b"".join(cbor2.dumps(i) + b"\x00" for i in range(100_000))
    key = sa.cose_key(-7, ec.generate_private_key(ec.SECP256R1()).public_key())
    assert register_code(none_registration(key, challenge, extensions=ext), challenge) == "cbor.count_exceeded"


def _rsa_cose(bits: int) -> dict:
    n = (1 << (bits - 1)) | 1 | (0x5A5A << 8)
    return {1: 3, 3: -257, -1: n.to_bytes((bits + 7) // 8, "big"), -2: b"\x01\x00\x01"}


def test_R03_16384_bit_rsa_is_the_cap(challenge: bytes) -> None:
    assert _core.parse_cose_key(cbor2.dumps(_rsa_cose(16384))).kty == 3          # at the cap: parsed
    for bits in (16385, 16392, 32768):
        assert code_of(_core.parse_cose_key, cbor2.dumps(_rsa_cose(bits))) == "cose.key_too_large"
    assert register_code(none_registration(_rsa_cose(16392), challenge), challenge) == "cose.key_too_large"


def test_R03_16384_bit_rsa_signature_check_is_bounded() -> None:
    # a real verification with the largest accepted modulus stays far under the 100 ms budget
    cose, pub = algorithms.load_cose_key(cbor2.dumps(_rsa_cose(16384)))
    t = time.perf_counter()
    assert code_of(algorithms.verify, cose.alg, pub, b"\x01" * 2048, b"data", "signature.invalid") == "signature.invalid"
    assert time.perf_counter() - t < 0.1 * TIME_FACTOR


def test_R04_many_certs_same_subject_bounded() -> None:
    ca = sa.TestCA()
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    # eight different certificates, all with the issuer's subject: path building must stay linear
    x5c = tuple(sa.der(ca.attestation_cert(leaf_key.public_key())) for _ in range(8))
    store = trust.store_from([sa.der(sa.TestCA().root_cert)])   # anchors that issued none of them
    t = time.perf_counter()
    assert code_of(trust.validate_path, x5c, store) in ("trust.untrusted_root", "trust.chain_invalid",
                                                       "trust.constraints")
    assert time.perf_counter() - t < 0.1 * TIME_FACTOR
    assert code_of(trust.validate_path, x5c * 2, store) == "trust.path_too_long"


def test_R05_huge_metadata_blob() -> None:
    from fastattest import metadata as md
    big = b"a" * (md.MAX_BLOB_SIZE + 1)
    assert code_of(md.MetadataStore.from_blob, big) == "metadata.malformed"
    assert code_of(md.MetadataStore.from_payload, big) == "metadata.malformed"


def test_R05_million_entry_payload() -> None:
    from fastattest import metadata as md
    payload = {"no": 1, "nextUpdate": "2099-01-01", "legalHeader": "x", "entries": [{}] * 1_000_000}
    assert code_of(md.MetadataStore.from_payload, payload) == "metadata.malformed"


def test_R07_parallel_verification_in_threads() -> None:
    """Many registrations and sign-ins on one RelyingParty from 8 threads: same verdicts as serially."""
    ca = sa.TestCA()
    auths = [sa.SoftAuthenticator(f, alg=a, ca=ca) for f, a in
             [("packed", -7), ("packed-self", -8), ("none", -35), ("packed", -257), ("fido-u2f", -7)]]
    anchors = {"packed": [ca.root_pem()], "fido-u2f": [ca.root_pem()]}
    party = RelyingParty(RP_ID, [ORIGIN], trust_anchors=anchors)
    jobs = []
    for i in range(40):
        auth = auths[i % len(auths)]
        ch = os.urandom(32)
        reg = auth.create(RP_ID, ORIGIN, ch)
        if i % 4 == 3:  # every fourth one is a mutant that must fail with the same code every time
            reg["response"]["clientDataJSON"] = sa.b64u(b'{"type":"webauthn.create"}')
        jobs.append((auth, reg, ch))

    def run(job):
        auth, reg, ch = job
        try:
            cred = party.register(reg, ch)
        except VerificationError as e:
            return ("err", e.code)
        return ("ok", cred.credential_id, cred.trusted)

    serial = [run(j) for j in jobs]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(3):
            assert list(pool.map(run, jobs)) == serial
    assert sum(1 for s in serial if s[0] == "err") == 10
    # sign-ins in parallel, each credential with its own counter
    creds = {}
    for (auth, reg, ch), s in zip(jobs, serial):
        if s[0] == "ok":
            creds[s[1]] = (auth, party.register(reg, ch))

    def sign_in(item):
        cid, (auth, cred) = item
        out = []
        for _ in range(5):
            ch = os.urandom(32)
            with lock:
                a = auth.get(RP_ID, ORIGIN, ch, cid)
            res = party.verify(a, credential=cred, challenge=ch)
            cred = res.credential if hasattr(res, "credential") else cred
            out.append(res.sign_count)
        return out

    lock = threading.Lock()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(sign_in, creds.items()))
    assert all(r == sorted(r) and len(set(r)) == 5 for r in results)


# ------------------------------------------------------------------ resource caps (fuzz/README.md)
def test_cap_MAX_INPUT() -> None:
    n = _core.MAX_INPUT
    ok = b"\x5a" + (n - 5).to_bytes(4, "big") + bytes(n - 5)
    assert len(ok) == n and len(_core.cbor_decode(ok)) == n - 5
    assert code_of(_core.cbor_decode, ok + b"\x00") == "input.too_large"
    assert code_of(_core.cbor_decode, bytearray(n + 1)) == "input.too_large"


def test_cap_MAX_DEPTH() -> None:
    d = _core.MAX_DEPTH
    assert _core.cbor_decode(b"\x81" * d + b"\x00") is not None
    assert code_of(_core.cbor_decode, b"\x81" * (d + 1) + b"\x00") == "cbor.depth_exceeded"
    # a caller cannot raise the limit past the hard cap of 64
    assert code_of(_core.cbor_decode, b"\x81" * 65 + b"\x00", 10_000) == "cbor.depth_exceeded"


def test_cap_MAX_ITEMS() -> None:
    m = _core.MAX_ITEMS
    assert len(_core.cbor_decode(b"\x99" + m.to_bytes(2, "big") + b"\x00" * m)) == m
    assert code_of(_core.cbor_decode, b"\x99" + (m + 1).to_bytes(2, "big") + b"\x00" * (m + 1)) == "cbor.count_exceeded"


def test_cap_MAX_X5C_and_MAX_CERT_SIZE() -> None:
    certs = [sa.der(sa.TestCA().root_cert) for _ in range(certificates.MAX_X5C + 1)]
    assert len(certificates.parse_x5c(certs[:-1])) == certificates.MAX_X5C
    assert code_of(certificates.parse_x5c, certs) == "certificate.too_large"
    assert code_of(certificates.load, b"\x30" + bytes(certificates.MAX_CERT_SIZE)) == "certificate.too_large"


def test_cap_MAX_PATH() -> None:
    cert = sa.der(sa.TestCA().root_cert)
    store = trust.store_from([sa.der(sa.TestCA().root_cert)])
    assert code_of(trust.validate_path, (cert,) * (trust.MAX_PATH + 1), store) == "trust.path_too_long"


def test_cap_MAX_CLIENT_DATA() -> None:
    n = client_data.MAX_CLIENT_DATA
    body = b'{"type":"webauthn.create","x":"' + b"a" * (n - 40) + b'"}'
    assert len(body) <= n and client_data.parse(body)["type"] == "webauthn.create"
    big = b'{"type":"webauthn.create","x":"' + b"a" * n + b'"}'
    assert code_of(client_data.parse, big) == "client_data.too_large"


def test_cap_MAX_RESPONSE() -> None:
    n = response.MAX_RESPONSE
    assert code_of(response.load_json, "{" + " " * n + "}") == "input.too_large"
    assert response.load_json("{" + " " * (n - 2) + "}") == {}


def test_cap_rsa_bounds() -> None:
    assert code_of(_core.parse_cose_key, cbor2.dumps(_rsa_cose(2047))) == "cose.weak_key"
    assert _core.parse_cose_key(cbor2.dumps(_rsa_cose(2048))).kty == 3
    assert code_of(_core.parse_cose_key, cbor2.dumps(_rsa_cose(16385))) == "cose.key_too_large"
    big_e = dict(_rsa_cose(2048)); big_e[-2] = b"\x01" + bytes(32) + b"\x01"   # > 2^256
    assert code_of(_core.parse_cose_key, cbor2.dumps(big_e)) == "cose.weak_key"


def _att_obj(fmt: str, att_stmt) -> bytes:
    key = sa.cose_key(-7, ec.generate_private_key(ec.SECP256R1()).public_key())
    ad = sa.build_auth_data(RP_ID, aaguid=sa.ZERO_AAGUID, credential_id=b"c" * 16, credential_public_key=key)
    return sa.encode_attestation_object(fmt, att_stmt, ad)


def test_cap_compound_statements() -> None:
    from fastattest import verify_attestation
    from fastattest.formats import compound
    part = {"fmt": "none", "attStmt": {}}
    assert code_of(verify_attestation, _att_obj("compound", [part] * (compound.MAX_STATEMENTS + 1)),
                   b"\x00" * 32) == "compound.too_many"


def test_cap_safetynet_response() -> None:
    from fastattest import verify_attestation
    from fastattest.formats import android_safetynet as sn
    stmt = {"ver": "1", "response": b"a" * (sn.MAX_RESPONSE + 1)}
    assert code_of(verify_attestation, _att_obj("android-safetynet", stmt), b"\x00" * 32) == "input.too_large"


# ------------------------------------------------------------------ bugs found by fuzzing (fixed: certificates.load decodes names and extensions eagerly)
def test_P08_subject_invalid_utf8(challenge: bytes) -> None:
    auth = sa.SoftAuthenticator("packed")
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    leaf = reg.x5c[0]
    ou = b"Authenticator Attestation"
    i = leaf.index(ou)
    bad = leaf[:i] + b"Authent\x9a\x9a" + leaf[i + 9:]          # same length, invalid UTF-8 in the UTF8String
    assert len(bad) == len(leaf)
    reg.att_stmt["x5c"] = [bad] + reg.x5c[1:]
    reg.resign()
    assert register_code(reg.to_json(), challenge) in ("certificate.malformed", "certificate.subject")


def _packed_with_leaf(challenge: bytes, mutate) -> tuple[RelyingParty, dict]:
    ca = sa.TestCA()
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, challenge)
    leaf = reg.x5c[0]
    bad = mutate(leaf)
    assert len(bad) == len(leaf) and bad != leaf
    reg.att_stmt["x5c"] = [bad] + reg.x5c[1:]
    reg.resign()
    return RelyingParty(RP_ID, [ORIGIN], trust_anchors=ca.trust_anchors()), reg.to_json()


def test_X02_issuer_invalid_utf8(challenge: bytes) -> None:
    party, resp = _packed_with_leaf(challenge, lambda leaf: leaf.replace(b"Test Root CA", b"Test R\x9a\x9at CA", 1))
    assert code_of(party.register, resp, challenge) == "certificate.malformed"


def test_P08_basic_constraints_malformed(challenge: bytes) -> None:
    def set_not_sequence(leaf: bytes) -> bytes:
        i = leaf.index(bytes.fromhex("0603551d13"))              # OID 2.5.29.19 basicConstraints
        j = leaf.index(b"\x04", i + 5)                            # its extnValue OCTET STRING
        return leaf[:j + 2] + b"\x31" + leaf[j + 3:]              # SEQUENCE -> SET inside
    party, resp = _packed_with_leaf(challenge, set_not_sequence)
    # the extension a check reads is named (issue 16): not the whole certificate
    with pytest.raises(VerificationError) as ei:
        party.register(resp, challenge)
    assert ei.value.code == "certificate.extension_malformed"
    assert "basicConstraints extension (2.5.29.19)" in ei.value.message


# ------------------------------------------------------------------ the coverage table
def test_catalogue_table_lists_every_id() -> None:
    """tests/CATALOGUE.md carries the catalogue's §4 rows into the repository (no file outside it
    is read); with $FASTATTEST_CATALOGUE naming the catalogue, its IDs must be exactly these."""
    rows = catalogue_table.table_rows()
    assert len(rows) >= 125 and {"C01", "D25", "J13", "R07", "B12"} <= set(rows)
    table = catalogue_table.TABLE.read_text("utf-8")
    listed = re.findall(r"^\| ([A-Z]\d\d) \|", table, re.M)
    assert len(listed) == len(set(listed)) == len(rows)
    if catalogue_table.catalogue_path() is not None:
        assert sorted(set(catalogue_table.catalogue_rows())) == sorted(rows)


def test_catalogue_every_id_is_covered_or_explained() -> None:
    """Computed from the test files, not read from the table: each row is named by a test."""
    rows = catalogue_table.table_rows()
    found = catalogue_table.scan_tests(set(rows))
    assert sorted(set(rows) - set(found) - set(catalogue_table.NOT_APPLICABLE)) == []
    assert "NOT COVERED" not in catalogue_table.TABLE.read_text("utf-8")


def test_catalogue_table_names_tests_that_exist_and_name_the_row() -> None:
    table = catalogue_table.TABLE.read_text("utf-8")
    rows = catalogue_table.table_rows(table)
    found = catalogue_table.scan_tests(set(rows))
    named = {i: {ref for ref, _ in refs} for i, refs in found.items()}
    for line in table.splitlines():
        m = re.match(r"^\| ([A-Z]\d\d) \|", line)
        if not m:
            continue
        for ref in re.findall(r"`([\w/]+\.py::\w+)`", line):
            assert ref in named.get(m.group(1), set()), f"CATALOGUE.md row {m.group(1)} lists {ref}: no such test naming the row"
