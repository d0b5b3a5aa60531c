#!/usr/bin/env bash
# Build a coverage-instrumented copy of fastattest for atheris (native coverage of the Cython core).
#
#   fuzz/build_native.sh [--sanitize] [DIR]      (default DIR /tmp/fastattest-fuzz-native)
#
# Copies fastattest/ to DIR (never touches the in-place .so others use) and builds the core with
# clang -fsanitize=fuzzer-no-link, so libFuzzer sees the core's edges (cov:) and comparisons.
#   default:     links atheris' own libFuzzer (libclang_rt.fuzzer_no_main.a, shipped in the atheris
#                wheel, else clang's) into DIR/libfuzzer_no_main.so, which fuzz/_harness.py loads
#                RTLD_GLOBAL before importing the core.
#   --sanitize:  also AddressSanitizer, and UBSan in trap mode (-fsanitize-trap=undefined: a UB
#                check executes ud2, a SIGILL libFuzzer reports as a crash with its stack, so no
#                UBSan runtime is needed in the uninstrumented interpreter). Run the targets with
#                LD_PRELOAD=<atheris>/asan_with_fuzzer.so (ASan runtime + libFuzzer in one; see
#                scripts/fuzz-ci.sh), ASAN_OPTIONS=detect_leaks=0.
# Then: FASTATTEST_CORE_DIR=DIR python fuzz/fuzz_TARGET.py CORPUS ...
# Needs clang (Debian: apt-get install clang libclang-rt-14-dev). Prints DIR on success.
set -euo pipefail
cd "$(dirname "$0")/.."
SANITIZE=0
if [ "${1:-}" = "--sanitize" ]; then SANITIZE=1; shift; fi
. scripts/_python.sh
DIR=${1:-/tmp/fastattest-fuzz-native}
command -v clang >/dev/null || { echo "clang not found (apt-get install clang)" >&2; exit 2; }

FLAGS="-fsanitize=fuzzer-no-link"
CFLAGS_X="-g"
if [ "$SANITIZE" = 1 ]; then
  FLAGS="-fsanitize=address,fuzzer-no-link -fsanitize=undefined -fsanitize-trap=undefined"
  CFLAGS_X="-g -O1 -fno-omit-frame-pointer"
fi
rm -rf "$DIR" && mkdir -p "$DIR"
cp -r fastattest setup.py pyproject.toml "$DIR"/
rm -f "$DIR"/fastattest/*.so "$DIR"/fastattest/_core.c
(cd "$DIR" && CC=clang LDSHARED="clang -shared" CFLAGS="$FLAGS $CFLAGS_X" LDFLAGS="$FLAGS" \
   "$PY" setup.py build_ext --inplace -q >build.log 2>&1) || { cat "$DIR/build.log" >&2; exit 1; }
# the build must really be instrumented: a silently uninstrumented core fuzzes blind
# (nm's output is kept whole: `nm | grep -q` fails under pipefail when grep stops reading early)
SYMS=$(nm -D "$DIR"/fastattest/_core*.so)
grep -q __sanitizer_cov_8bit_counters_init <<<"$SYMS" \
  || { echo "build_native: the core has no coverage instrumentation" >&2; exit 1; }
if [ "$SANITIZE" = 1 ]; then
  grep -q __asan_init <<<"$SYMS" || { echo "build_native: the core has no ASan instrumentation" >&2; exit 1; }
fi

SITE=$("$PY" -c 'import atheris, os; print(os.path.dirname(os.path.dirname(atheris.__file__)))')
LIB="$SITE/libclang_rt.fuzzer_no_main.a"
[ -f "$LIB" ] || LIB=$(clang -print-file-name=libclang_rt.fuzzer_no_main-x86_64.a)
clang++ -shared -o "$DIR/libfuzzer_no_main.so" -Wl,--whole-archive "$LIB" -Wl,--no-whole-archive -lpthread
echo "$DIR"
