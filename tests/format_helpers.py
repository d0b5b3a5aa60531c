"""Builders for generated android-key, apple, android-safetynet and compound vectors.

Everything is made here from scratch with ``cryptography``: a test root, an intermediate, a
leaf carrying the format's extension, authenticator data around a credential key, and the
CTAP2-canonical attestation object. The KeyDescription and Apple nonce DER are written with a
tiny DER encoder (not with the schema classes under test), so the parser is checked against
an independent encoding.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from fastattest import _core, algorithms
from fastattest.formats import Context
from fastattest.policy import Policy

NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=timezone.utc)
RP_ID = "example.com"
OID_KEY_DESCRIPTION = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.1.17")
OID_APPLE_NONCE = x509.ObjectIdentifier("1.2.840.113635.100.8.2")


# --- a minimal DER encoder ---------------------------------------------------------------


def der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + der_len(len(content)) + content


def der_int(v: int) -> bytes:
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True)
    return tlv(0x02, b)


def der_enum(v: int) -> bytes:
    return tlv(0x0A, der_int(v)[2:])


def octets(b: bytes) -> bytes:
    return tlv(0x04, b)


def seq(*items: bytes) -> bytes:
    return tlv(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(0x31, b"".join(sorted(items)))


NULL = b"\x05\x00"


def explicit(tag: int, inner: bytes) -> bytes:
    """[tag] EXPLICIT (context class, constructed), high-tag-number form for tag >= 31."""
    if tag < 31:
        ident = bytes([0xA0 | tag])
    else:
        digits = []
        t = tag
        while True:
            digits.append(t & 0x7F)
            t >>= 7
            if not t:
                break
        digits.reverse()
        ident = bytes([0xBF]) + bytes([d | 0x80 for d in digits[:-1]] + [digits[-1]])
    return ident + der_len(len(inner)) + inner


def auth_list(fields: dict[int, bytes]) -> bytes:
    """AuthorizationList from {tag: inner DER}, in ascending tag order."""
    return seq(*(explicit(t, fields[t]) for t in sorted(fields)))


def tee_list(purpose: Sequence[int] = (2,), origin: int | None = 0, extra: dict[int, bytes] | None = None) -> dict[int, bytes]:
    f: dict[int, bytes] = {2: der_int(3), 3: der_int(256), 10: der_int(1)}
    if purpose is not None:
        f[1] = set_of(*(der_int(p) for p in purpose))
    if origin is not None:
        f[702] = der_int(origin)
    f[704] = seq(octets(b"\x11" * 32), b"\x01\x01\xff", der_enum(0), octets(b"\x22" * 32))  # rootOfTrust
    f[705] = der_int(140000)
    f.update(extra or {})
    return f


def key_description(challenge: bytes, *, version: int = 200, sw: dict[int, bytes] | None = None, tee: dict[int, bytes] | None = None) -> bytes:
    sw = {701: der_int(1_700_000_000_000), 709: octets(b"app")} if sw is None else sw
    tee = tee_list() if tee is None else tee
    return seq(der_int(version), der_enum(1), der_int(version), der_enum(1), octets(challenge), octets(b""), auth_list(sw), auth_list(tee))


def apple_nonce(nonce: bytes) -> bytes:
    return seq(explicit(1, octets(nonce)))


# --- keys, certificates ------------------------------------------------------------------


def ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


_RSA: list[rsa.RSAPrivateKey] = []


def rsa_key() -> rsa.RSAPrivateKey:
    if not _RSA:  # generating RSA keys is slow: share one per test session
        _RSA.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _RSA[0]


def _name(cn: str, **extra: str) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if "o" in extra:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, extra["o"]))
    return x509.Name(attrs)


@dataclass
class Issued:
    cert: x509.Certificate
    key: Any

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def make_cert(
    subject: str,
    key: Any,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    extensions: Sequence[tuple[x509.ObjectIdentifier, bytes, bool]] = (),
    san: Sequence[str] | None = None,
    not_before: datetime = NOW - timedelta(days=30),
    not_after: datetime = NOW + timedelta(days=365),
) -> Issued:
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject, o="Test"))
        .issuer_name(issuer.cert.subject if issuer else _name(subject, o="Test"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        b = b.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    for oid, value, critical in extensions:
        b = b.add_extension(x509.UnrecognizedExtension(oid, value), critical=critical)
    if san:  # an empty list: no subjectAltName extension at all
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in san]), critical=False)
    signer = issuer.key if issuer else key
    return Issued(b.sign(signer, hashes.SHA256()), key)


@dataclass
class PKI:
    root: Issued
    intermediate: Issued

    def leaf(self, key: Any, **kw: Any) -> Issued:
        return make_cert(kw.pop("subject", "Test Leaf"), key, self.intermediate, **kw)


def make_pki(name: str = "Test") -> PKI:
    root = make_cert(f"{name} Root", ec_key(ec.SECP384R1()), ca=True)
    inter = make_cert(f"{name} Intermediate", ec_key(), root, ca=True)
    return PKI(root, inter)


# --- authenticator data, COSE keys, attestation objects ---------------------------------


def cose_key(public_key: Any) -> bytes:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        n = public_key.public_numbers()
        crv, alg, size = {"secp256r1": (1, -7, 32), "secp384r1": (2, -35, 48), "secp521r1": (3, -36, 66)}[public_key.curve.name]
        return cbor2.dumps({1: 2, 3: alg, -1: crv, -2: n.x.to_bytes(size, "big"), -3: n.y.to_bytes(size, "big")}, canonical=True)
    n = public_key.public_numbers()
    return cbor2.dumps({1: 3, 3: -257, -1: n.n.to_bytes((n.n.bit_length() + 7) // 8, "big"), -2: n.e.to_bytes(3, "big")}, canonical=True)


def auth_data(public_key: Any, *, aaguid: bytes = b"\x00" * 16, cred_id: bytes = b"\x01" * 16, flags: int = 0x45) -> bytes:
    return (
        hashlib.sha256(RP_ID.encode()).digest()
        + bytes([flags])
        + (0).to_bytes(4, "big")
        + aaguid
        + len(cred_id).to_bytes(2, "big")
        + cred_id
        + cose_key(public_key)
    )


def attestation_object(fmt: str, att_stmt: Any, ad: bytes) -> bytes:
    return cbor2.dumps({"fmt": fmt, "attStmt": att_stmt, "authData": ad}, canonical=True)


def context(ad: bytes, cdh: bytes, *, now: datetime = NOW, policy: Policy | None = None) -> Context:
    parsed = _core.parse_authenticator_data(ad)
    ck, pk = algorithms.load_cose_key(parsed.credential_public_key)
    return Context(parsed, cdh, ck, pk, now, policy or Policy())


def sign_ecdsa(key: ec.EllipticCurvePrivateKey, data: bytes, h: hashes.HashAlgorithm | None = None) -> bytes:
    return key.sign(data, ec.ECDSA(h or hashes.SHA256()))


CDH = hashlib.sha256(b'{"type":"webauthn.create","challenge":"AAAA","origin":"https://example.com"}').digest()


# --- android-key ---------------------------------------------------------------------------


@dataclass
class AndroidKey:
    pki: PKI
    cred: ec.EllipticCurvePrivateKey
    ad: bytes
    stmt: dict
    cdh: bytes = CDH
    fmt: str = "android-key"

    @property
    def anchors(self) -> dict:
        return {"android-key": [self.pki.root.pem]}

    def object(self) -> bytes:
        return attestation_object(self.fmt, self.stmt, self.ad)


def android_key(
    *,
    pki: PKI | None = None,
    kd: bytes | None = None,
    challenge: bytes | None = None,
    leaf_key: Any = None,
    sign_with: Any = None,
    extensions: Sequence[tuple[x509.ObjectIdentifier, bytes, bool]] | None = None,
    include_root: bool = True,
    cdh: bytes = CDH,
    cred: ec.EllipticCurvePrivateKey | None = None,
) -> AndroidKey:
    """A valid android-key statement (unless a knob breaks it); x5c carries the root, as Android's do."""
    pki = pki or make_pki("Android")
    cred = cred or ec_key()
    ad = auth_data(cred.public_key())
    kd = key_description(cdh if challenge is None else challenge) if kd is None else kd
    exts = [(OID_KEY_DESCRIPTION, kd, False)] if extensions is None else list(extensions)
    leaf = pki.leaf(leaf_key or cred, subject="Android Keystore Key", extensions=exts)
    sig = sign_ecdsa(sign_with or leaf_key or cred, ad + cdh)
    x5c = [leaf.der, pki.intermediate.der] + ([pki.root.der] if include_root else [])
    return AndroidKey(pki, cred, ad, {"alg": -7, "sig": sig, "x5c": x5c}, cdh)


