"""pytest plugin: record every Attestation.verify call made by python-fido2's tests."""
import json, os
import cbor2
from fido2.attestation import (NoneAttestation, PackedAttestation, FidoU2FAttestation,
    TpmAttestation, AndroidSafetynetAttestation, AppleAttestation, UnsupportedAttestation)

RECORDS = []
CURRENT = {"node": None}
FMT = {NoneAttestation: "none", PackedAttestation: "packed", FidoU2FAttestation: "fido-u2f",
       TpmAttestation: "tpm", AndroidSafetynetAttestation: "android-safetynet", AppleAttestation: "apple"}

def _plain(x):
    if isinstance(x, (bytes, bytearray)):
        return bytes(x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(i) for i in x]
    return x

for cls, fmt in FMT.items():
    orig = cls.verify
    def make(orig, fmt):
        def verify(self, statement, auth_data, client_data_hash):
            rec = {"node": CURRENT["node"], "fmt": fmt}
            try:
                rec["att_obj"] = cbor2.dumps({"fmt": fmt, "attStmt": _plain(statement), "authData": bytes(auth_data)}).hex()
                rec["att_stmt_keys"] = list(statement.keys()) if isinstance(statement, dict) else None
            except Exception as e:
                rec["att_obj_error"] = repr(e)
            rec["cdh"] = bytes(client_data_hash).hex() if isinstance(client_data_hash, (bytes, bytearray)) else repr(client_data_hash)
            try:
                res = orig(self, statement, auth_data, client_data_hash)
                rec["ok"] = True
                rec["attestation_type"] = res.attestation_type.name
                rec["trust_path_len"] = len(res.trust_path)
                return res
            except Exception as e:
                rec["ok"] = False
                rec["error"] = f"{type(e).__name__}: {e}"
                raise
            finally:
                RECORDS.append(rec)
        return verify
    cls.verify = make(orig, fmt)

def pytest_runtest_setup(item):
    CURRENT["node"] = item.nodeid

def pytest_sessionfinish(session):
    with open("/tmp/sdists/fido2_records.json", "w") as f:
        json.dump(RECORDS, f, indent=1)
