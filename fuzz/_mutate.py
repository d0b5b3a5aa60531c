"""Structure-aware mutations for WebAuthn pieces: CBOR values, authData, clientDataJSON.

Each helper takes a `random.Random` and returns a mutated copy; the byte-level fallback is
`atheris.Mutate`. The mutations mirror the catalogue (§4): type swaps (C19/C21), duplicate and
unknown keys (C07/C23), flags (D12-D14), lengths (D08/D09), COSE parameters (D16-D24), x5c
shapes (P06, X04/X05/X08), signatures (P12/P13), clientData members (J02-J10).
"""
from __future__ import annotations

import copy
import json
import random
import struct
from typing import Any

import atheris
import cbor2

FMTS = ["packed", "none", "fido-u2f", "tpm", "android-key", "android-safetynet", "apple", "compound",
        "Packed", "packed ", "", "fido-u2f\x00", "unknown"]
ALGS = [-7, -8, -35, -36, -37, -38, -39, -257, -258, -259, -65535, -47, -48, -49, -50, 0, 1, 9999, -9999,
        2**63 - 1, -(2**63), "-7"]
INTERESTING_INTS = [0, 1, -1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1, -(2**64)]


def bytes_mutate(rng: random.Random, data: bytes, grow: int = 64) -> bytes:
    if rng.random() < 0.5 and data:
        b = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            op = rng.randrange(5)
            if op == 0 and b:
                i = rng.randrange(len(b)); b[i] ^= 1 << rng.randrange(8)
            elif op == 1 and b:
                del b[rng.randrange(len(b)):]
            elif op == 2:
                b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
            elif op == 3 and b:
                i = rng.randrange(len(b)); b[i] = rng.choice([0, 0xFF, 0x7F, 0x80, b[i] + 1 & 0xFF])
            elif op == 4 and b:
                i = rng.randrange(len(b)); j = rng.randrange(i, len(b) + 1); b[i:j] = b""
        return bytes(b)
    return atheris.Mutate(data, len(data) + grow)


