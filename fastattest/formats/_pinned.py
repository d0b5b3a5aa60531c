"""Read the PEM anchors that formats pin (fastattest/roots/, see PINNED.md there)."""
from __future__ import annotations

from importlib import resources
from typing import Iterable


def read_pinned(names: Iterable[str]) -> list[bytes]:
    root = resources.files("fastattest").joinpath("roots")
    return [root.joinpath(name).read_bytes() for name in names]
