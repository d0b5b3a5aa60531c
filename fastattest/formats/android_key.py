"""`android-key` attestation (WebAuthn L3 §8.4).

The statement is ``{alg, sig, x5c}``: ``sig`` is made over authenticatorData ‖ clientDataHash
by the key of the first certificate, whose public key must be the credential key, and whose
Android key attestation extension (OID 1.3.6.1.4.1.11129.2.1.17, the ``KeyDescription`` of
Android's Keystore/KeyMint) must bind the clientDataHash and describe a key generated inside
the device for signing, usable by this application only.

The KeyDescription is parsed strictly (fail closed): every known field of an
``AuthorizationList`` is decoded with its ASN.1 type, fields must appear in ascending tag
order without repetition, BER indefinite lengths and trailing bytes are refused. Tags this
schema does not know (later KeyMint versions add some) are skipped if they are well-formed
explicitly tagged values, as Android's schema lets them be.
"""
from __future__ import annotations

import hmac
from functools import lru_cache
from typing import Any

from asn1crypto import core
from cryptography.hazmat.primitives import serialization

from .. import _core, algorithms, certificates, trust
from ..errors import VerificationError
from . import Context, Statement, StatementResult
from ._pinned import pinned_store

OID_KEY_DESCRIPTION = "1.3.6.1.4.1.11129.2.1.17"
_FIELDS = frozenset({"alg", "sig", "x5c"})

KM_ORIGIN_GENERATED = 0  # Keymaster/KeyMint KeyOrigin
KM_PURPOSE_SIGN = 2  # Keymaster/KeyMint KeyPurpose
TAG_ALL_APPLICATIONS = 600

# Google's hardware attestation roots (fastattest/roots/PINNED.md lists their fingerprints).
PINNED_ROOTS = (
    "google-hardware-attestation-root-1.pem",
    "google-hardware-attestation-root-2.pem",
    "google-hardware-attestation-root-3.pem",
    "google-hardware-attestation-root-4.pem",
    "google-hardware-attestation-root-5.pem",
)


# --- Android KeyDescription schema (Android Keystore "Key and ID attestation", versions 1..400)


class Integers(core.SetOf):  # type: ignore[misc]  # asn1crypto ships no type information: its classes are Any to mypy
    _child_spec = core.Integer


class SecurityLevel(core.Enumerated):  # type: ignore[misc]  # asn1crypto ships no type information: its classes are Any to mypy
    _map = {0: "Software", 1: "TrustedEnvironment", 2: "StrongBox"}


class VerifiedBootState(core.Enumerated):  # type: ignore[misc]  # asn1crypto ships no type information: its classes are Any to mypy
    _map = {0: "Verified", 1: "SelfSigned", 2: "Unverified", 3: "Failed"}


class RootOfTrust(core.Sequence):  # type: ignore[misc]  # asn1crypto ships no type information: its classes are Any to mypy
    _fields = [
        ("verifiedBootKey", core.OctetString),
        ("deviceLocked", core.Boolean),
        ("verifiedBootState", VerifiedBootState),
        ("verifiedBootHash", core.OctetString, {"optional": True}),  # attestation version >= 3
    ]


def _opt(tag: int) -> dict[str, Any]:
    return {"explicit": tag, "optional": True}


