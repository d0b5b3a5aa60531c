"""Ceremony options (WebAuthn L3 §5.4, §5.5 and their JSON forms) and the ceremony state that
register/verify enforce (docs/ceremony.md), including the FIDO AppID extension (§10.1.1)."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

import softauthn as sa
from fastattest import Credential, Policy, RelyingParty, VerificationError

RP_ID, ORIGIN = "example.com", "https://example.com"
APPID = "https://example.com/u2f/appid.json"
USER = bytes(range(1, 33))

# ---- the spec's JSON dictionaries, written from the WebAuthn L3 IDL (§5.1.9, §5.1.10, §5.4,
# §5.5, §5.8.3), not from our output. name -> (required members, all members)
CREATION_JSON = (  # PublicKeyCredentialCreationOptionsJSON
    {"rp", "user", "challenge", "pubKeyCredParams"},
    {"rp", "user", "challenge", "pubKeyCredParams", "timeout", "excludeCredentials", "authenticatorSelection",
     "hints", "attestation", "attestationFormats", "extensions"},
)
REQUEST_JSON = (  # PublicKeyCredentialRequestOptionsJSON
    {"challenge"},
    {"challenge", "timeout", "rpId", "allowCredentials", "userVerification", "hints", "extensions"},
)
RP_ENTITY = ({"name"}, {"name", "id"})  # PublicKeyCredentialRpEntity (: PublicKeyCredentialEntity)
USER_JSON = ({"id", "name", "displayName"}, {"id", "name", "displayName"})  # PublicKeyCredentialUserEntityJSON
PARAMS = ({"type", "alg"}, {"type", "alg"})  # PublicKeyCredentialParameters
DESCRIPTOR_JSON = ({"type", "id"}, {"type", "id", "transports"})  # PublicKeyCredentialDescriptorJSON
SELECTION = (set(), {"authenticatorAttachment", "residentKey", "requireResidentKey", "userVerification"})
ENUMS = {
    "attestation": {"none", "indirect", "direct", "enterprise"},  # §5.4.7
    "userVerification": {"required", "preferred", "discouraged"},  # §5.8.6
    "residentKey": {"discouraged", "preferred", "required"},  # §5.4.6
    "authenticatorAttachment": {"platform", "cross-platform"},  # §5.4.5
    "hint": {"security-key", "client-device", "hybrid"},  # §5.8.7
    "transport": {"usb", "nfc", "ble", "smart-card", "hybrid", "internal"},  # §5.8.4
}


def conforms(obj: dict, spec: tuple[set, set], where: str) -> None:
    required, members = spec
    assert isinstance(obj, dict), where
    assert required <= set(obj), f"{where} lacks {required - set(obj)}"
    assert set(obj) <= members, f"{where} has members the spec does not define: {set(obj) - members}"


def b64(text: str) -> bytes:
    assert isinstance(text, str) and "=" not in text and "+" not in text and "/" not in text, text  # base64url, unpadded
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def party(**policy) -> RelyingParty:
    return RelyingParty(RP_ID, ORIGIN, policy=Policy(**policy), rp_name="Example Corp")


def registered(rp: RelyingParty, auth: sa.SoftAuthenticator, **kw) -> tuple[Credential, dict]:
    options, state = rp.registration_options(user_id=USER, user_name="alice@example.com", user_display_name="Alice")
    resp = auth.create(RP_ID, ORIGIN, b64(options["challenge"]), user_handle=USER, **kw)
    return rp.register(resp, state=state), options


# ---- shape ---------------------------------------------------------------------------------
def test_registration_options_shape() -> None:
    rp = party()
    cred = Credential(credential_id=b"\x07" * 20, public_key=b"", sign_count=0, transports=("usb", "nfc", "bogus"))
    options, state = rp.registration_options(
        user_id=USER, user_name="alice@example.com", user_display_name="Alice", exclude_credentials=[cred],
        attestation="enterprise", attestation_formats=["packed", "tpm"], user_verification="required",
        resident_key="required", authenticator_attachment="cross-platform", hints=["security-key"], timeout_ms=60_000,
        appid_exclude=APPID)
    json.loads(json.dumps(options))  # JSON-ready
    conforms(options, CREATION_JSON, "creation options")
    conforms(options["rp"], RP_ENTITY, "rp")
    conforms(options["user"], USER_JSON, "user")
    conforms(options["authenticatorSelection"], SELECTION, "authenticatorSelection")
    for p in options["pubKeyCredParams"]:
        conforms(p, PARAMS, "pubKeyCredParams[]")
        assert p["type"] == "public-key" and isinstance(p["alg"], int)
    [d] = options["excludeCredentials"]
    conforms(d, DESCRIPTOR_JSON, "excludeCredentials[]")
    assert b64(d["id"]) == b"\x07" * 20 and d["type"] == "public-key"
    assert d["transports"] == ["usb", "nfc"]  # only AuthenticatorTransport values
    assert options["rp"] == {"id": RP_ID, "name": "Example Corp"}
    assert b64(options["user"]["id"]) == USER
    assert options["user"]["name"] == "alice@example.com" and options["user"]["displayName"] == "Alice"
    assert len(b64(options["challenge"])) == 32  # §13.4.3: at least 16 random bytes
    assert options["authenticatorSelection"] == {"residentKey": "required", "requireResidentKey": True,
                                                 "userVerification": "required", "authenticatorAttachment": "cross-platform"}
    assert options["attestation"] in ENUMS["attestation"] and options["attestation"] == "enterprise"
    assert options["attestationFormats"] == ["packed", "tpm"]
    assert options["hints"] == ["security-key"] and options["timeout"] == 60_000
    assert options["extensions"] == {"credProps": True, "appidExclude": APPID}  # §10.1.3, §10.1.2
    assert state["challenge"] == options["challenge"]


def test_registration_defaults_and_derived_members() -> None:
    options, _ = party(user_verification="discouraged").registration_options(user_id=b"\x01", user_name="bob")
    assert options["user"]["displayName"] == "bob"
    sel = options["authenticatorSelection"]
    assert sel == {"residentKey": "preferred", "requireResidentKey": False, "userVerification": "discouraged"}
    assert options["attestation"] == "direct" and options["excludeCredentials"] == [] and options["hints"] == []
    assert options["extensions"] == {"credProps": True}
    assert options["timeout"] == 300_000


def test_challenges_are_fresh() -> None:
    rp = party()
    seen = {rp.registration_options(user_id=USER, user_name="a")[0]["challenge"] for _ in range(20)}
    seen |= {rp.authentication_options()[0]["challenge"] for _ in range(20)}
    assert len(seen) == 40


def test_pub_key_cred_params_follow_the_policy_in_preference_order() -> None:
    algs = [p["alg"] for p in party().registration_options(user_id=USER, user_name="a")[0]["pubKeyCredParams"]]
    assert algs[:4] == [-7, -8, -35, -36]  # ES256, EdDSA, ES384, ES512
    assert algs.index(-37) < algs.index(-257)  # PS256 before RS256
    assert -65535 not in algs  # RS1 is never a credential algorithm
    algs = [p["alg"] for p in party(algorithms={-257, -8, -7}).registration_options(user_id=USER, user_name="a")[0]["pubKeyCredParams"]]
    assert algs == [-7, -8, -257]


def test_authentication_options_shape() -> None:
    rp = party(user_verification="required")
    cred = Credential(credential_id=b"\x09" * 16, public_key=b"", sign_count=0, transports=("internal", "hybrid"))
    options, state = rp.authentication_options(allow_credentials=[cred], hints=["client-device"], timeout_ms=1000, appid=APPID)
    json.loads(json.dumps(options))
    conforms(options, REQUEST_JSON, "request options")
    [d] = options["allowCredentials"]
    conforms(d, DESCRIPTOR_JSON, "allowCredentials[]")
    assert d["transports"] == ["internal", "hybrid"] and b64(d["id"]) == b"\x09" * 16
    assert options["rpId"] == RP_ID and options["userVerification"] == "required"
    assert options["extensions"] == {"appid": APPID}
    assert len(b64(options["challenge"])) == 32 and state["challenge"] == options["challenge"]
    # a discoverable sign-in: an empty allowCredentials, no extensions unless asked
    options, _ = rp.authentication_options(user_verification="preferred")
    conforms(options, REQUEST_JSON, "request options")
    assert options["allowCredentials"] == [] and "extensions" not in options and options["userVerification"] == "preferred"


# ---- argument errors -------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "exc"), [
    ({"user_id": "alice"}, TypeError),  # a str: the user handle is bytes, never a name (§14.6.1)
    ({"user_id": b""}, ValueError),
    ({"user_id": b"x" * 65}, ValueError),
    ({"user_name": 5}, TypeError),
    ({"user_name": ""}, ValueError),
    ({"user_display_name": 5}, TypeError),
    ({"attestation": "full"}, ValueError),
    ({"attestation": None}, TypeError),
    ({"user_verification": "always"}, ValueError),
    ({"resident_key": True}, TypeError),
    ({"resident_key": "yes"}, ValueError),
    ({"authenticator_attachment": "usb"}, ValueError),
    ({"hints": "security-key"}, TypeError),
    ({"hints": ["yubikey"]}, ValueError),
    ({"hints": ["hybrid", "hybrid"]}, ValueError),
    ({"timeout_ms": 0}, ValueError),
    ({"timeout_ms": -5}, ValueError),
    ({"timeout_ms": 1.5}, TypeError),
    ({"timeout_ms": True}, TypeError),
    ({"exclude_credentials": b"abc"}, TypeError),
    ({"exclude_credentials": ["abc"]}, TypeError),
    ({"attestation_formats": "packed"}, TypeError),
    ({"appid_exclude": "http://example.com/appid"}, ValueError),
    ({"unknown_option": 1}, TypeError),
])
def test_registration_options_argument_errors(kwargs, exc) -> None:
    args = {"user_id": USER, "user_name": "alice"}
    args.update(kwargs)
    with pytest.raises(exc):
        party().registration_options(**args)


@pytest.mark.parametrize(("kwargs", "exc"), [
    ({"allow_credentials": "abc"}, TypeError),
    ({"user_verification": "sometimes"}, ValueError),
    ({"timeout_ms": 0}, ValueError),
    ({"hints": ["nfc"]}, ValueError),
    ({"appid": "example.com"}, ValueError),
    ({"appid": 5}, TypeError),
    ({"user_id": "alice"}, TypeError),
])
def test_authentication_options_argument_errors(kwargs, exc) -> None:
    with pytest.raises(exc):
        party().authentication_options(**kwargs)


def test_challenge_and_state_exclusive() -> None:
    rp = party()
    auth = sa.SoftAuthenticator("none")
    options, state = rp.registration_options(user_id=USER, user_name="a")
    resp = auth.create(RP_ID, ORIGIN, b64(options["challenge"]))
    with pytest.raises(TypeError):
        rp.register(resp)
    with pytest.raises(TypeError):
        rp.register(resp, b64(options["challenge"]), state=state)
    with pytest.raises(TypeError):
        rp.register(resp, state=["not", "a", "state"])
    assert rp.register(resp, b64(options["challenge"])).fmt == "none"  # challenge= keeps working


# ---- state ------------------------------------------------------------------------------------
def test_state_round_trip_through_json_and_another_worker() -> None:
    worker_a, worker_b = party(), party()  # the same configuration, as two server processes
    auth = sa.SoftAuthenticator("packed")
    options, state = worker_a.registration_options(user_id=USER, user_name="alice")
    wire = json.dumps(state)
    assert len(wire) < 512, f"state is {len(wire)} bytes"
    resp = auth.create(RP_ID, ORIGIN, b64(options["challenge"]))
    cred = worker_b.register(resp, state=json.loads(wire))
    assert cred.user_handle == USER
    # the user handle survives the RP's storage
    assert Credential.from_dict(json.loads(json.dumps(cred.to_dict()))) == cred
    assert Credential.from_dict(cred.to_dict()).user_handle == USER
    options, state = worker_b.authentication_options(allow_credentials=[cred])
    wire = json.dumps(state)
    assert len(wire) < 512
    res = worker_a.verify(auth.get(RP_ID, ORIGIN, b64(options["challenge"]), cred.credential_id),
                          credential=cred, state=json.loads(wire))
    assert res.sign_count == 1


def test_state_challenge_enforced() -> None:
    rp = party()
    auth = sa.SoftAuthenticator("none")
    options, _ = rp.registration_options(user_id=USER, user_name="a")
    _, other = rp.registration_options(user_id=USER, user_name="a")
    with pytest.raises(VerificationError) as e:
        rp.register(auth.create(RP_ID, ORIGIN, b64(options["challenge"])), state=other)
    assert e.value.code == "client_data.challenge_mismatch"


def test_state_of_the_other_ceremony_refused() -> None:
    rp = party()
    auth = sa.SoftAuthenticator("none")
    cred, _ = registered(rp, auth)
    reg_options, reg_state = rp.registration_options(user_id=USER, user_name="a")
    auth_options, auth_state = rp.authentication_options(allow_credentials=[cred])
    with pytest.raises(VerificationError) as e:
        rp.verify(auth.get(RP_ID, ORIGIN, b64(reg_options["challenge"]), cred.credential_id), credential=cred, state=reg_state)
    assert e.value.code == "state.ceremony_mismatch"
    with pytest.raises(VerificationError) as e:
        rp.register(auth.create(RP_ID, ORIGIN, b64(auth_options["challenge"])), state=auth_state)
    assert e.value.code == "state.ceremony_mismatch"


def test_state_other_rp_expired_malformed() -> None:
    rp, other = party(), RelyingParty("other.example", "https://other.example")
    auth = sa.SoftAuthenticator("none")
    options, state = rp.registration_options(user_id=USER, user_name="a")
    resp = auth.create(RP_ID, ORIGIN, b64(options["challenge"]))
    with pytest.raises(VerificationError) as e:
        other.register(resp, state=state)
    assert e.value.code == "state.rp_mismatch"
    later = datetime.now(timezone.utc) + timedelta(minutes=10)  # timeout 5 min + 1 min grace
    with pytest.raises(VerificationError) as e:
        rp.register(resp, state=state, now=later)
    assert e.value.code == "state.expired"
    for bad in ({**state, "challenge": 5}, {**state, "v": 99}, {**state, "type": "x"}, {"v": 1},
                {**state, "user_verification": "maybe"}, {**state, "expires": "soon"}, "{not json"):
        with pytest.raises(VerificationError) as e:
            rp.register(resp, state=bad)
        assert e.value.code == "state.malformed", bad
    assert rp.register(resp, state=state).fmt == "none"


def test_state_user_verification_required() -> None:
    rp = party()  # the Policy prefers UV; the options require it
    auth = sa.SoftAuthenticator("none")
    options, state = rp.registration_options(user_id=USER, user_name="a", user_verification="required")
    with pytest.raises(VerificationError) as e:
        rp.register(auth.create(RP_ID, ORIGIN, b64(options["challenge"]), user_verified=False), state=state)
    assert e.value.code == "auth_data.user_not_verified"
    cred = rp.register(auth.create(RP_ID, ORIGIN, b64(options["challenge"]), user_verified=True), state=state)
    options, state = rp.authentication_options(allow_credentials=[cred], user_verification="required")
    with pytest.raises(VerificationError) as e:
        rp.verify(auth.get(RP_ID, ORIGIN, b64(options["challenge"]), cred.credential_id, user_verified=False),
                  credential=cred, state=state)
    assert e.value.code == "auth_data.user_not_verified"
    assert rp.verify(auth.get(RP_ID, ORIGIN, b64(options["challenge"]), cred.credential_id), credential=cred,
                     state=state).user_verified
    # preferred: a response without UV passes
    options, state = rp.authentication_options(allow_credentials=[cred])
    assert not rp.verify(auth.get(RP_ID, ORIGIN, b64(options["challenge"]), cred.credential_id, user_verified=False),
                         credential=cred, state=state).user_verified


def test_state_credential_must_be_allowed() -> None:
    rp = party()
    auth = sa.SoftAuthenticator("none")
    first, _ = registered(rp, auth)
    second, _ = registered(rp, auth)
    options, state = rp.authentication_options(allow_credentials=[first])
    with pytest.raises(VerificationError) as e:
        rp.verify(auth.get(RP_ID, ORIGIN, b64(options["challenge"]), second.credential_id), credential=second, state=state)
    assert e.value.code == "state.credential_not_allowed"
    assert rp.verify(auth.get(RP_ID, ORIGIN, b64(options["challenge"]), first.credential_id), credential=first, state=state)


def test_state_discoverable_sign_in_user_handle() -> None:
    rp = party()
    auth = sa.SoftAuthenticator("none")
    cred, _ = registered(rp, auth)
    options, state = rp.authentication_options()  # discoverable: no allowCredentials
    ch = b64(options["challenge"])
    assert rp.verify(auth.get(RP_ID, ORIGIN, ch, cred.credential_id), credential=cred, state=state).user_handle == USER
    with pytest.raises(VerificationError) as e:  # §7.2 step 6: userHandle of another user
        rp.verify(auth.get(RP_ID, ORIGIN, ch, cred.credential_id, user_handle=b"mallory"), credential=cred, state=state)
    assert e.value.code == "state.user_handle_mismatch"
    missing = auth.get(RP_ID, ORIGIN, ch, cred.credential_id, overrides={"response": {"userHandle": None}})
    with pytest.raises(VerificationError) as e:  # §7.2 step 6: a discoverable sign-in must name its user
        rp.verify(missing, credential=cred, state=state)
    assert e.value.code == "state.user_handle_missing"
    # the user identified first: the credential must be theirs
    options, state = rp.authentication_options(allow_credentials=[cred], user_id=b"someone else")
    with pytest.raises(VerificationError) as e:
        rp.verify(auth.get(RP_ID, ORIGIN, b64(options["challenge"]), cred.credential_id), credential=cred, state=state)
    assert e.value.code == "state.user_handle_mismatch"



def test_state_user_identified_first_userhandle_must_be_that_user() -> None:
    """§7.2 step 6: with the user identified before the ceremony, a userHandle in the response
    must be that user's, whether or not the stored credential records its owner."""
    rp = party()
    auth = sa.SoftAuthenticator("none")
    cred, _ = registered(rp, auth)
    foreign = Credential(credential_id=cred.credential_id, public_key=cred.public_key, sign_count=cred.sign_count)
    for stored in (cred, foreign):  # the owner recorded (USER), and not recorded (another library's row)
        options, state = rp.authentication_options(user_id=USER)  # no allowCredentials
        ch = b64(options["challenge"])
        with pytest.raises(VerificationError) as e:
            rp.verify(auth.get(RP_ID, ORIGIN, ch, cred.credential_id, user_handle=b"mallory"), credential=stored, state=state)
        assert e.value.code == "state.user_handle_mismatch"
        options, state = rp.authentication_options(user_id=USER)
        ok = rp.verify(auth.get(RP_ID, ORIGIN, b64(options["challenge"]), cred.credential_id, user_handle=USER),
                       credential=stored, state=state)
        assert ok.user_handle == USER


