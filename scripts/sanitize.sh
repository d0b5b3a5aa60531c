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
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in .venv/bin/python /work/venv/bin/python python3; do
    if [ -x "$c" ] || command -v "$c" >/dev/null; then PY=$c; break; fi
  done
fi
PY=$(command -v "$PY" || echo "$PY"); case $PY in /*) ;; *) PY=$SRC/$PY;; esac
DIR=${1:-/tmp/fastattest-sanitize}

rm -rf "$DIR" && mkdir -p "$DIR"
cp -r fastattest tests fuzz setup.py pyproject.toml "$DIR"/
rm -rf "$DIR"/fuzz/corpus "$DIR"/fuzz/findings "$DIR"/fastattest/*.so "$DIR"/fastattest/_core.c
(cd "$DIR" && FASTATTEST_SANITIZE=1 CC=gcc "$PY" setup.py build_ext --inplace -q >build.log 2>&1) \
  || { cat "$DIR/build.log" >&2; exit 1; }

ASAN_LIB=$(gcc -print-file-name=libasan.so)
UBSAN_LIB=$(gcc -print-file-name=libubsan.so)
export LD_PRELOAD="$ASAN_LIB $UBSAN_LIB"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export PYTHONHASHSEED=0
# tests/test_catalogue.py reads the catalogue beside the repository (shared/ in CI)
[ -f "$SRC/../shared/SECURITY-CATALOGUE.md" ] && export FASTATTEST_CATALOGUE="$SRC/../shared/SECURITY-CATALOGUE.md"
cd "$DIR"
"$PY" -c 'import fastattest._core as c, sys; print("sanitized core:", c.__file__)'

CORE_TESTS="tests/test_cbor.py tests/test_cbor_tolerance.py tests/test_auth_data.py tests/test_cose.py tests/test_ec_point.py tests/test_der.py tests/test_core_fuzz.py tests/test_base64.py tests/test_client_data.py tests/test_client_data_json.py tests/test_envelope.py"
for t in tests/test_tpm_core.py tests/test_tpm.py tests/test_catalogue.py tests/test_differential.py; do
  [ -f "$t" ] && CORE_TESTS="$CORE_TESTS $t"
done
"$PY" -m pytest -q -p no:cacheprovider -x $CORE_TESTS

"$PY" fuzz/make_seeds.py fuzz/corpus >/dev/null
for t in cbor auth_data cose tpm client_data register verify; do
  "$PY" fuzz/replay.py "$t" "fuzz/corpus/$t" 2>&1 | grep -v '^INFO: Instrumenting'
done
# and a few seconds of real fuzzing of the byte-level core targets under the sanitizers
for t in cbor auth_data cose tpm client_data; do
  "$PY" "fuzz/fuzz_$t.py" "fuzz/corpus/$t" -max_total_time="${SANITIZE_FUZZ_SECONDS:-15}" -timeout=10 \
    -rss_limit_mb=0 -artifact_prefix="$DIR/fuzz/" -print_final_stats=1 2>&1 \
    | grep -E '^stat::number_of_executed_units|ERROR|SUMMARY' | sed "s/^/$t: /"
done
echo "sanitize: OK (ASan+UBSan core, tests and fuzz seeds clean)"
