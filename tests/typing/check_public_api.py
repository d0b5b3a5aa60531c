"""A relying party written the way a user would, checked with ``mypy --strict`` against the
installed package (scripts/typecheck.sh): the public names, the stubs of the compiled core and
py.typed must give a user's program precise types without a single ``Any`` leaking into it.

Lines marked ``# type: ignore[...]`` are mistakes a type checker must catch: with
``--strict`` (warn_unused_ignores) an ignore that is no longer needed is itself an error, so
if a Literal or a parameter type were loosened, this file would stop type-checking.

It also runs (tests/test_typing.py calls ``main``): everything below works offline.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from uuid import UUID

import fastattest
from fastattest import (
    AttestationResult,
    AuthenticationResult,
    Credential,
    MetadataEntry,
    MetadataService,
    MetadataStore,
    Policy,
    RelyingParty,
    ReverifyResult,
    VerificationError,
)
from fastattest.types import MetadataSource, UserVerification

if TYPE_CHECKING:
    from typing_extensions import assert_type


def make_rp(store: MetadataSource | None, uv: UserVerification = "preferred") -> RelyingParty:
    policy = Policy(
        require_trusted=True,
        user_verification=uv,
        algorithms={-7, -257},                     # any iterable of COSE algorithms
        allowed_aaguids=["08987058-cadc-4b81-b6e1-30de50dcbe96"],  # UUID, str or 16 bytes
        counter_regression="flag",
        min_certification_level=2,
        crls=[],
    )
    return RelyingParty(rp_id="example.com", origins=["https://example.com"], metadata=store, policy=policy)


def begin_registration(rp: RelyingParty, user_id: bytes, existing: list[Credential]) -> tuple[str, dict[str, object]]:
    options, state = rp.registration_options(
        user_id=user_id,
        user_name="alice@example.com",
        user_display_name="Alice",
        exclude_credentials=existing,
        attestation="direct",
        resident_key="required",
        authenticator_attachment="cross-platform",
        hints=["security-key", "hybrid"],
        user_verification="required",
    )
    import json

    return json.dumps(options), state


def finish_registration(rp: RelyingParty, response: str, state: dict[str, object]) -> dict[str, object]:
    try:
        cred = rp.register(response, state=state)
    except VerificationError as exc:
        return {"error": exc.code}
    entry: MetadataEntry | None = cred.metadata
    name: str | None = cred.authenticator_name
    return {"record": cred.to_dict(), "model": entry.description if entry is not None else name}


def sign_in(rp: RelyingParty, response: bytes, record: dict[str, object], challenge: bytes) -> int:
    cred = Credential.from_dict(record)
    result = rp.verify(response, credential=cred, challenge=challenge)
    if result.counter_regressed:
        print("possible clone:", cred.credential_id.hex())
    return result.credential.sign_count


def audit(store: MetadataStore, records: list[dict[str, object]]) -> list[str]:
    flagged = []
    for r in fastattest.reverify(records, metadata=store, mode="trust", at="now", workers=1):
        if r.changed is not None or not r.valid:
            flagged.append(f"{r.index}: {r.changed or r.error}")
    return flagged


def low_level(attestation_object: bytes, cdh: bytes, store: MetadataStore) -> str | None:
    obj = fastattest.parse_attestation_object(attestation_object)
    res = fastattest.verify_attestation(attestation_object, cdh, metadata=store, now=datetime.now(timezone.utc))
    aaguid: UUID = res.aaguid
    return fastattest.authenticator_name(aaguid, metadata=store) or obj.fmt


def _types_only(rp: RelyingParty, store: MetadataStore, service: MetadataService, cred: Credential,
                res: AttestationResult, auth: AuthenticationResult, rr: ReverifyResult) -> None:
    """Never called: what mypy must infer, and what it must refuse."""
    assert_type(cred.metadata, "MetadataEntry | None")
    assert_type(res.metadata, "MetadataEntry | None")
    assert_type(store.entry("08987058-cadc-4b81-b6e1-30de50dcbe96"), "MetadataEntry | None")
    assert_type(MetadataStore.load(), MetadataStore)
    assert_type(rp.policy.user_verification, UserVerification)
    assert_type(rp.policy.algorithms, "frozenset[int]")
    assert_type(auth.sign_count, int)
    assert_type(rr.index, int)
    assert_type(rr.status, "str | None")
    assert_type(fastattest.parse_attestation_object(b"").auth_data.aaguid, "bytes | None")
    RelyingParty("example.com", "https://example.com", metadata=service)  # a service is a metadata source

    # mistakes: each must be an error
    Policy(user_verification="REQUIRED")  # type: ignore[arg-type]
    Policy(counter_regression="warn")  # type: ignore[arg-type]
    Policy(min_certification_level=4)  # type: ignore[arg-type]
    Policy(bogus=True)  # type: ignore[call-arg]
    rp.registration_options(user_id=b"u", user_name="a", attestation="full")  # type: ignore[arg-type]
    rp.registration_options(user_id=b"u", user_name="a", resident_key="yes")  # type: ignore[arg-type]
    rp.registration_options(user_id=b"u", user_name="a", authenticator_attachment="usb")  # type: ignore[arg-type]
    rp.registration_options(user_id=b"u", user_name="a", hints=["usb"])  # type: ignore[list-item]
    rp.authentication_options(user_verification="always")  # type: ignore[arg-type]
    fastattest.reverify([], mode="fast")  # type: ignore[arg-type]
    fastattest.reverify([], at="then")  # type: ignore[arg-type]
    RelyingParty("example.com", "https://example.com", metadata={"entries": []})  # type: ignore[arg-type]
    fastattest.verify_attestation(b"", b"", metadata="mds.jwt")  # type: ignore[arg-type]
    fastattest.authenticator_name(cred.aaguid, metadata=cred)  # type: ignore[arg-type]
    cred.sign_count = 3  # type: ignore[misc]
    rp.register(["not", "a", "response"], challenge=b"c" * 16)  # type: ignore[arg-type]


def main() -> dict[str, object]:
    """The offline parts, run by tests/test_typing.py."""
    store = MetadataStore.load()
    rp = make_rp(store, "required")
    options_json, state = begin_registration(rp, os.urandom(32), [])
    return {"entries": len(store), "options": options_json, "state": state,
            "audit": audit(store, []), "bad": finish_registration(rp, "{}", state)}


if __name__ == "__main__":
    print(main())
