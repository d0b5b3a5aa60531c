"""Corpora for the real paths: registrations from devices never seen, assertions by keys never seen.

A real population does not repeat attestation certificates for TPM (one AIK certificate per
machine), android-key and apple (one leaf per credential), and a server with many users mostly
meets credential keys it has not cached. So each corpus here is one test PKI (a root and an
intermediate, made once, "already seen") and N registrations, each with its own key, its own
leaf certificate issued by the intermediate and its own challenge (so its own clientDataHash,
which android-key's key description carries). A timed call takes the next item, so
fastattest's caches keyed by certificate, key or extension bytes never help; the intermediate
and root, as in real life, are the same every time.

The leaves meet each format's certificate requirements (WebAuthn L3 §8.2.1 packed, §8.3.1 tpm,
§8.4 android-key, §8.8 apple) as py_webauthn and python-fido2 check them too, so every library
verifies the same bytes and accepts them. ``Device.floor()`` is what no verifier can skip: the
leaf certificate's signature by its issuer, the statement's signature, SHA-256 of
clientDataJSON, with every key already loaded.

RSA key generation is slow (tens of ms), so RSA keys (TPM AIKs, RS256 credentials) come from a
pool generated once per process; every certificate, and so every DER, is still distinct.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from . import inputs  # puts tests/ on sys.path
from .inputs import CHALLENGE, ORIGIN, RP_ID, SOFT_NOW, AuthCase, Floor, RegCase

import format_helpers as fh  # noqa: E402  (tests/format_helpers.py)
import softauthn  # noqa: E402
import tpm_helpers as th  # noqa: E402

NOW = SOFT_NOW
NOT_BEFORE = NOW - dt.timedelta(days=365)
NOT_AFTER = NOW + dt.timedelta(days=3650)
AAGUID = bytes.fromhex("08987058cadc4b81b6e130de50dcbe96")
FORMATS = ("packed", "tpm-rsa", "tpm-ecc", "android-key", "apple")
ASSERTION_ALGS = {"es256": -7, "rs256": -257, "eddsa": -8}
OID_KEY_DESCRIPTION = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17")
OID_APPLE_NONCE = x509.ObjectIdentifier("1.2.840.113635.100.8.2")
OID_FIDO_AAGUID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")


# ------------------------------------------------------------------ keys


_RSA_POOL: list[rsa.RSAPrivateKey] = []


def rsa_pool(n: int) -> list[rsa.RSAPrivateKey]:
    while len(_RSA_POOL) < n:
        _RSA_POOL.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _RSA_POOL[:n]


def rsa_key(i: int) -> rsa.RSAPrivateKey:
    """The i-th key of the pool (made when first needed), cycling after RSA_POOL keys."""
    k = i % RSA_POOL
    return rsa_pool(k + 1)[k]


@dataclass
class CA:
    name: str
    key: Any
    cert: x509.Certificate
    hash: hashes.HashAlgorithm

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()


def _ca(cn: str, key: Any, issuer: CA | None, h: hashes.HashAlgorithm) -> CA:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fastattest bench"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer.cert.subject if issuer else name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(issuer.key if issuer else key, h))
    return CA(cn, key, cert, h)


@dataclass
class PKI:
    root: CA
    intermediate: CA

    def issue(self, subject: x509.Name, public_key: Any, extensions: list[tuple[x509.ExtensionType, bool]]) -> x509.Certificate:
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(self.intermediate.cert.subject)
             .public_key(public_key).serial_number(x509.random_serial_number())
             .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER))
        for ext, critical in extensions:
            b = b.add_extension(ext, critical=critical)
        return b.sign(self.intermediate.key, self.intermediate.hash)


def _pki(fmt: str) -> PKI:
    """Shapes of the real ones: Microsoft's TPM CAs are RSA, Apple's P-384 (SHA-384), the others P-256."""
    if fmt.startswith("tpm"):
        root = _ca(f"bench {fmt} root", rsa_pool(1)[0], None, hashes.SHA256())
        return PKI(root, _ca(f"bench {fmt} intermediate", rsa.generate_private_key(65537, 2048), root, hashes.SHA256()))
    h: hashes.HashAlgorithm = hashes.SHA384() if fmt == "apple" else hashes.SHA256()
    curve: ec.EllipticCurve = ec.SECP384R1() if fmt == "apple" else ec.SECP256R1()
    root = _ca(f"bench {fmt} root", ec.generate_private_key(curve), None, h)
    return PKI(root, _ca(f"bench {fmt} intermediate", ec.generate_private_key(curve), root, h))


# ------------------------------------------------------------------ one device


@dataclass
class Device:
    """One registration by a device never seen before, as a RegCase every peer runner accepts."""

    case: RegCase
    leaf_floor: Floor  # the intermediate's signature over the leaf's TBSCertificate

    def floor(self) -> None:
        """SHA-256(clientDataJSON), the leaf certificate's signature, the statement's signature."""
        hashlib.sha256(self.case.client_data_json).digest()
        self.leaf_floor.run()
        if self.case.floor is not None:
            self.case.floor.run()


def _leaf_floor(pki: PKI, leaf: x509.Certificate) -> Floor:
    key = pki.intermediate.key.public_key()
    return Floor(inputs._floor_kind(key), key, leaf.signature, leaf.tbs_certificate_bytes, pki.intermediate.hash)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _registration(fmt: str, att_stmt: dict, auth_data: bytes, cred_id: bytes, pki: PKI, name: str,
                  stmt_floor: Floor | None, leaf: x509.Certificate, challenge: bytes) -> Device:
    cdj = softauthn.client_data_json("webauthn.create", challenge, ORIGIN)
    att = softauthn.encode_attestation_object(fmt, att_stmt, auth_data)
    resp = {"id": softauthn.b64u(cred_id), "rawId": softauthn.b64u(cred_id), "type": "public-key",
            "response": {"clientDataJSON": softauthn.b64u(cdj), "attestationObject": softauthn.b64u(att),
                         "transports": ["internal"]},
            "clientExtensionResults": {}}
    case = RegCase(name, fmt, "bench/corpora.py", resp, challenge, ORIGIN, RP_ID, NOW, [pki.root.pem], stmt_floor)
    return Device(case, _leaf_floor(pki, leaf))


def _auth_data(cose: bytes, cred_id: bytes, aaguid: bytes = AAGUID) -> bytes:
    return softauthn.build_auth_data(RP_ID, aaguid=aaguid, credential_id=cred_id, credential_public_key=cose)


def _challenge(i: int) -> bytes:
    """Each registration answers its own challenge, so its clientDataHash (which the statement
    signs and android-key's key description carries) is new too, as in real life."""
    return CHALLENGE + i.to_bytes(4, "big")


def _cdh(challenge: bytes) -> bytes:
    return hashlib.sha256(softauthn.client_data_json("webauthn.create", challenge, ORIGIN)).digest()


def _packed(pki: PKI, i: int, name: str) -> Device:
    cred = ec.generate_private_key(ec.SECP256R1())
    att_key = ec.generate_private_key(ec.SECP256R1())
    cred_id = os.urandom(32)
    ad = _auth_data(th.cose_key_for(cred), cred_id)
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fastattest bench"),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"bench device {i}")])
    leaf = pki.issue(subject, att_key.public_key(), [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.UnrecognizedExtension(OID_FIDO_AAGUID, b"\x04\x10" + AAGUID), False)])
    challenge = _challenge(i)
    data = ad + _cdh(challenge)
    sig = att_key.sign(data, ec.ECDSA(hashes.SHA256()))
    stmt = {"alg": -7, "sig": sig, "x5c": [_der(leaf), pki.intermediate.der]}
    return _registration("packed", stmt, ad, cred_id, pki, name, Floor("ECDSA P-256", att_key.public_key(), sig, data, hashes.SHA256()), leaf, challenge)


