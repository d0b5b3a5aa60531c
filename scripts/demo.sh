#!/usr/bin/env bash
# Install fastattest alone (no extras: the metadata snapshot ships in the package) in .venv and verify the bundled real registration and sign-in responses.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
.venv/bin/fastattest demo "$@"
