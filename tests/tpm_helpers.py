"""Build `tpm` attestations (WebAuthn L3 §8.3) from scratch for the tests.

A test AIK CA (root) issues an AIK certificate meeting §8.3.1 (empty subject, critical SAN with
the TCG TPMManufacturer/TPMModel/TPMVersion attributes, EKU tcg-kp-AIKCertificate, CA=false);
pubArea (TPMT_PUBLIC) and certInfo (TPMS_ATTEST) are written with ``struct`` from TPM 2.0 Part 2,
independently of the parser under test; certInfo is signed by the AIK with RS256 or ES256 (or
any alg asked for). Every piece has a knob so a test can break exactly one thing.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Sequence

import cbor2
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

from fastattest import _core, algorithms
from fastattest.formats import Context, StatementResult
from fastattest.formats import tpm as tpm_format
from fastattest.policy import Policy

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
RP_ID = "example.com"
AAGUID = bytes.fromhex("08987058cadc4b81b6e130de50dcbe96")  # Windows Hello's, any value works
CRED_ID = bytes(range(32))

# TPM 2.0 Part 2 constants
TPM_ALG_RSA, TPM_ALG_ECC, TPM_ALG_KEYEDHASH, TPM_ALG_SYMCIPHER = 0x0001, 0x0023, 0x0008, 0x0025
TPM_ALG_SHA1, TPM_ALG_SHA256, TPM_ALG_SHA384, TPM_ALG_SHA512 = 0x0004, 0x000B, 0x000C, 0x000D
TPM_ALG_NULL = 0x0010
TPM_ALG_AES, TPM_ALG_CFB = 0x0006, 0x0043
TPM_ALG_RSASSA, TPM_ALG_ECDSA, TPM_ALG_ECDAA = 0x0014, 0x0018, 0x001A
TPM_ECC_NIST_P256, TPM_ECC_NIST_P384, TPM_ECC_NIST_P521, TPM_ECC_BN_P256 = 0x0003, 0x0004, 0x0005, 0x0010
TPM_GENERATED_VALUE, TPM_ST_ATTEST_CERTIFY, TPM_ST_ATTEST_QUOTE = 0xFF544347, 0x8017, 0x8018
OBJECT_ATTRIBUTES = 0x00060472  # fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA|sign

OID_TPM_MANUFACTURER = x509.ObjectIdentifier("2.23.133.2.1")
OID_TPM_MODEL = x509.ObjectIdentifier("2.23.133.2.2")
OID_TPM_VERSION = x509.ObjectIdentifier("2.23.133.2.3")
OID_AIK_EKU = x509.ObjectIdentifier("2.23.133.8.3")
OID_FIDO_AAGUID = x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4")

_NAME_HASH = {TPM_ALG_SHA1: hashlib.sha1, TPM_ALG_SHA256: hashlib.sha256,
              TPM_ALG_SHA384: hashlib.sha384, TPM_ALG_SHA512: hashlib.sha512}


# --- keys (generated once per test session: RSA generation is slow) ----------------------

@lru_cache(maxsize=None)
def rsa_key(exponent: int = 65537, slot: int = 0) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=exponent, key_size=2048)


@lru_cache(maxsize=None)
def ec_key(curve_name: str = "secp256r1", slot: int = 0) -> ec.EllipticCurvePrivateKey:
    curve = {"secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1(), "secp521r1": ec.SECP521R1()}[curve_name]
    return ec.generate_private_key(curve)


@lru_cache(maxsize=None)
def ed25519_key() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


# --- TPM structures (TPM 2.0 Part 2) ------------------------------------------------------

def tpm2b(data: bytes) -> bytes:
    return struct.pack(">H", len(data)) + data


def _int_bytes(v: int, size: int | None = None) -> bytes:
    return v.to_bytes(size or max(1, (v.bit_length() + 7) // 8), "big")


def pub_area_rsa(n: bytes, *, exponent: int = 0, key_bits: int = 2048, name_alg: int = TPM_ALG_SHA256,
                 symmetric: bytes = struct.pack(">H", TPM_ALG_NULL), scheme: bytes = struct.pack(">H", TPM_ALG_NULL),
                 auth_policy: bytes = b"", attributes: int = OBJECT_ATTRIBUTES, type_: int = TPM_ALG_RSA) -> bytes:
    """TPMT_PUBLIC (§12.2.4) with TPMS_RSA_PARMS (§12.2.3.5) and TPM2B_PUBLIC_KEY_RSA."""
    return (struct.pack(">HHI", type_, name_alg, attributes) + tpm2b(auth_policy) + symmetric + scheme
            + struct.pack(">HI", key_bits, exponent) + tpm2b(n))


def pub_area_ecc(x: bytes, y: bytes, *, curve: int = TPM_ECC_NIST_P256, name_alg: int = TPM_ALG_SHA256,
                 symmetric: bytes = struct.pack(">H", TPM_ALG_NULL), scheme: bytes = struct.pack(">H", TPM_ALG_NULL),
                 kdf: bytes = struct.pack(">H", TPM_ALG_NULL), auth_policy: bytes = b"",
                 attributes: int = OBJECT_ATTRIBUTES, type_: int = TPM_ALG_ECC) -> bytes:
    """TPMT_PUBLIC (§12.2.4) with TPMS_ECC_PARMS (§12.2.3.6) and TPMS_ECC_POINT (§11.2.5.2)."""
    return (struct.pack(">HHI", type_, name_alg, attributes) + tpm2b(auth_policy) + symmetric + scheme
            + struct.pack(">H", curve) + kdf + tpm2b(x) + tpm2b(y))


def tpm_name(pub_area: bytes, name_alg: int = TPM_ALG_SHA256) -> bytes:
    """Name = nameAlg || H_nameAlg(TPMT_PUBLIC)  (TPM 2.0 Part 1 §16)."""
    return struct.pack(">H", name_alg) + _NAME_HASH[name_alg](pub_area).digest()


def cert_info(extra_data: bytes, name: bytes, *, magic: int = TPM_GENERATED_VALUE, type_: int = TPM_ST_ATTEST_CERTIFY,
              qualified_signer: bytes = b"\x00\x0b" + bytes(32), clock: int = 123456789, reset_count: int = 7,
              restart_count: int = 0, safe: int = 1, firmware: int = 0x0001000200030004,
              qualified_name: bytes = b"\x00\x0b" + bytes(range(32)), trailing: bytes = b"") -> bytes:
    """TPMS_ATTEST (§10.12.12) carrying TPMS_CERTIFY_INFO (§10.12.3)."""
    return (struct.pack(">IH", magic, type_) + tpm2b(qualified_signer) + tpm2b(extra_data)
            + struct.pack(">QIIB", clock, reset_count, restart_count, safe) + struct.pack(">Q", firmware)
            + tpm2b(name) + tpm2b(qualified_name) + trailing)


# --- certificates -------------------------------------------------------------------------

@dataclass(frozen=True)
class Root:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


@lru_cache(maxsize=None)
def aik_root() -> Root:
    key = ec_key("secp256r1", slot=99)
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fastattest tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "fastattest Test TPM Root CA")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(NOW - timedelta(days=3650)).not_valid_after(NOW + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Root(key, cert)


def tcg_directory_name(manufacturer: str | None = "id:4E544300", model: str | None = "NPCT75x",
                       version: str | None = "id:00070002", *, one_rdn: bool = True) -> x509.Name:
    """The TCG EK Credential Profile §3.2.9 directoryName; one multi-valued RDN or one RDN each."""
    attrs = [x509.NameAttribute(oid, v) for oid, v in ((OID_TPM_MANUFACTURER, manufacturer), (OID_TPM_MODEL, model),
                                                        (OID_TPM_VERSION, version)) if v is not None]
    if one_rdn:
        return x509.Name([x509.RelativeDistinguishedName(attrs)])
    return x509.Name([x509.RelativeDistinguishedName([a]) for a in attrs])


_DEFAULT = object()


def aik_cert(key: Any, *, subject: x509.Name | None = None, san: Any = _DEFAULT, san_critical: bool = True,
             eku: Sequence[x509.ObjectIdentifier] | None = (OID_AIK_EKU,), ca: bool | None = False,
             aaguid_ext: bytes | None = None, aaguid_critical: bool = False, version1: bool = False,
             not_before: datetime | None = None, not_after: datetime | None = None) -> bytes:
    """An AIK certificate (WebAuthn L3 §8.3.1) issued by :func:`aik_root`, as DER.

    ``san``: default the TCG directoryName; an ``x509.Name`` for another directoryName; a list of
    GeneralName; ``None`` for no SAN extension. ``aaguid_ext``: raw extension value bytes."""
    root = aik_root()
    b = (x509.CertificateBuilder().subject_name(subject if subject is not None else x509.Name([]))
         .issuer_name(root.cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before or NOW - timedelta(days=365)).not_valid_after(not_after or NOW + timedelta(days=365)))
    if san is _DEFAULT:
        san = tcg_directory_name()
    if san is not None:
        names = [x509.DirectoryName(san)] if isinstance(san, x509.Name) else list(san)
        b = b.add_extension(x509.SubjectAlternativeName(names), critical=san_critical)
    if eku is not None:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if aaguid_ext is not None:
        b = b.add_extension(x509.UnrecognizedExtension(OID_FIDO_AAGUID, aaguid_ext), critical=aaguid_critical)
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.public_key()), critical=False)
    der = b.sign(root.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    if version1:
        der = _as_version1(der, root.key)
    return der


def _as_version1(der: bytes, issuer_key: ec.EllipticCurvePrivateKey) -> bytes:
    """Re-sign the certificate with its TBS version field set to v1 (extensions kept)."""
    c = ax509.Certificate.load(der)
    tbs = c["tbs_certificate"]
    tbs["version"] = "v1"
    sig = issuer_key.sign(tbs.dump(force=True), ec.ECDSA(hashes.SHA256()))
    return ax509.Certificate({"tbs_certificate": tbs, "signature_algorithm": c["signature_algorithm"],
                              "signature_value": sig}).dump(force=True)


# --- COSE keys and authenticator data ------------------------------------------------------

def cose_key_for(key: Any, alg: int | None = None) -> bytes:
    pub = key.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        m = {1: 3, 3: alg or -257, -1: _int_bytes(nums.n), -2: _int_bytes(nums.e)}
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        size = (pub.curve.key_size + 7) // 8
        crv, dalg = {"secp256r1": (1, -7), "secp384r1": (2, -35), "secp521r1": (3, -36)}[pub.curve.name]
        nums = pub.public_numbers()
        m = {1: 2, 3: alg or dalg, -1: crv, -2: nums.x.to_bytes(size, "big"), -3: nums.y.to_bytes(size, "big")}
    else:
        m = {1: 1, 3: alg or -8, -1: 6, -2: pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)}
    return cbor2.dumps(m, canonical=True)


def auth_data(cose_key: bytes, *, aaguid: bytes = AAGUID, flags: int = 0x45, sign_count: int = 0,
              cred_id: bytes = CRED_ID, rp_id: str = RP_ID) -> bytes:
    """rpIdHash || flags (UP|UV|AT) || signCount || aaguid || credIdLen || credId || COSE_Key (§6.1)."""
    return (hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)
            + aaguid + struct.pack(">H", len(cred_id)) + cred_id + cose_key)


def sign(key: Any, alg: int, data: bytes) -> bytes:
    a = algorithms.ALGORITHMS[alg]
    if a.kind == "ecdsa":
        return key.sign(data, ec.ECDSA(a.hash))
    if a.kind == "rsa-pkcs1":
        return key.sign(data, padding.PKCS1v15(), a.hash)
    if a.kind == "rsa-pss":
        return key.sign(data, padding.PSS(padding.MGF1(a.hash), padding.PSS.DIGEST_LENGTH), a.hash)
    raise ValueError(f"cannot sign with alg {alg}")


# --- the whole attestation ----------------------------------------------------------------

@dataclass
class TpmAttestation:
    stmt: dict
    auth_data: bytes
    client_data_hash: bytes
    credential_key: Any
    aik_key: Any
    pub_area: bytes
    cert_info: bytes
    policy: Policy = field(default_factory=Policy)

    @property
    def root_pem(self) -> bytes:
        return aik_root().pem

    def attestation_object(self, fmt: str = "tpm") -> bytes:
        return cbor2.dumps({"fmt": fmt, "attStmt": self.stmt, "authData": self.auth_data}, canonical=True)

    def context(self) -> Context:
        ad = _core.parse_authenticator_data(self.auth_data)
        cose, public_key = algorithms.load_cose_key(ad.credential_public_key)
        return Context(ad, self.client_data_hash, cose, public_key, NOW, self.policy)

    def verify(self) -> StatementResult:
        return tpm_format.verify(self.stmt, self.context())

    def resign(self, cert_info_bytes: bytes | None = None) -> "TpmAttestation":
        """Replace certInfo (optionally) and sign it again with the AIK, so only the change counts."""
        if cert_info_bytes is not None:
            self.cert_info = cert_info_bytes
            self.stmt["certInfo"] = cert_info_bytes
        self.stmt["sig"] = sign(self.aik_key, self.stmt["alg"], self.cert_info)
        return self


def build(*, cred: str = "rsa", aik: str = "rsa", alg: int | None = None, name_alg: int = TPM_ALG_SHA256,
          tpm_exponent: int | None = None, cred_exponent: int = 65537, hash_alg: int | None = None,
          pub_area: bytes | Callable[[bytes], bytes] | None = None, cert_info_kw: dict | None = None,
          aik_kw: dict | None = None, x5c: list[bytes] | None = None, client_data_hash: bytes | None = None,
          policy: Policy | None = None) -> TpmAttestation:
    """A valid tpm attestation unless a knob breaks it.

    cred: "rsa" | "ec" (P-256) | "ec384" | "ec521" | "ed25519"; aik: "rsa" (alg RS256) | "ec" (ES256).
    tpm_exponent: the TPMS_RSA_PARMS.exponent to write (default 0 when e = 65537, else e).
    hash_alg: the statement alg whose hash computes extraData (default: ``alg``).
    pub_area: bytes to use, or a function of the correct bytes.
    """
    ckey = {"rsa": lambda: rsa_key(cred_exponent), "ec": lambda: ec_key("secp256r1"), "ec384": lambda: ec_key("secp384r1"),
            "ec521": lambda: ec_key("secp521r1"), "ed25519": ed25519_key}[cred]()
    akey = rsa_key(65537, slot=1) if aik == "rsa" else ec_key("secp256r1", slot=1)
    alg = alg if alg is not None else (-257 if aik == "rsa" else -7)
    cose = cose_key_for(ckey)
    ad = auth_data(cose)
    cdh = client_data_hash if client_data_hash is not None else hashlib.sha256(b'{"type":"webauthn.create"}').digest()

    pub = ckey.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        e = tpm_exponent if tpm_exponent is not None else (0 if nums.e == 65537 else nums.e)
        pa = pub_area_rsa(_int_bytes(nums.n, 256), exponent=e, name_alg=name_alg)
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        size = (pub.curve.key_size + 7) // 8
        curve = {"secp256r1": TPM_ECC_NIST_P256, "secp384r1": TPM_ECC_NIST_P384, "secp521r1": TPM_ECC_NIST_P521}[pub.curve.name]
        nums = pub.public_numbers()
        pa = pub_area_ecc(nums.x.to_bytes(size, "big"), nums.y.to_bytes(size, "big"), curve=curve, name_alg=name_alg)
    else:  # an Ed25519 credential: the TPM can only describe something else (T09)
        ek = ec_key("secp256r1")
        nums = ek.public_key().public_numbers()
        pa = pub_area_ecc(nums.x.to_bytes(32, "big"), nums.y.to_bytes(32, "big"), name_alg=name_alg)
    if callable(pub_area):
        pa = pub_area(pa)
    elif pub_area is not None:
        pa = pub_area
    h = algorithms.ALGORITHMS[hash_alg if hash_alg is not None else alg].hash
    extra = hashlib.new(h.name, ad + cdh).digest()
    kw = {"extra_data": extra, "name": tpm_name(pa, name_alg) if name_alg in _NAME_HASH else b"\x00\x10"}
    kw.update(cert_info_kw or {})
    ci = cert_info(kw.pop("extra_data"), kw.pop("name"), **kw)
    aik_der = aik_cert(akey, **(aik_kw or {}))
    stmt = {"ver": "2.0", "alg": alg, "x5c": x5c if x5c is not None else [aik_der],
            "sig": sign(akey, alg, ci), "certInfo": ci, "pubArea": pa}
    return TpmAttestation(stmt, ad, cdh, ckey, akey, pa, ci, policy or Policy())
