"""Relying-party policy: the choices WebAuthn leaves to the RP, made explicit and immutable."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable
from uuid import UUID

from . import revocation
from .algorithms import DEFAULT_CREDENTIAL_ALGORITHMS

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
        # A configuration mistake is a TypeError / ValueError here, at construction: never a
        # VerificationError, which a log would count as a failed ceremony.
        _choice("user_verification", self.user_verification, _UV)
        _choice("counter_regression", self.counter_regression, ("reject", "flag"))
        for name in _BOOLS:
            if type(getattr(self, name)) is not bool:
                raise TypeError(f"Policy.{name} must be a bool, not {type(getattr(self, name)).__name__}")
        if type(self.safetynet_max_age) is not int:
            raise TypeError(f"Policy.safetynet_max_age must be an int (seconds), not {type(self.safetynet_max_age).__name__}")
        if self.safetynet_max_age < 0:
            raise ValueError("Policy.safetynet_max_age must not be negative")
        algs = _collection("algorithms", self.algorithms)
        if any(not isinstance(a, int) or isinstance(a, bool) for a in algs):
            raise TypeError("Policy.algorithms must hold COSE algorithm identifiers (int)")
        object.__setattr__(self, "algorithms", frozenset(int(a) for a in algs))  # type: ignore[call-overload]
        statuses = _collection("rejected_statuses", self.rejected_statuses)
        if any(not isinstance(x, str) for x in statuses):
            raise TypeError("Policy.rejected_statuses must hold MDS3 AuthenticatorStatus names (str)")
        object.__setattr__(self, "rejected_statuses", frozenset(statuses))
        tops = (self.top_origins,) if isinstance(self.top_origins, str) else _collection("top_origins", self.top_origins)
        if any(not isinstance(x, str) for x in tops):
            raise TypeError("Policy.top_origins must hold origins (str)")
        object.__setattr__(self, "top_origins", tuple(tops))
        try:
            crls = revocation.normalize(self.crls)
            revocation.load(crls)  # parsed once here (and cached): a bad CRL fails at startup
        except revocation.CrlError as exc:
            raise ValueError(f"Policy.crls: {exc}") from None
        object.__setattr__(self, "crls", crls)
        if self.allowed_aaguids is not None:
            ids = _collection("allowed_aaguids", self.allowed_aaguids)
            object.__setattr__(self, "allowed_aaguids", frozenset(_uuid(a) for a in ids))
        if not isinstance(self.extra, dict):
            raise TypeError(f"Policy.extra must be a dict, not {type(self.extra).__name__}")


_BOOLS = ("require_trusted", "require_user_presence", "allow_cross_origin", "android_key_tee_only",
          "compound_require_all", "safetynet_require_cts", "allow_weak_certificates", "require_crls")


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, str):
        raise TypeError(f"Policy.{name} must be a str, one of {allowed}; not {type(value).__name__}")
    if value not in allowed:
        hint = f' (did you mean "{value.lower()}"?)' if value.lower() in allowed else ""
        raise ValueError(f"Policy.{name} must be one of {allowed}, not {value!r}{hint}")


def _collection(name: str, value: object) -> tuple[object, ...]:
    """A set/list/tuple/frozenset (or any iterable but a str or bytes) as a tuple."""
    if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Iterable):
        raise TypeError(f"Policy.{name} must be a collection (set, list, tuple), not {type(value).__name__}")
    return tuple(value)


def _uuid(value: UUID | str | bytes) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, bytes):
        return UUID(bytes=value)  # ValueError unless 16 bytes
    if not isinstance(value, str):
        raise TypeError(f"an AAGUID is a UUID, str or 16 bytes, not {type(value).__name__}")
    return UUID(value)  # ValueError for text that is not a UUID


def aaguids(values: Iterable[UUID | str | bytes]) -> frozenset[UUID]:
    return frozenset(_uuid(v) for v in values)
