"""Write seed corpora for the fuzz targets from the recorded vectors (tests/vectors/) and the
deterministic software-authenticator contexts (fuzz/_cases.py).

    python fuzz/make_seeds.py [OUT]        (default fuzz/corpus; git-ignored)

One directory per target (cbor, auth_data, cose, tpm, client_data, x509, register, verify); files are
named by the SHA-1 of their content, so re-running only adds. Past findings in fuzz/regressions/
are seeds too.
"""
from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

import cbor2  # noqa: E402
from _cases import contexts, encode_case, parse_auth_data_loose, unb64  # noqa: E402

VECTORS = HERE.parent / "tests" / "vectors"
TARGETS = ("cbor", "auth_data", "cose", "tpm", "client_data", "x509", "register", "verify")


def _package_path(rel: str) -> Path:
    """A file of the fastattest package: the source tree's, else the installed one's (the tests
    run against an installed wheel from a copy without fastattest/); found without importing it."""
    local = HERE.parent / "fastattest" / rel
    if local.exists():
        return local
    spec = importlib.util.find_spec("fastattest")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("make_seeds: fastattest is neither beside fuzz/ nor installed")
    return Path(list(spec.submodule_search_locations)[0]) / rel


ROOTS = _package_path("roots")


def _cbor_vectors() -> list[bytes]:
    """RFC 8949 Appendix A encodings stored by tests/test_differential.py's data (valid and invalid)."""
    out: list[bytes] = []
    for name in ("appendix_a.json", "fail.json"):
        p = VECTORS / "cbor" / name
        if p.exists():
            for item in json.loads(p.read_text("utf-8")):
                h = item.get("hex")
                if isinstance(h, str):
                    out.append(bytes.fromhex(h))
    return out


def _x5c(attestation_object: bytes) -> list[bytes]:
    try:
        st = cbor2.loads(attestation_object).get("attStmt")
    except Exception:  # noqa: BLE001 - the must-fail vectors
        return []
    x5c = st.get("x5c") if isinstance(st, dict) else None
    return [c for c in x5c if isinstance(c, bytes)] if isinstance(x5c, list) else []


def _certificates() -> set[bytes]:
    """The repository's DER certificates: the bundled roots (PEM) and the x5c of every recorded
    registration (tests/vectors/**/*.json, tests/vectors/certificates/ among them), deduplicated."""
    ders: set[bytes] = set()
    for pem in sorted(ROOTS.glob("*.pem")):
        for block in re.findall(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem.read_bytes(), re.S):
            ders.add(base64.b64decode(b"".join(block.split())))
    for path in sorted(VECTORS.rglob("*.json")):
        try:
            ao = json.loads(path.read_text("utf-8"))["response"]["response"]["attestationObject"]
        except (ValueError, KeyError, TypeError):
            continue
        if isinstance(ao, str):
            ders.update(_x5c(unb64(ao)))
    return ders


