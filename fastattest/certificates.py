"""X.509 certificates in attestation statements: parsing (cached by DER) and the
per-format certificate requirements of WebAuthn L3 §8.2.1 (packed) and shared helpers
(AAGUID extension, key identifiers, the extensions path validation reads).

A certificate is read field by field (RFC 5280 §4.1) with ``_der``: the exact TBS bytes, the
signature and its algorithm, the names, the validity, the public key (loaded by
``cryptography``) and the list of extensions, each kept as raw bytes. An extension is decoded
(with ``asn1crypto``) only when a check needs it, so an extension fastattest does not process
never makes a certificate unreadable, and one it needs that does not decode is named in a
``certificate.extension_malformed`` error. ``cryptography``'s own X.509 parser is not on this
path: it refuses a whole certificate for a slip in one field (a PrintableString where RFC 5280
asks for another string type, an explicitly encoded DEFAULT) and warns about non-positive serial
numbers, which real Android attestation certificates carry. ``CertInfo.cert`` still offers its
view to callers when it parses the certificate cleanly.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, TypeVar, cast

from asn1crypto import algos as _algos, x509 as _ax
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from . import _core, _der
from .errors import VerificationError

_T = TypeVar("_T")

# Resource caps (R-rows of the catalogue; README "Security" section)
MAX_X5C = 8
MAX_CERT_SIZE = 16 * 1024

OID_FIDO_AAGUID = "1.3.6.1.4.1.45724.1.1.4"  # WebAuthn L3 §8.2.1
# RFC 5280 §4.2.1 extensions that checks decode
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_KEY_USAGE = "2.5.29.15"
OID_EXTENDED_KEY_USAGE = "2.5.29.37"
OID_SUBJECT_ALT_NAME = "2.5.29.17"
OID_CERTIFICATE_POLICIES = "2.5.29.32"
OID_CRL_DISTRIBUTION_POINTS = "2.5.29.31"
# X.520 attribute types read by the format checks
OID_COUNTRY, OID_ORGANIZATION, OID_ORGANIZATIONAL_UNIT, OID_COMMON_NAME = "2.5.4.6", "2.5.4.10", "2.5.4.11", "2.5.4.3"

_EXTENSION_NAMES = {
    OID_BASIC_CONSTRAINTS: "basicConstraints",
    OID_KEY_USAGE: "keyUsage",
    OID_EXTENDED_KEY_USAGE: "extKeyUsage",
    OID_SUBJECT_ALT_NAME: "subjectAltName",
    OID_CERTIFICATE_POLICIES: "certificatePolicies",
    OID_CRL_DISTRIBUTION_POINTS: "cRLDistributionPoints",
    OID_FIDO_AAGUID: "id-fido-gen-ce-aaguid",
}

_LABELS = {OID_COMMON_NAME: "CN", OID_COUNTRY: "C", OID_ORGANIZATION: "O", OID_ORGANIZATIONAL_UNIT: "OU",
           "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "STREET", "0.9.2342.19200300.100.1.25": "DC",
           "0.9.2342.19200300.100.1.1": "UID"}

# signatureAlgorithm OID (RFC 3279, RFC 4055, RFC 5758, RFC 8410, RFC 9881) -> (kind, hash)
_SIGNATURE_ALGORITHMS: dict[str, tuple[str, hashes.HashAlgorithm | None]] = {
    "1.2.840.113549.1.1.4": ("rsa", hashes.MD5()),
    "1.2.840.113549.1.1.5": ("rsa", hashes.SHA1()),
    "1.2.840.113549.1.1.14": ("rsa", hashes.SHA224()),
    "1.2.840.113549.1.1.11": ("rsa", hashes.SHA256()),
    "1.2.840.113549.1.1.12": ("rsa", hashes.SHA384()),
    "1.2.840.113549.1.1.13": ("rsa", hashes.SHA512()),
    "1.2.840.113549.1.1.10": ("pss", None),  # the hash is in the parameters
    "1.2.840.10045.4.1": ("ecdsa", hashes.SHA1()),
    "1.2.840.10045.4.3.1": ("ecdsa", hashes.SHA224()),
    "1.2.840.10045.4.3.2": ("ecdsa", hashes.SHA256()),
    "1.2.840.10045.4.3.3": ("ecdsa", hashes.SHA384()),
    "1.2.840.10045.4.3.4": ("ecdsa", hashes.SHA512()),
    "1.3.101.112": ("ed25519", None),
    "1.3.101.113": ("ed448", None),
    "2.16.840.1.101.3.4.3.17": ("mldsa", None),
    "2.16.840.1.101.3.4.3.18": ("mldsa", None),
    "2.16.840.1.101.3.4.3.19": ("mldsa", None),
}
_PKCS1V15 = padding.PKCS1v15()
_ECDSA = {h.name: ec.ECDSA(h) for h in (hashes.SHA1(), hashes.SHA224(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512())}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
           "sha512": hashes.SHA512}


@dataclass(frozen=True, init=False)
class Name:
    """An RFC 5280 Name: its DER and its attributes, RDN by RDN. Two names are the same when
    their attributes are (RFC 5280 §7.1, binary string comparison), whatever string types encode them."""

    der: bytes = field(compare=False)
    rdns: tuple[tuple[tuple[str, str], ...], ...]

    def __init__(self, der: bytes, rdns: tuple[tuple[tuple[str, str], ...], ...]) -> None:
        # frozen: set once, here, through the instance dict (the generated __init__ makes one
        # object.__setattr__ call per field, ~0.1 us each, for every new certificate)
        d = self.__dict__
        d["der"] = der
        d["rdns"] = rdns

    def __eq__(self, other: object) -> bool:
        if self is other:  # a name decoded once (``_name``) is the same object wherever it recurs
            return True
        if other.__class__ is not Name:
            return NotImplemented
        return self.rdns == other.rdns

    def __hash__(self) -> int:  # as the equality: the attributes alone
        return hash(self.rdns)

    def get(self, oid: str) -> list[str]:
        """Every value of attribute ``oid`` (dotted), in order."""
        return [v for rdn in self.rdns for k, v in rdn if k == oid]

    def __len__(self) -> int:
        return sum(len(rdn) for rdn in self.rdns)

    def rfc4514(self) -> str:
        return ",".join("+".join(f"{_LABELS.get(k, k)}={v}" for k, v in rdn) for rdn in reversed(self.rdns))


@dataclass(frozen=True, init=False)
class Extension:
    """One extension as received: its OID, criticality and extnValue contents (RFC 5280 §4.1)."""

    oid: str
    critical: bool
    value: bytes

    def __init__(self, oid: str, critical: bool, value: bytes) -> None:
        d = self.__dict__  # frozen: set once, here (as Name)
        d["oid"] = oid
        d["critical"] = critical
        d["value"] = value

    @property
    def name(self) -> str:
        return _EXTENSION_NAMES.get(self.oid, self.oid)


@dataclass(frozen=True)
class BasicConstraints:
    ca: bool
    path_length: int | None


@dataclass(eq=False, slots=True)
class CertInfo:
    """A certificate as checks read it, computed once per DER (RFC 5280 §4.1). Read-only by
    convention: shared by every caller through ``load``'s cache (a frozen dataclass would cost
    ~1.5 us per new certificate in ``object.__setattr__`` calls)."""

    der: bytes
    tbs: bytes  # the exact bytes the issuer signed
    signature_algorithm: str  # dotted OID
    signature_algorithm_der: bytes  # the AlgorithmIdentifier as received (PSS parameters)
    signature: bytes
    version: int  # 1, 2 or 3
    serial: int  # may be zero or negative (RFC 5280 §4.1.2.2 forbids it; devices do it)
    issuer: Name
    subject: Name
    not_before: datetime
    not_after: datetime
    spki: bytes
    public_key: Any
    extensions: dict[str, Extension]
    _decoded: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def key_identifier(self) -> str:
        """RFC 5280 §4.2.1.2 (1): SHA-1 of the subjectPublicKey BIT STRING value, lowercase hex.
        Computed when first read: only metadata lookups by key identifier (zero AAGUID) need it."""
        kid = self._decoded.get("key_identifier")
        if kid is None:
            kid = self._decoded["key_identifier"] = _key_identifier_of_spki(self.spki)
        return kid

    @property
    def signature_hash(self) -> hashes.HashAlgorithm | None:
        """The hash of the issuer's signature, or None (EdDSA, ML-DSA, unknown)."""
        kind, h = _SIGNATURE_ALGORITHMS.get(self.signature_algorithm, ("", None))
        if kind == "pss":
            try:
                return _pss(self.signature_algorithm_der)[1]
            except (ValueError, KeyError, TypeError):  # absent or malformed parameters (asn1crypto: Void)
                return None
        return h

    @property
    def cert(self) -> x509.Certificate | None:
        """``cryptography``'s view of the certificate, for callers; None where it refuses the
        certificate or would warn (a non-positive serial). fastattest's checks never use it."""
        if "cert" not in self._decoded:
            cert = None
            if self.serial > 0:  # avoid CryptographyDeprecationWarning rather than filter it
                try:
                    cert = x509.load_der_x509_certificate(self.der)
                except Exception:  # ValueError, InvalidVersion, ...: then there is no such view
                    cert = None
            self._decoded["cert"] = cert
        return cast("x509.Certificate | None", self._decoded["cert"])

    def extension(self, oid: str) -> Extension | None:
        return self.extensions.get(oid)