def test_state_that_is_not_json_is_refused_with_a_code() -> None:
    rp = party()
    auth = sa.SoftAuthenticator("none")
    cred, _ = registered(rp, auth)
    for state in ("[" * 200_000, "{", b"\xff"):
        with pytest.raises(VerificationError) as e:
            rp.verify(auth.get(RP_ID, ORIGIN, b"c" * 32, cred.credential_id), credential=cred, state=state)
        assert e.value.code == "state.malformed"

# ---- AppID (§10.1.1, §10.1.2) -------------------------------------------------------------------
def legacy_u2f_credential() -> tuple[sa.SoftAuthenticator, Credential]:
    """A credential registered through the old U2F API: its rpIdHash is SHA-256 of the AppID."""
    auth = sa.SoftAuthenticator("fido-u2f")
    reg = auth.make_registration(APPID, APPID, b"u2f register challenge", user_verified=False)
    return auth, Credential(credential_id=reg.credential_id, public_key=reg.cose_key_bytes, sign_count=0)


def u2f_sign(auth: sa.SoftAuthenticator, cred: Credential, challenge: bytes, *, rp_id: str = APPID,
             appid_result: object = True) -> dict:
    ext = {} if appid_result is None else {"appid": appid_result}
    return auth.get(rp_id, ORIGIN, challenge, cred.credential_id, user_verified=False,
                    overrides={"json": {"clientExtensionResults": ext}})


