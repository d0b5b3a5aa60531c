"""fastattest: fast, strict WebAuthn / FIDO2 attestation and assertion verification.

The public names of the API contract, re-exported; see README.md.
"""
from __future__ import annotations

from ._core import parse_attestation_object
from ._version import __version__
from .attestation import AttestationResult, verify_attestation
from .batch import ReverifyResult, reverify
from .challenges import ChallengeStore
from .errors import CODES, FastAttestError, MetadataError, VerificationError
from .metadata import MetadataEntry, MetadataService, MetadataStore, StatusReport
from .names import authenticator_name
from .policy import Policy
from .relying_party import AuthenticationResult, Credential, RelyingParty

__all__ = [
    "AttestationResult",
    "AuthenticationResult",
    "CODES",
    "ChallengeStore",
    "Credential",
    "FastAttestError",
    "MetadataEntry",
    "MetadataError",
    "MetadataService",
    "MetadataStore",
    "Policy",
    "RelyingParty",
    "ReverifyResult",
    "StatusReport",
    "VerificationError",
    "authenticator_name",
    "parse_attestation_object",
    "reverify",
    "verify_attestation",
]