def _malformed(what: str) -> VerificationError:
    return VerificationError("certificate.malformed", f"certificate could not be parsed: {what}")


@lru_cache(maxsize=8192)
def load(der: bytes) -> CertInfo:
    """Parse a DER certificate once; later calls with the same bytes are a dict lookup."""
    if not isinstance(der, bytes) or not der:
        raise VerificationError("certificate.malformed", "certificate is not a non-empty byte string")
    if len(der) > MAX_CERT_SIZE:
        raise VerificationError("certificate.too_large", f"certificate is larger than {MAX_CERT_SIZE} bytes")
    try:
        return _parse(der)
    except _der.DerError as exc:
        raise _malformed(str(exc)) from None
    except (IndexError, ValueError, TypeError, UnsupportedAlgorithm) as exc:  # the key: cryptography
        raise _malformed(str(exc) or type(exc).__name__) from None


def _parse(der: bytes) -> CertInfo:
    # Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }:
    # the compiled core splits it into the parts below (``_x509.pxi``), each extension's RFC 5280
    # §4.1 shape checked there; they are decoded here, an extension not seen before split by the core
    (tbs, outer_alg, alg_oid, signature, version_der, serial_der, issuer_der, issuer_header, subject_der,
     subject_header, t0_tag, t0, t1_tag, t1, spki, extension_ders) = _core.split_certificate(
        der if type(der) is bytes else bytes(der))  # the core takes exact bytes; a subclass is as good
    if version_der == b"\x02":  # v3, nearly always
        version = 3
    elif version_der is None:  # [0] EXPLICIT Version DEFAULT v1
        version = 1
    else:
        version = _der.integer(version_der) + 1
        if version not in (1, 2, 3):  # RFC 5280 §4.1.2.1
            raise _der.DerError(f"unknown certificate version {version}")
    extensions: dict[str, Extension] = {}
    for raw in extension_ders:
        ext = _EXTENSIONS.get(raw)
        if ext is None:
            oid_der, critical, value = _core.split_extension(raw)
            ext = Extension(_der.oid(oid_der), critical, value)
            if len(_EXTENSIONS) >= _EXTENSIONS_MAX:  # full: start again (a FIFO on a dict costs a scan)
                _EXTENSIONS.clear()
            _EXTENSIONS[raw] = ext
        if ext.oid in extensions:  # RFC 5280 §4.2: at most one instance; which would we read?
            raise _der.DerError(f"the {ext.name} extension appears twice")
        extensions[ext.oid] = ext
    if not serial_der:
        raise _der.DerError("empty INTEGER")
    return CertInfo(der, tbs, _der.oid(alg_oid), outer_alg, signature, version, int.from_bytes(serial_der, "big", signed=True),
                    _name(issuer_der, issuer_header), _name(subject_der, subject_header),
                    _time(t0_tag, t0), _time(t1_tag, t1), spki, serialization.load_der_public_key(spki), extensions)