# --- apple -----------------------------------------------------------------------------------


def apple(
    *, pki: PKI | None = None, nonce_ext: bytes | None = None, leaf_key: Any = None, omit_ext: bool = False, cdh: bytes = CDH, cred: Any = None
) -> AndroidKey:
    pki = pki or make_pki("Apple")
    cred = cred or ec_key()
    ad = auth_data(cred.public_key())
    if nonce_ext is None:
        nonce_ext = apple_nonce(hashlib.sha256(ad + cdh).digest())
    exts = [] if omit_ext else [(OID_APPLE_NONCE, nonce_ext, False)]
    leaf = pki.leaf(leaf_key or cred, subject="apple credential", extensions=exts)
    return AndroidKey(pki, cred, ad, {"alg": -7, "x5c": [leaf.der, pki.intermediate.der]}, cdh, "apple")


# --- android-safetynet ----------------------------------------------------------------------


def b64url(b: bytes) -> bytes:
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def jws(header: dict, payload: dict, key: Any, alg: str = "ES256") -> bytes:
    h = b64url(json.dumps(header).encode())
    p = b64url(json.dumps(payload).encode())
    data = h + b"." + p
    if alg == "ES256":
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif alg == "RS256":
        sig = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        sig = b"\x00" * 32
    return data + b"." + b64url(sig)