def _x509_seeds(ders: set[bytes]) -> set[bytes]:
    """Selector 0x00 + certificate (whole, and truncated inside the header, the issuer, the middle
    and the signature), selector 0x01 + header length + each issuer and subject Name, selector
    0x03 + the elements of a certificate and of its tbsCertificate, and of an android-key
    KeyDescription and its lists (high tag numbers). The parts are found with the pure-Python
    DER reader (no compiled core needed to write seeds)."""
    spec = importlib.util.spec_from_file_location("_seed_der", _package_path("_der.py"))
    der_reader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(der_reader)  # type: ignore[union-attr]
    out: set[bytes] = set()
    for der in ders:
        out.add(b"\x00" + der)
        for cut in (4, 40, len(der) // 2, len(der) - 1):
            out.add(b"\x00" + der[:cut])
        try:
            _, s, e = der_reader.tlv(der, 0, len(der))
            _, s, e = der_reader.tlv(der, s, e)  # tbsCertificate
            fields = der_reader.children(der, s, e)
        except ValueError:
            continue
        out.add(b"\x03" + der[s:e])
        fields = fields[1:] if fields and fields[0][0] == 0xA0 else fields
        for _, h, cs, ce in (fields[2:3] + fields[4:5]):  # issuer, subject
            out.add(b"\x01" + bytes([cs - h]) + der[h:ce])
        out.add(b"\x03" + der)
    kd = bytes.fromhex(_KEY_DESCRIPTION)
    out.update(b"\x03" + kd[a:] for a in (0, 3, 0x4E))  # the whole, its eight fields, teeEnforced's contents
    out.add(b"\x03" + kd[0x37:0x4C])  # softwareEnforced's contents
    return out


# A KeyDescription as bench/corpora.py generates them (attestation version 200; softwareEnforced
# [701] creationDateTime, [709] attestationApplicationId; teeEnforced [1] [2] [3] [10] [702] [704]
# rootOfTrust [705]): the high tag numbers android-key reads with _core.der_elements
_KEY_DESCRIPTION = (
    "3081c2020200c80a0101020200c80a01010420e719a937c83cb5fa6af587fa51657cb34f0dc7ca3a22e2daf5abbf21c892e837"
    "04003015bf853d080206018bcfe56801bf85450504036170703077a1053103020102a203020103a30402020100aa03020101bf85"
    "3e03020100bf85404c304a042011111111111111111111111111111111111111111111111111111111111111110101ff0a010004"
    "202222222222222222222222222222222222222222222222222222222222222222bf85410502030222e0")


def seeds() -> dict[str, set[bytes]]:
    s: dict[str, set[bytes]] = {t: set() for t in TARGETS}
    regs, auths = contexts()
    x5c = _certificates()  # plus the software authenticators' chains, below
    for i, c in enumerate(regs):
        ao, cdj = c.attestation_object, c.client_data_json
        s["register"].add(encode_case(i, ao, cdj, 1))
        s["cbor"].add(ao)
        s["client_data"].add(b"\x02" + cdj)
        s["client_data"].add(b"\x03" + json.dumps(c.response).encode())
        try:
            obj = cbor2.loads(ao)
        except Exception:  # noqa: BLE001 - the must-fail vectors
            continue
        if not isinstance(obj, dict):
            continue
        ad = obj.get("authData")
        if isinstance(ad, bytes):
            s["auth_data"].add(ad)
            parsed = parse_auth_data_loose(ad)
            if parsed and parsed[1] is not None:
                key = cbor2.dumps(parsed[1], canonical=True)
                s["cose"].add(key)
                s["cbor"].add(key)
        st = obj.get("attStmt")
        if isinstance(st, dict):
            if isinstance(st.get("pubArea"), bytes):
                s["tpm"].add(b"\x00" + st["pubArea"])
            if isinstance(st.get("certInfo"), bytes):
                s["tpm"].add(b"\x01" + st["certInfo"])
            s["cbor"].add(cbor2.dumps(st, canonical=True))
            x5c.update(_x5c(ao))
    for i, c in enumerate(auths):
        r = c.response["response"]
        ad, cdj, sig = unb64(r["authenticatorData"]), unb64(r["clientDataJSON"]), unb64(r["signature"])
        uh = unb64(r["userHandle"]) if r.get("userHandle") else None
        s["verify"].add(encode_case(i, ad, cdj, sig, uh, 0))
        s["auth_data"].add(ad)
        s["cose"].add(c.public_key)
        s["cose"].add(c.public_key + b"\xff\xfe" + sig)
        s["client_data"].add(b"\x00" + cdj)
        s["client_data"].add(b"\x01" + json.dumps(c.response).encode())
    s["cbor"].update(_cbor_vectors())
    s["x509"].update(_x509_seeds(x5c))
    for target, items in regressions().items():
        s[target].update(items)
    return s


def regressions(base: Path | None = None) -> dict[str, list[bytes]]:
    """Inputs the fuzzers once failed on (fuzz/regressions/TARGET/, written by scripts/fuzz-ci.sh,
    committed with the fix): every run starts from them, and tests/test_fuzz_regressions.py
    replays them. FUZZ_REGRESSIONS overrides the directory."""
    base = base or Path(os.environ.get("FUZZ_REGRESSIONS") or HERE / "regressions")
    out: dict[str, list[bytes]] = {}
    for t in TARGETS:
        d = base / t
        if d.is_dir():
            out[t] = [f.read_bytes() for f in sorted(d.iterdir()) if f.is_file() and not f.name.startswith(".")]
    return out


def write(out: Path) -> dict[str, int]:
    counts = {}
    for target, items in seeds().items():
        d = out / target
        d.mkdir(parents=True, exist_ok=True)
        for item in items:
            (d / hashlib.sha1(item).hexdigest()).write_bytes(item)
        counts[target] = len(items)
    return counts


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "corpus"
    for t, n in write(out).items():
        print(f"{t}: {n} seeds -> {out / t}")
