"""The PublicKeyCredential JSON envelope (WebAuthn L3 §5.1 ``toJSON()``), decoded by the
compiled core (fastattest/_envelope.pxi) through ``response.parse``: every member it reads,
each rule it enforces, the same for a dict and for any other Mapping."""
from __future__ import annotations

import base64
from types import MappingProxyType

import pytest

from fastattest import VerificationError
from fastattest import response


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


CRED_ID, CDJ, ATT = b"\x01\x02\xfe\xff" * 4, b'{"type":"webauthn.create"}', b"\xa3\x00"
AUTH, SIG, USER = b"\x10" * 37, b"\x30\x06", b"user-1"


def registration(**top) -> dict:
    r = {"id": b64u(CRED_ID), "rawId": b64u(CRED_ID), "type": "public-key",
         "response": {"clientDataJSON": b64u(CDJ), "attestationObject": b64u(ATT), "transports": ["usb", "nfc"]},
         "clientExtensionResults": {"credProps": {"rk": True}}, "authenticatorAttachment": "cross-platform"}
    r.update(top)
    return r


def assertion(**inner) -> dict:
    r = {"id": b64u(CRED_ID), "rawId": b64u(CRED_ID), "type": "public-key",
         "response": {"clientDataJSON": b64u(CDJ), "authenticatorData": b64u(AUTH), "signature": b64u(SIG),
                      "userHandle": b64u(USER)}}
    r["response"].update(inner)
    return r


def refused(obj, code: str, registration: bool = True) -> VerificationError:
    with pytest.raises(VerificationError) as ei:
        response.parse(obj, registration=registration)
    assert ei.value.code == code, ei.value
    return ei.value


@pytest.mark.parametrize("wrap", [dict, MappingProxyType], ids=["dict", "mapping"])
def test_registration_members(wrap):
    r = registration()
    env = response.parse(wrap({**r, "response": wrap(r["response"])}), registration=True)
    assert (env.credential_id, env.client_data_json, env.attestation_object) == (CRED_ID, CDJ, ATT)
    assert env.transports == ("usb", "nfc") and env.authenticator_attachment == "cross-platform"
    assert env.client_extension_results == {"credProps": {"rk": True}}
    assert env.authenticator_data is None and env.signature is None and env.user_handle is None


@pytest.mark.parametrize("wrap", [dict, MappingProxyType], ids=["dict", "mapping"])
def test_assertion_members(wrap):
    a = assertion()
    env = response.parse(wrap({**a, "response": wrap(a["response"])}), registration=False)
    assert (env.credential_id, env.client_data_json, env.authenticator_data, env.signature, env.user_handle) == (
        CRED_ID, CDJ, AUTH, SIG, USER)
    assert env.attestation_object is None and env.transports == () and env.client_extension_results == {}
    assert response.parse(assertion(userHandle=None), registration=False).user_handle is None
    assert response.parse(assertion(userHandle=""), registration=False).user_handle is None


def test_str_and_bytes_json_and_standard_base64():
    r = registration(rawId=base64.b64encode(CRED_ID).decode(), id=b64u(CRED_ID))
    import json

    for body in (json.dumps(r), json.dumps(r).encode()):
        assert response.parse(body, registration=True).credential_id == CRED_ID


def test_credential_id_rules():
    only_id = registration()
    del only_id["rawId"]
    assert response.parse(only_id, registration=True).credential_id == CRED_ID
    neither = registration()
    del neither["rawId"], neither["id"]
    refused(neither, "response.missing_field")
    refused(registration(rawId=None), "response.invalid_base64")  # present but null: not "absent"
    refused(registration(id=None), "response.invalid_base64")
    refused(registration(id=b64u(b"other")), "response.credential_id_mismatch")  # D10


@pytest.mark.parametrize("member", ["clientDataJSON", "attestationObject"])
def test_registration_members_are_required(member):
    r = registration()
    del r["response"][member]
    assert member in str(refused(r, "response.missing_field"))


@pytest.mark.parametrize("member", ["clientDataJSON", "authenticatorData", "signature"])
def test_assertion_members_are_required(member):
    a = assertion()
    del a["response"][member]
    assert member in str(refused(a, "response.missing_field", registration=False))


def test_structure_rules():
    refused(registration(type="password"), "response.type")
    assert response.parse({k: v for k, v in registration().items() if k != "type"}, registration=True)
    refused({k: v for k, v in registration().items() if k != "response"}, "response.missing_field")
    refused(registration(response=["not", "an", "object"]), "response.malformed")
    refused(registration(clientExtensionResults=[1]), "response.malformed")
    assert response.parse(registration(clientExtensionResults=None), registration=True).client_extension_results == {}
    assert response.parse(registration(authenticatorAttachment=7), registration=True).authenticator_attachment is None
    refused(["a list"], "response.malformed")


def test_transports_rules():
    def with_transports(value, top=False):
        r = registration()
        del r["response"]["transports"]
        (r if top else r["response"])["transports"] = value
        return r

    assert response.parse(with_transports(("internal",)), registration=True).transports == ("internal",)
    assert response.parse(with_transports(["hybrid"], top=True), registration=True).transports == ("hybrid",)
    assert response.parse(with_transports(None), registration=True).transports == ()
    refused(with_transports("usb"), "response.malformed")
    refused(with_transports(["usb", 5]), "response.malformed")


def test_envelope_is_read_only():
    env = response.parse(registration(), registration=True)
    with pytest.raises(AttributeError):
        env.credential_id = b"x"  # type: ignore[misc]
