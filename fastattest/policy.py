"""Relying-party policy: the choices WebAuthn leaves to the RP, made explicit and immutable."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime, timezone
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Iterable
from uuid import UUID

from . import revocation, tpm_vendors as _tpm_vendors
from .algorithms import DEFAULT_CREDENTIAL_ALGORITHMS
from .metadata import MetadataEntry
from .types import CertificationLevel, CounterRegression, UserVerification

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

#: FIDO certification levels of the MDS3 AuthenticatorStatus values (MDS3 §3.1.4). Plain
#: FIDO_CERTIFIED predates the levels and certifies what is now Level 1, so it counts as 1; the
#: "plus" levels meet their level's requirements and more, so they count as that level.
CERTIFICATION_LEVELS: dict[str, int] = {
    "FIDO_CERTIFIED": 1,
    "FIDO_CERTIFIED_L1": 1,
    "FIDO_CERTIFIED_L1plus": 1,
    "FIDO_CERTIFIED_L2": 2,
    "FIDO_CERTIFIED_L2plus": 2,
    "FIDO_CERTIFIED_L3": 3,
    "FIDO_CERTIFIED_L3plus": 3,
}


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
    - ``allow_fido_conformance_tpm_vendor``: accept TPM AIK certificates whose TPMManufacturer is
      the FIDO Alliance conformance tools' test vendor ``id:FFFFF1D0``
      (``fastattest.tpm_vendors.CONFORMANCE_TEST_VENDOR``), which the TCG never assigned
      (WebAuthn L3 §8.3.1, catalogue T08). Off by default; turn it on to pass FIDO server
      conformance testing, never in production.
    - ``tpm_vendors``: further TPM manufacturer IDs to accept besides the TCG vendor registry
      (``fastattest.tpm_vendors.TPM_VENDORS``), as 8 hex digits with or without ``id:``, for a
      vendor registered after this release.

    An organisation's authenticator policy (docs/policy.md), checked at registration:

    - ``blocked_aaguids``: these authenticator models may not register, even with a valid,
      trusted attestation (``policy.aaguid_blocked``).
    - ``allow_synced``: False admits only device-bound credentials: a backup-eligible (BE)
      credential is refused (``policy.synced_not_allowed``).
    - ``min_certification_level``: 1, 2 or 3: the FIDO certification level in effect in the
      metadata status reports (``policy.certification_insufficient`` / ``policy.certification_unknown``).

    Without ``require_trusted`` the AAGUID lists and the certification level only judge the
    AAGUID the client claims: anyone can claim any AAGUID. Constructing such a Policy warns.
    """

    require_trusted: bool = False
    user_verification: UserVerification = "preferred"
    algorithms: frozenset[int] = DEFAULT_CREDENTIAL_ALGORITHMS
    rejected_statuses: frozenset[str] = DEFAULT_REJECTED_STATUSES
    allowed_aaguids: frozenset[UUID] | None = None
    require_user_presence: bool = True
    strict_cbor: bool = False
    counter_regression: CounterRegression = "reject"
    allow_cross_origin: bool = False
    top_origins: tuple[str, ...] = ()
    android_key_tee_only: bool = True
    compound_require_all: bool = True
    safetynet_max_age: int = 60
    safetynet_require_cts: bool = True
    allow_weak_certificates: bool = False
    crls: tuple[bytes | str, ...] = ()
    require_crls: bool = False
    allow_fido_conformance_tpm_vendor: bool = False
    tpm_vendors: frozenset[str] = frozenset()
    blocked_aaguids: frozenset[UUID] | None = None
    allow_synced: bool = True
    min_certification_level: CertificationLevel | None = None

    if TYPE_CHECKING:  # what the constructor accepts; __post_init__ normalises to the field types
        def __init__(
            self,
            require_trusted: bool = False,
            user_verification: UserVerification = "preferred",
            algorithms: Iterable[int] = DEFAULT_CREDENTIAL_ALGORITHMS,
            rejected_statuses: Iterable[str] = DEFAULT_REJECTED_STATUSES,
            allowed_aaguids: Iterable[UUID | str | bytes] | None = None,
            require_user_presence: bool = True,
            strict_cbor: bool = False,
            counter_regression: CounterRegression = "reject",
            allow_cross_origin: bool = False,
            top_origins: Iterable[str] = (),
            android_key_tee_only: bool = True,
            compound_require_all: bool = True,
            safetynet_max_age: int = 60,
            safetynet_require_cts: bool = True,
            allow_weak_certificates: bool = False,
            crls: bytes | str | Sequence[bytes | bytearray | str] | None = (),
            require_crls: bool = False,
            allow_fido_conformance_tpm_vendor: bool = False,
            tpm_vendors: Iterable[str] = frozenset(),
            blocked_aaguids: Iterable[UUID | str | bytes] | None = None,
            allow_synced: bool = True,
            min_certification_level: CertificationLevel | None = None,
        ) -> None: ...

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
        object.__setattr__(self, "algorithms", frozenset(int(a) for a in algs))
        statuses = _collection("rejected_statuses", self.rejected_statuses)
        if any(not isinstance(x, str) for x in statuses):
            raise TypeError("Policy.rejected_statuses must hold MDS3 AuthenticatorStatus names (str)")
        object.__setattr__(self, "rejected_statuses", frozenset(statuses))
        tops = (self.top_origins,) if isinstance(self.top_origins, str) else _collection("top_origins", self.top_origins)
        if any(not isinstance(x, str) for x in tops):
            raise TypeError("Policy.top_origins must hold origins (str)")
        object.__setattr__(self, "top_origins", tuple(tops))
        if isinstance(self.tpm_vendors, str):
            raise TypeError("Policy.tpm_vendors must be a collection of vendor IDs, not one string")
        vendors = set()
        for v in _collection("tpm_vendors", self.tpm_vendors):
            vid = _tpm_vendors.vendor_id(v if isinstance(v, str) and v[:3].lower() == "id:" else f"id:{v}")
            if vid is None:
                raise ValueError(f"Policy.tpm_vendors holds {v!r}, not a TPM vendor ID of 8 hex digits")
            vendors.add(vid)
        object.__setattr__(self, "tpm_vendors", frozenset(vendors))
        try:
            crls = revocation.normalize(self.crls)
            revocation.load(crls)  # parsed once here (and cached): a bad CRL fails at startup
        except revocation.CrlError as exc:
            raise ValueError(f"Policy.crls: {exc}") from None
        object.__setattr__(self, "crls", crls)
        if self.allowed_aaguids is not None:
            object.__setattr__(self, "allowed_aaguids", _aaguid_set("allowed_aaguids", self.allowed_aaguids))
        if self.blocked_aaguids is not None:
            object.__setattr__(self, "blocked_aaguids", _aaguid_set("blocked_aaguids", self.blocked_aaguids))
        if not isinstance(self.allow_synced, bool):
            raise TypeError("allow_synced must be a bool")
        level = self.min_certification_level
        if level is not None:
            if isinstance(level, bool) or not isinstance(level, int):
                raise TypeError("min_certification_level must be an int (1, 2 or 3) or None")
            if level not in (1, 2, 3):
                raise ValueError("min_certification_level must be 1, 2 or 3")
        if not self.require_trusted and (self.allowed_aaguids is not None or self.blocked_aaguids or level is not None):
            warnings.warn(
                "Policy: allowed_aaguids / blocked_aaguids / min_certification_level without require_trusted=True"
                " judge only the AAGUID the client claims, which anyone can forge; set require_trusted=True"
                " to enforce attestation", UserWarning, stacklevel=3)

    def __repr__(self) -> str:
        text = _dataclass_repr(self)
        if not self.require_trusted and (self.allowed_aaguids is not None or self.blocked_aaguids or self.min_certification_level is not None):
            text = text[:-1] + ", UNENFORCED: AAGUID rules trust the client's claim without require_trusted)"
        return text


