"""Replay inputs through a fuzz target without libFuzzer (reproduce findings, sanitizer runs).

    python fuzz/replay.py TARGET PATH...     (files or directories)

Prints the traceback of each failing input and exits 1 if any failed."""
from __future__ import annotations

import importlib
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv: list[str]) -> int:
    target, paths = argv[0], argv[1:]
    sys.argv = [sys.argv[0]]
    mod = importlib.import_module(f"fuzz_{target}")
    files = [f for p in map(Path, paths) for f in (sorted(p.iterdir()) if p.is_dir() else [p]) if f.is_file()]
    failed = 0
    for f in files:
        try:
            mod.TestOneInput(f.read_bytes())
        except Exception:  # noqa: BLE001 - report every finding
            failed += 1
            print(f"FAIL {f}", file=sys.stderr)
            traceback.print_exc()
    print(f"{target}: {len(files)} inputs, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
