"""The relying party: registration (WebAuthn L3 §7.1) and authentication (§7.2) ceremonies,
step by step in spec order, over the modules that enforce each check.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from uuid import UUID

from . import _core, algorithms, client_data, names, options
from . import response as envelope
from .attestation import AttestationResult, TrustAnchors, aware_now, prepare_anchors, verify_parsed
from .errors import VerificationError
from .metadata import MetadataEntry
from .policy import Policy, certification_level
from .response import b64decode, b64encode
from .types import (
    AttestationConveyance,
    AuthenticatorAttachment,
    Hint,
    MetadataSource,
    ResidentKey,
    ResponseJSON,
    UserVerification,
)

_ZERO_AAGUID = UUID(int=0)
_REVOCATION = frozenset({"trust.revoked", "trust.revocation_unavailable"})


@dataclass(frozen=True)
class Credential:
    """What a relying party stores for a registered credential. Immutable."""

    credential_id: bytes
    public_key: bytes  # the COSE_Key exactly as in authenticator data
    sign_count: int = 0
    algorithm: int | None = None
    aaguid: UUID = _ZERO_AAGUID
    fmt: str = "none"
    attestation_type: str = "none"
    trusted: bool = False
    trust_path: tuple[bytes, ...] = ()
    metadata: MetadataEntry | None = field(default=None, compare=False)  # not serialised in full
    user_verified: bool = False
    backup_eligible: bool | None = None  # None: unknown (registered elsewhere)
    backed_up: bool = False
    transports: tuple[str, ...] = ()
    attestation_object: bytes = b""
    client_data_json: bytes = b""
    registered_at: datetime | None = None
    status: str | None = None  # metadata status at registration
    trust_error: str | None = None
    user_handle: bytes | None = None  # the user.id of the registration options (§5.4.3), when known

    def __post_init__(self) -> None:
        if self.algorithm is None and self.public_key:
            try:
                object.__setattr__(self, "algorithm", algorithms.load_cose_key(bytes(self.public_key))[0].alg)
            except VerificationError:
                pass
        object.__setattr__(self, "trust_path", tuple(self.trust_path))
        object.__setattr__(self, "transports", tuple(self.transports))

    @property
    def authenticator_name(self) -> str | None:
        """A display name for an account page: the vouching metadata entry's description, else
        a known passkey provider's name (``fastattest.names``). Never a security decision."""
        return names.authenticator_name(self.aaguid, entry=self.metadata)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (binary as base64url); ``from_dict`` restores an equal Credential."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "metadata":
                v = None if v is None else {"aaguid": str(v.aaguid) if v.aaguid else None, "description": v.description}
            elif isinstance(v, bytes):
                v = b64encode(v)
            elif f.name == "trust_path":
                v = [b64encode(c) for c in v]
            elif isinstance(v, UUID):
                v = str(v)
            elif isinstance(v, datetime):
                v = v.isoformat()
            elif isinstance(v, tuple):
                v = list(v)
            out[f.name] = v
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Credential":
        try:
            kw: dict[str, Any] = {}
            for f in fields(cls):
                if f.name not in d or f.name == "metadata":
                    continue
                v = d[f.name]
                if f.name in ("credential_id", "public_key", "attestation_object", "client_data_json"):
                    v = b64decode(v, f.name)
                elif f.name == "user_handle" and v is not None:
                    v = b64decode(v, f.name)
                elif f.name == "trust_path":
                    v = tuple(b64decode(c, "trust_path") for c in v)
                elif f.name == "aaguid":
                    v = UUID(str(v))
                elif f.name == "registered_at" and v is not None:
                    v = datetime.fromisoformat(v)
                elif f.name == "transports":
                    v = tuple(v)
                kw[f.name] = v
            return cls(**kw)
        except VerificationError:
            raise
        except (TypeError, ValueError, AttributeError) as exc:
            raise VerificationError("batch.record_invalid", f"stored credential is malformed: {exc}") from None


def _updated(credential: Credential, sign_count: int, backed_up: bool) -> Credential:
    """``dataclasses.replace(credential, sign_count=..., backed_up=...)`` without re-running
    ``__init__``/``__post_init__`` on fields already normalised (replace costs ~10 us)."""
    if type(credential) is not Credential:  # a subclass may validate in __init__: keep its semantics
        return replace(credential, sign_count=sign_count, backed_up=backed_up)
    new = object.__new__(Credential)
    new.__dict__.update(credential.__dict__)
    new.__dict__["sign_count"] = sign_count
    new.__dict__["backed_up"] = backed_up
    return new


