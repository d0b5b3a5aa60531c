"""Ceremony contexts for the structure-aware fuzz targets (fuzz_register, fuzz_verify).

A fuzz input names a context by index (rp_id, origin, challenge, trust anchors, `now`, and for
software-authenticator contexts the private keys to re-sign mutants). Contexts come from the
recorded vectors in tests/vectors/ and from tests/softauthn.py with *deterministic* keys, so a
corpus entry written by one run still carries valid keys in the next run.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import softauthn as sa

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    t = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))


# ------------------------------------------------------------------ deterministic soft keys
class _DetKeys:
    """Stand-in for softauthn's key generation: the n-th key of a run is always the same."""

    def __init__(self) -> None:
        self.n = 0

    def _secret(self) -> int:
        self.n += 1
        return int.from_bytes(hashlib.sha256(b"fastattest-fuzz-key-%d" % self.n).digest()[:24], "big") + 1

    def ec(self, curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
        return ec.derive_private_key(self._secret(), curve)

    def generate_key(self, alg: int) -> Any:
        if alg in (-7, -35, -36):
            return self.ec({-7: ec.SECP256R1, -35: ec.SECP384R1, -36: ec.SECP521R1}[alg]())
        if alg == -8:
            return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"%d" % self._secret()).digest())
        raise ValueError(f"no deterministic key for alg {alg}")


class _EcProxy:
    def __init__(self, keys: _DetKeys) -> None:
        self._keys = keys

    def generate_private_key(self, curve: ec.EllipticCurve, backend: Any = None) -> ec.EllipticCurvePrivateKey:
        return self._keys.ec(curve)

    def __getattr__(self, name: str) -> Any:
        return getattr(ec, name)


# ------------------------------------------------------------------ registration contexts
@dataclass
class RegContext:
    name: str
    rp_id: str
    origin: str
    challenge: bytes
    anchors: dict[str, list[bytes]] | None
    now: dt.datetime | None
    response: dict[str, Any]                       # JSON template (toJSON shape)
    resign: Callable[[dict[str, Any], bytes], None] | None = None  # (decoded attObj, cdj) -> sets attStmt.sig
    keys: dict[str, Any] = field(default_factory=dict)

    @property
    def attestation_object(self) -> bytes:
        return unb64(self.response["response"]["attestationObject"])

    @property
    def client_data_json(self) -> bytes:
        return unb64(self.response["response"]["clientDataJSON"])


@dataclass
class AuthContext:
    name: str
    rp_id: str
    origin: str
    challenge: bytes
    credential_id: bytes
    public_key: bytes                              # COSE_Key
    sign_count: int
    backup_eligible: bool | None
    response: dict[str, Any]
    key: Any = None                                # private key for soft contexts
    alg: int | None = None


