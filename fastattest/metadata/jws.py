"""JSON Web Signature, compact serialization (RFC 7515) with the RFC 7518 / RFC 8037 algorithms:
the one JWS verifier of fastattest, used by the MDS3 BLOB (FIDO MDS3 §3.1.7, §3.2 steps 4-5;
:mod:`fastattest.metadata.blob`) and by the ``android-safetynet`` attestation format (WebAuthn L3
§8.5; :mod:`fastattest.formats.android_safetynet`).

What is checked here is the JWS itself: framing (RFC 7515 §7.1, exactly three base64url
segments without padding, §2), the protected header (a JSON object without duplicate members,
no ``crit`` extension we would have to understand, §4.1.11), the ``alg`` allow-list (never
``none`` or HMAC: catalogue B07), the ``x5c`` array (§4.1.6), and the signature with the
signer's key, whose type must match ``alg`` (RFC 7518 §3.1). Which chain the signer needs and
what the payload means is the caller's business.

Failures raise :class:`JWSError` with a ``kind``; each caller maps kinds to its own error codes
(``metadata.*`` for the BLOB, ``android_safetynet.*`` / ``certificate.*`` for SafetyNet).
"""
from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from .. import _core
from ..errors import FastAttestError
from ._common import b64

__all__ = ["ALGORITHMS", "Digest", "JWSError", "MIN_RSA_BITS", "check_alg", "decode_segment", "header", "split", "verify", "x5c"]

# alg -> (key kind, hash, EC curve / RSA padding, EC coordinate size)
ALGORITHMS: dict[str, tuple[str, Any, Any, int]] = {
    "RS256": ("rsa", hashes.SHA256, "pkcs1", 0),
    "RS384": ("rsa", hashes.SHA384, "pkcs1", 0),
    "RS512": ("rsa", hashes.SHA512, "pkcs1", 0),
    "PS256": ("rsa", hashes.SHA256, "pss", 0),
    "PS384": ("rsa", hashes.SHA384, "pss", 0),
    "PS512": ("rsa", hashes.SHA512, "pss", 0),
    "ES256": ("ec", hashes.SHA256, ec.SECP256R1, 32),
    "ES384": ("ec", hashes.SHA384, ec.SECP384R1, 48),
    "ES512": ("ec", hashes.SHA512, ec.SECP521R1, 66),
    "EdDSA": ("ed", None, None, 0),
}
MIN_RSA_BITS = 2048
MAX_HEADER = 200_000

# kinds of JWSError
MALFORMED = "malformed"  # framing, base64url, JSON
BAD_ALGORITHM = "bad_algorithm"  # alg not allowed, or not the signer's key type
CRIT = "crit"  # a crit header parameter (no extension is understood)
X5C = "x5c"  # x5c not an array of base64 DER certificates (or a repeated one)
X5C_TOO_LONG = "x5c_too_long"
SIGNATURE_INVALID = "signature_invalid"


class JWSError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def split(token: bytes) -> tuple[int, int]:
    """The positions of the two dots of a compact JWS (RFC 7515 §7.1: exactly three segments).

    ``find`` is memchr; ``count`` walks a 10 MB BLOB byte by byte, so it only words the error."""
    first = token.find(b".")
    second = token.find(b".", first + 1) if first >= 0 else -1
    if second < 0 or token.find(b".", second + 1) >= 0:
        raise JWSError(MALFORMED, f"a compact JWS has 3 segments, not {token.count(b'.') + 1}")
    return first, second


def decode_segment(segment: bytes, what: str) -> bytes:
    """RFC 7515 §2 base64url without padding, strictly (no '+', '/', '=' or other characters)."""
    try:
        return _core.b64url_decode(segment, what)  # compiled, GIL released: ~3x binascii on 10 MB
    except FastAttestError:
        raise JWSError(MALFORMED, f"JWS {what} is not base64url without padding") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:  # RFC 7515 §5.2 step 4: reject duplicate header parameter names
            raise JWSError(MALFORMED, f"JWS JSON has a duplicate member {k[:40]!r}")
        out[k] = v
    return out


def _reject_constant(name: str) -> None:
    raise ValueError(f"JSON constant {name} is not allowed")