# Parts that repeat from certificate to certificate (an issuer's name, a model's subject, OIDs,
# validity times) are decoded once per distinct encoding: the result depends on the bytes alone.
# A decoding error is not cached: it raises again.
_time = lru_cache(maxsize=4096)(_der.parse_time)
# Extension DER -> Extension: a model's extensions recur (basicConstraints, keyUsage, a TPM's SAN
# and EKU); one new per certificate (Android's key description) costs a dict insert.
_EXTENSIONS: dict[bytes, Extension] = {}
_EXTENSIONS_MAX = 4096


_NAMES: dict[bytes, Name] = {}  # Name DER -> Name (the header length is a function of the DER)
_NAMES_MAX = 4096


def _name(der: bytes, header: int) -> Name:
    """The Name whose DER (the whole SEQUENCE, contents from ``header`` on) is ``der``: one object
    per encoding, so an issuer field and its issuer's subject are usually the same object."""
    name = _NAMES.get(der)
    if name is None:
        name = Name(der, _core.split_name(der, header))
        if len(_NAMES) >= _NAMES_MAX:  # full: start again (a FIFO on a dict costs a scan)
            _NAMES.clear()
        _NAMES[der] = name
    return name


def _key_identifier_of_spki(spki: bytes) -> str:
    _, s, e = _der.tlv(spki, 0, len(spki))
    parts = _der.children(spki, s, e)
    if len(parts) != 2 or parts[1][0] != 0x03 or parts[1][3] == parts[1][2]:
        raise _der.DerError("subjectPublicKeyInfo is not SEQUENCE { algorithm, BIT STRING }")
    return hashlib.sha1(spki[parts[1][2] + 1:parts[1][3]]).hexdigest()  # drop the unused-bits octet


