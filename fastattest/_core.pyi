"""Type stubs for the compiled core (fastattest/_core.pyx).

Bytes in, plain values out: CBOR, authenticator data, COSE key fields, TPM structures,
DER ECDSA signature framing, base64, clientDataJSON and the response envelope. No policy, no
I/O, no cryptography objects. Every failure is a ``fastattest.errors.VerificationError`` with
a ``cbor.*``, ``auth_data.*``, ``cose.*``, ``tpm.*``, ``signature.*``, ``client_data.*`` or
``response.*`` code.
"""
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Final, TypeAlias, TypeVar

from typing_extensions import disjoint_base

# A decoded CBOR map: keys are int or str only (the decoder refuses any other key type).
_CborMap: TypeAlias = dict[int | str, Any]
_Bytes: TypeAlias = bytes | bytearray | memoryview

# The classes are filled in by the parse functions; their attributes are read-only.

MAX_INPUT: int          # largest byte string the decoder accepts at all (1 MiB)
EC_INT128: bool          # EC limb arithmetic uses the compiler's 128-bit integers (False: portable path)
MAX_DEPTH: int          # default nesting limit (16)
MAX_ITEMS: int          # largest map/array count (4096)

def cbor_decode(data: _Bytes, max_depth: int = ..., strict: bool = False) -> Any:
    """Decode exactly one CBOR item; trailing bytes are an error.

    Values: int, bytes, str, list, dict (keys int or str only), True/False/None.
    Refused: indefinite lengths, tags, floats, undefined and other simple values, duplicate
    keys (compared as decoded values: ``01`` and ``18 01`` are the same key), invalid UTF-8,
    lengths/counts larger than the remaining input (checked before any allocation).
    Accepted: map keys in any order, integers/lengths in a wider head than needed.
    ``strict=True`` also refuses those (CTAP2 canonical CBOR): ``cbor.non_minimal_int``,
    ``cbor.non_canonical_order``.
    Accepts bytes, bytearray or memoryview (else ``input.type``); more than MAX_INPUT bytes is
    ``input.too_large``. ``max_depth`` counts nested arrays/maps and is capped at 64.
    Dicts keep the keys in the order they were encoded.
    """

def cbor_decode_prefix(data: _Bytes, offset: int = 0, max_depth: int = ..., strict: bool = False) -> tuple[Any, int]:
    """Decode one item starting at ``offset``; return (value, end offset). No trailing check.

    ``offset`` outside 0..len(data) is ``input.type``; ``offset == len(data)`` is
    ``cbor.unexpected_eof``."""

@disjoint_base  # a cdef class: its C layout is its own
class AuthenticatorData:
    raw: Final[bytes]
    rp_id_hash: Final[bytes]            # 32 bytes
    flags: Final[int]
    user_present: Final[bool]           # UP, bit 0
    user_verified: Final[bool]          # UV, bit 2
    backup_eligible: Final[bool]        # BE, bit 3
    backed_up: Final[bool]              # BS, bit 4
    has_attested_data: Final[bool]      # AT, bit 6
    has_extensions: Final[bool]         # ED, bit 7
    sign_count: Final[int]
    aaguid: Final[bytes | None]         # 16 bytes when AT
    credential_id: Final[bytes | None]
    credential_public_key: Final[bytes | None]   # the COSE_Key bytes exactly as they appear
    extensions: Final[_CborMap | None]

def parse_authenticator_data(data: _Bytes, strict: bool = False) -> AuthenticatorData:
    """Structure only (WebAuthn L3 §6.1): no UP/UV/AT/rpIdHash policy. The COSE key must be a
    CBOR map (``cose.not_a_map``); call parse_cose_key on ``credential_public_key``.
    ``strict``: the COSE key and extensions must be CTAP2 canonical CBOR."""

@disjoint_base  # a cdef class: its C layout is its own
class CoseKey:
    raw: Final[bytes | None]            # encoded bytes when parsed from bytes
    kty: Final[int]                     # 1 OKP, 2 EC2, 3 RSA, 7 AKP (ML-DSA)
    alg: Final[int]
    crv: Final[int | None]
    x: Final[bytes | None]
    y: Final[bytes | None]
    n: Final[bytes | None]
    e: Final[bytes | None]
    pub: Final[bytes | None]            # AKP public key (ML-DSA)

