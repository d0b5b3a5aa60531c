"""bench/report.py reads pytest-benchmark passes into the README table and targets correctly.

The figures it prints are what the project claims about its speed, so the arithmetic is tested
on a hand-made pass: lowest median per benchmark across passes, ratios, the ceremony floor
attached to every row of its case, and the target verdicts.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from bench import report  # noqa: E402


def _bench(lib: str, case: str, median: float, roots: bool = False, **extra: str) -> dict:
    info = {"kind": "registration", "case": case, "lib": lib, "roots": roots, **extra}
    return {"extra_info": info, "stats": {"median": median}}


def _pass(tmp_path: Path, name: str, benches: list[dict]) -> Path:
    p = tmp_path / name
    p.write_text(json.dumps({"benchmarks": benches, "machine_info": {}}))
    return p


def test_rows_ratios_and_ceremony_floor(tmp_path: Path) -> None:
    a = _pass(tmp_path, "a.json", [
        _bench("fastattest", "none", 2.0e-6),
        _bench("fastattest-rp", "none", 7.0e-6),
        _bench("py_webauthn", "none", 30.0e-6),
        _bench("ceremony-floor", "none", 1.5e-6),
        _bench("fastattest", "packed-full", 50.0e-6, roots=True),
        _bench("fastattest-rp", "packed-full", 54.0e-6, roots=True),
        _bench("ceremony-floor", "packed-full", 1.6e-6),
    ])
    b = _pass(tmp_path, "b.json", [  # a second pass: each benchmark keeps its lower median
        _bench("fastattest", "none", 2.5e-6),
        _bench("fastattest-rp", "none", 6.0e-6),
        _bench("ceremony-floor", "none", 1.0e-6),
    ])
    rows, _ = report.load_rows(a, b)
    none = next(r for r in rows if r.case == "none")
    packed = next(r for r in rows if r.case == "packed-full")
    assert none.get("fastattest") == 2.0e-6 and none.get("fastattest-rp") == 6.0e-6
    assert none.ratio("fastattest-rp", "fastattest") == pytest.approx(3.0)
    assert none.ratio("py_webauthn", "fastattest") == pytest.approx(15.0)
    assert none.rp_bound == pytest.approx(1.5)  # (2.0 + 1.0) / 2.0
    assert packed.roots and packed.rp_bound == pytest.approx(51.6 / 50.0)  # no-root floor reaches root rows

    table = report.table(rows)
    assert "| none (no root) | 2.0 |" in table and "| 3.00x | 1.50x |" in table

    assert report._rp_ranges(rows) == "1.08x for packed and fido-u2f, 3.00x for `none`"

    tgts = {t.text: t for t in report.targets(rows)}
    worst = tgts["RelyingParty.register ÷ verify_attestation (worst: none (no root))"]
    assert worst.value == pytest.approx(3.0) and worst.holds is False
    bound = tgts["the same, at best: (verify_attestation + ceremony floor) ÷ verify_attestation (none (no root))"]
    assert bound.value == pytest.approx(1.5) and bound.holds is False


def test_missing_figures_are_not_targets_met(tmp_path: Path) -> None:
    rows, _ = report.load_rows(_pass(tmp_path, "a.json", [_bench("fastattest", "none", 2.0e-6)]))
    assert rows[0].rp_bound is None
    assert all(t.holds is None for t in report.targets(rows) if t.value is None)
    assert "n/a" in report.table(rows)
