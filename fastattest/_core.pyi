"""Type stubs for the compiled core (fastattest/_core.pyx).

Bytes in, plain values out: CBOR, authenticator data, COSE key fields, TPM structures,
DER ECDSA signature framing, base64, clientDataJSON and the response envelope. No policy, no
I/O, no cryptography objects. Every failure is a ``fastattest.errors.VerificationError`` with
a ``cbor.*``, ``auth_data.*``, ``cose.*``, ``tpm.*``, ``signature.*``, ``client_data.*`` or
``response.*`` code.
"""
from collections.abc import Mapping
from typing import Any

MAX_INPUT: int          # largest byte string the decoder accepts at all (1 MiB)
MAX_DEPTH: int          # default nesting limit (16)
MAX_ITEMS: int          # largest map/array count (4096)

def cbor_decode(data: bytes, max_depth: int = ..., strict: bool = False) -> Any:
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

def cbor_decode_prefix(data: bytes, offset: int = 0, max_depth: int = ..., strict: bool = False) -> tuple[Any, int]:
    """Decode one item starting at ``offset``; return (value, end offset). No trailing check.

    ``offset`` outside 0..len(data) is ``input.type``; ``offset == len(data)`` is
    ``cbor.unexpected_eof``."""

class AuthenticatorData:
    raw: bytes
    rp_id_hash: bytes            # 32 bytes
    flags: int
    user_present: bool           # UP, bit 0
    user_verified: bool          # UV, bit 2
    backup_eligible: bool        # BE, bit 3
    backed_up: bool              # BS, bit 4
    has_attested_data: bool      # AT, bit 6
    has_extensions: bool         # ED, bit 7
    sign_count: int
    aaguid: bytes | None         # 16 bytes when AT
    credential_id: bytes | None
    credential_public_key: bytes | None   # the COSE_Key bytes exactly as they appear
    extensions: dict | None

def parse_authenticator_data(data: bytes, strict: bool = False) -> AuthenticatorData:
    """Structure only (WebAuthn L3 §6.1): no UP/UV/AT/rpIdHash policy. The COSE key must be a
    CBOR map (``cose.not_a_map``); call parse_cose_key on ``credential_public_key``.
    ``strict``: the COSE key and extensions must be CTAP2 canonical CBOR."""

class CoseKey:
    raw: bytes | None            # encoded bytes when parsed from bytes
    kty: int                     # 1 OKP, 2 EC2, 3 RSA, 7 AKP (ML-DSA)
    alg: int
    crv: int | None
    x: bytes | None
    y: bytes | None
    n: bytes | None
    e: bytes | None
    pub: bytes | None            # AKP public key (ML-DSA)

def parse_cose_key(data: bytes | dict, strict: bool = False) -> CoseKey:
    """Validate a COSE_Key: kty/alg/crv bound together, coordinate lengths, EC2 points on
    their curve (cose.invalid_key), RSA size caps. Labels in any order unless ``strict``;
    ``raw`` is the bytes exactly as given (never a re-encoding)."""

def ec_point_on_curve(crv: int, x: bytes, y: bytes) -> bool:
    """Is (x, y), big-endian and of equal length, a point of COSE curve ``crv`` (1: P-256,
    2: P-384, 3: P-521)? Coordinates >= p are refused."""

class AttestationObject:
    fmt: str
    att_stmt: dict | list         # a list only for fmt "compound" (§8.9)
    auth_data_raw: bytes
    auth_data: AuthenticatorData

def parse_attestation_object(data: bytes, strict: bool = False) -> AttestationObject:
    """Exactly {"fmt": tstr, "attStmt": map, "authData": bstr}, in any order; other keys are
    rejected (``attestation_object.unknown_field``). authData is parsed; AT is not required
    here. ``strict`` (``Policy.strict_cbor``): CTAP2 canonical CBOR throughout."""

def check_ecdsa_der(sig: bytes, max_int_len: int) -> None:
    """Strict DER Ecdsa-Sig-Value: SEQUENCE of two minimal positive INTEGERs, nothing else.

    r and s must be non-zero and at most ``max_int_len`` bytes (1..1024) once the one permitted
    leading zero is removed; the range check r, s < n is the caller's. Failure:
    ``signature.malformed``."""

# --- TPM 2.0 Part 2 structures (WebAuthn §8.3) -------------------------------------------