def random_value(rng: random.Random, depth: int = 0) -> Any:
    k = rng.randrange(11 if depth < 2 else 8)
    if k == 0:
        return rng.choice(INTERESTING_INTS)
    if k == 1:
        return rng.randint(-(2**20), 2**20)
    if k == 2:
        return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 16, 32, 33, 65, 300])))
    if k == 3:
        return rng.choice(["", "a", "fmt", "packed", "2.0", "\udc80".encode("utf-8", "surrogatepass").decode("utf-8", "replace")])
    if k == 4:
        return rng.choice([None, True, False])
    if k == 5:
        return rng.choice([1.0, 0.5, float("inf")])
    if k == 6:
        return cbor2.CBORTag(rng.choice([0, 2, 24, 55799]), rng.choice([b"", 1, "x"]))
    if k == 7:
        return cbor2.undefined
    if k == 8:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if k == 9:
        return {rng.choice([1, -1, "a", 3]): random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return [[[[[[[]]]]]]]


def _mutate_bytes_field(rng: random.Random, v: bytes) -> bytes:
    return bytes_mutate(rng, v, 16)


def mutate_cose(rng: random.Random, key: dict) -> dict:
    key = dict(key)
    op = rng.randrange(7)
    labels = [1, 3, -1, -2, -3]
    lab = rng.choice(list(key) or labels)
    if op == 0:
        key.pop(lab, None)
    elif op == 1:
        key[3] = rng.choice(ALGS)
    elif op == 2:
        key[-1] = rng.choice([1, 2, 3, 4, 5, 6, 7, 0, b"\x00" * 32, True])
    elif op == 3 and isinstance(key.get(lab), bytes):
        key[lab] = _mutate_bytes_field(rng, key[lab])
    elif op == 4:
        key[rng.choice(labels + [4, -4, "1", 1.0])] = random_value(rng)
    elif op == 5:
        key[1] = rng.choice([1, 2, 3, 4, 7, 0, -1])
    else:
        # D20/D22: zero / all-ones coordinates, y as a bool (D21)
        x = key.get(-2)
        if isinstance(x, bytes):
            key[rng.choice([-2, -3])] = rng.choice([bytes(len(x)), b"\xff" * len(x), True, False])
    return key


def mutate_auth_data(rng: random.Random, ad: bytes, *, registration: bool) -> bytes:
    b = bytearray(ad)
    op = rng.randrange(9)
    if op == 0 and len(b) > 32:
        b[32] ^= rng.choice([0x01, 0x04, 0x08, 0x10, 0x40, 0x80, 0x02, 0x20])
    elif op == 1 and len(b) >= 37:
        b[33:37] = struct.pack(">I", rng.choice([0, 1, 2**31, 2**32 - 1, rng.randrange(2**32)]))
    elif op == 2 and len(b) >= 32:
        b[rng.randrange(32)] ^= 1
    elif op == 3 and len(b) >= 55:
        b[53:55] = struct.pack(">H", rng.choice([0, 1, 1023, 1024, 0xFFFF, len(b), len(b) - 55]))
    elif op == 4 and registration and len(b) >= 55:
        n = struct.unpack(">H", bytes(b[53:55]))[0]
        tail = bytes(b[55 + n:])
        try:
            key = cbor2.loads(tail)
            if isinstance(key, dict):
                tail = cbor2.dumps(mutate_cose(rng, key), canonical=rng.random() < 0.9)
        except Exception:  # noqa: BLE001 - trailing data or garbage: leave it
            pass
        b[55 + n:] = tail
    elif op == 5:
        # ED: extensions map (maybe malformed) after the key
        b[32:33] = bytes([b[32] | 0x80]) if len(b) > 32 else b""
        b += cbor2.dumps(rng.choice([{"credProtect": 2}, {"x": random_value(rng)}, [1], 5, {}]))
    elif op == 6:
        b += bytes(rng.randint(1, 4))
    elif op == 7 and len(b) > 37:
        del b[rng.randrange(len(b) - 1):]
    else:
        return bytes_mutate(rng, bytes(b), 32)
    return bytes(b)


def mutate_att_stmt(rng: random.Random, st: Any) -> Any:
    if not isinstance(st, dict):
        return rng.choice([{}, random_value(rng)])
    st = dict(st)
    op = rng.randrange(9)
    keys = list(st)
    if op == 0 and keys:
        st.pop(rng.choice(keys))
    elif op == 1:
        st["alg"] = rng.choice(ALGS)
    elif op == 2 and isinstance(st.get("sig"), bytes):
        st["sig"] = _mutate_bytes_field(rng, st["sig"])
    elif op == 3 and isinstance(st.get("x5c"), list):
        x5c = list(st["x5c"])
        sub = rng.randrange(6)
        if sub == 0 and x5c:
            x5c.reverse()
        elif sub == 1 and x5c:
            x5c.append(x5c[0])                        # duplicate (X08)
        elif sub == 2 and x5c:
            x5c.pop(rng.randrange(len(x5c)))
        elif sub == 3 and x5c:
            i = rng.randrange(len(x5c))
            x5c[i] = _mutate_bytes_field(rng, x5c[i]) if isinstance(x5c[i], bytes) else b""
        elif sub == 4:
            x5c = x5c * rng.choice([2, 9, 20])          # size caps
        else:
            x5c = rng.choice([[], b"", "MIIB", [b"-----BEGIN CERTIFICATE-----"], [1]])
        st["x5c"] = x5c
    elif op == 4 and keys:
        st[rng.choice(keys)] = random_value(rng)
    elif op == 5:
        st[rng.choice(["ecdaaKeyId", "ver", "certInfo", "pubArea", "response", "x", "alg", "sig"])] = random_value(rng)
    elif op == 6 and isinstance(st.get("ver"), str):
        st["ver"] = rng.choice(["2.0", "2.0 ", "1.2", "", "2"])
    elif op == 7:
        for k in ("pubArea", "certInfo", "response"):
            if isinstance(st.get(k), bytes):
                st[k] = _mutate_bytes_field(rng, st[k])
                break
    else:
        return [st, copy.deepcopy(st)] if rng.random() < 0.3 else st
    return st


def mutate_client_data(rng: random.Random, cdj: bytes, origin: str) -> bytes:
    if rng.random() < 0.25:
        return bytes_mutate(rng, cdj, 32)
    try:
        cd = json.loads(cdj)
    except (ValueError, RecursionError):
        return bytes_mutate(rng, cdj, 32)
    if not isinstance(cd, dict):
        return bytes_mutate(rng, cdj, 32)
    op = rng.randrange(11)
    if op == 0:
        cd["type"] = rng.choice(["webauthn.create", "webauthn.get", "", 1, None, "WEBAUTHN.CREATE"])
    elif op == 1 and isinstance(cd.get("challenge"), str):
        c = cd["challenge"]
        cd["challenge"] = rng.choice([c + "=", c.replace("-", "+").replace("_", "/"), c[:-1], c + "A", "", 5])
    elif op == 2:
        cd["origin"] = rng.choice([origin + "/", origin.upper(), origin.replace("https:", "http:"), origin + ":443",
                                   "null", "https://evil-" + origin.split("//")[-1], None, origin])
    elif op == 3:
        cd["crossOrigin"] = rng.choice([True, False, "true", 1, None])
    elif op == 4:
        cd["topOrigin"] = rng.choice([origin, "https://evil.example", 5])
    elif op == 5:
        cd["tokenBinding"] = rng.choice([{"status": "present", "id": "x"}, {"status": "supported"}, {"status": "x"},
                                         "present", {}, None])
    elif op == 6 and cd:
        cd.pop(rng.choice(list(cd)))
    elif op == 7:
        text = json.dumps(cd, separators=(",", ":"))
        return (text[:-1] + ',"type":"webauthn.get"}').encode()          # J11 duplicate key
    elif op == 8:
        return b"\xef\xbb\xbf" + json.dumps(cd).encode()                  # J12 BOM
    elif op == 9:
        cd[rng.choice(["other_keys_can_be_added_here", "x", "\u0000"])] = random_value(rng) if rng.random() < 0.3 else "y"
    else:
        return ("[" * rng.choice([10, 1000, 100000]) + "]" * rng.choice([0, 10])).encode()
    try:
        return json.dumps(cd, separators=(",", ":"), default=repr).encode()
    except (TypeError, ValueError):
        return cdj


def _bounded(obj: Any, budget: int = 100_000) -> bool:
    """Whether encoding ``obj`` visits at most ``budget`` nodes. Mutations can share one list
    or dict in several places, and a few passes of that make a graph whose CBOR encoding is
    exponentially large: cbor2.dumps then hangs the mutator (the library is never reached)."""
    stack = [obj]
    while stack:
        budget -= 1
        if budget < 0:
            return False
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)
    return True


def encode(rng: random.Random, obj: Any) -> bytes:
    if not _bounded(obj):
        return b"\xa0"  # an empty map: a valid, uninteresting input
    try:
        return cbor2.dumps(obj, canonical=rng.random() < 0.85)
    except Exception:  # noqa: BLE001 - un-encodable random value
        return cbor2.dumps(obj, canonical=False, default=lambda enc, v: enc.encode(repr(v)))