def json_object(raw: bytes, what: str) -> dict[str, Any]:
    """A small JWS JSON object (header, SafetyNet payload): UTF-8, no duplicate members."""
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except JWSError:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise JWSError(MALFORMED, f"JWS {what} is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise JWSError(MALFORMED, f"JWS {what} is not a JSON object")
    return value


def header(segment: bytes) -> dict[str, Any]:
    """The JOSE header of a compact JWS (RFC 7515 §4): a JSON object without ``crit``."""
    if len(segment) > MAX_HEADER:
        raise JWSError(MALFORMED, "the JWS header is too large")
    value = json_object(decode_segment(segment, "header"), "header")
    if "crit" in value:  # RFC 7515 §4.1.11: no extension is understood here
        raise JWSError(CRIT, "the JWS header has crit extensions")
    return value


def check_alg(alg: object, allowed: frozenset[str] | None = None) -> str:
    """B07: ``none`` (RFC 7518 §3.6) and HMAC (keyed with public certificate bytes, the classic
    JWT confusion) are never acceptable for a signature made by a certificate's key."""
    if not isinstance(alg, str):
        raise JWSError(BAD_ALGORITHM, "JWS header alg is missing or not a string")
    if alg not in ALGORITHMS or (allowed is not None and alg not in allowed):
        raise JWSError(BAD_ALGORITHM, f"JWS algorithm {alg[:40]!r} is not allowed")
    return alg


def x5c(hdr: dict[str, Any], *, min_items: int = 1, max_items: int = 8) -> tuple[bytes, ...]:
    """RFC 7515 §4.1.6: x5c is an array of standard-base64 DER certificates, signer first."""
    items = hdr.get("x5c")
    if not isinstance(items, list) or len(items) < min_items:
        raise JWSError(X5C, f"JWS x5c must be an array of at least {min_items} certificate(s)")
    if len(items) > max_items:
        raise JWSError(X5C_TOO_LONG, f"JWS x5c has more than {max_items} certificates")
    ders: list[bytes] = []
    for item in items:
        der = b64(item)
        if der is None:
            raise JWSError(X5C, "JWS x5c holds an item that is not a base64 DER certificate")
        ders.append(der)
    if len(set(ders)) != len(ders):
        raise JWSError(X5C, "JWS x5c holds the same certificate twice")
    return tuple(ders)


def verify(alg: str, key: Any, signature: bytes, signing_input: bytes | memoryview, digest: bytes | None = None) -> None:
    """Verify with the header's alg; the alg must match the signer's key type (B07, SWA #786).

    ``digest``: the alg's hash of ``signing_input``, computed beforehand (see :class:`Digest`);
    RSA and ECDSA then verify it as prehashed. EdDSA always signs the message itself."""
    kind, hash_cls, extra, size = ALGORITHMS[alg]
    if digest is not None and kind != "ed":
        algorithm: Any = Prehashed(hash_cls())
        message: bytes | memoryview = digest
    else:
        algorithm = hash_cls() if hash_cls is not None else None
        message = signing_input
    try:
        if kind == "rsa":
            if not isinstance(key, rsa.RSAPublicKey):
                raise JWSError(BAD_ALGORITHM, f"JWS alg {alg} does not match the signer's key type")
            if key.key_size < MIN_RSA_BITS:
                raise JWSError(BAD_ALGORITHM, f"signer RSA key has {key.key_size} bits, fewer than {MIN_RSA_BITS}")
            if extra == "pss":  # RFC 7518 §3.5: MGF1 with the same hash, salt = hash length
                pad: padding.AsymmetricPadding = padding.PSS(padding.MGF1(hash_cls()), hash_cls.digest_size)
            else:  # RFC 7518 §3.3
                pad = padding.PKCS1v15()
            key.verify(signature, message, pad, algorithm)  # type: ignore[arg-type]  # any buffer; no copy
        elif kind == "ec":
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, extra):
                raise JWSError(BAD_ALGORITHM, f"JWS alg {alg} does not match the signer's key type or curve")
            if len(signature) != 2 * size:  # RFC 7518 §3.4: R || S, fixed width
                raise JWSError(SIGNATURE_INVALID, f"{alg} signature must be {2 * size} bytes")
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(algorithm))
        else:  # RFC 8037 §3.1
            if not isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
                raise JWSError(BAD_ALGORITHM, "JWS alg EdDSA does not match the signer's key type")
            key.verify(signature, bytes(message))
    except InvalidSignature:
        raise JWSError(SIGNATURE_INVALID, "the JWS signature does not verify") from None
    except (ValueError, TypeError) as exc:
        raise JWSError(SIGNATURE_INVALID, f"the JWS signature is malformed: {exc}") from None


class Digest:
    """The hash of a large JWS signing input, computed in a thread while the payload segment is
    decoded and the chain validated (hashlib releases the GIL; ~6 ms for the 10 MB BLOB).
    The digest is only ever used to verify the signature."""

    __slots__ = ("_data", "_name", "_thread", "_value")
    THREAD_MIN = 1_000_000  # below this a thread costs more than it saves

    def __init__(self, name: str, data: memoryview) -> None:
        self._data = data
        self._name = name
        self._value: bytes | None = None
        self._thread: threading.Thread | None = None
        if len(data) >= self.THREAD_MIN:
            thread = threading.Thread(target=self._run, name="fastattest-jws-digest", daemon=True)
            try:
                thread.start()
                self._thread = thread
            except RuntimeError:  # no threads available: hash inline in value()
                pass

    def _run(self) -> None:
        self._value = hashlib.new(self._name, self._data).digest()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def value(self) -> bytes:
        self.join()
        if self._value is None:
            self._run()
        assert self._value is not None
        return self._value
