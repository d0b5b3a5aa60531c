"""A software WebAuthn authenticator for round-trip and mutation tests.

Independent of fastattest: it only uses `cryptography` and `cbor2`, so tests can check fastattest
against it, and `tests/test_softauthn.py` checks it against py_webauthn and python-fido2.

Layers, lowest first (each usable on its own to build malformed inputs):
- `sign`, `generate_key`, `cose_key`: COSE algorithms (RFC 9053 / RFC 8230 / RFC 8812).
- `build_auth_data`, `client_data_json`, `encode_attestation_object`: WebAuthn L3 §6.1, §5.8.1, §6.5.
- `TestCA`: a test PKI whose leaf certificates meet (or, with knobs, break) WebAuthn L3 §8.2.1.
- `SoftAuthenticator.create` / `.get`: PublicKeyCredential JSON as a browser's `toJSON()` gives it.
- `Registration` / `Assertion`: the pieces of one ceremony, mutable, with `resign()`.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import struct
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping, Union

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

PrivateKey = Union[ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey]

# WebAuthn L3 §8.2.1: id-fido-gen-ce-aaguid
AAGUID_OID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")
ZERO_AAGUID = uuid.UUID(int=0)
DEFAULT_AAGUID = uuid.UUID("5ee7c0de-fa57-4a77-8e57-7e5770000001")

# authenticator data flags, WebAuthn L3 §6.1
UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80

_EC = {-7: (ec.SECP256R1, hashes.SHA256, 1), -35: (ec.SECP384R1, hashes.SHA384, 2),
       -36: (ec.SECP521R1, hashes.SHA512, 3)}  # alg -> (curve, hash, COSE crv)
_RSA = {-257: ("pkcs1", hashes.SHA256), -258: ("pkcs1", hashes.SHA384), -259: ("pkcs1", hashes.SHA512),
        -37: ("pss", hashes.SHA256), -38: ("pss", hashes.SHA384), -39: ("pss", hashes.SHA512),
        -65535: ("pkcs1", hashes.SHA1)}
SUPPORTED_ALGS = (-7, -35, -36, -8, -257, -258, -259, -37, -38, -39)

NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
NOT_AFTER = dt.datetime(2049, 12, 31, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------- encoding helpers

def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


# ---------------------------------------------------------------- keys and signatures

def generate_key(alg: int) -> PrivateKey:
    """A fresh private key for COSE algorithm `alg`."""
    if alg in _EC:
        return ec.generate_private_key(_EC[alg][0]())
    if alg == -8:
        return ed25519.Ed25519PrivateKey.generate()
    if alg in _RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unsupported COSE alg {alg}")


def sign(alg: int, key: PrivateKey, data: bytes) -> bytes:
    """Sign as WebAuthn L3 §6.5.6 requires: ECDSA as DER Ecdsa-Sig-Value, EdDSA raw, RSA per RFC 8230."""
    if alg in _EC:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key.sign(data, ec.ECDSA(_EC[alg][1]()))
    if alg == -8:
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return key.sign(data)
    if alg in _RSA:
        assert isinstance(key, rsa.RSAPrivateKey)
        scheme, h = _RSA[alg]
        if scheme == "pss":  # RFC 8230 §2: salt length = hash length
            return key.sign(data, padding.PSS(padding.MGF1(h()), h.digest_size), h())
        return key.sign(data, padding.PKCS1v15(), h())
    raise ValueError(f"unsupported COSE alg {alg}")


def _int_bytes(n: int, size: int | None = None) -> bytes:
    size = size or max(1, (n.bit_length() + 7) // 8)
    return n.to_bytes(size, "big")


def cose_key(alg: int, public_key: Any) -> dict[int, Any]:
    """COSE_Key map for a public key (RFC 9052 §7, RFC 9053 §7.1, RFC 8230 §4)."""
    if alg in _EC:
        nums = public_key.public_numbers()
        size = (public_key.curve.key_size + 7) // 8
        return {1: 2, 3: alg, -1: _EC[alg][2], -2: _int_bytes(nums.x, size), -3: _int_bytes(nums.y, size)}
    if alg == -8:
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {1: 1, 3: -8, -1: 6, -2: raw}
    if alg in _RSA:
        nums = public_key.public_numbers()
        return {1: 3, 3: alg, -1: _int_bytes(nums.n), -2: _int_bytes(nums.e)}
    raise ValueError(f"unsupported COSE alg {alg}")


def cbor(value: Any) -> bytes:
    """CTAP2 canonical CBOR (length-first key order), as authenticators emit it."""
    return cbor2.dumps(value, canonical=True)


# ---------------------------------------------------------------- WebAuthn structures

def build_auth_data(
    rp_id: str | None = None,
    *,
    rp_id_hash: bytes | None = None,
    user_present: bool = True,
    user_verified: bool = True,
    backup_eligible: bool = False,
    backed_up: bool = False,
    flags: int | None = None,
    sign_count: int = 0,
    aaguid: uuid.UUID | bytes | None = None,
    credential_id: bytes | None = None,
    credential_public_key: Mapping[int, Any] | bytes | None = None,
    extensions: Mapping[str, Any] | bytes | None = None,
) -> bytes:
    """Authenticator data, WebAuthn L3 §6.1. Attested credential data (§6.5.2) is added when
    `credential_id` is given. `flags` overrides every computed flag bit (AT/ED included)."""
    if rp_id_hash is None:
        assert rp_id is not None
        rp_id_hash = sha256(rp_id.encode("utf-8"))
    acd = b""
    if credential_id is not None:
        aaguid_b = aaguid.bytes if isinstance(aaguid, uuid.UUID) else (aaguid or bytes(16))
        key_b = credential_public_key if isinstance(credential_public_key, bytes) else cbor(
            dict(credential_public_key or {}))
        acd = aaguid_b + struct.pack(">H", len(credential_id)) + credential_id + key_b
    ext = b""
    if extensions is not None:
        ext = extensions if isinstance(extensions, bytes) else cbor(dict(extensions))
    if flags is None:
        flags = ((UP if user_present else 0) | (UV if user_verified else 0) | (BE if backup_eligible else 0)
                 | (BS if backed_up else 0) | (AT if acd else 0) | (ED if ext else 0))
    return rp_id_hash + bytes([flags & 0xFF]) + struct.pack(">I", sign_count & 0xFFFFFFFF) + acd + ext


def client_data_json(type: str, challenge: bytes | str, origin: str, *, cross_origin: bool | None = False,
                     **extra: Any) -> bytes:
    """clientDataJSON as browsers serialise it (WebAuthn L3 §5.8.1.1): type, challenge, origin,
    crossOrigin first, then `extra` (e.g. topOrigin=...). `challenge` bytes are base64url-encoded;
    a str is used verbatim (to build malformed inputs). cross_origin=None leaves the member out."""
    data: dict[str, Any] = {"type": type, "challenge": challenge if isinstance(challenge, str) else b64u(challenge),
                            "origin": origin}
    if cross_origin is not None:
        data["crossOrigin"] = cross_origin
    data.update(extra)
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def encode_attestation_object(fmt: Any, att_stmt: Any, auth_data: bytes, *, canonical: bool = True) -> bytes:
    """Attestation object, WebAuthn L3 §6.5.4: {"fmt", "attStmt", "authData"}."""
    obj = {"fmt": fmt, "attStmt": att_stmt, "authData": auth_data}
    return cbor2.dumps(obj, canonical=canonical)


def u2f_signed_data(rp_id_hash: bytes, client_data_hash: bytes, credential_id: bytes, cose: Mapping[int, Any]) -> bytes:
    """WebAuthn L3 §8.6 verification step 5: 0x00 ‖ rpIdHash ‖ cdh ‖ credId ‖ 0x04 ‖ x ‖ y."""
    return b"\x00" + rp_id_hash + client_data_hash + credential_id + b"\x04" + cose[-2] + cose[-3]


# ---------------------------------------------------------------- DER helpers (for v1 certificates)

def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    b = _int_bytes(n)
    return bytes([0x80 | len(b)]) + b


def _der_tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_len(len(content)) + content


def _der_children(data: bytes) -> list[bytes]:
    """Split the content of a constructed DER value into its encoded children."""
    out, i = [], 0
    while i < len(data):
        start = i
        i += 1
        first = data[i]
        i += 1
        if first & 0x80:
            n = first & 0x7F
            length = int.from_bytes(data[i:i + n], "big")
            i += n
        else:
            length = first
        i += length
        out.append(data[start:i])
    return out


def _der_content(tlv: bytes) -> bytes:
    first = tlv[1]
    off = 2 + (first & 0x7F if first & 0x80 else 0)
    return tlv[off:]


# ---------------------------------------------------------------- test PKI

def _name(**attrs: str | None) -> x509.Name:
    oids = {"C": NameOID.COUNTRY_NAME, "O": NameOID.ORGANIZATION_NAME,
            "OU": NameOID.ORGANIZATIONAL_UNIT_NAME, "CN": NameOID.COMMON_NAME}
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in attrs.items() if v is not None])


def aaguid_extension_value(aaguid: uuid.UUID | bytes, *, wrapping: str = "double") -> bytes:
    """extnValue content of id-fido-gen-ce-aaguid. "double" is what §8.2.1 requires (the extension's
    OCTET STRING wraps an OCTET STRING of 16 bytes: here we return the inner OCTET STRING's DER);
    "single" returns the 16 raw bytes (a common encoding bug)."""
    raw = aaguid.bytes if isinstance(aaguid, uuid.UUID) else aaguid
    return _der_tlv(0x04, raw) if wrapping == "double" else raw


class TestCA:
    """A test attestation PKI: a root, optionally an intermediate, and leaf certificates.

    `attestation_cert()` issues leaves meeting WebAuthn L3 §8.2.1 by default; every knob breaks one
    requirement. cryptography's builder always writes X.509 v3; `version=1` is produced by
    re-encoding the TBSCertificate without its version and extensions and re-signing it.
    """

    __test__ = False  # not a pytest class

    def __init__(self, *, intermediate: bool = False, name: str = "fastattest Test Root CA",
                 not_before: dt.datetime = NOT_BEFORE, not_after: dt.datetime = NOT_AFTER) -> None:
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.root_cert = self._ca_cert(_name(C="US", O="fastattest tests", CN=name), self.root_key,
                                       None, None, not_before, not_after)
        self.intermediate_key: ec.EllipticCurvePrivateKey | None = None
        self.intermediate_cert: x509.Certificate | None = None
        if intermediate:
            self.intermediate_key = ec.generate_private_key(ec.SECP256R1())
            self.intermediate_cert = self._ca_cert(
                _name(C="US", O="fastattest tests", CN=name.replace("Root", "Intermediate")),
                self.intermediate_key, self.root_cert, self.root_key, not_before, not_after)

    @staticmethod
    def _ca_cert(subject: x509.Name, key: ec.EllipticCurvePrivateKey, issuer: x509.Certificate | None,
                 issuer_key: ec.EllipticCurvePrivateKey | None, nb: dt.datetime, na: dt.datetime) -> x509.Certificate:
        b = (x509.CertificateBuilder().subject_name(subject)
             .issuer_name(issuer.subject if issuer else subject)
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(nb).not_valid_after(na)
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
        return b.sign(issuer_key or key, hashes.SHA256())

    @property
    def issuer(self) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        if self.intermediate_cert is not None and self.intermediate_key is not None:
            return self.intermediate_cert, self.intermediate_key
        return self.root_cert, self.root_key

    def chain_der(self) -> list[bytes]:
        """Certificates between a leaf and the root (not the root), for x5c after the leaf."""
        return [der(self.intermediate_cert)] if self.intermediate_cert is not None else []

    def root_pem(self) -> str:
        return pem(self.root_cert)

    def trust_anchors(self, *fmts: str) -> dict[str, list[str]]:
        return {f: [self.root_pem()] for f in (fmts or ("packed", "fido-u2f"))}

    def attestation_cert(
        self,
        public_key: Any,
        *,
        aaguid: uuid.UUID | bytes | None = None,
        country: str | None = "US",
        organization: str | None = "fastattest tests",
        organizational_unit: str | None = "Authenticator Attestation",
        common_name: str | None = "fastattest soft authenticator",
        subject: x509.Name | None = None,
        basic_constraints: str = "ca_false",  # "ca_false" | "ca_true" | "absent"
        aaguid_wrapping: str = "double",  # "double" (§8.2.1) | "single"
        aaguid_critical: bool = False,
        not_before: dt.datetime = NOT_BEFORE,
        not_after: dt.datetime = NOT_AFTER,
        version: int = 3,
        extra_extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    ) -> x509.Certificate:
        """A packed/fido-u2f attestation leaf (WebAuthn L3 §8.2.1 unless a knob says otherwise).
        `aaguid=None` omits the AAGUID extension (allowed); C/O/OU/CN = None omits that attribute."""
        issuer_cert, issuer_key = self.issuer
        subj = subject if subject is not None else _name(C=country, O=organization, OU=organizational_unit,
                                                         CN=common_name)
        b = (x509.CertificateBuilder().subject_name(subj).issuer_name(issuer_cert.subject)
             .public_key(public_key).serial_number(x509.random_serial_number())
             .not_valid_before(not_before).not_valid_after(not_after))
        if basic_constraints != "absent":
            b = b.add_extension(x509.BasicConstraints(ca=basic_constraints == "ca_true", path_length=None),
                                critical=True)
        if aaguid is not None:
            b = b.add_extension(x509.UnrecognizedExtension(AAGUID_OID, aaguid_extension_value(aaguid, wrapping=aaguid_wrapping)),
                                critical=aaguid_critical)
        for ext, crit in extra_extensions:
            b = b.add_extension(ext, critical=crit)
        cert = b.sign(issuer_key, hashes.SHA256())
        if version == 1:
            cert = self._as_v1(cert, issuer_key)
        elif version != 3:
            raise ValueError("version must be 1 or 3")
        return cert

    @staticmethod
    def _as_v1(cert: x509.Certificate, issuer_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
        """Re-encode as X.509 v1 (RFC 5280 §4.1.2.1): drop [0] version and [3] extensions, re-sign."""
        tbs_children = _der_children(_der_content(cert.tbs_certificate_bytes))
        kept = [c for c in tbs_children if c[0] not in (0xA0, 0xA3)]
        tbs = _der_tlv(0x30, b"".join(kept))
        sig = issuer_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
        sig_alg = _der_children(_der_content(cert.public_bytes(serialization.Encoding.DER)))[1]
        out = _der_tlv(0x30, tbs + sig_alg + _der_tlv(0x03, b"\x00" + sig))
        return x509.load_der_x509_certificate(out)


# ---------------------------------------------------------------- ceremonies

@dataclass
class Registration:
    """Everything one create() produced. Mutate any field, call `resign()`, then `to_json()`."""

    fmt: str
    alg: int
    rp_id: str
    origin: str
    challenge: bytes
    credential_id: bytes
    credential_key: PrivateKey
    cose_key: dict[int, Any]
    aaguid: uuid.UUID
    client_data_json: bytes
    auth_data: bytes
    att_stmt: dict[str, Any]
    attestation_key: PrivateKey | None = None
    attestation_alg: int | None = None
    cert: x509.Certificate | None = None
    x5c: list[bytes] = field(default_factory=list)
    ca: TestCA | None = None
    transports: list[str] = field(default_factory=lambda: ["usb"])
    attestation_object_override: bytes | None = None
    extra_json: dict[str, Any] = field(default_factory=dict)

    @property
    def client_data_hash(self) -> bytes:
        return sha256(self.client_data_json)

    @property
    def cose_key_bytes(self) -> bytes:
        return cbor(self.cose_key)

    @property
    def attestation_object(self) -> bytes:
        if self.attestation_object_override is not None:
            return self.attestation_object_override
        return encode_attestation_object(self.fmt, self.att_stmt, self.auth_data)

    def resign(self) -> "Registration":
        """Recompute attStmt.sig over the current auth_data and client_data_json (keeps other members)."""
        if self.fmt == "packed" and self.attestation_key is not None:
            self.att_stmt["sig"] = sign(self.attestation_alg or -7, self.attestation_key,
                                        self.auth_data + self.client_data_hash)
        elif self.fmt == "packed-self" or (self.fmt == "packed" and self.attestation_key is None):
            self.att_stmt["sig"] = sign(self.alg, self.credential_key, self.auth_data + self.client_data_hash)
        elif self.fmt == "fido-u2f":
            assert self.attestation_key is not None
            data = u2f_signed_data(self.auth_data[:32], self.client_data_hash, self.credential_id, self.cose_key)
            self.att_stmt["sig"] = sign(-7, self.attestation_key, data)
        return self

    def to_json(self) -> dict[str, Any]:
        """PublicKeyCredential.toJSON() shape (WebAuthn L3 §5.1, RegistrationResponseJSON)."""
        out: dict[str, Any] = {
            "id": b64u(self.credential_id),
            "rawId": b64u(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64u(self.client_data_json),
                "attestationObject": b64u(self.attestation_object),
                "transports": list(self.transports),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }
        _merge(out, self.extra_json)
        return out


@dataclass
class Assertion:
    """Everything one get() produced. Mutate, `resign()`, `to_json()`."""

    credential_id: bytes
    alg: int
    credential_key: PrivateKey
    client_data_json: bytes
    auth_data: bytes
    signature: bytes
    user_handle: bytes | None = None
    extra_json: dict[str, Any] = field(default_factory=dict)

    def resign(self) -> "Assertion":
        self.signature = sign(self.alg, self.credential_key, self.auth_data + sha256(self.client_data_json))
        return self

    def to_json(self) -> dict[str, Any]:
        resp: dict[str, Any] = {
            "clientDataJSON": b64u(self.client_data_json),
            "authenticatorData": b64u(self.auth_data),
            "signature": b64u(self.signature),
        }
        if self.user_handle is not None:
            resp["userHandle"] = b64u(self.user_handle)
        out: dict[str, Any] = {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id),
                               "type": "public-key", "response": resp, "clientExtensionResults": {},
                               "authenticatorAttachment": "cross-platform"}
        _merge(out, self.extra_json)
        return out


def _merge(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    """Recursive dict update; a value of None deletes the key."""
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(target.get(k), dict):
            _merge(target[k], v)
        else:
            target[k] = v


@dataclass
class _Cred:
    key: PrivateKey
    alg: int
    rp_id: str
    sign_count: int
    user_handle: bytes | None
    backup_eligible: bool


class SoftAuthenticator:
    """A software authenticator.

    fmt: "packed" (basic attestation by `ca`), "packed-self" (self attestation, encoded as fmt "packed"),
    "fido-u2f" (P-256 only, zero AAGUID), "none". alg: credential COSE algorithm.
    """

    def __init__(self, fmt: str = "packed", alg: int = -7, aaguid: uuid.UUID | str | None = None,
                 ca: TestCA | None = None, *, attestation_alg: int = -7,
                 cert_options: Mapping[str, Any] | None = None, initial_sign_count: int = 0,
                 transports: tuple[str, ...] = ("usb",)) -> None:
        if fmt not in ("packed", "packed-self", "fido-u2f", "none"):
            raise ValueError(f"unsupported fmt {fmt}")
        if fmt == "fido-u2f" and alg != -7:
            raise ValueError("fido-u2f credentials are P-256 (alg -7) only")  # WebAuthn L3 §8.6
        if alg not in SUPPORTED_ALGS:
            raise ValueError(f"unsupported alg {alg}")
        self.fmt = fmt
        self.alg = alg
        if fmt == "fido-u2f":
            self.aaguid = ZERO_AAGUID  # §8.6: U2F authenticators have no AAGUID
        else:
            self.aaguid = uuid.UUID(str(aaguid)) if aaguid is not None else DEFAULT_AAGUID
        self.ca = ca if ca is not None or fmt not in ("packed", "fido-u2f") else TestCA()
        self.attestation_alg = -7 if fmt == "fido-u2f" else attestation_alg
        self.cert_options = dict(cert_options or {})
        self.initial_sign_count = initial_sign_count
        self.transports = list(transports)
        self.credentials: dict[bytes, _Cred] = {}
        self._att_key: PrivateKey | None = None
        self._att_cert: x509.Certificate | None = None

    # -- attestation key and certificate (one batch per authenticator, like a real model)
    def attestation_identity(self) -> tuple[PrivateKey, x509.Certificate]:
        if self._att_key is None or self._att_cert is None:
            assert self.ca is not None
            self._att_key = generate_key(self.attestation_alg)
            opts: dict[str, Any] = {"aaguid": None if self.fmt == "fido-u2f" else self.aaguid}
            opts.update(self.cert_options)
            self._att_cert = self.ca.attestation_cert(self._att_key.public_key(), **opts)
        return self._att_key, self._att_cert

    def trust_anchors(self) -> dict[str, list[str]]:
        if self.ca is None:
            return {}
        return {"fido-u2f" if self.fmt == "fido-u2f" else "packed": [self.ca.root_pem()]}

    def make_registration(self, rp_id: str, origin: str, challenge: bytes, *, user_verified: bool = True,
                          user_present: bool = True, backup_eligible: bool = False, backed_up: bool = False,
                          credential_id: bytes | None = None, user_handle: bytes | None = None,
                          client_data_extra: Mapping[str, Any] | None = None,
                          extensions: Mapping[str, Any] | None = None) -> Registration:
        key = generate_key(self.alg)
        cose = cose_key(self.alg, key.public_key())
        cred_id = credential_id if credential_id is not None else os.urandom(32)
        cdj = client_data_json("webauthn.create", challenge, origin, **dict(client_data_extra or {}))
        ad = build_auth_data(rp_id, user_present=user_present, user_verified=user_verified,
                             backup_eligible=backup_eligible, backed_up=backed_up,
                             sign_count=self.initial_sign_count, aaguid=self.aaguid, credential_id=cred_id,
                             credential_public_key=cose, extensions=extensions)
        reg = Registration(fmt=self.fmt, alg=self.alg, rp_id=rp_id, origin=origin, challenge=challenge,
                           credential_id=cred_id, credential_key=key, cose_key=cose, aaguid=self.aaguid,
                           client_data_json=cdj, auth_data=ad, att_stmt={}, ca=self.ca,
                           transports=list(self.transports))
        if self.fmt in ("packed", "fido-u2f"):
            att_key, cert = self.attestation_identity()
            reg.attestation_key, reg.attestation_alg, reg.cert = att_key, self.attestation_alg, cert
            reg.x5c = [der(cert)] + (self.ca.chain_der() if self.ca else [])
            reg.att_stmt = ({"alg": self.attestation_alg, "sig": b"", "x5c": reg.x5c} if self.fmt == "packed"
                            else {"sig": b"", "x5c": reg.x5c})
        elif self.fmt == "packed-self":
            reg.att_stmt = {"alg": self.alg, "sig": b""}
        reg.resign()
        if self.fmt == "packed-self":
            reg.fmt = "packed"  # §8.2: self attestation is fmt "packed" without x5c
            reg.att_stmt = {"alg": self.alg, "sig": reg.att_stmt["sig"]}
            reg.attestation_key = None
        self.credentials[cred_id] = _Cred(key, self.alg, rp_id, self.initial_sign_count, user_handle,
                                          backup_eligible)
        return reg

    def create(self, rp_id: str, origin: str, challenge: bytes, *, user_verified: bool = True,
               backup_eligible: bool = False, backed_up: bool = False,
               overrides: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """navigator.credentials.create() as JSON. `overrides` (applied in this order):
        - "client_data": dict merged into clientData members (None deletes), or "client_data_json": bytes
        - "rp_id_hash", "flags", "sign_count", "aaguid": rebuild authData with these; "auth_data": bytes
        - re-sign (unless "resign": False)
        - "fmt": str, "att_stmt": dict merged into attStmt (None deletes), "attestation_object": bytes
        - "response" / "json": dict merged into the JSON's response / top level (None deletes)"""
        reg = self.make_registration(rp_id, origin, challenge, user_verified=user_verified,
                                     backup_eligible=backup_eligible, backed_up=backed_up, **kwargs)
        if overrides:
            apply_overrides(reg, overrides)
        return reg.to_json()

    def make_assertion(self, rp_id: str, origin: str, challenge: bytes, credential_id: bytes | str, *,
                       user_handle: bytes | None = None, user_verified: bool = True, user_present: bool = True,
                       backed_up: bool | None = None, sign_count: int | None = None, counter_step: int = 1,
                       client_data_extra: Mapping[str, Any] | None = None) -> Assertion:
        cid = unb64u(credential_id) if isinstance(credential_id, str) else credential_id
        cred = self.credentials[cid]
        if sign_count is None:
            cred.sign_count += counter_step
            sign_count = cred.sign_count
        cdj = client_data_json("webauthn.get", challenge, origin, **dict(client_data_extra or {}))
        ad = build_auth_data(rp_id, user_present=user_present, user_verified=user_verified,
                             backup_eligible=cred.backup_eligible,
                             backed_up=cred.backup_eligible if backed_up is None else backed_up,
                             sign_count=sign_count)
        a = Assertion(credential_id=cid, alg=cred.alg, credential_key=cred.key, client_data_json=cdj,
                      auth_data=ad, signature=b"", user_handle=user_handle if user_handle is not None else cred.user_handle)
        return a.resign()

    def get(self, rp_id: str, origin: str, challenge: bytes, credential_id: bytes | str, *,
            user_handle: bytes | None = None, overrides: Mapping[str, Any] | None = None,
            **kwargs: Any) -> dict[str, Any]:
        """navigator.credentials.get() as JSON; the credential's counter advances by one per call.
        `overrides`: "client_data" / "client_data_json" / "auth_data" / "flags" / "sign_count" /
        "rp_id_hash", then re-sign unless "resign": False, then "signature" bytes, "response"/"json"."""
        a = self.make_assertion(rp_id, origin, challenge, credential_id, user_handle=user_handle, **kwargs)
        if overrides:
            o = dict(overrides)
            if "client_data" in o:
                cd = json.loads(a.client_data_json)
                _merge(cd, o["client_data"])
                a.client_data_json = json.dumps(cd, separators=(",", ":")).encode()
            if "client_data_json" in o:
                a.client_data_json = o["client_data_json"]
            if any(k in o for k in ("flags", "sign_count", "rp_id_hash")):
                ad = bytearray(a.auth_data)
                if "rp_id_hash" in o:
                    ad[:32] = o["rp_id_hash"]
                if "flags" in o:
                    ad[32] = o["flags"]
                if "sign_count" in o:
                    ad[33:37] = struct.pack(">I", o["sign_count"])
                a.auth_data = bytes(ad)
            if "auth_data" in o:
                a.auth_data = o["auth_data"]
            if o.get("resign", True):
                a.resign()
            if "signature" in o:
                a.signature = o["signature"]
            if "response" in o:
                a.extra_json.setdefault("response", {}).update(o["response"])
            if "json" in o:
                a.extra_json.update(o["json"])
        return a.to_json()


def apply_overrides(reg: Registration, overrides: Mapping[str, Any]) -> Registration:
    """See SoftAuthenticator.create."""
    o = dict(overrides)
    if "client_data" in o:
        cd = json.loads(reg.client_data_json)
        _merge(cd, o["client_data"])
        reg.client_data_json = json.dumps(cd, separators=(",", ":")).encode()
    if "client_data_json" in o:
        reg.client_data_json = o["client_data_json"]
    if any(k in o for k in ("rp_id_hash", "flags", "sign_count", "aaguid")):
        ad = bytearray(reg.auth_data)
        if "rp_id_hash" in o:
            ad[:32] = o["rp_id_hash"]
        if "flags" in o:
            ad[32] = o["flags"]
        if "sign_count" in o:
            ad[33:37] = struct.pack(">I", o["sign_count"])
        if "aaguid" in o:
            a = o["aaguid"]
            ad[37:53] = a.bytes if isinstance(a, uuid.UUID) else a
        reg.auth_data = bytes(ad)
    if "auth_data" in o:
        reg.auth_data = o["auth_data"]
    if o.get("resign", True):
        reg.resign()
    if "fmt" in o:
        reg.fmt = o["fmt"]
    if "att_stmt" in o:
        _merge(reg.att_stmt, o["att_stmt"])
    if "attestation_object" in o:
        reg.attestation_object_override = o["attestation_object"]
    if "response" in o:
        reg.extra_json.setdefault("response", {}).update(o["response"])  # None values delete in to_json
    if "json" in o:
        reg.extra_json.update(o["json"])
    return reg