class AuthorizationList(core.Sequence):  # type: ignore[misc]  # asn1crypto ships no type information: its classes are Any to mypy
    """AuthorizationList ::= SEQUENCE { [tag] EXPLICIT <type> OPTIONAL, ... } (ascending tags)."""

    _fields = [
        ("purpose", Integers, _opt(1)),
        ("algorithm", core.Integer, _opt(2)),
        ("keySize", core.Integer, _opt(3)),
        ("blockMode", Integers, _opt(4)),
        ("digest", Integers, _opt(5)),
        ("padding", Integers, _opt(6)),
        ("callerNonce", core.Null, _opt(7)),
        ("minMacLength", core.Integer, _opt(8)),
        ("ecCurve", core.Integer, _opt(10)),
        ("rsaPublicExponent", core.Integer, _opt(200)),
        ("mgfDigest", Integers, _opt(203)),
        ("rollbackResistance", core.Null, _opt(303)),
        ("earlyBootOnly", core.Null, _opt(305)),
        ("activeDateTime", core.Integer, _opt(400)),
        ("originationExpireDateTime", core.Integer, _opt(401)),
        ("usageExpireDateTime", core.Integer, _opt(402)),
        ("usageCountLimit", core.Integer, _opt(405)),
        ("noAuthRequired", core.Null, _opt(503)),
        ("userAuthType", core.Integer, _opt(504)),
        ("authTimeout", core.Integer, _opt(505)),
        ("allowWhileOnBody", core.Null, _opt(506)),
        ("trustedUserPresenceRequired", core.Null, _opt(507)),
        ("trustedConfirmationRequired", core.Null, _opt(508)),
        ("unlockedDeviceRequired", core.Null, _opt(509)),
        ("allApplications", core.Null, _opt(600)),
        ("applicationId", core.OctetString, _opt(601)),
        ("creationDateTime", core.Integer, _opt(701)),
        ("origin", core.Integer, _opt(702)),
        ("rollbackResistant", core.Null, _opt(703)),  # attestation versions 1-2
        ("rootOfTrust", RootOfTrust, _opt(704)),
        ("osVersion", core.Integer, _opt(705)),
        ("osPatchLevel", core.Integer, _opt(706)),
        ("attestationApplicationId", core.OctetString, _opt(709)),
        ("attestationIdBrand", core.OctetString, _opt(710)),
        ("attestationIdDevice", core.OctetString, _opt(711)),
        ("attestationIdProduct", core.OctetString, _opt(712)),
        ("attestationIdSerial", core.OctetString, _opt(713)),
        ("attestationIdImei", core.OctetString, _opt(714)),
        ("attestationIdMeid", core.OctetString, _opt(715)),
        ("attestationIdManufacturer", core.OctetString, _opt(716)),
        ("attestationIdModel", core.OctetString, _opt(717)),
        ("vendorPatchLevel", core.Integer, _opt(718)),
        ("bootPatchLevel", core.Integer, _opt(719)),
        ("deviceUniqueAttestation", core.Null, _opt(720)),
        ("attestationIdSecondImei", core.OctetString, _opt(723)),
        ("moduleHash", core.OctetString, _opt(724)),  # attestation version 400
    ]


class KeyDescription(core.Sequence):  # type: ignore[misc]  # asn1crypto ships no type information: its classes are Any to mypy
    _fields = [
        ("attestationVersion", core.Integer),
        ("attestationSecurityLevel", SecurityLevel),
        ("keymasterVersion", core.Integer),  # keyMintVersion from version 100
        ("keymasterSecurityLevel", SecurityLevel),
        ("attestationChallenge", core.OctetString),
        ("uniqueId", core.OctetString),
        ("softwareEnforced", AuthorizationList),
        ("teeEnforced", AuthorizationList),  # hardwareEnforced from version 100
    ]


_UNIVERSAL, _CONTEXT = 0, 2
_AUTH_SPECS: dict[int, tuple[str, type]] = {opts["explicit"]: (name, spec) for name, spec, opts in AuthorizationList._fields}
_KD_TAGS = (2, 10, 2, 10, 4, 4, 16, 16)  # INTEGER ENUMERATED INTEGER ENUMERATED OCTET OCTET SEQ SEQ
_KD_SHAPE = [(_UNIVERSAL, t) for t in _KD_TAGS]


def _bad(msg: str) -> VerificationError:
    return VerificationError("android_key.extension_malformed", f"key description is malformed: {msg}")


def _elements(data: bytes) -> list[tuple[int, int, int, bytes, bytes]]:
    """Split DER contents into (class, method, tag, contents, whole encoding), strictly (X.690
    §8.1: high tag numbers minimally encoded and under 2**64, definite lengths only, nothing past
    the end). Compiled (``_core.der_elements``, fastattest/_asn1.pxi); its refusal is this format's."""
    try:
        return _core.der_elements(data)
    except ValueError as exc:
        raise _bad(str(exc)) from None


# Decoding depends on the bytes alone, so a field or list a device model repeats (the
# teeEnforced list, rootOfTrust, osVersion, ...) is decoded once: a new registration decodes its
# own challenge, creationDateTime and what else is new. Results are shared: read-only.
@lru_cache(maxsize=4096)
def _load(spec: type[Any], der: bytes) -> Any:
    """Decode ``der`` as exactly one ``spec`` value and force full parsing."""
    try:
        value = spec.load(der, strict=True)
        native = value.native  # asn1crypto parses lazily: touch everything
    except Exception as exc:  # asn1crypto raises ValueError, KeyError (unknown enum), ...: fail closed
        raise _bad(f"{type(exc).__name__}: {exc}") from None
    if isinstance(value, core.Sequence) and len(_elements(value.contents or b"")) > len(value._fields):
        raise _bad(f"{spec.__name__} has unexpected trailing fields")
    return native


