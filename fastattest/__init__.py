"""fastattest: fast, strict WebAuthn / FIDO2 attestation and assertion verification.

The public names of the API contract, re-exported; see README.md.
"""
from __future__ import annotations

from ._core import parse_attestation_object
from .attestation import AttestationResult, verify_attestation
from .errors import CODES, FastAttestError, MetadataError, VerificationError
from .policy import Policy
from .relying_party import AuthenticationResult, Credential, RelyingParty

__version__ = "0.1.0"

__all__ = [
    "AttestationResult",
    "AuthenticationResult",
    "CODES",
    "Credential",
    "FastAttestError",
    "MetadataError",
    "Policy",
    "RelyingParty",
    "VerificationError",
    "parse_attestation_object",
    "verify_attestation",
]
