"""Smoke test of an installed fastattest (a wheel in a fresh environment): run by cibuildwheel's
test-command and by scripts/wheel.sh, from a directory where the source tree is not importable.

    python scripts/smoke.py [--no-metadata]

Checks: the package and its compiled core come from site-packages (not a source checkout); the
version is the distribution's; every bundled sample verifies (`fastattest demo`); the licence
files are installed; and, unless --no-metadata, `MetadataStore.load()` works offline.
"""
from __future__ import annotations

import io
import sys
from importlib import metadata
from pathlib import Path


def main(argv: list[str]) -> int:
    import fastattest
    from fastattest import _core, cli

    pkg = Path(fastattest.__file__).resolve().parent
    core = Path(_core.__file__).resolve()
    print(f"fastattest {fastattest.__version__} from {pkg}")
    print(f"core: {core.name} (EC_INT128={_core.EC_INT128})")
    assert "site-packages" in pkg.parts, f"fastattest imported from {pkg}, not an installed wheel"
    assert core.parent == pkg and core.suffix in (".so", ".pyd"), core
    assert metadata.version("fastattest") == fastattest.__version__

    dist = metadata.distribution("fastattest")
    licences = {Path(str(f)).name for f in dist.files or () if "licenses" in Path(str(f)).parts}
    assert {"LICENSE", "NOTICE"} <= licences, f"licence files missing from the wheel: {sorted(licences)}"

    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["demo"], stdout=out, stderr=err) == 0, err.getvalue()
    rows = [line for line in out.getvalue().splitlines() if line.startswith("py_webauthn_")]
    print(out.getvalue())
    assert len(rows) >= 10, "the bundled samples are missing"
    bad = [r for r in rows if " ok" not in r]
    assert not bad, f"samples that did not verify: {bad}"

    if "--no-metadata" not in argv:
        store = fastattest.MetadataStore.load()
        print(f"MetadataStore.load(): {len(store)} entries ({store!r})")
        assert len(store) > 0
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
