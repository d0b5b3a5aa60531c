"""Relying-party policy: the choices WebAuthn leaves to the RP, made explicit and immutable."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable
from uuid import UUID

from . import revocation, tpm_vendors as _tpm_vendors
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
    allow_fido_conformance_tpm_vendor: bool = False
    tpm_vendors: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.user_verification not in _UV:
            raise VerificationError("policy.invalid", f"user_verification must be one of {_UV}")
        if self.counter_regression not in ("reject", "flag"):
            raise VerificationError("policy.invalid", 'counter_regression must be "reject" or "flag"')
        object.__setattr__(self, "algorithms", frozenset(int(a) for a in self.algorithms))
        object.__setattr__(self, "rejected_statuses", frozenset(self.rejected_statuses))
        object.__setattr__(self, "top_origins", tuple(self.top_origins))
        if isinstance(self.tpm_vendors, str):
            raise VerificationError("policy.invalid", "tpm_vendors must be a collection of vendor IDs, not one string")
        vendors = set()
        for v in self.tpm_vendors:
            vid = _tpm_vendors.vendor_id(v if isinstance(v, str) and v[:3].lower() == "id:" else f"id:{v}")
            if vid is None:
                raise VerificationError("policy.invalid", f"tpm_vendors holds {v!r}, not a TPM vendor ID of 8 hex digits")
            vendors.add(vid)
        object.__setattr__(self, "tpm_vendors", frozenset(vendors))
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
