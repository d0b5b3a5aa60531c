"""Attestation statement formats (WebAuthn L3 §8), one module each.

Each module exposes ``verify(stmt: dict, ctx: Context) -> StatementResult``: it checks the
statement and its signature and says which attestation type it proved and with which
certificates. Whether that path reaches a trust anchor is decided afterwards, in one place
(``fastattest.attestation``), for every format alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Union

from .. import _core, algorithms, trust
from ..errors import VerificationError
from ..policy import Policy

#: an attestation statement (attStmt) as the core decodes it: a CBOR map, keys int or str
Statement = dict[Union[int, str], Any]


@dataclass(slots=True)
class Context:
    """What every format's verification procedure receives (WebAuthn §8: attStmt, authenticatorData, clientDataHash)."""

    auth_data: _core.AuthenticatorData
    client_data_hash: bytes
    cose_key: _core.CoseKey
    _public_key: algorithms.PublicKey | None  # the credential key as a cryptography object: built on first use
    now: datetime
    policy: Policy

    @property
    def public_key(self) -> algorithms.PublicKey:
        """The credential public key as a ``cryptography`` object. Only packed self, android-key
        and apple attestation use it, so it is built (or taken from the key cache) on demand."""
        if self._public_key is None:
            raw = self.auth_data.credential_public_key
            if raw is None:
                raise VerificationError("auth_data.attested_data_required", "registration authenticator data lacks attested credential data")
            self._public_key = algorithms.load_cose_key(raw)[1]
        return self._public_key

    @property
    def signed_data(self) -> bytes:
        """authenticatorData ‖ clientDataHash, the data most formats sign."""
        return self.auth_data.raw + self.client_data_hash


@dataclass(slots=True)
class StatementResult:
    attestation_type: str  # "basic" | "attca" | "anonca" | "self" | "none"
    trust_path: tuple[bytes, ...] = ()  # x5c as sent, leaf first (unvalidated: attestation.py validates it)
    #: anchors the format itself pins (Apple, Google), tried besides the caller's and metadata's
    pinned_anchors: trust.TrustStore | None = None
    #: whether x5c may legitimately carry its own root (android-key)
    anchor_in_chain: bool = False
    #: compound: the result of each statement
    parts: tuple["StatementResult", ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)


#: a format's procedure; attStmt is a Statement (a list only for compound, §8.9), which each checks
Verifier = Callable[[Any, Context], StatementResult]


def registry() -> dict[str, Verifier]:
    from . import android_key, android_safetynet, apple, compound, fido_u2f, none, packed, tpm

    return {
        "packed": packed.verify,
        "tpm": tpm.verify,
        "android-key": android_key.verify,
        "android-safetynet": android_safetynet.verify,
        "fido-u2f": fido_u2f.verify,
        "none": none.verify,
        "apple": apple.verify,
        "compound": compound.verify,
    }
