"""Fuzz target: the authentication ceremony, RelyingParty.verify (WebAuthn L3 §7.2).

Input: CBOR [context index, authenticatorData, clientDataJSON, signature, userHandle|None, flags].
The context (fuzz/_cases.py) holds the stored credential; for software-authenticator contexts the
custom mutator re-signs mutants with the credential key. flags: bit0 = user_verification
"required", bit1 = counter_regression "flag" (default "reject"), bit2 = pass the
expected user_handle, bit3 = stored sign_count 1000.
Oracle on acceptance: the returned sign_count never goes below the stored one (D25).
"""
from __future__ import annotations

import hashlib
import json
import random
from typing import Any

import _harness  # noqa: F401
import atheris
import softauthn as sa
from _cases import b64u, contexts, decode_case, encode_case
from _harness import check, main
from _mutate import bytes_mutate, mutate_auth_data, mutate_client_data
from fastattest import Credential, Policy, RelyingParty

_, AUTH = contexts()
_RPS: dict[tuple[int, int], RelyingParty] = {}


def _rp(idx: int, flags: int) -> RelyingParty:
    key = (idx, flags & 3)
    if key not in _RPS:
        c = AUTH[idx]
        policy = Policy(user_verification="required" if flags & 1 else "preferred",
                        counter_regression="flag" if flags & 2 else "reject")
        _RPS[key] = RelyingParty(c.rp_id, [c.origin], policy=policy)
    return _RPS[key]


def _one(data: bytes) -> None:
    case = decode_case(data, 6)
    if case is None:
        c = AUTH[0]
        idx, ad, cdj, sig, uh, flags = 0, data, sa.unb64u(c.response["response"]["clientDataJSON"]), b"", None, 0
    else:
        idx, ad, cdj, sig, uh, flags = case
    if not all(isinstance(x, bytes) for x in (ad, cdj, sig)) or not isinstance(flags, int):
        return
    if uh is not None and not isinstance(uh, bytes):
        return
    idx %= len(AUTH)
    c = AUTH[idx]
    resp: dict[str, Any] = json.loads(json.dumps(c.response))
    r = resp["response"]
    r["authenticatorData"], r["clientDataJSON"], r["signature"] = b64u(ad), b64u(cdj), b64u(sig)
    if uh is None:
        r.pop("userHandle", None)
    else:
        r["userHandle"] = b64u(uh)
    stored = 1000 if flags & 8 else c.sign_count
    cred = Credential(credential_id=c.credential_id, public_key=c.public_key, sign_count=stored)
    res = _rp(idx, flags).verify(resp, credential=cred, challenge=c.challenge,
                                 user_handle=uh if flags & 4 else None)
    if res.sign_count < stored:
        raise AssertionError("stored signature counter was lowered")


def TestOneInput(data: bytes) -> None:
    check(_one, data)


def _seed(rng: random.Random) -> list[Any]:
    i = rng.randrange(len(AUTH))
    r = AUTH[i].response["response"]
    uh = sa.unb64u(r["userHandle"]) if r.get("userHandle") else None
    return [i, sa.unb64u(r["authenticatorData"]), sa.unb64u(r["clientDataJSON"]), sa.unb64u(r["signature"]), uh, 0]


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    try:
        return _mutate(data, max_size, seed)
    except Exception:  # noqa: BLE001 - a mutator bug must not end the run: fall back to bytes
        return atheris.Mutate(data, max_size)


def _mutate(data: bytes, max_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    case = decode_case(data, 6)
    if case is None or not all(isinstance(x, bytes) for x in case[1:4]):
        case = _seed(rng)
    idx, ad, cdj, sig, uh, flags = case
    idx %= len(AUTH)
    c = AUTH[idx]
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.randrange(8)
        if op in (0, 1):
            ad = mutate_auth_data(rng, ad, registration=False)
        elif op == 2:
            cdj = mutate_client_data(rng, cdj, c.origin)
        elif op == 3:
            sig = bytes_mutate(rng, sig, 16)
        elif op == 4:
            flags ^= 1 << rng.randrange(4)
        elif op == 5:
            uh = rng.choice([None, b"", b"user-0", bytes_mutate(rng, uh or b"u", 8)])
        elif op == 6:
            idx = rng.randrange(len(AUTH))
            c = AUTH[idx]
        else:
            ad = bytes_mutate(rng, ad)
    if c.key is not None and rng.random() < 0.8:
        sig = sa.sign(c.alg, c.key, ad + hashlib.sha256(cdj).digest())
    out = encode_case(idx, ad, cdj, sig, uh, flags)
    return out if len(out) <= max_size else encode_case(*_seed(rng))


if __name__ == "__main__":
    main(TestOneInput, custom_mutator)