def test_appid_sign_in_with_a_legacy_u2f_credential() -> None:
    rp = party()
    auth, cred = legacy_u2f_credential()
    options, state = rp.authentication_options(allow_credentials=[cred], appid=APPID, user_verification="discouraged")
    assert options["extensions"] == {"appid": APPID}
    res = rp.verify(u2f_sign(auth, cred, b64(options["challenge"])), credential=cred, state=json.loads(json.dumps(state)))
    assert res.sign_count == 1 and not res.user_verified


def test_appid_refusals() -> None:
    rp = party()
    auth, cred = legacy_u2f_credential()
    options, state = rp.authentication_options(allow_credentials=[cred], appid=APPID)
    ch = b64(options["challenge"])
    # the client did not report appid: true, so the RP ID's hash is expected
    for result in (None, False):
        with pytest.raises(VerificationError) as e:
            rp.verify(u2f_sign(auth, cred, ch, appid_result=result), credential=cred, state=state)
        assert e.value.code == "auth_data.rp_id_mismatch"
    # appid: true but the authenticator signed for the RP ID: the AppID's hash was expected
    with pytest.raises(VerificationError) as e:
        rp.verify(u2f_sign(auth, cred, ch, rp_id=RP_ID), credential=cred, state=state)
    assert e.value.code == "auth_data.rp_id_mismatch"
    # the options did not ask for the AppID: the client's claim is refused
    options, state = rp.authentication_options(allow_credentials=[cred])
    with pytest.raises(VerificationError) as e:
        rp.verify(u2f_sign(auth, cred, b64(options["challenge"])), credential=cred, state=state)
    assert e.value.code == "state.appid_not_requested"
    # challenge= (no state) never accepts the AppID's hash
    with pytest.raises(VerificationError) as e:
        rp.verify(u2f_sign(auth, cred, ch), credential=cred, challenge=ch)
    assert e.value.code == "auth_data.rp_id_mismatch"


