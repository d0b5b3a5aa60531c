# Sourced by the scripts that build or test with the project's interpreter (run from the
# repository root): PY is $PYTHON if set, else .venv/bin/python, else python3, as an absolute path.
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in .venv/bin/python python3; do
    if [ -x "$c" ] || command -v "$c" >/dev/null; then PY=$c; break; fi
  done
fi
PY=$(command -v "$PY" || echo "$PY"); case $PY in /*) ;; *) PY=$PWD/$PY;; esac
