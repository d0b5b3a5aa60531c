#!/usr/bin/env bash
# Build the documentation site (Sphinx + MyST) with every warning an error: docs/_build/html.
#   scripts/docs.sh            (uses .venv, creating it and installing fastattest[docs] if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q -e '.[docs]'
rm -rf docs/_build
.venv/bin/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
echo "docs: built docs/_build/html (warnings are errors)"
