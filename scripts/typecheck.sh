#!/usr/bin/env bash
# Static typing checks (issue 18): the package under `mypy --strict`, the stubs of the compiled
# core against the built module (mypy.stubtest), and a typed user program against the public
# API (tests/typing/check_public_api.py). Fails on any error. Uses the .venv of scripts/test.sh;
# installs what it lacks (mypy and the package's dependencies, from the `test` extra).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=${VENV:-.venv}  # another virtual environment that has the test extra: VENV=path
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
VPY="$VENV/bin/python"
if ! "$VPY" -c "import mypy, cryptography, asn1crypto, dask, distributed" >/dev/null 2>&1; then
  "$VPY" -m pip install -q --upgrade pip
  "$VPY" -m pip install -q -e '.[test,dask]'
fi
# stubtest imports the compiled core; build it in place when this checkout lacks it
if ! PYTHONPATH=. "$VPY" -c "import fastattest._core" >/dev/null 2>&1; then
  "$VPY" setup.py build_ext --inplace -q
fi

MYPY=("$VPY" -m mypy)
echo "mypy --strict -p fastattest"
"${MYPY[@]}" --strict -p fastattest
echo "mypy --strict tests/typing/check_public_api.py (a user's program)"
"${MYPY[@]}" --strict tests/typing/check_public_api.py
echo "stubtest fastattest._core (fastattest/_core.pyi against the compiled module)"
PYTHONPATH=. "$VPY" -m mypy.stubtest fastattest._core --allowlist tests/typing/stubtest-allowlist.txt
