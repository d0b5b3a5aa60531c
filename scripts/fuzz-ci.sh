#!/usr/bin/env bash
# CI: coverage-guided fuzzing of the compiled core under ASan + UBSan, then the gcc sanitizer run.
# scripts/test.sh calls it last; it sets up everything it needs on a fresh Debian machine.
#
#   scripts/fuzz-ci.sh                    (FUZZ_CI_SECONDS per target, default 30)
#
# 1. clang and its compiler-rt (Debian bookworm: clang 14, libclang-rt-14-dev), apt-get'ed if missing.
# 2. Python: $FUZZ_PYTHON, else .venv/bin/python (the venv scripts/test.sh creates), else a new .venv
#    with '.[test]'. Every module the targets import is checked; a missing one fails the run.
# 3. fuzz/build_native.sh --sanitize: the core built with -fsanitize=fuzzer-no-link,address and
#    UBSan in trap mode, in a copy of the tree (never the in-place .so).
# 4. Each byte-level target (FUZZ_CI_TARGETS) runs FUZZ_CI_SECONDS from the seed corpus
#    (fuzz/make_seeds.py, which includes fuzz/regressions/), two at a time, with atheris'
#    asan_with_fuzzer.so preloaded. Its coverage (libFuzzer cov: edges, ft: features, from the
#    last status line) must reach the floor in fuzz/coverage-floors.txt: a collapse (the core
#    no longer instrumented, a target that stops reaching the parser) fails CI.
#    register/verify need atheris' own libFuzzer for their custom mutators: tests/test_fuzz_short.py
#    runs them in the test suite.
# 5. A crash, sanitizer report, leak of a non-VerificationError or slow input fails CI; the input
#    is copied to fuzz/regressions/TARGET/ (replayed by tests/test_fuzz_regressions.py and seeded
#    into every later run once committed) and printed in base64 so it survives a CI log.
# 6. scripts/sanitize.sh: the core tests and every seed under gcc ASan + UBSan (recovering off),
#    started before step 3 and run beside the fuzzing (each build and test run uses one core).
# FUZZ_CI_SECONDS, FUZZ_CI_TARGETS, FUZZ_CI_JOBS (2), FUZZ_CI_SANITIZE=0 (skip step 6) and
# FUZZ_PYTHON tune a local run; CI uses the defaults. Measured figures: fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${FUZZ_CI_SECONDS:-30}
TARGETS=${FUZZ_CI_TARGETS:-"cbor auth_data cose tpm client_data x509"}
JOBS=${FUZZ_CI_JOBS:-2}
WORK=$(mktemp -d /tmp/fastattest-fuzz-ci.XXXXXX)
T0=$(date +%s)
say() { echo "fuzz-ci: $*"; }
die() { echo "fuzz-ci: FAIL: $*" >&2; exit 1; }

