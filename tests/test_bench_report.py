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
    assert "| none (no root) | 2.0 |" in table and "| +4.0 | 1.50x |" in table  # 6.0 - 2.0 µs; (2.0 + 1.0) / 2.0

    assert report._rp_ranges(rows) == "+4.0 µs for packed and fido-u2f, +4.0 µs for `none`"

    tgts = {t.text: t for t in report.targets(rows)}
    budget = next(t for t in tgts.values() if t.text.startswith("RelyingParty.register − verify_attestation"))
    assert budget.value == pytest.approx(4.0e-6) and budget.holds is True  # the 5 µs budget
    assert "| +4.0 µs | <= 5 µs | holds |" in budget.line()


def test_real_paths_threads_and_budget(tmp_path: Path) -> None:
    a = _pass(tmp_path, "a.json", [
        _bench("fastattest", "packed", 200e-6, roots=True, kind="new-device"),
        _bench("fastattest-rp", "packed", 207e-6, roots=True, kind="new-device"),
        _bench("py_webauthn", "packed", 700e-6, roots=True, kind="new-device"),
        _bench("floor", "packed", 160e-6, kind="new-device", floor="2 x ECDSA P-256"),
        _bench("floor", "apple", 500e-6, kind="new-device", floor="ECDSA P-384"),
        _bench("fastattest", "apple", 700e-6, roots=True, kind="new-device"),
        _bench("fastattest", "apple", 20e-6, roots=True),  # the warm apple row: its own floor (none here)
        _bench("fastattest", "assertion-es256", 80e-6, kind="new-key"),
        _bench("floor", "assertion-es256", 70e-6, kind="new-key", floor="ECDSA P-256"),
        {"extra_info": {"kind": "threads", "case": "packed", "lib": "fastattest", "threads": 1, "batch": 8},
         "stats": {"median": 8 * 200e-6}},
        {"extra_info": {"kind": "threads", "case": "packed", "lib": "fastattest", "threads": 2, "batch": 8},
         "stats": {"median": 8 * 110e-6}},
        {"extra_info": {"kind": "threads", "case": "packed", "lib": "floor", "threads": 1, "batch": 8},
         "stats": {"median": 8 * 160e-6}},
        {"extra_info": {"kind": "threads", "case": "packed", "lib": "floor", "threads": 2, "batch": 8},
         "stats": {"median": 8 * 100e-6}},
    ])
    rows, _ = report.load_rows(a)
    assert [r.kind for r in rows][:3] == ["new-device", "new-device", "new-key"]
    packed = next(r for r in rows if r.kind == "new-device" and r.case == "packed")
    assert packed.ratio("fastattest", "floor") == pytest.approx(1.25) and packed.floor_kind == "2 x ECDSA P-256"
    warm_apple = next(r for r in rows if r.kind == "registration" and r.case == "apple")
    assert warm_apple.get("floor") is None  # floors are per path: the new-device one is not the warm row's
    th = report.load_threads(a)
    assert th[("packed", "fastattest")] == {1: pytest.approx(200e-6), 2: pytest.approx(110e-6)}
    tgts = {t.text: t for t in report.targets(rows, th)}
    assert tgts["new device, packed: fastattest ÷ floor (2 x ECDSA P-256 + SHA-256)"].holds is True
    assert tgts["new device, packed: speed-up over py_webauthn (same root)"].value == pytest.approx(3.5)
    assert tgts["new device, apple: fastattest ÷ floor (ECDSA P-384 + SHA-256)"].holds is False  # 1.4x
    assert tgts["new key, ES256 assertion: fastattest ÷ floor (signature + SHA-256, key loaded)"].value == pytest.approx(80 / 70)
    scal = tgts["threads, packed: 2 threads ÷ 1 thread, one RelyingParty (the floor's own: 1.60x)"]
    assert scal.value == pytest.approx(200 / 110) and scal.holds is True
    assert "| packed | floor | 160 | 100 | 1.60x |" in report.threads_table(th)
    assert "the floor's own: n/a" in next(t for t in tgts if t.startswith("threads, tpm-rsa"))  # no floor rows ran
    budget = next((t for t in tgts.values() if t.text.startswith("RelyingParty.register − verify_attestation")), None)
    assert budget is None  # only same-input (warm) rows count, and this pass has none
    assert "| new device: packed | 200 | 207 | 700 |" in report.real_table(rows)
    assert packed.gil_bound == 2.0  # 207 <= 2 x 160: the signatures could keep two threads busy
    assert report.Row("new-device", "x", True, {"fastattest": 300e-6, "floor": 100e-6}).gil_bound == pytest.approx(1.5)
    assert "| 3.50x | n/a | 2.00x |" in report.real_table(rows)


def test_missing_figures_are_not_targets_met(tmp_path: Path) -> None:
    rows, _ = report.load_rows(_pass(tmp_path, "a.json", [_bench("fastattest", "none", 2.0e-6)]))
    assert rows[0].rp_bound is None
    assert all(t.holds is None for t in report.targets(rows) if t.value is None)
    assert "n/a" in report.table(rows)
