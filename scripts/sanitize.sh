#!/usr/bin/env bash
# Build the Cython core with AddressSanitizer + UndefinedBehaviorSanitizer (gcc) in a separate copy
# of the tree and run the core tests and every fuzz seed under it.
#
#   scripts/sanitize.sh [DIR]        (default /tmp/fastattest-sanitize; never the in-place .so)
#
# setup.py honours FASTATTEST_SANITIZE=1 (-fsanitize=address,undefined -O1 -g). The Python
# interpreter is not instrumented, so the ASan runtime is LD_PRELOADed; leak detection is off
# (CPython's allocator "leaks" by design). Any ASan/UBSan report aborts the run: exit non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
. scripts/_python.sh
DIR=${1:-/tmp/fastattest-sanitize}
die() { echo "sanitize: FAIL: $*" >&2; exit 1; }

# Everything this run needs, checked up front: a missing piece fails loudly, never skips silently.
[ -x "$PY" ] || die "no Python interpreter at $PY (set PYTHON, or create .venv: scripts/test.sh does)"
"$PY" -c 'import atheris, cbor2, cryptography, asn1crypto, Cython, pytest, hypothesis, setuptools' \
  || die "$PY lacks a dependency of the sanitizer run (pip install -e '.[test]')"
command -v gcc >/dev/null || die "gcc is not installed"
ASAN_LIB=$(gcc -print-file-name=libasan.so)
UBSAN_LIB=$(gcc -print-file-name=libubsan.so)
# gcc prints the bare name when the runtime is absent, and a bad LD_PRELOAD is only a warning
[ -f "$ASAN_LIB" ] && [ -f "$UBSAN_LIB" ] || die "gcc's libasan/libubsan are missing (apt-get install libasan8 libubsan1)"

rm -rf "$DIR" && mkdir -p "$DIR"
cp -r fastattest tests fuzz setup.py pyproject.toml "$DIR"/
rm -rf "$DIR"/fuzz/corpus "$DIR"/fuzz/findings "$DIR"/fastattest/*.so "$DIR"/fastattest/_core.c
(cd "$DIR" && FASTATTEST_SANITIZE=1 CC=gcc "$PY" setup.py build_ext --inplace -q >build.log 2>&1) \
  || { cat "$DIR/build.log" >&2; exit 1; }

export LD_PRELOAD="$ASAN_LIB $UBSAN_LIB"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export PYTHONHASHSEED=0
# the catalogue's time budgets (100 ms per case) scale under ASan and a loaded machine (fuzz-ci.sh
# runs this beside the fuzzers); the sanitizers check the same work, only slower
export FASTATTEST_TIME_FACTOR=${FASTATTEST_TIME_FACTOR:-20}
cd "$DIR"
# the core imported must be this sanitized build, and the ASan runtime really loaded
"$PY" -c '
import ctypes, sys, fastattest._core as c
assert c.__file__.startswith(sys.argv[1]), c.__file__
assert hasattr(ctypes.CDLL(None), "__asan_init"), "the ASan runtime is not loaded"
print("sanitized core:", c.__file__)' "$DIR" || die "the sanitized core is not the one imported"

CORE_TESTS="tests/test_cbor.py tests/test_cbor_tolerance.py tests/test_auth_data.py tests/test_cose.py tests/test_ec_point.py tests/test_der.py tests/test_x509_split.py tests/test_core_fuzz.py tests/test_base64.py tests/test_client_data.py tests/test_client_data_json.py tests/test_envelope.py"
for t in tests/test_tpm_core.py tests/test_tpm.py tests/test_catalogue.py tests/test_differential.py; do
  [ -f "$t" ] && CORE_TESTS="$CORE_TESTS $t"
done
"$PY" -m pytest -q -p no:cacheprovider -x $CORE_TESTS

"$PY" fuzz/make_seeds.py fuzz/corpus >/dev/null
for t in cbor auth_data cose tpm client_data x509 register verify; do
  "$PY" fuzz/replay.py "$t" "fuzz/corpus/$t" 2>&1 | grep -v '^INFO: Instrumenting'
done
# and a few seconds of real fuzzing of the byte-level core targets under the sanitizers
# (SANITIZE_FUZZ_SECONDS=0 skips it: scripts/fuzz-ci.sh fuzzes a clang ASan build with coverage)
[ "${SANITIZE_FUZZ_SECONDS:-15}" = 0 ] || for t in cbor auth_data cose tpm client_data x509; do
  "$PY" "fuzz/fuzz_$t.py" "fuzz/corpus/$t" -max_total_time="${SANITIZE_FUZZ_SECONDS:-15}" -timeout=10 \
    -rss_limit_mb=0 -artifact_prefix="$DIR/fuzz/" -print_final_stats=1 2>&1 \
    | grep -E '^stat::number_of_executed_units|ERROR|SUMMARY' | sed "s/^/$t: /"
done
echo "sanitize: OK (ASan+UBSan core, tests and fuzz seeds clean)"
