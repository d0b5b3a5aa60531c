"""Turn the recorded verify calls of py_webauthn's and python-fido2's test suites into vector files.

Regenerate (see README.md in this folder):
    pip download --no-binary :all: --no-deps -d /tmp/sdists webauthn==3.0.1 fido2==2.2.1
    ... run both suites with the recorder plugins, then:
    python tests/vectors/_tools/extract.py /tmp/sdists/webauthn_records.json /tmp/sdists/fido2_records.json
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

OUT = Path(__file__).resolve().parent.parent
WEBAUTHN = "py_webauthn 3.0.1"
FIDO2 = "python-fido2 2.2.1"
KNOWN_ROOTS = "/tmp/sdists/webauthn-3.0.1/webauthn/helpers/known_root_certs.py"


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def parse_auth_data(ad: bytes) -> dict[str, Any]:
    """WebAuthn L3 §6.1: rpIdHash(32) flags(1) signCount(4) [attestedCredentialData] [extensions]."""
    flags = ad[32]
    out: dict[str, Any] = {
        "sign_count": int.from_bytes(ad[33:37], "big"),
        "user_present": bool(flags & 0x01),
        "user_verified": bool(flags & 0x04),
        "backup_eligible": bool(flags & 0x08),
        "backed_up": bool(flags & 0x10),
    }
    if flags & 0x40:
        aaguid = ad[37:53]
        n = int.from_bytes(ad[53:55], "big")
        cred_id = ad[55:55 + n]
        stream = io.BytesIO(ad[55 + n:])
        key = cbor2.CBORDecoder(stream).decode()
        raw_key = ad[55 + n:55 + n + stream.tell()]
        out.update(aaguid=str(uuid.UUID(bytes=aaguid)), credential_id=b64u(cred_id),
                   credential_public_key=b64u(raw_key), alg=key[3])
    return out


def certs_of(att_obj: dict[str, Any]) -> list[x509.Certificate]:
    stmt = att_obj.get("attStmt") or {}
    ders = list(stmt.get("x5c") or [])
    if att_obj.get("fmt") == "android-safetynet" and "response" in stmt:
        header = json.loads(unb64u(stmt["response"].split(b".")[0].decode()))
        ders += [base64.b64decode(c) for c in header.get("x5c", [])]
    return [x509.load_der_x509_certificate(d) for d in ders]


def safetynet_timestamp(att_obj: dict[str, Any]) -> dt.datetime | None:
    stmt = att_obj.get("attStmt") or {}
    if att_obj.get("fmt") != "android-safetynet":
        return None
    payload = json.loads(unb64u(stmt["response"].split(b".")[1].decode()))
    return dt.datetime.fromtimestamp(payload["timestampMs"] / 1000, dt.timezone.utc)


def choose_now(certs: list[x509.Certificate]) -> tuple[str | None, str]:
    if not certs:
        return None, "no certificates"
    lo = max(c.not_valid_before_utc for c in certs)
    hi = min(c.not_valid_after_utc for c in certs)
    if lo >= hi:
        return None, f"certificate windows do not overlap ({lo} >= {hi})"
    mid = lo + (hi - lo) / 2
    mid = mid.replace(hour=0, minute=0, second=0, microsecond=0)
    return mid.strftime("%Y-%m-%dT%H:%M:%SZ"), f"chosen: midpoint of the overlap of all certificate windows ({lo:%Y-%m-%d} .. {hi:%Y-%m-%d})"


def iso(s: str | None) -> str | None:
    if not s or s == "None":
        return None
    return dt.datetime.fromisoformat(s).replace(tzinfo=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def pem_list(text: str) -> list[str]:
    out, cur = [], []
    for line in text.splitlines():
        line = line.strip()
        if line == "-----BEGIN CERTIFICATE-----":
            cur = [line]
        elif cur:
            cur.append(line)
            if line == "-----END CERTIFICATE-----":
                out.append("\n".join(cur) + "\n")
                cur = []
    return out


def known_roots() -> dict[str, str]:
    ns: dict[str, Any] = {}
    exec(Path(KNOWN_ROOTS).read_text(), ns)
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in ns.items()
            if isinstance(v, (str, bytes)) and b"BEGIN CERTIFICATE" in (v if isinstance(v, bytes) else v.encode())}


def pem_of_der(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode()


FILE_PREFIX = {
    "test_verify_registration_response.py": "",
    "test_verify_registration_response_android_key.py": "android_key",
    "test_verify_registration_response_android_safetynet.py": "android_safetynet",
    "test_verify_registration_response_apple.py": "apple",
    "test_verify_registration_response_fido_u2f.py": "fido_u2f",
    "test_verify_registration_response_packed.py": "packed",
    "test_verify_registration_response_pqc.py": "pqc",
    "test_verify_registration_response_tpm.py": "tpm",
    "test_verify_authentication_response.py": "",
    "test_verify_authentication_response_pqc.py": "pqc",
}
# Tests whose verify call runs on mocked internals: their data is not a self-consistent vector.
SKIP = {
    "test_verifies_response_optional_user_presence": "parse_attestation_object is mocked to clear UP/UV; the data itself is the none vector",
    "test_verify_attestation_android_safetynet_basic_integrity_true_cts_profile_match_false": "cbor2.loads, base64.b64encode and chain verification are mocked",
    "test_raise_attestation_android_safetynet_basic_integrity_false_cts_profile_match_false": "cbor2.loads, base64.b64encode and chain verification are mocked",
}


def short(func: str, prefix: str = "") -> str:
    s = _short(func)
    if prefix and (s == prefix or s.startswith(prefix + "_")):
        s = s[len(prefix) + 1:]
    for suffix in ("_packed_response", "_response", "_attestation"):
        s = s.removesuffix(suffix)
    return s


def _priority(rec: dict[str, Any]) -> int:
    func = node_parts(rec["node"])[1]
    return 0 if func.startswith("test_verif") else 1 if func.startswith("test_supports") else 2


def _short(func: str) -> str:
    if func == "test_raises_when_root_cert_invalid_for_response":
        return "fail_root_cert_invalid"
    for p in ("test_raises_exception_on_", "test_raises_useful_error_on_", "test_raises_on_"):
        if func.startswith(p):
            return "fail_" + func[len(p):]
    for p in ("test_verify_attestation_", "test_verify_authentication_response_", "test_verifies_",
              "test_verify_", "test_supports_", "test_"):
        if func.startswith(p):
            return func[len(p):]
    return func


def node_parts(node: str) -> tuple[str, str]:
    path, *rest = node.split("::")
    return path.rsplit("/", 1)[-1], rest[-1]


def write(kind_dir: str, vec: dict[str, Any]) -> None:
    d = OUT / kind_dir
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{vec['name']}.json").write_text(json.dumps(vec, indent=2, ensure_ascii=False) + "\n")


def bytes_of(v: Any) -> bytes:
    assert isinstance(v, dict) and "bytes" in v, v
    return bytes.fromhex(v["bytes"])


def webauthn_vectors(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    roots = known_roots()
    default_roots = {
        "android-key": [roots[f"google_hardware_attestation_root_{i}"] for i in (2, 3, 4, 5)],
        "apple": [roots["apple_webauthn_root_ca"]],
        "android-safetynet": [roots["globalsign_root_ca"]],
    }
    vectors: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}
    counts: dict[str, int] = {}
    for rec in sorted(records, key=_priority):
        fname, func = node_parts(rec["node"])
        source = f"{WEBAUTHN} tests/{fname}::{func}"
        if func in SKIP:
            print("skip", source, "--", SKIP[func], file=sys.stderr)
            continue
        cred = rec["credential"]
        resp = cred.get("value") if cred["type"] != "struct" else cred["raw"]
        if isinstance(resp, str):
            resp = json.loads(resp)
        kw = rec["kwargs"]
        is_auth = rec["kind"] == "authentication"
        prefix = FILE_PREFIX[fname]
        base = "_".join(x for x in ("py_webauthn", prefix, short(func, prefix)) if x).lower()
        ckey = rec["kind"] + base
        counts[ckey] = counts.get(ckey, 0) + 1
        name = base if counts[ckey] == 1 else f"{base}_{counts[ckey]}"
        vec: dict[str, Any] = {"name": name, "source": source,
                               "kind": "authentication" if is_auth else "registration",
                               "response": resp}
        if rec["kind"] == "safetynet_direct":
            # The source calls verify_android_safetynet() directly with verify_timestamp_ms=False.
            cdj = unb64u(resp["response"]["clientDataJSON"])
            cd = json.loads(cdj)
            vec["challenge"] = cd["challenge"]
            vec["origin"] = cd["origin"]
            vec["rp_id"] = None
        else:
            vec["challenge"] = b64u(bytes_of(kw["expected_challenge"]))
            origin = kw["expected_origin"]
            if isinstance(origin, list):
                cd = json.loads(unb64u(resp["response"]["clientDataJSON"]))
                vec["origin"] = cd["origin"] if cd["origin"] in origin else origin[0]
                vec["origins"] = origin
            else:
                vec["origin"] = origin
            vec["rp_id"] = kw["expected_rp_id"]
        if is_auth:
            vec["credential_public_key"] = b64u(bytes_of(kw["credential_public_key"]))
            vec["stored_sign_count"] = kw["credential_current_sign_count"]
            vec["require_user_verification"] = bool(kw.get("require_user_verification", False))
            if rec["ok"]:
                ad = parse_auth_data(unb64u(resp["response"]["authenticatorData"]))
                res = rec["result"]
                assert res["new_sign_count"] == ad["sign_count"]
                vec["expected"] = {"new_sign_count": ad["sign_count"], "user_verified": ad["user_verified"],
                                   "backed_up": ad["backed_up"]}
            else:
                vec["expected"] = {"error": True, "why": rec["error"]}
        else:
            att_obj_b = unb64u(resp["response"]["attestationObject"])
            now = iso(rec["now"])
            note = "mocked time of the source test" if now else None
            try:
                att_obj = cbor2.loads(att_obj_b)
                if not isinstance(att_obj, dict):
                    raise ValueError("not a map")
                certs = certs_of(att_obj)
            except Exception:
                att_obj, certs = None, []
            if att_obj is not None and att_obj.get("fmt") == "android-safetynet":
                ts = safetynet_timestamp(att_obj)
                lo = max(c.not_valid_before_utc for c in certs)
                hi = min(c.not_valid_after_utc for c in certs)
                assert ts is not None and lo <= ts <= hi, (ts, lo, hi)
                now = ts.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
                note = (f"the JWS timestampMs (inside every certificate's window); the source mocks "
                        f"{rec['now']} and disables the timestamp check (verify_timestamp_ms=False)")
            if now is None and certs:
                now, note = choose_now(certs)
            vec["now"] = now
            if note and now:
                vec["now_note"] = note
            pem_by_fmt = kw.get("pem_root_certs_bytes_by_fmt")
            if pem_by_fmt:
                vec["trust_anchors"] = {f: [pem for b in v for pem in pem_list(bytes_of(b).decode())]
                                        for f, v in pem_by_fmt.items()}
                vec["trust_anchors_note"] = "passed by the source test as pem_root_certs_bytes_by_fmt"
            elif rec["ok"] and att_obj is not None and att_obj.get("fmt") in default_roots:
                fmt = att_obj["fmt"]
                vec["trust_anchors"] = {fmt: default_roots[fmt]}
                vec["trust_anchors_note"] = (f"the roots {WEBAUTHN} adds by default for {fmt} "
                                             "(webauthn/helpers/known_root_certs.py), which this test relies on")
            if rec["ok"]:
                ad = parse_auth_data(att_obj["authData"])
                res = rec.get("result")
                if res:  # cross-check our reading of the data against py_webauthn's result
                    assert b64u(bytes_of(res["credential_id"])) == ad["credential_id"]
                    assert res["sign_count"] == ad["sign_count"] and res["aaguid"] == ad["aaguid"]
                    assert b64u(bytes_of(res["credential_public_key"])) == ad["credential_public_key"]
                exp = {"fmt": att_obj["fmt"], **{k: ad[k] for k in (
                    "credential_id", "sign_count", "aaguid", "alg", "user_present", "user_verified",
                    "backup_eligible", "backed_up", "credential_public_key")}}
                vec["expected"] = exp
            else:
                vec["expected"] = {"error": True, "why": rec["error"]}
        key = json.dumps([vec["response"], vec["challenge"], vec.get("origin"), vec.get("rp_id"),
                          vec.get("trust_anchors"), vec["expected"].get("error"),
                          vec.get("require_user_verification")], sort_keys=True)
        if key in seen:
            seen[key].setdefault("also_in", []).append(source)
            continue
        seen[key] = vec
        vectors.append(vec)
    return vectors


ATT_TYPE = {"BASIC": "basic", "SELF": "self", "ATT_CA": "attca", "ANON_CA": "anonca", "NONE": "none"}


def fido2_vectors(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    counts: dict[str, int] = {}
    gsr2 = None
    for rec in records:
        fname, func = node_parts(rec["node"])
        source = f"{FIDO2} tests/{fname}::{func}"
        raw = cbor2.loads(bytes.fromhex(rec["att_obj"]))
        att_obj_b = cbor2.dumps(raw, canonical=True)  # CTAP2 canonical (length-first) key order
        base = f"python_fido2_{short(func)}"
        if not rec["ok"]:
            base += {"InvalidSignature": "_bad_signature", "InvalidData": "_nonempty_statement"}.get(
                rec["error"].split(":")[0], "_fail")
        counts[base] = counts.get(base, 0) + 1
        name = base if counts[base] == 1 else f"{base}_{counts[base]}"
        vec: dict[str, Any] = {
            "name": name, "source": source, "kind": "statement",
            "attestation_object": b64u(att_obj_b), "client_data_hash": rec["cdh"] and b64u(bytes.fromhex(rec["cdh"])),
            "encoding_note": ("the source holds attStmt, authData and the client data hash as separate values; "
                              "the attestation object is their CTAP2-canonical CBOR encoding {fmt, attStmt, authData}"),
        }
        certs = certs_of(raw)
        now, note = choose_now(certs)
        if raw["fmt"] == "android-safetynet":
            ts = safetynet_timestamp(raw)
            lo = max(c.not_valid_before_utc for c in certs)
            hi = min(c.not_valid_after_utc for c in certs)
            if ts and lo <= ts <= hi:
                now = ts.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
                note = "the JWS timestampMs (inside every certificate's window)"
        vec["now"] = now
        if now:
            vec["now_note"] = note + "; the source does not check time"
        if raw["fmt"] == "android-safetynet" and rec["ok"]:
            if gsr2 is None:
                import ast
                tree = ast.parse(Path("/tmp/sdists/fido2-2.2.1/tests/test_attestation.py").read_text())
                node = next(n for n in tree.body if isinstance(n, ast.Assign)
                            and getattr(n.targets[0], "id", None) == "_GSR2_DER")
                gsr2 = bytes.fromhex(ast.literal_eval(node.value.args[0]))
            vec["trust_anchors"] = {"android-safetynet": [pem_of_der(gsr2)]}
            vec["trust_anchors_note"] = "GlobalSign Root R2 (_GSR2_DER), which the source test chains to"
        if rec["ok"]:
            ad = parse_auth_data(raw["authData"])
            exp = {"fmt": raw["fmt"], "attestation_type": ATT_TYPE[rec["attestation_type"]],
                   "trust_path_length": rec["trust_path_len"]}
            exp.update({k: ad[k] for k in ("credential_id", "sign_count", "aaguid", "alg", "user_present",
                                           "user_verified", "credential_public_key") if k in ad})
            vec["expected"] = exp
        else:
            vec["expected"] = {"fmt": raw["fmt"], "error": True, "why": rec["error"]}
        key = (vec["attestation_object"], vec["client_data_hash"])
        if key in seen:
            seen[key].setdefault("also_in", []).append(source)
            continue
        seen[key] = vec
        vectors.append(vec)
    return vectors


def main() -> None:
    wa = webauthn_vectors(json.loads(Path(sys.argv[1]).read_text()))
    f2 = fido2_vectors(json.loads(Path(sys.argv[2]).read_text()))
    for v in wa:
        write(v["kind"], v)
    for v in f2:
        write("statements", v)
    for v in wa + f2:
        e = v["expected"]
        print(f"{v['kind']:15} {v['name']:70} {e.get('fmt', ''):18} {'FAIL' if e.get('error') else 'ok':4} {v.get('now')}")


if __name__ == "__main__":
    main()