def safetynet(
    *,
    pki: PKI | None = None,
    alg: str = "ES256",
    host: str = "attest.android.com",
    san: Sequence[str] | None = None,
    payload: dict | None = None,
    header: dict | None = None,
    now: datetime = NOW,
    sign_key: Any = None,
    ver: Any = "21.1",
    cdh: bytes = CDH,
) -> AndroidKey:
    pki = pki or make_pki("SafetyNet")
    cred = ec_key()
    ad = auth_data(cred.public_key())
    leaf_key = rsa_key() if alg == "RS256" else ec_key()
    leaf = pki.leaf(leaf_key, subject=host, san=[host] if san is None else san)
    nonce = base64.b64encode(hashlib.sha256(ad + cdh).digest()).decode()
    body = {
        "nonce": nonce,
        "timestampMs": int(now.timestamp() * 1000) - 1000,
        "apkPackageName": "com.google.android.gms",
        "ctsProfileMatch": True,
        "basicIntegrity": True,
    }
    body.update(payload or {})
    hdr = {"alg": alg, "x5c": [base64.b64encode(leaf.der).decode(), base64.b64encode(pki.intermediate.der).decode()]}
    hdr.update(header or {})
    response = jws(hdr, body, sign_key or leaf_key, alg)
    return AndroidKey(pki, cred, ad, {"ver": ver, "response": response}, cdh, "android-safetynet")


# ------------------------------------------------------------------ recorded real vectors
VECTORS = __import__("pathlib").Path(__file__).parent / "vectors"


def unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def real_vector(path: str) -> tuple[bytes, bytes, datetime]:
    """(attestation object, client data hash, time to verify at) of a recorded vector file
    (tests/vectors/<path>; a registration response or a python-fido2 statement)."""
    d = json.loads((VECTORS / path).read_text())
    if "response" in d:
        r = d["response"]["response"]
        ao, cdh = unb64(r["attestationObject"]), hashlib.sha256(unb64(r["clientDataJSON"])).digest()
    else:
        ao, cdh = unb64(d["attestation_object"]), unb64(d["client_data_hash"])
    return ao, cdh, datetime.fromisoformat(d["now"].replace("Z", "+00:00"))