@dataclass(slots=True)
class AuthenticationResult:
    credential_id: bytes
    sign_count: int
    user_verified: bool
    backup_eligible: bool
    backed_up: bool
    counter_regressed: bool  # §7.2 step 21: a possible cloned authenticator (only with Policy(counter_regression="flag"))
    credential: Credential  # the stored credential with sign_count / backed_up updated (§7.2 step 24)
    user_handle: bytes | None = None


class RelyingParty:
    """A WebAuthn relying party. Build one per RP ID at startup; it is immutable and thread-safe."""

    def __init__(
        self,
        rp_id: str,
        origins: str | Iterable[str],
        metadata: MetadataSource | None = None,
        policy: Policy | None = None,
        trust_anchors: TrustAnchors | None = None,
        *,
        rp_name: str | None = None,
    ) -> None:
        # a configuration mistake is a TypeError / ValueError here, never a VerificationError
        if not isinstance(rp_id, str):
            raise TypeError(f"rp_id must be a str, not {type(rp_id).__name__}")
        if not rp_id:
            raise ValueError("rp_id must be a non-empty string")
        self.rp_id = rp_id
        if rp_name is not None and (not isinstance(rp_name, str) or not rp_name):
            raise TypeError("rp_name must be a non-empty str")
        self.rp_name = rp_name or rp_id  # §5.4.1 PublicKeyCredentialRpEntity.name, shown by some clients
        self.rp_id_hash = hashlib.sha256(rp_id.encode("utf-8")).digest()
        if isinstance(origins, (bytes, bytearray)) or not isinstance(origins, (str, Iterable)):
            raise TypeError(f"origins must be a str or an iterable of str, not {type(origins).__name__}")
        self.origins = frozenset([origins] if isinstance(origins, str) else origins)
        bad = [o for o in self.origins if not isinstance(o, str)]
        if bad:
            raise TypeError(f"origins must be strings, not {type(bad[0]).__name__}")
        if not self.origins or "" in self.origins:
            raise ValueError("at least one non-empty origin is required")
        if policy is not None and not isinstance(policy, Policy):
            raise TypeError(f"policy must be a fastattest.Policy, not {type(policy).__name__}")
        self.metadata: MetadataSource | None = metadata
        self.policy = policy or Policy()
        self._anchors = prepare_anchors(trust_anchors)  # parsed once, for every ceremony
        self._rules_of = _policy_rules(self.policy)

    def _rules(self) -> tuple[Policy, bool, bool, bool]:
        """What register reads of the policy on every call, derived once per Policy (frozen;
        keyed by identity, so a policy assigned later is read afresh)."""
        r = self._rules_of
        if r[0] is not self.policy:
            r = self._rules_of = _policy_rules(self.policy)
        return r

    # -- shared steps ---------------------------------------------------------------------
    def _flags(self, ad: _core.AuthenticatorData, uv_required: bool = False, rp_id_hash: bytes | None = None) -> None:
        # §7.1 step 14 / §7.2 step 15: rpIdHash is SHA-256 of our RP ID (D11), or of the AppID
        # when the client used it (§10.1.1; the caller passes that hash)
        if not hmac.compare_digest(ad.rp_id_hash, rp_id_hash or self.rp_id_hash):
            if rp_id_hash is not None:
                raise VerificationError("auth_data.rp_id_mismatch", "the client used the AppID extension but rpIdHash is not the SHA-256 of the AppID")
            raise VerificationError("auth_data.rp_id_mismatch", "rpIdHash is not the SHA-256 of the RP ID")
        # step 15 / 16: user present (D12)
        if self.policy.require_user_presence and not ad.user_present:
            raise VerificationError("auth_data.user_not_present", "the UP flag is not set")
        # step 17 / 17: user verified when required (D13)
        if (uv_required or self.policy.user_verification == "required") and not ad.user_verified:
            raise VerificationError("auth_data.user_not_verified", "user verification is required"
                                    + (" by the ceremony options" if uv_required else ""))
        # step 18-19 / 18-19: BS implies BE (D14)
        if ad.backed_up and not ad.backup_eligible:
            raise VerificationError("auth_data.invalid_backup_flags", "BS is set but BE is not")

    # -- ceremony options (§5.4, §5.5) -------------------------------------------------------
    def registration_options(
        self,
        *,
        user_id: bytes,
        user_name: str,
        user_display_name: str | None = None,
        exclude_credentials: Iterable[Credential | bytes] = (),
        attestation: AttestationConveyance = "direct",
        attestation_formats: Iterable[str] = (),
        user_verification: UserVerification | None = None,
        resident_key: ResidentKey = "preferred",
        authenticator_attachment: AuthenticatorAttachment | None = None,
        hints: Iterable[Hint] = (),
        timeout_ms: int = 300_000,
        appid_exclude: str | None = None,
        extensions: Mapping[str, Any] | None = None,
        challenge: bytes | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(options, state)``: PublicKeyCredentialCreationOptionsJSON for
        ``PublicKeyCredential.parseCreationOptionsFromJSON()`` and the state to keep server-side
        for ``register(response, state=state)``. pubKeyCredParams follow the Policy's algorithms
        in preference order; ``user_verification=None`` takes the Policy's; ``challenge``: the
        caller's random bytes (e.g. ``ChallengeStore.issue()``), else 32 fresh ones. See docs/ceremony.md."""
        return options.registration_options(
            rp_id=self.rp_id, rp_name=self.rp_name, algorithms=self.policy.algorithms,
            policy_user_verification=self.policy.user_verification, user_id=user_id, user_name=user_name,
            user_display_name=user_display_name, exclude_credentials=exclude_credentials, attestation=attestation,
            attestation_formats=attestation_formats, user_verification=user_verification, resident_key=resident_key,
            authenticator_attachment=authenticator_attachment, hints=hints, timeout_ms=timeout_ms,
            appid_exclude=appid_exclude, extensions=extensions, challenge=challenge)

    def authentication_options(
        self,
        *,
        allow_credentials: Iterable[Credential | bytes] | None = None,
        user_verification: UserVerification | None = None,
        hints: Iterable[Hint] = (),
        timeout_ms: int = 300_000,
        appid: str | None = None,
        user_id: bytes | None = None,
        extensions: Mapping[str, Any] | None = None,
        challenge: bytes | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(options, state)``: PublicKeyCredentialRequestOptionsJSON for
        ``PublicKeyCredential.parseRequestOptionsFromJSON()`` and the state for
        ``verify(response, credential=..., state=state)``. ``allow_credentials=None``: a
        discoverable sign-in. ``appid``: the FIDO AppID of legacy U2F credentials (§10.1.1)."""
        return options.authentication_options(
            rp_id=self.rp_id, policy_user_verification=self.policy.user_verification,
            allow_credentials=allow_credentials, user_verification=user_verification, hints=hints,
            timeout_ms=timeout_ms, appid=appid, user_id=user_id, extensions=extensions, challenge=challenge)

    @staticmethod
    def _ceremony(challenge: Any, state: Any) -> None:
        if (challenge is None) == (state is None):
            raise TypeError("pass exactly one of challenge= (the issued bytes) or state= (from *_options())")

    # -- §7.1 registration ------------------------------------------------------------------
    def register(self, response: ResponseJSON, challenge: bytes | None = None, now: datetime | None = None, *,
                 state: Mapping[str, Any] | None = None) -> Credential:
        """Verify a registration response; return the Credential to store or raise VerificationError.

        ``state`` (from ``registration_options``) replaces ``challenge`` and enforces what the
        options asked for; single use of the challenge stays with the caller's storage."""
        if state is not None or type(challenge) is not bytes or not challenge:  # else both checks pass
            self._ceremony(challenge, state)
            if challenge is not None:
                client_data.expected_challenge(challenge)  # a str or empty challenge: TypeError / ValueError
        if type(now) is not datetime or now.tzinfo is not timezone.utc:  # an aware UTC datetime passes as is
            now = aware_now(now)
        st = None
        if state is not None:
            st = options.read_state(state, options.REGISTRATION, self.rp_id, now.timestamp())
            challenge = st.challenge
        if challenge is None:  # unreachable: _ceremony requires challenge= or state=
            raise TypeError("challenge= or state= is required")
        env = _core.parse_envelope(envelope.load_json(response), True)  # envelope.parse(..., registration=True)
        if env.attestation_object is None:  # unreachable: parse(registration=True) requires it
            raise VerificationError("response.missing_field", "the response lacks attestationObject")
        # steps 5-12: clientDataJSON parsed, checked (type, challenge, origin, crossOrigin,
        # topOrigin, tokenBinding) and hashed, in one compiled call (client_data.checked_hash)
        p, up_required, uv_required, org_rules = self._rules()
        cdh = client_data.checked_hash(env.client_data_json, "webauthn.create", challenge, self.origins,
                                       p.allow_cross_origin, p.top_origins)
        obj = _core.parse_attestation_object(env.attestation_object, p.strict_cbor)  # step 13
        ad = obj.auth_data
        # steps 14-19 (self._flags, inline): rpIdHash (D11), UP (D12), UV when required (D13), BS implies BE (D14)
        if not hmac.compare_digest(ad.rp_id_hash, self.rp_id_hash):
            raise VerificationError("auth_data.rp_id_mismatch", "rpIdHash is not the SHA-256 of the RP ID")
        if up_required and not ad.user_present:
            raise VerificationError("auth_data.user_not_present", "the UP flag is not set")
        if not ad.user_verified and (uv_required or (st is not None and st.uv_required)):
            self._flags(ad, st is not None and st.uv_required)  # raises auth_data.user_not_verified with its message
        if ad.backed_up and not ad.backup_eligible:
            raise VerificationError("auth_data.invalid_backup_flags", "BS is set but BE is not")
        if ad.credential_id is None:
            raise VerificationError("auth_data.attested_data_required", "registration authenticator data lacks attested credential data")
        # credentialId in authData is the credential's id (D10); §7.1 step 26 bounds its length (core)
        if ad.credential_id != env.credential_id:
            raise VerificationError("response.credential_id_mismatch", "authenticator data credentialId differs from rawId")
        res: AttestationResult = verify_parsed(obj, cdh, self._anchors, self.metadata, now, p)
        cose_key = res.cose_key
        if cose_key is None:  # unreachable: verify_parsed sets it
            raise VerificationError("auth_data.attested_data_required", "registration authenticator data lacks attested credential data")
        # step 20: the credential algorithm is one the RP asked for (D17)
        if cose_key.alg not in p.algorithms:
            raise VerificationError("policy.algorithm_not_allowed", f"credential algorithm {cose_key.alg} is not allowed")
        if res.trust_error is not None or org_rules:
            self._assess(res, ad, now)
        # the Credential, its dict built in one compiled step (Credential(**values) costs ~3 us more)
        return _core.registration_record(Credential, ad, env, res, cose_key.alg, now,
                                         st.user_id if st is not None else None)

    def _assess(self, res: AttestationResult, ad: _core.AuthenticatorData, now: datetime) -> None:
        """§7.1 steps 24-25 under the policy, then the organisation's authenticator policy
        (docs/policy.md): blocked / allowed models, enforced attestation, device-bound only,
        minimum certification level."""
        p = self.policy
        if res.trust_error == "policy.status_rejected":  # an identified authenticator with a rejected status (X10)
            raise VerificationError("policy.status_rejected", f"authenticator status {res.status} is rejected by the policy")
        if res.trust_error in _REVOCATION:  # a chain certificate revoked, or revocation unknown under CRLs (X09)
            raise VerificationError(res.trust_error, f"attestation certificate revocation check failed: {res.trust_detail}")
        # blocked before anything else: a valid, trusted attestation does not unblock a model
        if p.blocked_aaguids and res.aaguid in p.blocked_aaguids:
            raise VerificationError("policy.aaguid_blocked", f"{self._model(res)} is blocked by the organisation's authenticator policy")
        if p.allowed_aaguids is not None and res.aaguid not in p.allowed_aaguids:
            raise VerificationError("policy.aaguid_not_allowed", f"{self._model(res)} is not on the organisation's list of allowed authenticators")
        if p.require_trusted and not res.trusted:
            if res.attestation_type in ("none", "self"):
                raise VerificationError("policy.attestation_required", f"{res.attestation_type} attestation is not accepted by the policy")  # N02
            code = res.trust_error or "policy.untrusted"
            raise VerificationError(code, f"attestation is not trusted: {res.trust_detail or code}")
        # §6.1 BE flag: a backup-eligible (synced, multi-device) credential
        if not p.allow_synced and ad.backup_eligible:
            raise VerificationError("policy.synced_not_allowed",
                                    f"{self._model(res)} created a synced passkey (backup eligible); the organisation allows only device-bound passkeys")
        if p.min_certification_level is not None:
            entry = self._entry(res)
            model = _model(res.aaguid, entry)
            if entry is None:
                raise VerificationError("policy.certification_unknown",
                                        f"{model} has no FIDO metadata entry, so its certification level is unknown;"
                                        f" the organisation requires level {p.min_certification_level}")
            level = certification_level(entry, now)
            if level < p.min_certification_level:
                have = f"FIDO certification level {level}" if level else "no FIDO certification in effect"
                raise VerificationError("policy.certification_insufficient",
                                        f"{model} has {have}; the organisation requires level {p.min_certification_level} or higher")

    # -- §7.2 authentication ----------------------------------------------------------------
    def verify(
        self,
        response: ResponseJSON,
        credential: Credential,
        challenge: bytes | None = None,
        now: datetime | None = None,
        *,
        user_handle: bytes | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> AuthenticationResult:
        """Verify an assertion against the stored ``credential``; raise VerificationError if it fails.

        ``state`` (from ``authentication_options``) replaces ``challenge`` and enforces what the
        options asked for: user verification, the credential among allowCredentials, the
        userHandle of a discoverable sign-in, the AppID of a legacy U2F credential."""
        self._ceremony(challenge, state)
        if challenge is not None:
            client_data.expected_challenge(challenge)  # a str or empty challenge: TypeError / ValueError
        if now is not None:
            aware_now(now)
        if not isinstance(credential, Credential):
            raise TypeError(f"credential must be a fastattest.Credential (Credential.from_dict), not {type(credential).__name__}")
        st = None
        if state is not None:
            st = options.read_state(state, options.AUTHENTICATION, self.rp_id,
                                    time.time() if now is None else aware_now(now).timestamp())
            challenge = st.challenge
        if challenge is None:  # unreachable: _ceremony requires challenge= or state=
            raise TypeError("challenge= or state= is required")
        env = envelope.parse(response, registration=False)
        if env.authenticator_data is None or env.signature is None:  # unreachable: parse(registration=False) requires them
            raise VerificationError("response.missing_field", "the response lacks authenticatorData or signature")
        # §7.2 step 5-6: the credential is the one we hold, and its user the expected one
        if env.credential_id != credential.credential_id:
            raise VerificationError("response.credential_id_mismatch", "the response is for another credential")
        if user_handle is not None and env.user_handle is not None and not hmac.compare_digest(env.user_handle, user_handle):
            raise VerificationError("response.user_handle_mismatch", "userHandle is not the expected user's")
        rp_id_hash = None
        if st is not None:
            rp_id_hash = self._state_checks(st, env, credential)
        # steps 9-16: clientDataJSON parsed, checked and hashed (client_data.checked_hash)
        p = self.policy
        cdh = client_data.checked_hash(env.client_data_json, "webauthn.get", challenge, self.origins,
                                       p.allow_cross_origin, p.top_origins)
        ad = _core.parse_authenticator_data(env.authenticator_data, p.strict_cbor)
        # an assertion carries no attested credential data (D05, documented policy)
        if ad.has_attested_data:
            raise VerificationError("auth_data.unexpected_attested_data", "assertion authenticator data carries attested credential data")
        self._flags(ad, st is not None and st.uv_required, rp_id_hash)
        # §7.2 step 19: BE never changes for a credential (D15)
        if credential.backup_eligible is not None and ad.backup_eligible != credential.backup_eligible:
            raise VerificationError("auth_data.backup_eligibility_changed", "backup eligibility differs from the stored credential")
        # §7.2 step 20: signature over authData ‖ SHA-256(clientDataJSON) with the stored key
        pk = credential.public_key
        cose_key, public_key = algorithms.load_cose_key(pk if type(pk) is bytes else bytes(pk))  # cached by the key bytes
        algorithms.verify(cose_key.alg, public_key, env.signature, ad.raw + cdh, "assertion.signature_invalid")
        # §7.2 step 21: signature counter (D25): the stored count is never lowered
        regressed = (ad.sign_count != 0 or credential.sign_count != 0) and ad.sign_count <= credential.sign_count
        if regressed and self.policy.counter_regression == "reject":
            raise VerificationError("auth_data.counter_regression",
                                    f"signature counter {ad.sign_count} is not greater than the stored {credential.sign_count}")
        updated = _updated(credential, max(ad.sign_count, credential.sign_count), ad.backed_up)
        return AuthenticationResult(credential.credential_id, updated.sign_count, ad.user_verified, ad.backup_eligible,
                                    ad.backed_up, regressed, updated, env.user_handle)


    def _entry(self, res: AttestationResult) -> MetadataEntry | None:
        """The vouching metadata entry, else the entry of the AAGUID the client claims (only for
        messages and, without require_trusted, the claim-based rules; docs/policy.md)."""
        if res.metadata is not None:
            return res.metadata
        if self.metadata is not None and res.aaguid.int:
            return self.metadata.entry(res.aaguid)
        return None

    def _model(self, res: AttestationResult) -> str:
        return _model(res.aaguid, self._entry(res))

    def _state_checks(self, st: options.State, env: _core.Envelope, credential: Credential) -> bytes | None:
        """What the authentication options asked for (§7.2 steps 5-6, §10.1.1). Returns the
        SHA-256 of the AppID when the client used it, else None (the RP ID's hash applies)."""
        cid = credential.credential_id
        # §7.2 step 5: the credential is one of allowCredentials
        if st.allow is not None and bytes(cid) not in st.allow:
            raise VerificationError("state.credential_not_allowed", "the credential used is not among the options' allowCredentials")
        # §7.2 step 6: a user identified before the ceremony must own the credential ...
        owner = credential.user_handle
        if st.user_id is not None and owner is not None and not hmac.compare_digest(owner, st.user_id):
            raise VerificationError("state.user_handle_mismatch", "the credential belongs to another user than the one signing in")
        # ... and a userHandle the response carries must be that user's (§7.2 step 6)
        if st.user_id is not None and env.user_handle is not None and not hmac.compare_digest(env.user_handle, st.user_id):
            raise VerificationError("state.user_handle_mismatch", "userHandle is not the user the sign-in was started for")
        # ... and a discoverable sign-in's userHandle (present, §7.2 step 6) must be the credential's user
        if st.allow is None and st.user_id is None:
            if env.user_handle is None:
                raise VerificationError("state.user_handle_missing", "a discoverable sign-in response must carry userHandle")
            if owner is not None and not hmac.compare_digest(env.user_handle, owner):
                raise VerificationError("state.user_handle_mismatch", "userHandle is not the user the credential was registered to")
        # §10.1.1: appid output true: the authenticator signed for SHA-256(AppID), not the RP ID
        used = env.client_extension_results.get("appid") if env.client_extension_results else None
        if used is True:
            if st.appid is None:
                raise VerificationError("state.appid_not_requested", "the client reports the AppID extension, which the options did not ask for")
            return hashlib.sha256(st.appid.encode("utf-8")).digest()
        return None


def _policy_rules(p: Policy) -> tuple[Policy, bool, bool, bool]:
    """(policy, user presence required, user verification required, any organisation rule in
    force: blocked or allowed models, enforced attestation, device-bound only, a minimum
    certification level), for RelyingParty._rules."""
    org = (bool(p.blocked_aaguids) or p.allowed_aaguids is not None or p.require_trusted
           or not p.allow_synced or p.min_certification_level is not None)
    return p, bool(p.require_user_presence), p.user_verification == "required", org


def _model(aaguid: UUID, entry: MetadataEntry | None) -> str:
    """How an administrator recognises the authenticator: the metadata's name and the AAGUID."""
    desc = getattr(entry, "description", None) if entry is not None else None
    if aaguid.int == 0:
        return f"the authenticator{f' {desc!r}' if desc else ''} (no AAGUID: U2F or an unidentified model)"
    return f"the authenticator {desc!r} (AAGUID {aaguid})" if desc else f"the authenticator with AAGUID {aaguid}"
