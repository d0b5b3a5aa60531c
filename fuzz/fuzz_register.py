"""Fuzz target: the whole registration ceremony, RelyingParty.register (WebAuthn L3 §7.1).

Input: CBOR [context index, attestationObject bytes, clientDataJSON bytes, flags]. The context
(fuzz/_cases.py) supplies rp_id, origin, challenge, trust anchors and `now`; for software
authenticator contexts the custom mutator re-signs mutants so they reach the checks behind the
signature. flags: bit0 = sync id/rawId with the authData credentialId, bit1 = require_trusted,
bit2 = user_verification "required", bit3 = strict_cbor.
Oracles: only VerificationError; an attestation object accepted under strict_cbor is canonical
CBOR; the stored public key is the COSE key bytes exactly as they appear in authData; a
Credential survives to_dict/from_dict.
"""
from __future__ import annotations

import json
import random
from typing import Any

import _harness  # noqa: F401
import atheris
import cbor2
from _cases import b64u, contexts, decode_case, encode_case, parse_auth_data_loose
from _harness import check, main
from _mutate import FMTS, bytes_mutate, encode, mutate_att_stmt, mutate_auth_data, mutate_client_data, random_value
from fastattest import Credential, Policy, RelyingParty

REG, _ = contexts()
_RPS: dict[tuple[int, int], RelyingParty] = {}


def _rp(idx: int, flags: int) -> RelyingParty:
    key = (idx, flags & 14)
    if key not in _RPS:
        c = REG[idx]
        policy = Policy(require_trusted=bool(flags & 2), user_verification="required" if flags & 4 else "preferred",
                        strict_cbor=bool(flags & 8))
        _RPS[key] = RelyingParty(c.rp_id, [c.origin], policy=policy, trust_anchors=c.anchors)
    return _RPS[key]


def _one(data: bytes) -> None:
    case = decode_case(data, 4)
    if case is None:
        idx, ao, cdj, flags = 0, data, REG[0].client_data_json, 0
    else:
        idx, ao, cdj, flags = case
    if not isinstance(ao, bytes) or not isinstance(cdj, bytes) or not isinstance(flags, int):
        return
    ctx = REG[idx % len(REG)]
    resp: dict[str, Any] = json.loads(json.dumps(ctx.response))
    resp["response"]["attestationObject"] = b64u(ao)
    resp["response"]["clientDataJSON"] = b64u(cdj)
    if flags & 1:
        try:
            parsed = parse_auth_data_loose(cbor2.loads(ao)["authData"])
        except Exception:  # noqa: BLE001
            parsed = None
        if parsed is not None:
            resp["id"] = resp["rawId"] = b64u(parsed[0])
    cred = _rp(idx % len(REG), flags).register(resp, ctx.challenge, ctx.now)
    # oracles on acceptance
    if flags & 8 and cbor2.dumps(cbor2.loads(ao), canonical=True) != ao:
        raise AssertionError("strict_cbor accepted a non-canonical attestation object")
    auth_data = cbor2.loads(ao)["authData"]
    if not auth_data[55 + len(cred.credential_id):].startswith(cred.public_key):
        raise AssertionError("the stored public key is not the COSE key bytes of authData")
    if Credential.from_dict(json.loads(json.dumps(cred.to_dict()))) != cred:
        raise AssertionError("Credential does not survive to_dict/from_dict")


def TestOneInput(data: bytes) -> None:
    check(_one, data)


def _seed_case(rng: random.Random) -> list[Any]:
    i = rng.randrange(len(REG))
    return [i, REG[i].attestation_object, REG[i].client_data_json, 1]


def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
    try:
        return _mutate(data, max_size, seed)
    except Exception:  # noqa: BLE001 - a mutator bug must not end the run: fall back to bytes
        return atheris.Mutate(data, max_size)


def _mutate(data: bytes, max_size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    case = decode_case(data, 4)
    if case is None or not isinstance(case[1], bytes) or not isinstance(case[2], bytes):
        case = _seed_case(rng) if rng.random() < 0.9 else [0, bytes_mutate(rng, data), b"", 0]
    idx, ao, cdj, flags = case
    idx = idx % len(REG)
    ctx = REG[idx]
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        op = rng.randrange(10)
        if op == 0:
            ao = bytes_mutate(rng, ao)
        elif op == 1:
            cdj = mutate_client_data(rng, cdj, ctx.origin)
        elif op == 2:
            flags ^= 1 << rng.randrange(4)
        elif op == 3:  # move the input to another context (other rp_id/challenge/anchors)
            idx = rng.randrange(len(REG))
            ctx = REG[idx]
        else:
            try:
                obj = cbor2.loads(ao)
            except Exception:  # noqa: BLE001
                ao = bytes_mutate(rng, ao)
                continue
            if not isinstance(obj, dict):
                ao = encode(rng, rng.choice([{"fmt": "none", "attStmt": {}, "authData": b""}, obj]))
                continue
            sub = rng.randrange(6)
            if sub == 0:
                obj["fmt"] = rng.choice(FMTS) if rng.random() < 0.9 else random_value(rng)
            elif sub == 1:
                obj["attStmt"] = mutate_att_stmt(rng, obj.get("attStmt"))
            elif sub in (2, 3) and isinstance(obj.get("authData"), bytes):
                obj["authData"] = mutate_auth_data(rng, obj["authData"], registration=True)
            elif sub == 4:
                k = rng.choice(["fmt", "attStmt", "authData", "epAtt", "largeBlob", 1])
                if k in obj and rng.random() < 0.5:
                    obj.pop(k)
                else:
                    obj[k] = random_value(rng)
            elif isinstance(obj.get("attStmt"), dict):  # compound (§8.9): wrap a plain statement once
                # (wrapping an already wrapped statement again, pass after pass, grows the
                # shared object graph ~9x per pass and hung cbor2.dumps in this mutator)
                st = {"fmt": obj.get("fmt"), "attStmt": obj.get("attStmt")}
                obj["fmt"], obj["attStmt"] = "compound", rng.choice([[st, st], [st], [st] * 9, st, [{"fmt": "compound", "attStmt": [st, st]}, st]])
            if ctx.resign is not None and rng.random() < 0.8:
                ctx.resign(obj, cdj)
            ao = encode(rng, obj)
    if ctx.resign is not None and rng.random() < 0.3:  # re-sign after clientData mutations too
        try:
            obj = cbor2.loads(ao)
            if isinstance(obj, dict):
                ctx.resign(obj, cdj)
                ao = cbor2.dumps(obj, canonical=True)
        except Exception:  # noqa: BLE001
            pass
    out = encode_case(idx, ao, cdj, flags)
    return out if len(out) <= max_size else encode_case(*_seed_case(rng))


if __name__ == "__main__":
    main(TestOneInput, custom_mutator)
