"""Relying-party policy: the choices WebAuthn leaves to the RP, made explicit and immutable."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable
from uuid import UUID

from . import revocation
from .algorithms import DEFAULT_CREDENTIAL_ALGORITHMS
from .errors import VerificationError

#: MDS3 AuthenticatorStatus values that refuse a registration by default (FIDO MDS3 §3.1.4;
#: conformance MDS F-2). RETIRED is informational by default.
DEFAULT_REJECTED_STATUSES: frozenset[str] = frozenset(
    {
        "REVOKED",
        "ATTESTATION_KEY_COMPROMISE",
        "USER_VERIFICATION_BYPASS",
        "USER_KEY_REMOTE_COMPROMISE",
        "USER_KEY_PHYSICAL_COMPROMISE",
    }
)

_UV = ("required", "preferred", "discouraged")


@dataclass(frozen=True)
class Policy:
    """What a relying party accepts. Immutable; share one instance between requests.

    - ``require_trusted``: registration fails unless the attestation chains to a trust anchor.
    - ``user_verification``: "required" makes UV mandatory (WebAuthn §7.1 step 17, §7.2 step 17).
    - ``algorithms``: COSE algorithms accepted for credential keys (§7.1 step 20).
    - ``rejected_statuses``: MDS3 statuses that refuse an authenticator identified by a verified
      attestation.
    - ``allowed_aaguids``: if set, only these authenticator models may register.
    - ``require_user_presence``: False only for conditional create (§7.1 step 15).
    - ``strict_cbor``: refuse attestation objects, attStmt, COSE keys and authenticator-data
      extensions that are not CTAP2 canonical CBOR (CTAP2 §8: keys in canonical order
      ``cbor.non_canonical_order``, shortest integer/length heads ``cbor.non_minimal_int``).
      Off by default: WebAuthn L3 §7.1 step 13 only asks to CBOR-decode, and real
      authenticators send other orders; duplicate keys, trailing bytes, indefinite lengths,
      tags and floats are refused either way (docs/stricter-than-peers-cbor.md).
    - ``counter_regression``: "reject" (default) or "flag" a non-increasing signature counter.
    - ``allow_cross_origin`` / ``top_origins``: accept crossOrigin ceremonies from these top origins.
    - ``android_key_tee_only``: android-key purpose/origin must be TEE-enforced (§8.4.1), not the union.
    - ``compound_require_all``: compound attestation is trusted only if every statement is.
    - ``safetynet_max_age`` / ``safetynet_require_cts``: android-safetynet freshness (seconds) and
      ctsProfileMatch.
    - ``allow_weak_certificates``: trust attestation chains with SHA-1 signatures or RSA keys
      under 2048 bits (catalogue X11; off by default).
    - ``crls``: DER or PEM CRLs (RFC 5280 §5) the RP has fetched for the attestation CAs it
      trusts; each certificate of a validated attestation path is looked up in its issuer's CRL
      (catalogue X09). A revoked certificate refuses the registration (``trust.revoked``); so
      does a CRL from the issuer that is expired or badly signed (``trust.revocation_unavailable``).
    - ``require_crls``: fail closed: a certificate whose issuer's CRL is not among ``crls``
      makes the attestation untrusted and refuses the registration (``trust.revocation_unavailable``).
    """

    require_trusted: bool = False
    user_verification: str = "preferred"
    algorithms: frozenset[int] = DEFAULT_CREDENTIAL_ALGORITHMS
    rejected_statuses: frozenset[str] = DEFAULT_REJECTED_STATUSES
    allowed_aaguids: frozenset[UUID] | None = None
    require_user_presence: bool = True
    strict_cbor: bool = False
    counter_regression: str = "reject"
    allow_cross_origin: bool = False
    top_origins: tuple[str, ...] = ()
    android_key_tee_only: bool = True
    compound_require_all: bool = True
    safetynet_max_age: int = 60
    safetynet_require_cts: bool = True
    allow_weak_certificates: bool = False
    crls: tuple[bytes | str, ...] = ()
    require_crls: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.user_verification not in _UV:
            raise VerificationError("policy.invalid", f"user_verification must be one of {_UV}")
        if self.counter_regression not in ("reject", "flag"):
            raise VerificationError("policy.invalid", 'counter_regression must be "reject" or "flag"')
        object.__setattr__(self, "algorithms", frozenset(int(a) for a in self.algorithms))
        object.__setattr__(self, "rejected_statuses", frozenset(self.rejected_statuses))
        object.__setattr__(self, "top_origins", tuple(self.top_origins))
        try:
            crls = revocation.normalize(self.crls)
            revocation.load(crls)  # parsed once here (and cached): a bad CRL fails at startup
        except (TypeError, revocation.CrlError) as exc:
            raise VerificationError("policy.invalid", str(exc)) from None
        object.__setattr__(self, "crls", crls)
        if self.allowed_aaguids is not None:
            object.__setattr__(self, "allowed_aaguids", frozenset(_uuid(a) for a in self.allowed_aaguids))


def _uuid(value: UUID | str | bytes) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, bytes):
        return UUID(bytes=value)
    return UUID(str(value))


def aaguids(values: Iterable[UUID | str | bytes]) -> frozenset[UUID]:
    return frozenset(_uuid(v) for v in values)