def parse_cose_key(data: _Bytes | _CborMap, strict: bool = False) -> CoseKey:
    """Validate a COSE_Key: kty/alg/crv bound together, coordinate lengths, EC2 points on
    their curve (cose.invalid_key), RSA size caps. Labels in any order unless ``strict``;
    ``raw`` is the bytes exactly as given (never a re-encoding)."""

def ec_point_on_curve(crv: int, x: bytes, y: bytes) -> bool:
    """Is (x, y), big-endian and of equal length, a point of COSE curve ``crv`` (1: P-256,
    2: P-384, 3: P-521)? Coordinates >= p are refused."""

@disjoint_base  # a cdef class: its C layout is its own
class AttestationObject:
    fmt: Final[str]
    att_stmt: Final[_CborMap | list[Any]]         # a list only for fmt "compound" (§8.9)
    auth_data_raw: Final[bytes]
    auth_data: Final[AuthenticatorData]

def parse_attestation_object(data: _Bytes, strict: bool = False) -> AttestationObject:
    """Exactly {"fmt": tstr, "attStmt": map, "authData": bstr}, in any order; other keys are
    rejected (``attestation_object.unknown_field``). authData is parsed; AT is not required
    here. ``strict`` (``Policy.strict_cbor``): CTAP2 canonical CBOR throughout."""

def check_ecdsa_der(sig: _Bytes, max_int_len: int) -> None:
    """Strict DER Ecdsa-Sig-Value: SEQUENCE of two minimal positive INTEGERs, nothing else.

    r and s must be non-zero and at most ``max_int_len`` bytes (1..1024) once the one permitted
    leading zero is removed; the range check r, s < n is the caller's. Failure:
    ``signature.malformed``."""

# --- TPM 2.0 Part 2 structures (WebAuthn §8.3) -------------------------------------------

@disjoint_base  # a cdef class: its C layout is its own
class TpmPublic:
    raw: Final[bytes]
    type: Final[int]                    # TPM_ALG_RSA 0x0001 / TPM_ALG_ECC 0x0023
    name_alg: Final[int]
    object_attributes: Final[int]
    auth_policy: Final[bytes]
    symmetric: Final[int]               # TPMT_SYM_DEF_OBJECT.algorithm (TPM_ALG_NULL 0x0010 for signing keys)
    symmetric_key_bits: Final[int | None]   # when symmetric is AES/SM4/CAMELLIA
    symmetric_mode: Final[int | None]
    scheme: Final[int]                  # TPMT_RSA_SCHEME / TPMT_ECC_SCHEME .scheme
    scheme_hash: Final[int | None]      # details.hashAlg when scheme is not TPM_ALG_NULL / RSAES
    scheme_count: Final[int | None]     # ECDAA count
    key_bits: Final[int | None]         # RSA
    exponent: Final[int | None]         # RSA, raw (0 means 65537)
    curve_id: Final[int | None]         # ECC
    kdf: Final[int | None]              # ECC
    kdf_hash: Final[int | None]         # ECC, when kdf is not TPM_ALG_NULL
    unique: Final[bytes | None]         # RSA modulus
    x: Final[bytes | None]              # ECC
    y: Final[bytes | None]              # ECC

def parse_tpm_public(data: _Bytes) -> TpmPublic:
    """TPMT_PUBLIC of type RSA or ECC. Codes: tpm.truncated (incl. TPM2B size > remaining),
    tpm.size_exceeded, tpm.unsupported_public_type, tpm.unsupported_algorithm, tpm.trailing_bytes."""

@disjoint_base  # a cdef class: its C layout is its own
class TpmAttest:
    raw: Final[bytes]
    magic: Final[int]
    type: Final[int]
    qualified_signer: Final[bytes]
    extra_data: Final[bytes]
    clock: Final[int]
    reset_count: Final[int]
    restart_count: Final[int]
    safe: Final[int]
    firmware_version: Final[int]
    attested_name: Final[bytes]
    attested_qualified_name: Final[bytes]

def parse_tpm_attest(data: _Bytes) -> TpmAttest:
    """TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY (else tpm.certinfo_type); magic is returned,
    not checked. Codes: tpm.truncated, tpm.size_exceeded, tpm.invalid_value, tpm.trailing_bytes."""

