#!/usr/bin/env bash
# Build the Cython core a second time with the portable limb arithmetic (no compiler 128-bit
# integers, as MSVC builds it: FASTATTEST_PORTABLE_INT=1, see setup.py and fastattest/_ec.pxi)
# in a separate copy of the tree, and run the EC tests against it: the core is cross-checked
# against an integer oracle and OpenSSL (tests/test_ec_point.py) and through the COSE parser.
#
#   scripts/portable.sh [DIR]        (default: a fresh temporary directory; never the in-place .so)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
. scripts/_python.sh
if [ $# -ge 1 ]; then DIR=$1; else DIR=$(mktemp -d /tmp/fastattest-portable.XXXXXX); trap 'rm -rf "$DIR"' EXIT; fi

rm -rf "$DIR" && mkdir -p "$DIR"
cp -r fastattest tests setup.py pyproject.toml README.md "$DIR"/
rm -rf "$DIR"/fastattest/*.so "$DIR"/fastattest/*.pyd "$DIR"/fastattest/_core.c "$DIR"/build
(cd "$DIR" && FASTATTEST_PORTABLE_INT=1 "$PY" setup.py build_ext --inplace >build.log 2>&1) \
  || { cat "$DIR/build.log" >&2; exit 1; }
cd "$DIR"
export FASTATTEST_PORTABLE_INT=1   # tests/test_ec_point.py::test_build_flavour_is_the_one_asked_for checks the build
PYTHONPATH="$DIR" "$PY" -c 'import fastattest._core as c; assert not c.EC_INT128, c.__file__; print("portable core:", c.__file__)'
PYTHONPATH="$DIR" "$PY" -m pytest -q -p no:cacheprovider tests/test_ec_point.py tests/test_cose.py
