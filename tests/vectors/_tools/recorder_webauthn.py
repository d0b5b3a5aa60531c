"""pytest plugin: record every verify_*_response call made by py_webauthn's tests."""
import builtins, json, os, traceback
import webauthn
import webauthn.registration.verify_registration_response as vrr_mod
import webauthn.authentication.verify_authentication_response as var_mod

RECORDS = []
CURRENT = {"node": None}
_orig_reg = webauthn.verify_registration_response
_orig_auth = webauthn.verify_authentication_response

def _cred_repr(c):
    if isinstance(c, str):
        return {"type": "str", "value": c}
    if isinstance(c, dict):
        return {"type": "dict", "value": json.loads(json.dumps(c))}
    return {"type": "struct", "raw": CURRENT.get("last_raw")}

def _b(x):
    if isinstance(x, (bytes, bytearray)):
        return {"bytes": bytes(x).hex()}
    if isinstance(x, list):
        return [_b(i) for i in x]
    if isinstance(x, dict):
        return {(k.value if hasattr(k, "value") else str(k)): _b(v) for k, v in x.items()}
    if hasattr(x, "value"):
        return str(x.value)
    return x if isinstance(x, (int, str, bool, type(None), float)) else repr(x)

def _wrap(orig, kind):
    def w(*args, **kwargs):
        rec = {"node": CURRENT["node"], "kind": kind,
               "credential": _cred_repr(kwargs.get("credential", args[0] if args else None)),
               "kwargs": {k: _b(v) for k, v in kwargs.items() if k != "credential"},
               "now": str(getattr(builtins, "_vec_now", None))}
        try:
            res = orig(*args, **kwargs)
            rec["ok"] = True
            rec["result"] = {k: _b(v) for k, v in vars(res).items()} if hasattr(res, "__dict__") else repr(res)
            return res
        except Exception as e:
            rec["ok"] = False
            rec["error"] = f"{type(e).__name__}: {e}"
            raise
        finally:
            RECORDS.append(rec)
    return w

import webauthn.helpers as _h
for _n in ("parse_registration_credential_json", "parse_authentication_credential_json"):
    _o = getattr(_h, _n)
    def _mk(_o):
        def p(x):
            CURRENT["last_raw"] = x if isinstance(x, str) else json.loads(json.dumps(x))
            return _o(x)
        return p
    setattr(_h, _n, _mk(_o))

webauthn.verify_registration_response = _wrap(_orig_reg, "registration")
webauthn.verify_authentication_response = _wrap(_orig_auth, "authentication")

def pytest_runtest_setup(item):
    CURRENT["node"] = item.nodeid
    CURRENT["last_raw"] = None
    if hasattr(builtins, "_vec_now"):
        del builtins._vec_now

def pytest_sessionfinish(session):
    with open(os.environ.get("REC_OUT", "/tmp/sdists/webauthn_records.json"), "w") as f:
        json.dump(RECORDS, f, indent=1)

import webauthn.registration.formats.android_safetynet as _sn
_orig_sn = _sn.verify_android_safetynet
def _sn_wrap(**kw):
    rec = {"node": CURRENT["node"], "kind": "safetynet_direct", "credential": {"type": "struct", "raw": CURRENT.get("last_raw")},
           "kwargs": {k: _b(v) for k, v in kw.items() if k not in ("attestation_statement",)},
           "now": str(getattr(builtins, "_vec_now", None))}
    try:
        r = _orig_sn(**kw); rec["ok"] = True; return r
    except Exception as e:
        rec["ok"] = False; rec["error"] = f"{type(e).__name__}: {e}"; raise
    finally:
        RECORDS.append(rec)
_sn.verify_android_safetynet = _sn_wrap
