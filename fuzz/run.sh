#!/usr/bin/env bash
# Run one atheris fuzz target for a bounded time.
#
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
#   TARGET: cbor | auth_data | cose | tpm | client_data | register | verify
#
# Corpus: fuzz/corpus/TARGET (seeded by fuzz/make_seeds.py on first use; git-ignored).
# Findings: fuzz/findings/TARGET/ (crash-*, timeout-*, slow input reports); exit status non-zero.
# Native coverage of the Cython core: FUZZ_NATIVE=1 builds an instrumented copy with clang
# (fuzz/build_native.sh) unless FASTATTEST_CORE_DIR already points at one. Default: FUZZ_NATIVE=1
# when clang is installed, else the in-place core (Python layer coverage only).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:?usage: fuzz/run.sh TARGET SECONDS}
SECS=${2:?usage: fuzz/run.sh TARGET SECONDS}
shift 2
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in .venv/bin/python python3; do
    if [ -x "$c" ] || command -v "$c" >/dev/null; then PY=$c; break; fi
  done
fi
[ -f "fuzz/fuzz_$TARGET.py" ] || { echo "unknown target $TARGET" >&2; exit 2; }

# register/verify use a custom mutator, which libFuzzer only sees when atheris links it itself:
# those run on the in-place core (Python-layer coverage), never the preloaded native build.
case $TARGET in register|verify) unset FASTATTEST_CORE_DIR; FUZZ_NATIVE=0;; esac
if [ -z "${FASTATTEST_CORE_DIR:-}" ]; then
  native=${FUZZ_NATIVE:-$(command -v clang >/dev/null && echo 1 || echo 0)}
  if [ "$native" = 1 ]; then
    NDIR=${FUZZ_NATIVE_DIR:-/tmp/fastattest-fuzz-native}
    # rebuild when any fastattest source is newer than the instrumented build
    if [ ! -f "$NDIR/libfuzzer_no_main.so" ] || [ -n "$(find fastattest -newer "$NDIR/libfuzzer_no_main.so" -name '*.p*' | head -1)" ]; then
      PYTHON=$PY fuzz/build_native.sh "$NDIR" >/dev/null
    fi
    export FASTATTEST_CORE_DIR=$NDIR
  fi
fi

CORPUS=fuzz/corpus/$TARGET
[ -d "$CORPUS" ] && [ -n "$(ls -A "$CORPUS")" ] || "$PY" fuzz/make_seeds.py fuzz/corpus >/dev/null
mkdir -p "fuzz/findings/$TARGET"
"$PY" "fuzz/fuzz_$TARGET.py" "$CORPUS" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=3072 \
  -max_len=65536 -artifact_prefix="fuzz/findings/$TARGET/" -print_final_stats=1 "$@" 2>&1 \
  | grep -v '^INFO: Instrumenting'
