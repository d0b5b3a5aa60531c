#!/usr/bin/env bash
# Set up a fresh machine and run the whole test suite. CI (.ci/run) runs exactly this.
#   - Debian packages the tests drive for real: Chromium + ChromeDriver (browser round trip)
#   - a virtual environment in .venv with fastattest built from source and the test extras
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test,dask,example]'
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
# the benchmark suites in short mode: each body once, verdicts only (never fails on timing noise)
.venv/bin/python -m pytest -q -p no:cacheprovider bench/ --benchmark-disable
# the EC core again with the portable limb arithmetic MSVC gets (no unsigned __int128)
./scripts/portable.sh
# the manylinux wheel, installed alone in a fresh venv: smoke test, demo, offline metadata, the tests
./scripts/wheel.sh
# the package and a typed user program under mypy --strict; the core's stubs against the built module
./scripts/typecheck.sh
# the documentation site, every warning an error
./scripts/docs.sh
./scripts/fuzz-ci.sh  # coverage-guided fuzzing with floors + ASan/UBSan (fuzz/README.md)
