"""One callable per (library, case): the same inputs, bytes or browser JSON in, verdict out.

Each ``*_register`` / ``*_assert`` returns a zero-argument function that raises on rejection
(the library's own exception) and returns normally on acceptance. Building the function does
all set-up a real server does once at startup (RelyingParty, Fido2Server, PEM roots as bytes),
so the timed call is one ceremony.

Like with like:
- "noroots": no trust anchors. py_webauthn then skips chain validation; python-fido2 runs the
  statement verification only; fastattest verifies the statement and reports ``trusted=False``.
- "roots": the same root given to every library: fastattest ``trust_anchors={fmt: [PEM]}``,
  py_webauthn ``pem_root_certs_bytes_by_fmt`` (pyOpenSSL X509Store, checks validity at the
  case's instant), python-fido2 ``verify_x509_chain(trust_path + [root])`` (signatures only,
  no validity or CA checks: it does less than the other two).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Callable

from OpenSSL.crypto import X509Store

import fastattest
from fastattest import Credential, Policy, RelyingParty

from .inputs import AuthCase, RegCase

Runner = Callable[[], Any]

# -------------------------------------------------------------- py_webauthn clock
# py_webauthn builds a fresh pyOpenSSL X509Store per call (validate_certificate_chain.
# _generate_new_cert_store) and checks validity at the wall clock; the vectors' certificates
# expired long ago, so the store is given the case's instant, exactly as py_webauthn's own
# tests do (X509Store.set_time). A fresh store per call, as upstream.
_PEER_NOW: list[dt.datetime] = [dt.datetime.now(dt.timezone.utc)]


def _store_at_case_time() -> X509Store:
    store = X509Store()
    store.set_time(_PEER_NOW[0].replace(tzinfo=None))
    return store


def _install_clock() -> None:
    import sys

    import webauthn.helpers.validate_certificate_chain  # noqa: F401  (the package re-exports a function by that name)

    vcc = sys.modules["webauthn.helpers.validate_certificate_chain"]
    _ORIGINAL_STORE.setdefault("factory", vcc._generate_new_cert_store)
    vcc._generate_new_cert_store = _store_at_case_time  # type: ignore[assignment]


_ORIGINAL_STORE: dict[str, Any] = {}
_install_clock()


def set_peer_now(now: dt.datetime) -> None:
    _PEER_NOW[0] = now


def restore_clock() -> None:
    """Undo the py_webauthn clock hook (tests that share the process with other py_webauthn users)."""
    import sys

    sys.modules["webauthn.helpers.validate_certificate_chain"]._generate_new_cert_store = _ORIGINAL_STORE["factory"]
    _PEER_NOW[0] = dt.datetime.now(dt.timezone.utc)


# -------------------------------------------------------------- registration


def fastattest_verify(case: RegCase, roots: bool) -> Runner:
    att, cdh, now = case.attestation_object, case.client_data_hash, case.now
    anchors = case.trust_anchors() if roots else None

    def run() -> Any:
        return fastattest.verify_attestation(att, cdh, trust_anchors=anchors, now=now)

    return run


def fastattest_rp(case: RegCase, roots: bool, challenge: bytes | None = None) -> Runner:
    """RelyingParty.register end to end; with roots, untrusted attestation is a rejection."""
    policy = Policy(require_trusted=True) if roots and case.roots else Policy()
    rp = RelyingParty(case.rp_id, case.origin, policy=policy, trust_anchors=case.trust_anchors() if roots else None)
    resp, ch, now = case.response, challenge if challenge is not None else case.challenge, case.now

    def run() -> Any:
        return rp.register(resp, ch, now)

    return run


def ceremony_floor(case: RegCase) -> Runner:
    """What ``register`` must add to ``verify_attestation``, each step by the cheapest means the
    project has, and no check at all: the compiled base64 decode of rawId, clientDataJSON and
    attestationObject (§7.1 step 5 input), the compiled clientDataJSON parse (steps 5-6),
    SHA-256 of clientDataJSON (step 12) and an empty Credential of the same 19 fields.
    ``verify_attestation + this`` is a lower bound for ``RelyingParty.register``."""
    from dataclasses import fields

    from fastattest import _core

    resp = case.response
    inner = resp["response"]
    shell = {f.name: None for f in fields(Credential)}
    b64, parse_cd, sha256, new = _core.b64decode, _core.parse_client_data, hashlib.sha256, object.__new__

    def run() -> Any:
        b64(resp["rawId"], "rawId")
        att = b64(inner["attestationObject"], "attestationObject")
        cdj = b64(inner["clientDataJSON"], "clientDataJSON")
        parse_cd(cdj)
        cdh = sha256(cdj).digest()
        new(Credential).__dict__.update(shell)
        return att, cdh

    return run


def webauthn_register(case: RegCase, roots: bool, challenge: bytes | None = None) -> Runner:
    from webauthn import verify_registration_response
    from webauthn.helpers.structs import AttestationFormat

    by_fmt = {AttestationFormat(case.fmt): [p.encode() for p in case.roots]} if roots and case.roots else None
    resp, ch, rp_id, origin, now = case.response, challenge if challenge is not None else case.challenge, case.rp_id, case.origin, case.now

    def run() -> Any:
        _PEER_NOW[0] = now
        return verify_registration_response(credential=resp, expected_challenge=ch, expected_rp_id=rp_id,
                                            expected_origin=origin, pem_root_certs_bytes_by_fmt=by_fmt)

    return run


def fido2_register(case: RegCase, roots: bool) -> Runner:
    """python-fido2 2.x: parse the attestation object, Attestation.for_type(fmt)().verify(...),
    and with roots verify_x509_chain(trust_path + [root]). No clientData checks (bytes level)."""
    from fido2.attestation import Attestation, verify_x509_chain
    from fido2.webauthn import AttestationObject

    att, cdh = case.attestation_object, case.client_data_hash
    root_ders = case.root_ders if roots and case.roots else []

    def run() -> Any:
        obj = AttestationObject(att)
        res = Attestation.for_type(obj.fmt)().verify(obj.att_stmt, obj.auth_data, cdh)
        if root_ders:
            verify_x509_chain(list(res.trust_path) + root_ders[:1])
        return res

    return run


# -------------------------------------------------------------- assertions


def fastattest_assert(case: AuthCase, challenge: bytes | None = None) -> Runner:
    rp = RelyingParty(case.rp_id, case.origin)
    cred = Credential(credential_id=case.credential_id, public_key=case.public_key, sign_count=case.sign_count)
    resp, ch = case.response, challenge if challenge is not None else case.challenge

    def run() -> Any:
        return rp.verify(resp, cred, ch)

    return run


def webauthn_assert(case: AuthCase, challenge: bytes | None = None) -> Runner:
    from webauthn import verify_authentication_response

    resp, ch = case.response, challenge if challenge is not None else case.challenge

    def run() -> Any:
        return verify_authentication_response(credential=resp, expected_challenge=ch, expected_rp_id=case.rp_id,
                                              expected_origin=case.origin, credential_public_key=case.public_key,
                                              credential_current_sign_count=case.sign_count)

    return run


def fido2_assert(case: AuthCase, challenge: bytes | None = None) -> Runner:
    """python-fido2 2.x Fido2Server.authenticate_complete with the stored credential."""
    from fido2 import cbor
    from fido2.cose import CoseKey
    from fido2.server import Fido2Server
    from fido2.webauthn import AttestedCredentialData, PublicKeyCredentialRpEntity

    server = Fido2Server(PublicKeyCredentialRpEntity(name="bench", id=case.rp_id))
    _, state = server.authenticate_begin(challenge=challenge if challenge is not None else case.challenge)
    cred = AttestedCredentialData.create(bytes(16), case.credential_id, CoseKey.parse(cbor.decode(case.public_key)))
    resp = case.response

    def run() -> Any:
        return server.authenticate_complete(state, [cred], resp)

    return run


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
