"""Type aliases of the public API: the enumerated options as ``Literal`` types and the metadata
sources a relying party, ``verify_attestation`` and ``reverify`` accept.

The runtime still checks every value (a type checker only helps the caller):
``Policy(user_verification="REQUIRED")`` fails at the call whatever the annotations say.
Each alias lists exactly the values of the WebAuthn L3 enumeration it names.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeAlias, Union

from .metadata import MetadataService, MetadataStore

__all__ = [
    "AttestationConveyance",
    "AuthenticatorAttachment",
    "CertificationLevel",
    "CounterRegression",
    "Hint",
    "MetadataSource",
    "ResidentKey",
    "ResponseJSON",
    "ReverifyAt",
    "ReverifyMode",
    "UserVerification",
]

#: §5.8.6 UserVerificationRequirement
UserVerification: TypeAlias = Literal["required", "preferred", "discouraged"]
#: §5.4.7 AttestationConveyancePreference
AttestationConveyance: TypeAlias = Literal["none", "indirect", "direct", "enterprise"]
#: §5.4.6 ResidentKeyRequirement
ResidentKey: TypeAlias = Literal["discouraged", "preferred", "required"]
#: §5.4.5 AuthenticatorAttachment
AuthenticatorAttachment: TypeAlias = Literal["platform", "cross-platform"]
#: §5.8.7 PublicKeyCredentialHint
Hint: TypeAlias = Literal["security-key", "client-device", "hybrid"]
#: Policy.counter_regression: refuse (§7.2 step 21 "reject") or report a non-increasing counter
CounterRegression: TypeAlias = Literal["reject", "flag"]
#: reverify(mode=...): verify every statement again, or recompute only the trust verdict
ReverifyMode: TypeAlias = Literal["full", "trust"]
#: reverify(at=...): check certificate chains as of the registration time, or as of today
ReverifyAt: TypeAlias = Literal["registration", "now"]
#: Policy.min_certification_level: a FIDO certification level (MDS3 §3.1.4)
CertificationLevel: TypeAlias = Literal[1, 2, 3]
#: a PublicKeyCredential's toJSON() (§5.1.8/§5.1.9) as the browser sent it: decoded, or JSON text
ResponseJSON: TypeAlias = Union[Mapping[str, Any], str, bytes, bytearray]
#: what ``metadata=`` takes: a fixed store, or a service that keeps one current
MetadataSource: TypeAlias = Union[MetadataStore, MetadataService]