def _value(spec: type, element: tuple[int, int, int, bytes, bytes]) -> Any:
    """``_load`` of one element, with a primitive INTEGER or OCTET STRING (a registration's own
    challenge and creationDateTime) read directly, as asn1crypto reads them."""
    class_, method, tag, contents, whole = element
    if class_ == _UNIVERSAL and method == 0:
        if spec is core.OctetString and tag == 4:
            return contents
        if spec is core.Integer and tag == 2:
            return int.from_bytes(contents, "big", signed=True)
        if spec is SecurityLevel and whole in _SECURITY_LEVELS:
            return _SECURITY_LEVELS[whole]
    return _load(spec, whole)


# ENUMERATED 0, 1, 2 (X.690 §8.4: one content octet): what asn1crypto decodes them to, read once
_SECURITY_LEVELS = {bytes((10, 1, v)): _load(SecurityLevel, bytes((10, 1, v))) for v in SecurityLevel._map}


def _authorization_list(der: bytes) -> dict[str, Any]:
    """AuthorizationList -> {field name: native value}; unknown tags are kept as ``tag<N>``."""
    elems = _elements(der)
    if len(elems) != 1 or elems[0][:3] != (_UNIVERSAL, 1, 16):
        raise _bad("AuthorizationList is not a single SEQUENCE")
    result: dict[str, Any] = {}
    last = -1
    for class_, method, tag, contents, _ in _elements(elems[0][3]):
        if class_ != _CONTEXT or method != 1:
            raise _bad("AuthorizationList holds an item that is not an explicitly tagged field")
        if tag <= last:
            raise _bad(f"AuthorizationList tag [{tag}] is repeated or out of order")
        last = tag
        inner = _elements(contents)
        if len(inner) != 1:
            raise _bad(f"AuthorizationList field [{tag}] does not hold exactly one value")
        known = _AUTH_SPECS.get(tag)
        if known is None:
            result[f"tag{tag}"] = inner[0][4]  # tolerated: a well-formed value of a newer tag
            continue
        name, spec = known
        result[name] = _value(spec, inner[0])
    return result


# a device model's teeEnforced list repeats from key to key: cached by the exact bytes
parse_authorization_list = lru_cache(maxsize=1024)(_authorization_list)


@lru_cache(maxsize=1024)
def parse_key_description(der: bytes) -> dict[str, Any]:
    """Parse the KeyDescription extension value; cached by the exact bytes."""
    elems = _elements(der)
    if len(elems) != 1 or elems[0][:3] != (_UNIVERSAL, 1, 16):
        raise _bad("KeyDescription is not a single SEQUENCE")
    fields = _elements(elems[0][3])
    if [(c, t) for c, _, t, _, _ in fields] != _KD_SHAPE:
        raise _bad("KeyDescription does not have the eight fields of the schema")
    # the six scalar fields, each with its schema type (KeyDescription._fields); the two lists
    # by the strict walker
    version = _value(core.Integer, fields[0])
    sec, km_version, km_sec = _value(SecurityLevel, fields[1]), _value(core.Integer, fields[2]), _value(SecurityLevel, fields[3])
    challenge, unique_id = _value(core.OctetString, fields[4]), _value(core.OctetString, fields[5])
    if not isinstance(version, int) or version < 1:  # after all six decoded, as every refusal comes in field order
        raise _bad(f"attestationVersion {version!r} is not a positive integer")
    return {
        "attestationVersion": version,
        "attestationSecurityLevel": sec,
        "keymasterVersion": km_version,
        "keymasterSecurityLevel": km_sec,
        "attestationChallenge": challenge,
        "uniqueId": unique_id,
        # Keystore puts each key's creationDateTime [701] in softwareEnforced: new with every key,
        # so a cache would only miss (and this runs only when the whole description is new)
        "softwareEnforced": _authorization_list(fields[6][4]),
        "teeEnforced": parse_authorization_list(fields[7][4]),
    }


def key_description(info: certificates.CertInfo) -> dict[str, Any]:
    value = certificates.extension_value(info, OID_KEY_DESCRIPTION)
    if value is None:
        raise VerificationError("android_key.extension_missing", "the attestation certificate lacks the Android key description extension")
    return parse_key_description(value)