class TpmPublic:
    raw: bytes
    type: int                    # TPM_ALG_RSA 0x0001 / TPM_ALG_ECC 0x0023
    name_alg: int
    object_attributes: int
    auth_policy: bytes
    symmetric: int               # TPMT_SYM_DEF_OBJECT.algorithm (TPM_ALG_NULL 0x0010 for signing keys)
    symmetric_key_bits: int | None   # when symmetric is AES/SM4/CAMELLIA
    symmetric_mode: int | None
    scheme: int                  # TPMT_RSA_SCHEME / TPMT_ECC_SCHEME .scheme
    scheme_hash: int | None      # details.hashAlg when scheme is not TPM_ALG_NULL / RSAES
    scheme_count: int | None     # ECDAA count
    key_bits: int | None         # RSA
    exponent: int | None         # RSA, raw (0 means 65537)
    curve_id: int | None         # ECC
    kdf: int | None              # ECC
    kdf_hash: int | None         # ECC, when kdf is not TPM_ALG_NULL
    unique: bytes | None         # RSA modulus
    x: bytes | None              # ECC
    y: bytes | None              # ECC

def parse_tpm_public(data: bytes) -> TpmPublic:
    """TPMT_PUBLIC of type RSA or ECC. Codes: tpm.truncated (incl. TPM2B size > remaining),
    tpm.size_exceeded, tpm.unsupported_public_type, tpm.unsupported_algorithm, tpm.trailing_bytes."""

class TpmAttest:
    raw: bytes
    magic: int
    type: int
    qualified_signer: bytes
    extra_data: bytes
    clock: int
    reset_count: int
    restart_count: int
    safe: int
    firmware_version: int
    attested_name: bytes
    attested_qualified_name: bytes

def parse_tpm_attest(data: bytes) -> TpmAttest:
    """TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY (else tpm.certinfo_type); magic is returned,
    not checked. Codes: tpm.truncated, tpm.size_exceeded, tpm.invalid_value, tpm.trailing_bytes."""

def split_certificate(der: bytes) -> tuple[bytes, bytes, bytes, bytes, bytes | None, bytes, bytes, int, bytes, int,
                                           int, bytes, int, bytes, bytes, list[bytes]]:
    """RFC 5280 §4.1 framing: (tbs, signatureAlgorithm DER, its OID contents, signature, version
    contents or None, serial contents, issuer DER, its header length, subject DER, its header
    length, notBefore tag, contents, notAfter tag, contents, SPKI DER, [Extension DER, ...]).
    ValueError on a structure that is not a certificate's."""

def split_name(der: bytes, header: int) -> tuple[tuple[tuple[str, str], ...], ...]:
    """RFC 5280 §4.1.2.4 Name -> RDNs of (OID, text), as ``_der.parse_name``; ValueError if malformed."""

def b64decode(value: str | bytes | bytearray, field: str = ...) -> bytes:
    """base64url or standard base64, padding optional, surrounding whitespace ignored; bytes pass
    through; anything else raises ``response.invalid_base64``."""

def b64url_decode(data: bytes, field: str = ...) -> bytes:
    """RFC 7515 §2 base64url without padding, strictly (JWS segments); the GIL is released."""

def b64url_encode(data: bytes | bytearray | memoryview) -> str:
    """RFC 4648 §5 base64url without padding (WebAuthn L3 §5.8.1 challenge)."""

MAX_CLIENT_DATA: int

def parse_client_data(raw: bytes) -> dict[str, Any]:
    """clientDataJSON -> dict: strict RFC 8259 JSON object, UTF-8 (a leading BOM dropped), no
    duplicate key at any depth. Codes: client_data.malformed, client_data.too_large,
    client_data.duplicate_key."""

class Envelope:
    """A decoded PublicKeyCredential JSON envelope (WebAuthn L3 §5.1); see ``parse_envelope``."""
    credential_id: bytes
    client_data_json: bytes
    attestation_object: bytes | None
    authenticator_data: bytes | None
    signature: bytes | None
    user_handle: bytes | None
    transports: tuple[str, ...]
    authenticator_attachment: str | None
    client_extension_results: Mapping[str, Any]

def parse_envelope(obj: Mapping[str, Any], registration: bool) -> Envelope:
    """The envelope of a registration (attestationObject) or an assertion (authenticatorData,
    signature, userHandle). Codes: response.type, response.malformed, response.missing_field,
    response.invalid_base64, response.credential_id_mismatch."""