def key_identifier(public_key: Any) -> str:
    """Lowercase hex SHA-1 of the subjectPublicKey bit string (not the whole SPKI)."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _key_identifier_of_spki(spki)


# ------------------------------------------------------------------ signatures over the TBS bytes
def _pss(alg_der: bytes) -> tuple[padding.PSS, hashes.HashAlgorithm]:
    """RFC 4055 §3.1 RSASSA-PSS-params -> (padding, hash)."""
    params = _algos.SignedDigestAlgorithm.load(alg_der)["parameters"]
    h = _HASHES[params["hash_algorithm"]["algorithm"].native]()
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1":
        raise ValueError("PSS mask generation is not MGF1")
    mgf_hash = _HASHES[mgf["parameters"]["algorithm"].native]()
    return padding.PSS(padding.MGF1(mgf_hash), params["salt_length"].native), h


_KEY_KINDS: dict[type, str] = {}  # key class -> kind: isinstance against cryptography's ABCs once per class


def key_kind(key: object) -> str:
    """The kind of a ``cryptography`` public key: rsa, ec, ed25519, ed448, mldsa or the empty string."""
    kind = _KEY_KINDS.get(type(key))
    if kind is None:
        kind = ("rsa" if isinstance(key, rsa.RSAPublicKey) else "ec" if isinstance(key, ec.EllipticCurvePublicKey)
                else "ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else "ed448" if isinstance(key, ed448.Ed448PublicKey)
                else "mldsa" if type(key).__name__.startswith("MLDSA") else "")
        if len(_KEY_KINDS) < 64:
            _KEY_KINDS[type(key)] = kind
    return kind


def signed_by(child: CertInfo, issuer_key: Any) -> bool:
    """Does ``issuer_key`` sign ``child``'s exact TBS bytes with ``child``'s signature algorithm?"""
    kind, h = _SIGNATURE_ALGORITHMS.get(child.signature_algorithm, ("", None))
    sig, tbs = child.signature, child.tbs
    key = key_kind(issuer_key)
    try:
        if kind in ("rsa", "ecdsa") and h is None:
            return False
        if kind == "rsa" and key == "rsa":
            assert h is not None
            issuer_key.verify(sig, tbs, _PKCS1V15, h)
        elif kind == "pss" and key == "rsa":
            pad, ph = _pss(child.signature_algorithm_der)
            issuer_key.verify(sig, tbs, pad, ph)
        elif kind == "ecdsa" and key == "ec":
            assert h is not None
            issuer_key.verify(sig, tbs, _ECDSA[h.name])
        elif kind in ("ed25519", "ed448", "mldsa") and key == kind:
            issuer_key.verify(sig, tbs)
        else:
            return False
        return True
    except (InvalidSignature, ValueError, TypeError, KeyError, UnsupportedAlgorithm):
        return False


# ------------------------------------------------------------------ extensions, decoded on demand
_UNDECODED: Any = object()


def _decode(info: CertInfo, oid: str, decoder: Callable[[bytes], _T]) -> _T | None:
    """The decoded value of extension ``oid`` (None when absent), decoded once per certificate;
    ``certificate.extension_malformed`` naming the extension when it does not decode."""
    value = info._decoded.get(oid, _UNDECODED)  # what ``decoder`` returned for this oid
    if value is not _UNDECODED:
        return cast("_T | None", value)
    ext = info.extensions.get(oid)
    if ext is None:
        value = None
    else:
        try:
            value = decoder(ext.value)
        except Exception as exc:  # asn1crypto raises ValueError, TypeError and friends on bad DER
            raise VerificationError(
                "certificate.extension_malformed",
                f"the {ext.name} extension ({oid}) of {info.subject.rfc4514() or 'the certificate'!r} could not be decoded: {exc}",
            ) from None
    info._decoded[oid] = value
    return cast("_T | None", value)


# The decoders below depend on the extension's bytes alone, so each is cached by them: the
# extensions a device model repeats (basicConstraints, keyUsage, EKU, a TPM's SAN) are decoded
# once, not once per certificate. The simple ones are read with ``_der``; a failure raises.
@lru_cache(maxsize=1024)
def _basic_constraints(value: bytes) -> BasicConstraints:
    """BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }.
    Read leniently: a DEFAULT value encoded explicitly (cA FALSE, which an older Chrome virtual
    authenticator sends) means what it says, though DER would omit it (X.690 §11.5)."""
    tag, s, e = _der.tlv(value, 0, len(value))
    if tag != 0x30 or e != len(value):
        raise _der.DerError("basicConstraints is not a SEQUENCE")
    parts = _der.children(value, s, e)
    ca, path_length, i = False, None, 0
    if i < len(parts) and parts[i][0] == 0x01:
        if parts[i][3] - parts[i][2] != 1:
            raise _der.DerError("cA is not a BOOLEAN")
        ca = value[parts[i][2]] != 0
        i += 1
    if i < len(parts) and parts[i][0] == 0x02:
        path_length = _der.integer(value[parts[i][2]:parts[i][3]])
        i += 1
    if i != len(parts):
        raise _der.DerError("basicConstraints holds an unexpected field")
    return BasicConstraints(ca, path_length)


def basic_constraints(info: CertInfo) -> BasicConstraints | None:
    """RFC 5280 §4.2.1.9, or None when absent."""
    return _decode(info, OID_BASIC_CONSTRAINTS, _basic_constraints)


# RFC 5280 §4.2.1.3 KeyUsage bits, named as asn1crypto names them
_KEY_USAGE_BITS = ("digital_signature", "non_repudiation", "key_encipherment", "data_encipherment", "key_agreement",
                   "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")


@lru_cache(maxsize=1024)
def _key_usage(value: bytes) -> frozenset[Any]:
    """KeyUsage ::= BIT STRING (X.690 §8.6: an unused-bits count 0-7, then the bits, first bit
    most significant); bit numbers past decipherOnly are kept as integers."""
    tag, s, e = _der.tlv(value, 0, len(value))
    if tag != 0x03 or e != len(value) or s == e:
        raise _der.DerError("keyUsage is not a BIT STRING")
    unused = value[s]
    if unused > 7 or (unused and e - s == 1):
        raise _der.DerError("keyUsage BIT STRING has a bad unused-bits count")
    names = set()
    for i in range((e - s - 1) * 8 - unused):
        if value[s + 1 + (i >> 3)] & (0x80 >> (i & 7)):
            names.add(_KEY_USAGE_BITS[i] if i < len(_KEY_USAGE_BITS) else i)
    return frozenset(names)


def key_usage(info: CertInfo) -> frozenset[str] | None:
    """RFC 5280 §4.2.1.3 bits set, as asn1crypto names them ("key_cert_sign", ...), or None."""
    return _decode(info, OID_KEY_USAGE, _key_usage)


@lru_cache(maxsize=1024)
def _extended_key_usage(value: bytes) -> frozenset[str]:
    """ExtKeyUsageSyntax ::= SEQUENCE OF KeyPurposeId (OBJECT IDENTIFIER)."""
    tag, s, e = _der.tlv(value, 0, len(value))
    if tag != 0x30 or e != len(value):
        raise _der.DerError("extKeyUsage is not a SEQUENCE")
    purposes = set()
    for ptag, _, ps, pe in _der.children(value, s, e):
        if ptag != 0x06:
            raise _der.DerError("a key purpose is not an OBJECT IDENTIFIER")
        purposes.add(_der.oid(value[ps:pe]))
    return frozenset(purposes)


def extended_key_usage(info: CertInfo) -> frozenset[str] | None:
    """RFC 5280 §4.2.1.12 key purposes as dotted OIDs, or None."""
    return _decode(info, OID_EXTENDED_KEY_USAGE, _extended_key_usage)


@lru_cache(maxsize=1024)
def _general_names(value: bytes) -> tuple[tuple[str, Any], ...]:
    out: list[tuple[str, Any]] = []
    for gn in _ax.GeneralNames.load(value, strict=True):
        if gn.name == "dns_name":
            out.append(("dns", gn.chosen.native))
        elif gn.name == "directory_name":
            der = gn.chosen.chosen.dump()  # [4] EXPLICIT Name: the RDNSequence inside
            tag, s, e = _der.tlv(der, 0, len(der))
            if tag != 0x30 or e != len(der):
                raise ValueError("directoryName is not a Name")
            out.append(("directory", Name(der, _der.parse_name(der, s, e))))
        elif gn.name == "uniform_resource_identifier":
            out.append(("uri", gn.chosen.native))
        else:
            out.append((gn.name, None))  # not read by any check
    return tuple(out)


def subject_alt_names(info: CertInfo) -> tuple[tuple[str, Any], ...] | None:
    """RFC 5280 §4.2.1.6 as (kind, value): ("dns", str), ("directory", Name), ("uri", str); or None."""
    return _decode(info, OID_SUBJECT_ALT_NAME, _general_names)


@lru_cache(maxsize=1024)
def _crl_urls(value: bytes) -> tuple[str, ...]:
    urls: list[str] = []
    for point in _ax.CRLDistributionPoints.load(value, strict=True):
        name = point["distribution_point"]
        if name.name == "full_name":
            urls.extend(gn.chosen.native for gn in name.chosen if gn.name == "uniform_resource_identifier")
    return tuple(urls)


def crl_distribution_urls(info: CertInfo) -> tuple[str, ...]:
    """RFC 5280 §4.2.1.13 fullName URIs of the cRLDistributionPoints extension (empty if absent)."""
    return _decode(info, OID_CRL_DISTRIBUTION_POINTS, _crl_urls) or ()


# The decoders above by extension OID: each a function of the extnValue bytes alone (cached), for
# a check that needs to know an extension decodes (trust: a critical one, X07) but not its value.
VALUE_DECODERS: dict[str, Callable[[bytes], Any]] = {
    OID_BASIC_CONSTRAINTS: _basic_constraints,
    OID_KEY_USAGE: _key_usage,
    OID_EXTENDED_KEY_USAGE: _extended_key_usage,
    OID_SUBJECT_ALT_NAME: _general_names,
}


def extension_value(info: CertInfo, oid: str) -> bytes | None:
    ext = info.extensions.get(oid)
    return None if ext is None else ext.value


# ------------------------------------------------------------------ x5c and per-format requirements
def parse_x5c(value: object) -> tuple[bytes, ...]:
    """x5c: a non-empty array of DER certificates, leaf first (P06, X08)."""
    if not isinstance(value, list) or not value:
        raise VerificationError("certificate.x5c_invalid", "x5c is not a non-empty array")
    n = len(value)
    if n > MAX_X5C:
        raise VerificationError("certificate.too_large", f"x5c has more than {MAX_X5C} certificates")
    for c in value:  # a plain loop: all() over a generator costs more than the check (hot path)
        if (type(c) is not bytes and not isinstance(c, bytes)) or not c:
            raise VerificationError("certificate.x5c_invalid", "x5c holds an item that is not a byte string")
    if n == 2 and value[0] == value[1] or n > 2 and len(set(value)) != n:  # two: no set to build
        raise VerificationError("certificate.x5c_invalid", "x5c holds the same certificate twice")
    for der in value:
        load(der)
    return tuple(value)


def aaguid_extension(info: CertInfo) -> bytes | None:
    """The id-fido-gen-ce-aaguid extension value (16 bytes), or None if absent.

    WebAuthn L3 §8.2.1: the extension MUST NOT be marked critical and its value is an
    OCTET STRING wrapped in the extension's own OCTET STRING (P09).
    """
    ext = info.extensions.get(OID_FIDO_AAGUID)
    if ext is None:
        return None
    if ext.critical:
        raise VerificationError("certificate.aaguid_extension", "the AAGUID extension is marked critical")
    raw = ext.value
    if len(raw) != 18 or raw[:2] != b"\x04\x10":
        raise VerificationError("certificate.aaguid_extension", "the AAGUID extension is not an OCTET STRING of 16 bytes")
    return raw[2:]


def check_aaguid(info: CertInfo, aaguid: bytes) -> None:
    """If the certificate names an AAGUID it must be the authenticator data's (§8.2.1, §8.3.1)."""
    ext = aaguid_extension(info)
    if ext is not None and ext != aaguid:
        raise VerificationError("certificate.aaguid_mismatch", "certificate AAGUID extension differs from the authenticator data AAGUID")


