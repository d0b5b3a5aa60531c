#!/usr/bin/env bash
# Build a coverage-instrumented copy of fastattest for atheris (native coverage of the Cython core).
#
#   fuzz/build_native.sh [DIR]      (default /tmp/fastattest-fuzz-native)
#
# Copies fastattest/ to DIR (never touches the in-place .so others use), builds the core with
# clang -fsanitize=fuzzer-no-link, and links atheris' own libFuzzer (libclang_rt.fuzzer_no_main.a,
# shipped in the atheris wheel, else clang's) into DIR/libfuzzer_no_main.so, which fuzz/_harness.py
# loads RTLD_GLOBAL before importing the core. Then: FASTATTEST_CORE_DIR=DIR fuzz/run.sh TARGET SECS.
# Needs clang (Debian: apt-get install clang). Prints DIR on success.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x "$PY" ] || PY=python3
DIR=${1:-/tmp/fastattest-fuzz-native}
command -v clang >/dev/null || { echo "clang not found (apt-get install clang)" >&2; exit 2; }

rm -rf "$DIR" && mkdir -p "$DIR"
cp -r fastattest setup.py pyproject.toml "$DIR"/
rm -f "$DIR"/fastattest/*.so "$DIR"/fastattest/_core.c
(cd "$DIR" && CC=clang CFLAGS="-fsanitize=fuzzer-no-link -g" LDFLAGS="-fsanitize=fuzzer-no-link" \
   "$PY" setup.py build_ext --inplace -q >build.log 2>&1) || { cat "$DIR/build.log" >&2; exit 1; }

SITE=$("$PY" -c 'import atheris, os; print(os.path.dirname(os.path.dirname(atheris.__file__)))')
LIB="$SITE/libclang_rt.fuzzer_no_main.a"
[ -f "$LIB" ] || LIB=$(clang -print-file-name=libclang_rt.fuzzer_no_main-x86_64.a)
clang++ -shared -o "$DIR/libfuzzer_no_main.so" -Wl,--whole-archive "$LIB" -Wl,--no-whole-archive -lpthread
echo "$DIR"