def _random_rsa_public(bits: int = 2048) -> rsa.RSAPublicKey:
    """A credential key that only has to be described by pubArea and the COSE key (tpm never
    signs with it): an odd modulus of the right size is enough, and free to make."""
    n = int.from_bytes(os.urandom(bits // 8), "big") | (1 << (bits - 1)) | 1
    return rsa.RSAPublicNumbers(65537, n).public_key()


class _PubOnly:
    def __init__(self, pub: Any) -> None:
        self._pub = pub

    def public_key(self) -> Any:
        return self._pub


def _tpm(pki: PKI, i: int, name: str, aik: rsa.RSAPrivateKey, cred_kind: str) -> Device:
    if cred_kind == "rsa":
        pub = _random_rsa_public()
        nums = pub.public_numbers()
        pa = th.pub_area_rsa(nums.n.to_bytes(256, "big"), exponent=0)
    else:
        pub = ec.generate_private_key(ec.SECP256R1()).public_key()
        nums = pub.public_numbers()
        pa = th.pub_area_ecc(nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big"))
    cred_id = os.urandom(32)
    ad = _auth_data(th.cose_key_for(_PubOnly(pub)), cred_id)
    challenge = _challenge(i)
    extra = hashlib.sha256(ad + _cdh(challenge)).digest()
    ci = th.cert_info(extra, th.tpm_name(pa))
    leaf = pki.issue(x509.Name([]), aik.public_key(), [
        (x509.SubjectAlternativeName([x509.DirectoryName(th.tcg_directory_name())]), True),
        (x509.ExtendedKeyUsage([th.OID_AIK_EKU]), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.UnrecognizedExtension(OID_FIDO_AAGUID, b"\x04\x10" + AAGUID), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.intermediate.key.public_key()), False)])
    sig = aik.sign(ci, padding.PKCS1v15(), hashes.SHA256())
    stmt = {"ver": "2.0", "alg": -257, "x5c": [_der(leaf), pki.intermediate.der], "sig": sig, "certInfo": ci, "pubArea": pa}
    return _registration("tpm", stmt, ad, cred_id, pki, name, Floor("RSA-2048", aik.public_key(), sig, ci, hashes.SHA256()), leaf, challenge)


def _android_key(pki: PKI, i: int, name: str) -> Device:
    cred = ec.generate_private_key(ec.SECP256R1())
    cred_id = os.urandom(32)
    ad = _auth_data(th.cose_key_for(cred), cred_id, bytes(16))
    challenge = _challenge(i)
    cdh = _cdh(challenge)
    # softwareEnforced carries the key's own creationDateTime; teeEnforced is the device model's
    kd = fh.key_description(cdh, sw={701: fh.der_int(1_700_000_000_000 + i), 709: fh.octets(b"app")})
    leaf = pki.issue(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Android Keystore Key")]), cred.public_key(), [
        (x509.UnrecognizedExtension(OID_KEY_DESCRIPTION, kd), False)])
    sig = cred.sign(ad + cdh, ec.ECDSA(hashes.SHA256()))
    stmt = {"alg": -7, "sig": sig, "x5c": [_der(leaf), pki.intermediate.der, pki.root.der]}
    floor = Floor("ECDSA P-256", cred.public_key(), sig, ad + cdh, hashes.SHA256())
    return _registration("android-key", stmt, ad, cred_id, pki, name, floor, leaf, challenge)


def _apple(pki: PKI, i: int, name: str) -> Device:
    cred = ec.generate_private_key(ec.SECP256R1())
    cred_id = os.urandom(32)
    ad = _auth_data(th.cose_key_for(cred), cred_id, bytes(16))
    challenge = _challenge(i)
    nonce = hashlib.sha256(ad + _cdh(challenge)).digest()
    leaf = pki.issue(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, softauthn.b64u(cred_id)[:40])]), cred.public_key(), [
        (x509.UnrecognizedExtension(OID_APPLE_NONCE, fh.apple_nonce(nonce)), False)])
    stmt = {"alg": -7, "x5c": [_der(leaf), pki.intermediate.der]}
    return _registration("apple", stmt, ad, cred_id, pki, name, None, leaf, challenge)  # no statement signature (§8.8)