def is_ca(info: CertInfo) -> bool:
    bc = basic_constraints(info)
    return bc is not None and bc.ca


def check_version3(info: CertInfo) -> None:
    if info.version != 3:
        raise VerificationError("certificate.version", "attestation certificate is not X.509 version 3")


def check_not_ca(info: CertInfo) -> None:
    if is_ca(info):
        raise VerificationError("certificate.basic_constraints", "attestation certificate has basicConstraints CA=true")


class Passed(set[Any]):
    """Keys of checks that passed, each key the exact inputs a check reads: a certificate check
    whose outcome depends on a few fields that every device of a model sends alike (its subject,
    some extensions) is made once per model, not once per new leaf. Only passes are kept, so a
    refusal is always re-derived with its own code and message. Bounded: full, it starts again.
    A set (``in`` stays a C-level lookup); only ``add`` is Python."""

    __slots__ = ("_max",)

    def __init__(self, max_size: int = 256) -> None:
        super().__init__()
        self._max = max_size

    def add(self, key: Any) -> None:
        if len(self) >= self._max:
            self.clear()
        set.add(self, key)


def extension_key(exts: dict[str, Extension], oid: str) -> tuple[bool, bytes] | tuple[None, None]:
    """Extension ``oid`` as (critical, extnValue), or (None, None) when absent: what a check that
    reads it depends on (a key for ``Passed``; an Extension's dataclass hash would cost more)."""
    ext = exts.get(oid)
    return (None, None) if ext is None else (ext.critical, ext.value)