def spki(public_key: algorithms.PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# RFC 5480 §2 SubjectPublicKeyInfo of an EC key on a named curve, uncompressed point (SEC 1
# §2.3.3), up to the point's coordinates: COSE crv -> (DER prefix, coordinate length)
_EC_SPKI = {
    algorithms.CRV_P256: (bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004"), 32),
    algorithms.CRV_P384: (bytes.fromhex("3076301006072a8648ce3d020106052b8104002203620004"), 48),
    algorithms.CRV_P521: (bytes.fromhex("30819b301006072a8648ce3d020106052b810400230381860004"), 66),
}


def same_key(cert: certificates.CertInfo, ctx: Context) -> bool:
    """Is the certificate's subject public key the credential public key (§8.4 step 3, §8.8
    step 5)? An EC2 credential key is compared with the certificate's SPKI bytes as received
    when those are the canonical encoding, without building a second key object; any other
    case compares both keys' canonical SPKI encodings."""
    key = ctx.cose_key
    x, y = key.x, key.y
    if key.kty == algorithms.KTY_EC2 and key.crv is not None and x is not None and y is not None:
        shape = _EC_SPKI.get(key.crv)
        if shape is not None and len(x) == len(y) == shape[1] and cert.spki == shape[0] + x + y:
            return True
    return hmac.compare_digest(spki(cert.public_key), spki(ctx.public_key))


def pinned_anchors() -> trust.TrustStore:
    return pinned_store(PINNED_ROOTS)


def verify(stmt: Statement, ctx: Context) -> StatementResult:
    # §8.4 syntax: {alg: COSEAlgorithmIdentifier, sig: bytes, x5c: [credCert, *caCert]}
    if not isinstance(stmt, dict) or not stmt.keys() <= _FIELDS:
        raise VerificationError("format.statement_malformed", "android-key statement has unexpected keys")
    if not _FIELDS <= stmt.keys():
        raise VerificationError("android_key.invalid_statement", "android-key statement lacks alg, sig or x5c")
    alg, sig = stmt["alg"], stmt["sig"]
    if type(alg) is not int or alg not in algorithms.ALGORITHMS:
        raise VerificationError("android_key.invalid_statement", f"android-key alg {alg!r} is not a supported COSE algorithm")
    if type(sig) is not bytes or not sig:
        raise VerificationError("android_key.invalid_statement", "android-key sig is not a non-empty byte string")
    x5c = certificates.parse_x5c(stmt["x5c"])
    leaf = certificates.load(x5c[0])

    # §8.4 step 2: sig is a valid signature over authenticatorData ‖ clientDataHash (K01)
    algorithms.verify(alg, leaf.public_key, sig, ctx.signed_data, "android_key.signature_invalid")
    # §8.4 step 3: the credCert public key equals the credential public key (K01)
    if not same_key(leaf, ctx):
        raise VerificationError("android_key.key_mismatch", "the attestation certificate key is not the credential public key")

    # §8.4 step 4: the attestation extension data (K02, K03)
    kd = key_description(leaf)
    if not hmac.compare_digest(kd["attestationChallenge"], ctx.client_data_hash):
        raise VerificationError("android_key.challenge_mismatch", "attestationChallenge is not the clientDataHash")
    tee, sw = kd["teeEnforced"], kd["softwareEnforced"]
    if "allApplications" in tee or "allApplications" in sw:
        raise VerificationError("android_key.all_applications", "the key is usable by all applications (allApplications is present)")
    # origin/purpose from teeEnforced only (Policy.android_key_tee_only) or the union of both lists
    tee_only = ctx.policy.android_key_tee_only
    origin_tee, origin_sw = tee.get("origin"), None if tee_only else sw.get("origin")
    if ((origin_tee is None and origin_sw is None) or (origin_tee is not None and origin_tee != KM_ORIGIN_GENERATED)
            or (origin_sw is not None and origin_sw != KM_ORIGIN_GENERATED)):
        raise VerificationError("android_key.origin_not_generated", "the key origin is not KM_ORIGIN_GENERATED")
    if KM_PURPOSE_SIGN not in (tee.get("purpose") or ()) and (tee_only or KM_PURPOSE_SIGN not in (sw.get("purpose") or ())):
        raise VerificationError("android_key.purpose_not_sign", "the key purpose does not include KM_PURPOSE_SIGN")

    details = {
        "attestation_version": kd["attestationVersion"],
        "attestation_security_level": kd["attestationSecurityLevel"],
        "keymaster_security_level": kd["keymasterSecurityLevel"],
    }
    # §8.4 step 5: basic attestation with x5c as the trust path; Android chains carry their root
    return StatementResult("basic", x5c, pinned_anchors(), True, details=details)