_BOOLS = ("require_trusted", "require_user_presence", "strict_cbor", "allow_cross_origin", "android_key_tee_only",
          "compound_require_all", "safetynet_require_cts", "allow_weak_certificates", "require_crls",
          "allow_fido_conformance_tpm_vendor")


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, str):
        raise TypeError(f"Policy.{name} must be a str, one of {allowed}; not {type(value).__name__}")
    if value not in allowed:
        hint = f' (did you mean "{value.lower()}"?)' if value.lower() in allowed else ""
        raise ValueError(f"Policy.{name} must be one of {allowed}, not {value!r}{hint}")


def _collection(name: str, value: object) -> tuple[Any, ...]:
    """A set/list/tuple/frozenset (or any iterable but a str or bytes) as a tuple."""
    if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Iterable):
        raise TypeError(f"Policy.{name} must be a collection (set, list, tuple), not {type(value).__name__}")
    return tuple(value)


def _dataclass_repr(p: Policy) -> str:
    from dataclasses import fields

    return f"Policy({', '.join(f'{f.name}={getattr(p, f.name)!r}' for f in fields(p) if f.repr)})"


def _aaguid_set(name: str, values: Any) -> frozenset[UUID]:
    if isinstance(values, (str, bytes, UUID)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a collection of AAGUIDs (UUID, str or 16 bytes)")
    out = set()
    for v in values:
        if not isinstance(v, (UUID, str, bytes)):
            raise TypeError(f"{name}: {v!r} is not an AAGUID (UUID, str or 16 bytes)")
        try:
            out.add(_uuid(v))
        except ValueError:
            raise ValueError(f"{name}: {v!r} is not an AAGUID") from None
    return frozenset(out)


def certification_level(entry: MetadataEntry | None, now: datetime | date | None = None) -> int:
    """The FIDO certification level (0-3) in effect at ``now`` in a metadata entry's status
    reports (MDS3 §3.1.3): the highest level of the FIDO_CERTIFIED* reports whose
    effectiveDate has come, unless a later NOT_FIDO_CERTIFIED report withdrew it (0)."""
    if now is None:
        today = datetime.now(timezone.utc).date()
    elif isinstance(now, datetime):
        today = now.astimezone(timezone.utc).date() if now.tzinfo else now.date()
    else:
        today = now
    reports = [r for r in getattr(entry, "status_reports", ()) or ()
               if r.effective_date is None or r.effective_date <= today]
    reports.sort(key=lambda r: r.effective_date or date.min)
    level = 0
    for r in reports:
        if r.status in CERTIFICATION_LEVELS:
            level = max(level, CERTIFICATION_LEVELS[r.status])
        elif r.status == "NOT_FIDO_CERTIFIED":
            level = 0
    return level


def _uuid(value: UUID | str | bytes) -> UUID:
    if isinstance(value, UUID):
        return value
    if isinstance(value, bytes):
        return UUID(bytes=value)
    return UUID(str(value))


def aaguids(values: Iterable[UUID | str | bytes]) -> frozenset[UUID]:
    return frozenset(_uuid(v) for v in values)