#: (version, basicConstraints, AAGUID extension, AAGUID) whose §8.2.1 checks passed
_PACKED_LEAF_PASSED = Passed()


@lru_cache(maxsize=4096)
def check_packed_leaf(der: bytes, aaguid: bytes) -> None:
    """WebAuthn L3 §8.2.1 packed attestation certificate requirements (P08, P09).

    Cached per (certificate, AAGUID): a certificate seen before costs a dict lookup. A new leaf
    of a known model costs its subject's check: past the subject, the checks read the version,
    basicConstraints and the AAGUID extension, which every device of a model sends alike, and
    a pass is remembered by exactly these.
    """
    info = load(der)
    exts = info.extensions
    key = (info.version, extension_key(exts, OID_BASIC_CONSTRAINTS), extension_key(exts, OID_FIDO_AAGUID), aaguid)
    if key in _PACKED_LEAF_PASSED:
        _check_packed_subject(info.subject)  # the one check left, each device its own subject
        return
    _check_packed_leaf(info, aaguid)  # every check, in the order that picks the error
    _PACKED_LEAF_PASSED.add(key)


def _check_packed_leaf(info: CertInfo, aaguid: bytes) -> None:
    """§8.2.1 on the leaf. Past the subject, reads only the version, basicConstraints and the
    AAGUID extension: ``check_packed_leaf`` keys its memory of passes by exactly these, and must
    be changed with this."""
    check_version3(info)
    _check_packed_subject(info.subject)
    check_not_ca(info)
    check_aaguid(info, aaguid)