def test_appid_exclude_in_registration_options() -> None:
    options, _ = party().registration_options(user_id=USER, user_name="a", appid_exclude=APPID)
    assert options["extensions"]["appidExclude"] == APPID


def test_user_handle_defaults_to_none_for_foreign_credentials() -> None:
    c = Credential(credential_id=b"\x01", public_key=b"", sign_count=0)
    assert c.user_handle is None and Credential.from_dict(c.to_dict()) == c
    assert c.authenticator_name is None
    assert Credential.from_dict({**c.to_dict(), "aaguid": str(uuid.UUID(int=5))}).aaguid.int == 5


def test_single_use_with_challenge_store() -> None:
    from fastattest import ChallengeStore
    from fastattest.response import b64decode

    rp, challenges = party(), ChallengeStore()
    auth = sa.SoftAuthenticator("none")
    options, state = rp.registration_options(user_id=USER, user_name="a", challenge=challenges.issue())
    resp = auth.create(RP_ID, ORIGIN, b64(options["challenge"]))
    challenges.consume(b64decode(state["challenge"], "challenge"))
    assert rp.register(resp, state=state).fmt == "none"
    with pytest.raises(VerificationError) as e:  # the second use
        challenges.consume(b64decode(state["challenge"], "challenge"))
    assert e.value.code == "client_data.challenge_reused"
    for bad, exc in ((b"short", ValueError), ("a" * 32, TypeError)):
        with pytest.raises(exc):
            rp.authentication_options(challenge=bad)
