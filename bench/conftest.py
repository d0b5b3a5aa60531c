"""pytest-benchmark configuration for bench/ (run explicitly: ``pytest bench/``).

Files are named ``bench_*.py``; this conftest collects them. ``clear_caches()`` makes the
next fastattest call see every certificate, chain and key for the first time ("cold").
CI short mode: ``pytest bench/ --benchmark-disable`` runs each benchmark body once, checking
verdicts only; timing never fails a run.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> Any:
    # files named on the command line are collected by pytest itself
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def _anchor_caches() -> set[Any]:
    """Caches of configured trust anchors: set up once per relying party, so kept when cold."""
    from fastattest import attestation, trust

    return {getattr(attestation, "_stores_cached", None), getattr(trust, "_store", None)}


def clear_caches(anchors: bool = False) -> None:
    """Forget every parsed certificate, decoded name and extension, validated chain, remembered passed check and COSE public key.

    Clears each ``functools.lru_cache`` defined in any loaded ``fastattest`` module (so caches
    added later, e.g. by the TPM format, are covered) and the validated-path cache
    ``fastattest.trust._PATHS`` with the validated issuers ``fastattest.issuers``. Trust stores built from configured anchors are kept unless
    ``anchors=True``: a relying party builds them once at startup, they are not per-call work.
    """
    from fastattest.certificates import Passed  # memories of passed checks (certificates, trust)

    keep = set() if anchors else _anchor_caches()
    for name, mod in list(sys.modules.items()):
        if mod is None or not (name == "fastattest" or name.startswith("fastattest.")):
            continue
        for obj in list(vars(mod).values()):
            clear = getattr(obj, "cache_clear", None)
            if isinstance(obj, Passed):
                obj.clear()
            elif callable(clear) and getattr(obj, "__module__", None) == name and obj not in keep:
                clear()
    from fastattest import attestation, certificates, issuers, trust

    trust._PATHS.clear()
    issuers.clear()
    certificates._NAMES.clear()  # names and extensions decoded once per DER
    certificates._EXTENSIONS.clear()
    attestation._LAST = None  # the last trust_anchors mapping prepared


@pytest.fixture
def cold() -> Any:
    return clear_caches