_PACKED_SUBJECT = (OID_COUNTRY, OID_ORGANIZATION, OID_COMMON_NAME, OID_ORGANIZATIONAL_UNIT)


def _check_packed_subject(subject: Name) -> None:
    """§8.2.1: exactly one non-empty C, O and CN, and OU "Authenticator Attestation"."""
    attrs = [a for rdn in subject.rdns for a in rdn if a[0] in _PACKED_SUBJECT]  # one pass, not one per attribute
    if len(attrs) == 4:  # the usual shape: each once (four distinct types), read from a dict
        found = dict(attrs)
        if (len(found) == 4 and found[OID_COUNTRY] and found[OID_ORGANIZATION] and found[OID_COMMON_NAME]
                and found[OID_ORGANIZATIONAL_UNIT] == "Authenticator Attestation"):
            return
    values_of: dict[str, list[str]] = {}
    for oid, value in attrs:
        values_of.setdefault(oid, []).append(value)
    for oid, label in ((OID_COUNTRY, "C"), (OID_ORGANIZATION, "O"), (OID_COMMON_NAME, "CN")):
        values = values_of.get(oid)
        if values is None or len(values) != 1 or not values[0]:
            raise VerificationError("certificate.subject", f"attestation certificate subject needs exactly one {label}")
    ou = values_of.get(OID_ORGANIZATIONAL_UNIT)
    if ou is None or len(ou) != 1 or ou[0] != "Authenticator Attestation":
        raise VerificationError("certificate.subject", 'attestation certificate subject OU must be "Authenticator Attestation"')
