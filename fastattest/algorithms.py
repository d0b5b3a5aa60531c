"""COSE algorithms: the one place that knows every algorithm fastattest supports.

alg -> key type, curve, hash and padding (RFC 9053, RFC 8812, RFC 9864, draft ML-DSA for
COSE; WebAuthn L3 §5.8.5), COSE_Key -> ``cryptography`` public key, and signature
verification with strict encodings. Public key objects are cached by the exact COSE bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar, Union, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, mldsa, padding, rsa

from . import _core
from .errors import VerificationError

PublicKey = Union[
    ec.EllipticCurvePublicKey,
    rsa.RSAPublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    mldsa.MLDSA44PublicKey,
    mldsa.MLDSA65PublicKey,
    mldsa.MLDSA87PublicKey,
]

#: keys that sign the message itself, with no separate hash or padding (EdDSA, ML-DSA)
_MessageKey = Union[
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    mldsa.MLDSA44PublicKey,
    mldsa.MLDSA65PublicKey,
    mldsa.MLDSA87PublicKey,
]

# COSE key types (RFC 9052 §7) and EC curves (RFC 9053 §7.1)
KTY_OKP, KTY_EC2, KTY_RSA, KTY_AKP = 1, 2, 3, 7
CRV_P256, CRV_P384, CRV_P521, CRV_ED25519, CRV_ED448 = 1, 2, 3, 6, 7


@dataclass(frozen=True)
class Algorithm:
    alg: int
    name: str
    kind: str  # "ecdsa" | "rsa-pkcs1" | "rsa-pss" | "eddsa" | "mldsa"
    hash: hashes.HashAlgorithm | None
    curve: int | None = None  # COSE crv bound to the alg, where one is
    coord_len: int = 0  # EC coordinate / DER INTEGER size bound


_P256, _P384, _P521 = ec.SECP256R1(), ec.SECP384R1(), ec.SECP521R1()
_EC_CURVES = {CRV_P256: _P256, CRV_P384: _P384, CRV_P521: _P521}

ALGORITHMS: dict[int, Algorithm] = {
    a.alg: a
    for a in (
        Algorithm(-7, "ES256", "ecdsa", hashes.SHA256(), CRV_P256, 32),
        Algorithm(-35, "ES384", "ecdsa", hashes.SHA384(), CRV_P384, 48),
        Algorithm(-36, "ES512", "ecdsa", hashes.SHA512(), CRV_P521, 66),
        Algorithm(-9, "ESP256", "ecdsa", hashes.SHA256(), CRV_P256, 32),
        Algorithm(-51, "ESP384", "ecdsa", hashes.SHA384(), CRV_P384, 48),
        Algorithm(-52, "ESP512", "ecdsa", hashes.SHA512(), CRV_P521, 66),
        Algorithm(-8, "EdDSA", "eddsa", None),
        Algorithm(-19, "Ed25519", "eddsa", None, CRV_ED25519),
        Algorithm(-53, "Ed448", "eddsa", None, CRV_ED448),
        Algorithm(-257, "RS256", "rsa-pkcs1", hashes.SHA256()),
        Algorithm(-258, "RS384", "rsa-pkcs1", hashes.SHA384()),
        Algorithm(-259, "RS512", "rsa-pkcs1", hashes.SHA512()),
        Algorithm(-65535, "RS1", "rsa-pkcs1", hashes.SHA1()),
        Algorithm(-37, "PS256", "rsa-pss", hashes.SHA256()),
        Algorithm(-38, "PS384", "rsa-pss", hashes.SHA384()),
        Algorithm(-39, "PS512", "rsa-pss", hashes.SHA512()),
        Algorithm(-48, "ML-DSA-44", "mldsa", None),
        Algorithm(-49, "ML-DSA-65", "mldsa", None),
        Algorithm(-50, "ML-DSA-87", "mldsa", None),
    )
}

#: Algorithms a relying party accepts for credential keys unless its Policy says otherwise.
#: RS1 is only meaningful for TPM attestation statements, never for credential keys.
DEFAULT_CREDENTIAL_ALGORITHMS: frozenset[int] = frozenset(a for a in ALGORITHMS if a != -65535)

_MLDSA: dict[int, type[mldsa.MLDSA44PublicKey] | type[mldsa.MLDSA65PublicKey] | type[mldsa.MLDSA87PublicKey]] = {
    -48: mldsa.MLDSA44PublicKey, -49: mldsa.MLDSA65PublicKey, -50: mldsa.MLDSA87PublicKey}

# Ed25519 points of small order (and their non-canonical encodings): a signature "verifies"
# for many messages under them (D22). List from libsodium's ed25519 blocklist.
_ED25519_SMALL_ORDER = frozenset(
    bytes.fromhex(h)
    for h in (
        "0100000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "0100000000000000000000000000000000000000000000000000000000000080",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    )
)


def _hash_of(a: Algorithm) -> hashes.HashAlgorithm:
    if a.hash is None:
        raise ValueError(f"{a.name} has no hash")  # every ecdsa / rsa-* entry of ALGORITHMS has one
    return a.hash


# Signature-scheme objects are immutable: build them once, not per verification (~1 us each).
_ECDSA = {a.alg: ec.ECDSA(_hash_of(a)) for a in ALGORITHMS.values() if a.kind == "ecdsa"}
_PKCS1V15 = padding.PKCS1v15()
_T = TypeVar("_T")


def _present(value: _T | None) -> _T:
    """A COSE key member the core guarantees for the key type; absent means a malformed key."""
    if value is None:
        raise VerificationError("cose.invalid_key", "invalid public key: a required member is missing")
    return value


def algorithm(alg: int) -> Algorithm:
    try:
        return ALGORITHMS[alg]
    except (KeyError, TypeError):
        raise VerificationError("cose.unsupported_algorithm", f"COSE algorithm {alg!r} is not supported") from None


def public_key_from_cose(key: _core.CoseKey) -> PublicKey:
    """Build a validated ``cryptography`` key from a parsed COSE key (on-curve, small order)."""
    try:
        if key.kty == KTY_EC2:
            # from_encoded_point checks the point is on the curve and x, y < p (D20).
            return ec.EllipticCurvePublicKey.from_encoded_point(_EC_CURVES[_present(key.crv)],
                                                               b"\x04" + _present(key.x) + _present(key.y))
        if key.kty == KTY_OKP:
            if key.crv == CRV_ED25519:
                if key.x in _ED25519_SMALL_ORDER:
                    raise VerificationError("cose.invalid_key", "Ed25519 public key is a small-order point")
                return ed25519.Ed25519PublicKey.from_public_bytes(_present(key.x))
            return ed448.Ed448PublicKey.from_public_bytes(_present(key.x))
        if key.kty == KTY_RSA:
            return rsa.RSAPublicNumbers(int.from_bytes(_present(key.e), "big"), int.from_bytes(_present(key.n), "big")).public_key()
        if key.kty == KTY_AKP:
            return _MLDSA[key.alg].from_public_bytes(_present(key.pub))
    except VerificationError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise VerificationError("cose.invalid_key", f"invalid public key: {exc}") from None
    raise VerificationError("cose.unsupported_key_type", f"COSE key type {key.kty} is not supported")


# P-256/384/521 have cofactor 1, so every affine point on the curve has the prime group order:
# "coordinates in [0, p) and on the curve" (checked by the core, _ec.pxi) is full public-key
# validation (SP 800-56A r3 §5.6.2.3.3).
@lru_cache(maxsize=4096)
def parse_cose_key(raw: bytes) -> _core.CoseKey:
    """Parse and validate COSE_Key bytes without keeping a ``cryptography`` key. An EC2 point
    is checked on its curve by the compiled core (``_ec.pxi``, ~0.1 us; building the key object
    runs OpenSSL's check_key, a scalar multiplication, ~20 us). OKP and AKP keys are validated
    by building them. For attestation formats that never use the credential key (packed full,
    fido-u2f, tpm, none), this is all registration needs (D20). An RSA key is checked as its
    build would check it (``check_rsa_public_numbers``). Cached by the exact bytes."""
    key = _core.parse_cose_key(raw)
    kty = key.kty
    if kty == KTY_RSA:
        # what building it would check, read off the bytes (~0.1 us; the build converts n and e
        # to integers and asks OpenSSL for a key, ~2.5 us), so sign-in's build cannot refuse it
        check_rsa_public_numbers(_present(key.n), _present(key.e))
    elif kty != KTY_EC2:
        public_key_from_cose(key)  # validated by building it; ``load_cose_key`` keeps one when it is used
    return key


def check_rsa_public_numbers(n: bytes, e: bytes) -> None:
    """Refuse (``cose.invalid_key``) exactly the unsigned big-endian (n, e) for which
    ``rsa.RSAPublicNumbers(e, n).public_key()`` raises, with its message: n >= 3, 3 <= e < n, e
    odd (cryptography's ``check_public_key_components``; OpenSSL adds no check when it takes the
    numbers). tests/test_cose_rsa_rules.py holds the two equal over random and edge-case (n, e).
    The core (``_parse_cose``) already demands more of a COSE key: n of 2048 bits or more, e odd
    below 2**256; this keeps registration and sign-in agreeing whatever the core demands."""
    n = n.lstrip(b"\0")
    e = e.lstrip(b"\0")
    ln, le = len(n), len(e)
    # equal lengths without leading zeros: byte order is numeric order
    if ln == 0 or (ln == 1 and n[0] < 3):
        reason = "n must be >= 3."
    elif le == 0 or (le == 1 and e[0] < 3) or le > ln or (le == ln and e >= n):
        reason = "e must be >= 3 and < n."
    elif not e[-1] & 1:
        reason = "e must be odd."
    else:
        return
    raise VerificationError("cose.invalid_key", f"invalid public key: {reason}")


@lru_cache(maxsize=4096)
def load_cose_key(raw: bytes) -> tuple[_core.CoseKey, PublicKey]:
    """Parse and validate COSE_Key bytes once; the result is cached by the exact bytes."""
    key = _core.parse_cose_key(raw)
    return key, public_key_from_cose(key)


def _class_matches(alg: Algorithm, public_key: PublicKey) -> bool:
    if alg.kind == "ecdsa":
        return isinstance(public_key, ec.EllipticCurvePublicKey)
    if alg.kind in ("rsa-pkcs1", "rsa-pss"):
        return isinstance(public_key, rsa.RSAPublicKey)
    if alg.kind == "eddsa":
        if alg.curve == CRV_ED448:
            return isinstance(public_key, ed448.Ed448PublicKey)
        if alg.curve == CRV_ED25519:
            return isinstance(public_key, ed25519.Ed25519PublicKey)
        return isinstance(public_key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey))
    if alg.kind == "mldsa":
        return isinstance(public_key, _MLDSA[alg.alg])
    return False


#: (COSE alg, key class) -> does the class fit? isinstance against cryptography's ABCs costs
#: ~0.3 us a call and depends only on the class, of which there are a handful
_CLASS_MATCH: dict[tuple[int, type], bool] = {}


def key_matches_algorithm(alg: Algorithm, public_key: PublicKey) -> bool:
    """Does ``public_key`` have the type (and curve) that ``alg`` requires? (P10)"""
    k = (alg.alg, type(public_key))
    ok = _CLASS_MATCH.get(k)
    if ok is None:
        ok = _class_matches(alg, public_key)
        if len(_CLASS_MATCH) < 256:
            _CLASS_MATCH[k] = ok
    if ok and alg.kind == "ecdsa":  # ok: the class check above passed
        return alg.curve is not None and cast(ec.EllipticCurvePublicKey, public_key).curve.name == _EC_CURVES[alg.curve].name
    return ok


def verify(alg: int | Algorithm, public_key: PublicKey, signature: bytes, data: bytes, code: str) -> None:
    """Verify ``signature`` over ``data``; raise ``VerificationError(code)`` if it does not verify.

    ECDSA signatures must be strict DER (WebAuthn L3 §6.5.5); RSA signatures must be exactly
    the modulus length; the key must have the type the algorithm requires.
    """
    a = alg if isinstance(alg, Algorithm) else algorithm(alg)
    if not key_matches_algorithm(a, public_key):
        raise VerificationError("signature.algorithm_key_mismatch", f"{a.name} does not match the {type(public_key).__name__}")
    if not isinstance(signature, bytes) or not signature:
        raise VerificationError("signature.malformed", "signature is not a non-empty byte string")
    # key_matches_algorithm checked the key's class against the kind: the casts below restate it
    try:
        if a.kind == "ecdsa":
            ec_key = cast(ec.EllipticCurvePublicKey, public_key)
            _core.check_ecdsa_der(signature, (ec_key.curve.key_size + 7) // 8)
            ec_key.verify(signature, data, _ECDSA[a.alg])
        elif a.kind == "rsa-pkcs1":
            rsa_key = cast(rsa.RSAPublicKey, public_key)
            if len(signature) != (rsa_key.key_size + 7) // 8:
                raise VerificationError("signature.malformed", "RSA signature length differs from the modulus length")
            rsa_key.verify(signature, data, _PKCS1V15, _hash_of(a))
        elif a.kind == "rsa-pss":
            rsa_key = cast(rsa.RSAPublicKey, public_key)
            if len(signature) != (rsa_key.key_size + 7) // 8:
                raise VerificationError("signature.malformed", "RSA signature length differs from the modulus length")
            h = _hash_of(a)
            pss = padding.PSS(mgf=padding.MGF1(h), salt_length=padding.PSS.DIGEST_LENGTH)  # RFC 8230 §2
            rsa_key.verify(signature, data, pss, h)
        else:  # eddsa, mldsa: the message is signed as is
            cast(_MessageKey, public_key).verify(signature, data)
    except InvalidSignature:
        raise VerificationError(code, f"{a.name} signature does not verify") from None
    except (ValueError, TypeError) as exc:
        raise VerificationError(code, f"{a.name} signature could not be checked: {exc}") from None