def split_certificate(der: bytes) -> tuple[bytes, bytes, bytes, bytes, bytes | None, bytes, bytes, int, bytes, int,
                                           int, bytes, int, bytes, bytes, list[bytes]]:
    """RFC 5280 §4.1 framing: (tbs, signatureAlgorithm DER, its OID contents, signature, version
    contents or None, serial contents, issuer DER, its header length, subject DER, its header
    length, notBefore tag, contents, notAfter tag, contents, SPKI DER, [Extension DER, ...]),
    each Extension's shape checked. ValueError on a structure that is not a certificate's."""

def split_extension(der: bytes) -> tuple[bytes, bool, bytes]:
    """RFC 5280 §4.1 Extension (exactly one, as split_certificate gives it) -> (extnID contents,
    critical, extnValue contents); ValueError if malformed."""

def split_name(der: bytes, header: int) -> tuple[tuple[tuple[str, str], ...], ...]:
    """RFC 5280 §4.1.2.4 Name -> RDNs of (OID, text), as ``_der.parse_name``; ValueError if malformed."""

def der_elements(data: bytes) -> list[tuple[int, int, int, bytes, bytes]]:
    """X.690 §8.1 DER contents -> [(class, constructed bit, tag number, contents, whole encoding)]:
    high tag numbers minimally encoded and under 2**64, definite lengths only, nothing past the end; ValueError
    (its message says what is wrong) otherwise. android-key's KeyDescription reader."""

def b64decode(value: str | bytes | bytearray, field: str = ...) -> bytes:
    """base64url or standard base64, padding optional, surrounding whitespace ignored; bytes pass
    through; anything else raises ``response.invalid_base64``."""

def b64url_decode(data: bytes, field: str = ...) -> bytes:
    """RFC 7515 §2 base64url without padding, strictly (JWS segments); the GIL is released."""

def b64url_encode(data: _Bytes) -> str:
    """RFC 4648 §5 base64url without padding (WebAuthn L3 §5.8.1 challenge)."""

MAX_CLIENT_DATA: int

def parse_client_data(raw: bytes) -> dict[str, Any]:
    """clientDataJSON -> dict: strict RFC 8259 JSON object, UTF-8 (a leading BOM dropped), no
    duplicate key at any depth. Codes: client_data.malformed, client_data.too_large,
    client_data.duplicate_key."""

def verify_client_data(cd: dict[str, Any], type_: str, challenge: bytes | bytearray, origins: Collection[str],
                       allow_cross_origin: bool, top_origins: Collection[str]) -> None:
    """The member checks of ``client_data.verify`` (§7.1 steps 7-11, §7.2 steps 11-15)."""

def check_client_data(raw: bytes, type_: str, challenge: bytes | bytearray, origins: Collection[str],
                      allow_cross_origin: bool, top_origins: Collection[str]) -> bytes:
    """``parse_client_data(raw)``, ``verify_client_data`` on it, then SHA-256 of ``raw``."""

@disjoint_base  # a cdef class: its C layout is its own
class Envelope:
    """A decoded PublicKeyCredential JSON envelope (WebAuthn L3 §5.1); see ``parse_envelope``."""
    credential_id: Final[bytes]
    client_data_json: Final[bytes]
    attestation_object: Final[bytes | None]
    authenticator_data: Final[bytes | None]
    signature: Final[bytes | None]
    user_handle: Final[bytes | None]
    transports: Final[tuple[str, ...]]
    authenticator_attachment: Final[str | None]
    client_extension_results: Final[Mapping[str, Any]]

def parse_envelope(obj: Mapping[str, Any], registration: bool) -> Envelope:
    """The envelope of a registration (attestationObject) or an assertion (authenticatorData,
    signature, userHandle). Codes: response.type, response.malformed, response.missing_field,
    response.invalid_base64, response.credential_id_mismatch."""

_T = TypeVar("_T")

def registration_record(cls: type[_T], ad: AuthenticatorData, env: Envelope, res: Any, alg: int,
                        now: datetime, user_handle: bytes | None) -> _T:
    """``relying_party.Credential`` of a verified registration, its instance dict set in one step
    (the frozen dataclass ``__init__`` is not run: the values are already normalised)."""