# --- 1. clang + compiler-rt ----------------------------------------------------------------
if ! command -v clang >/dev/null || [ ! -f "$(clang -print-file-name=libclang_rt.fuzzer_no_main-x86_64.a)" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "installing clang (apt-get)"
  $SUDO apt-get update -qq
  CLANG_MAJOR=$(apt-cache policy clang | sed -nE 's/^ *Candidate: *([0-9]+:)?([0-9]+).*/\2/p')
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang "libclang-rt-${CLANG_MAJOR:-14}-dev" >/dev/null
fi
command -v clang >/dev/null || die "clang is not installed"
say "$(clang --version | head -1)"

# --- 2. Python with the targets' dependencies ------------------------------------------------
# The targets import the test extra; the builds below run setup.py directly, so they also need the
# build-system requirements (Cython, setuptools), which a pip-installed venv does not keep.
check_modules() {
  "$1" - <<'PYEOF'
import importlib, sys
missing = []
for m in ("atheris", "cbor2", "cryptography", "asn1crypto", "Cython", "pytest", "hypothesis", "setuptools"):
    try:
        importlib.import_module(m)
    except Exception as exc:  # noqa: BLE001
        missing.append(f"{m} ({exc})")
if missing:
    print("missing:", ", ".join(missing), file=sys.stderr)
    sys.exit(1)
PYEOF
}
build_requires() {
  "$1" - <<'PYEOF'
import pathlib, re
text = pathlib.Path("pyproject.toml").read_text()
try:
    import tomllib
    reqs = tomllib.loads(text)["build-system"]["requires"]
except ModuleNotFoundError:  # Python 3.10
    reqs = re.findall(r'"([^"]+)"', re.search(r"\[build-system\][^\[]*?requires\s*=\s*\[([^\]]*)\]", text, re.S).group(1))
print(" ".join(reqs))
PYEOF
}
PY=${FUZZ_PYTHON:-}  # not PYTHON: scripts/test.sh uses that for the interpreter it builds .venv from
if [ -z "$PY" ]; then
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    python3 -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
  fi
  PY=$ROOT/.venv/bin/python
  if ! check_modules "$PY" 2>/dev/null; then
    say "installing the build requirements into .venv"
    # shellcheck disable=SC2046
    "$PY" -m pip install -q $(build_requires "$PY")
  fi
  if ! check_modules "$PY" 2>/dev/null; then
    say "installing '.[test]' into .venv"
    "$PY" -m pip install -q -e '.[test]'
  fi
fi
check_modules "$PY" || die "a dependency of the fuzz targets is missing from $PY (pip install $(build_requires "$PY") -e '.[test]')"
SITE=$("$PY" -c 'import atheris, os; print(os.path.dirname(os.path.dirname(atheris.__file__)))')
PRELOAD=$SITE/asan_with_fuzzer.so
[ -f "$PRELOAD" ] || die "atheris has no asan_with_fuzzer.so in $SITE (a wheel without sanitizer runtimes?)"

# --- 6. (started first, runs beside the fuzzing: each build and test run is single-threaded)
# scripts/sanitize.sh: gcc ASan + UBSan core, the core tests and every seed replayed under it
SAN_PID=
if [ "${FUZZ_CI_SANITIZE:-1}" != 0 ]; then
  # its own process group (setsid), so a failure below stops it and everything it started
  SANITIZE_FUZZ_SECONDS=0 PYTHON=$PY setsid scripts/sanitize.sh "$WORK/sanitize" >"$WORK/sanitize.log" 2>&1 &
  SAN_PID=$!
  trap 'kill -- "-$SAN_PID" 2>/dev/null || true' EXIT
fi

# --- 3. the instrumented core ----------------------------------------------------------------
say "building the core with -fsanitize=fuzzer-no-link,address,undefined(trap) in $WORK/core"
PYTHON=$PY fuzz/build_native.sh --sanitize "$WORK/core" >/dev/null
"$PY" fuzz/make_seeds.py "$WORK/corpus" >/dev/null

# canaries: the same flags on a heap overflow and a signed overflow must stop the interpreter,
# else the sanitizers are not in effect and the run below would prove nothing
cat >"$WORK/canary.c" <<'CEOF'
#include <stdlib.h>
int heap_overflow(int i) { char *p = malloc(8); int v = p[8 + i]; free(p); return v; }
int signed_overflow(int i) { return i + 2147483647; }
CEOF
clang -shared -fPIC -g -O0 -fsanitize=address,fuzzer-no-link -fsanitize=undefined -fsanitize-trap=undefined \
  -o "$WORK/canary.so" "$WORK/canary.c"
for fn in heap_overflow signed_overflow; do
  if LD_PRELOAD="$PRELOAD" ASAN_OPTIONS=detect_leaks=0:handle_sigill=1 "$PY" -c \
      "import ctypes, sys; ctypes.CDLL(sys.argv[1]).$fn(1)" "$WORK/canary.so" >"$WORK/canary.log" 2>&1; then
    cat "$WORK/canary.log" >&2; die "sanitizer canary $fn ran to completion: ASan/UBSan are not in effect"
  fi
done
grep -q 'AddressSanitizer' "$WORK/canary.log" || { cat "$WORK/canary.log" >&2; die "the UBSan trap was not reported by the ASan runtime"; }

# --- 4./5. bounded runs, two at a time -------------------------------------------------------
run_target() {  # TARGET -> $WORK/TARGET.log, $WORK/findings/TARGET/
  local t=$1
  mkdir -p "$WORK/findings/$t"
  set +e
  FASTATTEST_CORE_DIR="$WORK/core" LD_PRELOAD="$PRELOAD" PYTHONHASHSEED=0 \
  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1:handle_sigill=1 \
    timeout --kill-after=30 $((SECS + 120)) "$PY" "fuzz/fuzz_$t.py" "$WORK/corpus/$t" \
      -max_total_time="$SECS" -timeout=10 -rss_limit_mb=3072 -max_len=65536 \
      -artifact_prefix="$WORK/findings/$t/" -print_final_stats=1 -print_pcs=0 >"$WORK/$t.log" 2>&1
  echo $? >"$WORK/$t.rc"
  set -e
}
pids=()
for t in $TARGETS; do
  [ -f "fuzz/fuzz_$t.py" ] || die "unknown fuzz target $t"
  run_target "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p"; done  # the fuzz runs only: the sanitizer run is waited for below

status=0
printf '%-12s %10s %8s %8s %10s %8s %6s  %s\n' target seeds:cov/ft cov ft execs exec/s secs verdict
for t in $TARGETS; do
  log=$WORK/$t.log rc=$(cat "$WORK/$t.rc")
  # cov/ft only grow: the last status line (#N NEW/REDUCE/pulse/DONE cov: X ft: Y) holds the run's figures
  line=$(grep -aE '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  init=$(grep -aE '^#[0-9]+[[:space:]]+INITED cov: [0-9]+' "$log" | head -1 | sed -nE 's/.*cov: ([0-9]+) ft: ([0-9]+).*/\1\/\2/p' || true)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$line")
  ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$line")
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -1)
  eps=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -1)
  secs=$(sed -nE 's/^Done [0-9]+ runs in ([0-9]+) second.*/\1/p' "$log" | tail -1)
  read -r fcov fft < <(awk -v t="$t" '$1 == t {print $2, $3}' fuzz/coverage-floors.txt) || true
  verdict=ok
  arts=$(find "$WORK/findings/$t" -type f | sort)
  if [ "$rc" != 0 ] || [ -n "$arts" ]; then
    verdict="FAILED (exit $rc)"
  elif [ -z "$cov" ] || [ -z "$fcov" ]; then
    verdict="FAILED (no coverage figure or no floor for $t)"
  elif [ "$cov" -lt "$fcov" ] || [ "$ft" -lt "$fft" ]; then
    verdict="FAILED (coverage under the floor cov $fcov ft $fft)"
  fi
  printf '%-12s %10s %8s %8s %10s %8s %6s  %s\n' "$t" "${init:--}" "${cov:--}" "${ft:--}" "${execs:--}" "${eps:--}" "${secs:--}" "$verdict"
  if [ "$verdict" != ok ]; then
    status=1
    echo "---- $t: output tail ----" >&2
    grep -avE '^(INFO: Instrumenting|#[0-9]+ +(NEW|REDUCE|pulse))' "$log" | tail -60 >&2
    for a in $arts; do
      mkdir -p "fuzz/regressions/$t"
      name=$(sha1sum "$a" | cut -c1-40)
      cp "$a" "fuzz/regressions/$t/$name"
      echo "---- $t: finding $(basename "$a") -> fuzz/regressions/$t/$name (commit it; the test replays it) ----" >&2
      echo "base64: $(base64 -w0 "$a" | head -c 20000)" >&2
    done
  fi
done
say "fuzzing done in $(( $(date +%s) - T0 )) s"
if [ -n "$SAN_PID" ]; then
  if wait "$SAN_PID"; then
    grep -aE '^(sanitized core|[0-9]+ passed|[a-z0-9_]+: [0-9]+ inputs|sanitize: )' "$WORK/sanitize.log"
  else
    tail -80 "$WORK/sanitize.log" >&2
    status=1
    echo "fuzz-ci: the sanitizer run (scripts/sanitize.sh) failed" >&2
  fi
fi
[ "$status" = 0 ] || die "fuzzing or the sanitizer run found a problem, or coverage collapsed (logs in $WORK)"
rm -rf "$WORK"
say "fuzz + sanitize OK in $(( $(date +%s) - T0 )) s"
