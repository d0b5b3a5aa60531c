"""Loader for the JSON test vectors in tests/vectors/ (see tests/vectors/README.md).

    import vectors
    @pytest.mark.parametrize("vec", **vectors.parametrize("registration", positive=True))
    def test_x(vec): ...
"""
from __future__ import annotations

import base64
import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent / "vectors"
KIND_DIRS = {"registration": "registration", "authentication": "authentication",
             "statement": "statements", "w3c": "w3c"}


@lru_cache(maxsize=None)
def _load(kind: str) -> tuple[dict[str, Any], ...]:
    if kind not in KIND_DIRS:
        raise ValueError(f"unknown vector kind {kind!r}; one of {sorted(KIND_DIRS)}")
    out = []
    for path in sorted((ROOT / KIND_DIRS[kind]).glob("*.json")):
        vec = json.loads(path.read_text(encoding="utf-8"))
        vec.setdefault("name", path.stem)
        vec["_path"] = str(path)
        out.append(vec)
    return tuple(out)


def load(kind: str, *, positive: bool | None = None, fmt: str | None = None) -> list[dict[str, Any]]:
    """All vectors of `kind` ("registration", "authentication", "statement", "w3c"), sorted by name.
    positive=True keeps those expected to verify, False those expected to fail; fmt filters on
    expected.fmt. Each call returns fresh copies (tests may mutate them)."""
    out = []
    for vec in _load(kind):
        if positive is not None and is_positive(vec) != positive:
            continue
        if fmt is not None and vec.get("expected", {}).get("fmt") != fmt:
            continue
        out.append(json.loads(json.dumps(vec)))
    return out


def is_positive(vec: dict[str, Any]) -> bool:
    return not vec.get("expected", {}).get("error", False)


def ids(vecs: list[dict[str, Any]]) -> list[str]:
    return [v["name"] for v in vecs]


def parametrize(kind: str, **filters: Any) -> dict[str, Any]:
    """kwargs for pytest.mark.parametrize: argvalues and ids from vector names."""
    vecs = load(kind, **filters)
    return {"argvalues": vecs, "ids": ids(vecs)}


def params(kind: str, **filters: Any) -> list[Any]:
    """pytest.param objects with id=name, for combining with marks."""
    return [pytest.param(v, id=v["name"]) for v in load(kind, **filters)]


def b64u_decode(text: str) -> bytes:
    """Decode base64url or standard base64, padded or not (vectors keep their source's encoding)."""
    t = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def now(vec: dict[str, Any]) -> dt.datetime | None:
    """The vector's `now` as an aware UTC datetime (None when it has none)."""
    s = vec.get("now")
    if not s:
        return None
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def challenge(vec: dict[str, Any]) -> bytes:
    return b64u_decode(vec["challenge"])


def trust_anchors(vec: dict[str, Any]) -> dict[str, list[bytes]] | None:
    """{fmt: [PEM bytes]} or None."""
    ta = vec.get("trust_anchors")
    if not ta:
        return None
    return {fmt: [p.encode("ascii") for p in pems] for fmt, pems in ta.items()}