@dataclass
class Corpus:
    name: str  # "packed", "tpm-rsa", ...
    pki: PKI
    make: Callable[[int], Device]
    items: list[Device]

    @property
    def roots(self) -> list[str]:
        return [self.pki.root.pem]

    def take(self, n: int) -> list[Device]:
        """n devices never handed out before (made on demand)."""
        out = [self.make(len(self.items) + k) for k in range(n)]
        self.items.extend(out)
        return out


@lru_cache(maxsize=None)
def corpus(fmt: str) -> Corpus:
    """One PKI per format and process; ``take(n)`` makes fresh devices under it."""
    pki = _pki(fmt)
    name = f"new-{fmt}"
    if fmt == "packed":
        make = lambda i: _packed(pki, i, name)  # noqa: E731
    elif fmt in ("tpm-rsa", "tpm-ecc"):
        kind = fmt.split("-")[1]
        make = lambda i: _tpm(pki, i, name, rsa_key(i), kind)  # noqa: E731
    elif fmt == "android-key":
        make = lambda i: _android_key(pki, i, name)  # noqa: E731
    elif fmt == "apple":
        make = lambda i: _apple(pki, i, name)  # noqa: E731
    else:
        raise ValueError(fmt)
    return Corpus(fmt, pki, make, [])


RSA_POOL = int(os.environ.get("FASTATTEST_BENCH_RSA_POOL", "48"))


# ------------------------------------------------------------------ new user keys (assertions)


def _private_key(alg: int, i: int) -> Any:
    if alg == -257:
        return rsa_key(i)
    if alg == -8:
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def new_key_assertions(alg_name: str, n: int, start: int = 0) -> list[AuthCase]:
    """n assertions, each by a credential key of its own (RS256: keys from the pool, each with
    a distinct credential ID and COSE key bytes only as long as n <= the pool)."""
    alg = ASSERTION_ALGS[alg_name]
    out = []
    for i in range(start, start + n):
        key = _private_key(alg, i)
        cose = th.cose_key_for(key, alg)
        cred_id = os.urandom(32)
        ad = softauthn.build_auth_data(RP_ID, sign_count=i + 1)
        cdj = softauthn.client_data_json("webauthn.get", CHALLENGE, ORIGIN)
        data = ad + hashlib.sha256(cdj).digest()
        sig = softauthn.sign(alg, key, data)
        resp = {"id": softauthn.b64u(cred_id), "rawId": softauthn.b64u(cred_id), "type": "public-key",
                "response": {"clientDataJSON": softauthn.b64u(cdj), "authenticatorData": softauthn.b64u(ad),
                             "signature": softauthn.b64u(sig)},
                "clientExtensionResults": {}}
        pub = key.public_key()
        floor = Floor(inputs._floor_kind(pub), pub, sig, data, None if alg == -8 else hashes.SHA256())
        out.append(AuthCase(f"new-key-{alg_name}", alg, resp, CHALLENGE, cred_id, cose, 0, floor))
    return out