def _now(s: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")) if s else None


def _vector_reg_contexts() -> list[RegContext]:
    out = []
    for path in sorted((VECTORS / "registration").glob("*.json")):
        v = json.loads(path.read_text("utf-8"))
        ta = v.get("trust_anchors")
        anchors = {f: [p.encode("ascii") for p in pems] for f, pems in ta.items()} if ta else None
        out.append(RegContext(path.stem, v.get("rp_id") or "localhost", v["origin"], unb64(v["challenge"]),
                              anchors, _now(v.get("now")), v["response"]))
    return out


def parse_auth_data_loose(ad: bytes) -> tuple[bytes, dict | None] | None:
    """(credentialId, COSE key) from authData, best effort (no checks): for re-signing mutants."""
    try:
        if len(ad) < 55 or not ad[32] & 0x40:
            return None
        n = struct.unpack(">H", ad[53:55])[0]
        cred_id = ad[55:55 + n]
        key = cbor2.loads(ad[55 + n:]) if ad[55 + n:] else None
        return cred_id, key if isinstance(key, dict) else None
    except Exception:  # noqa: BLE001 - best effort on fuzzed bytes
        try:
            import io
            n = struct.unpack(">H", ad[53:55])[0]
            key = cbor2.CBORDecoder(io.BytesIO(ad[55 + n:])).decode()
            return ad[55:55 + n], key if isinstance(key, dict) else None
        except Exception:  # noqa: BLE001
            return None


def _soft_contexts() -> tuple[list[RegContext], list[AuthContext]]:
    keys = _DetKeys()
    real_gen, real_ec = sa.generate_key, sa.ec
    sa.generate_key, sa.ec = keys.generate_key, _EcProxy(keys)  # type: ignore[assignment]
    try:
        rp_id, origin = "example.com", "https://example.com"
        challenge = hashlib.sha256(b"fastattest-fuzz-challenge").digest()
        ca = sa.TestCA()
        ca_int = sa.TestCA(intermediate=True, name="fastattest Fuzz Root CA")
        specs = [("packed", -7, ca), ("packed", -35, ca_int), ("packed-self", -7, None), ("packed-self", -8, None),
                 ("packed-self", -36, None), ("fido-u2f", -7, ca), ("none", -7, None)]
        regs, auths = [], []
        for i, (fmt, alg, the_ca) in enumerate(specs):
            auth = sa.SoftAuthenticator(fmt, alg=alg, ca=the_ca)
            cred_id = hashlib.sha256(b"cred-%d" % i).digest()
            reg = auth.make_registration(rp_id, origin, challenge, credential_id=cred_id,
                                         user_handle=b"user-%d" % i)
            name = f"soft_{fmt}_{alg}"
            regs.append(RegContext(name, rp_id, origin, challenge,
                                   {k: [p.encode() for p in v] for k, v in auth.trust_anchors().items()} or None,
                                   None, reg.to_json(), _resigner(reg), {"reg": reg}))
            a = auth.make_assertion(rp_id, origin, challenge, cred_id, user_handle=b"user-%d" % i)
            auths.append(AuthContext(name, rp_id, origin, challenge, cred_id, reg.cose_key_bytes, 0, False,
                                     a.to_json(), reg.credential_key, alg))
        return regs, auths
    finally:
        sa.generate_key, sa.ec = real_gen, real_ec  # type: ignore[assignment]


def _resigner(reg: sa.Registration) -> Callable[[dict[str, Any], bytes], None]:
    fmt = reg.fmt

    def resign(obj: dict[str, Any], cdj: bytes) -> None:
        ad, st = obj.get("authData"), obj.get("attStmt")
        if not isinstance(ad, bytes) or not isinstance(st, dict):
            return
        cdh = hashlib.sha256(cdj).digest()
        if fmt == "fido-u2f":
            parsed = parse_auth_data_loose(ad)
            if parsed is None or parsed[1] is None or reg.attestation_key is None:
                return
            try:
                data = sa.u2f_signed_data(ad[:32], cdh, parsed[0], parsed[1])
            except Exception:  # noqa: BLE001 - mutated key without -2/-3
                return
            st["sig"] = sa.sign(-7, reg.attestation_key, data)
        elif fmt == "packed" and reg.attestation_key is not None:
            st["sig"] = sa.sign(reg.attestation_alg or -7, reg.attestation_key, ad + cdh)
        elif fmt == "packed":
            st["sig"] = sa.sign(reg.alg, reg.credential_key, ad + cdh)

    return resign


def _vector_auth_contexts() -> list[AuthContext]:
    out = []
    for path in sorted((VECTORS / "authentication").glob("*.json")):
        v = json.loads(path.read_text("utf-8"))
        r = v["response"]
        out.append(AuthContext(path.stem, v.get("rp_id") or "localhost", v["origin"], unb64(v["challenge"]),
                               unb64(r["rawId"]), unb64(v["credential_public_key"]), v.get("stored_sign_count", 0),
                               None, r))
    return out


_REG: list[RegContext] | None = None
_AUTH: list[AuthContext] | None = None


def contexts() -> tuple[list[RegContext], list[AuthContext]]:
    global _REG, _AUTH
    if _REG is None or _AUTH is None:
        soft_regs, soft_auths = _soft_contexts()
        _REG = soft_regs + _vector_reg_contexts()
        _AUTH = soft_auths + _vector_auth_contexts()
    return _REG, _AUTH


# ------------------------------------------------------------------ case encoding
def encode_case(*items: Any) -> bytes:
    return cbor2.dumps(list(items))


def decode_case(data: bytes, n: int) -> list[Any] | None:
    try:
        case = cbor2.loads(data)
    except Exception:  # noqa: BLE001 - fuzzed bytes
        return None
    if not isinstance(case, list) or len(case) != n or not isinstance(case[0], int):
        return None
    return case
