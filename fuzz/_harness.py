"""Shared harness for the atheris fuzz targets in fuzz/ (see fuzz/README.md).

A target fails (atheris writes the input to fuzz/findings/<target>/ and exits non-zero) when:
- anything other than ``fastattest.VerificationError`` escapes (catalogue §4 harness rule),
- the process crashes (segfault, abort, sanitizer report), or
- one input takes more than ``SLOW_MS`` (100 ms) twice in a row (the re-run rules out a GC
  pause or a first-call warm-up such as loading a trust anchor).

Coverage: the Python layer is instrumented with ``atheris.instrument_imports()``; the Cython core
gets native coverage when ``FASTATTEST_CORE_DIR`` points at a tree built by
``fuzz/build_native.sh`` (clang, ``-fsanitize=fuzzer-no-link``). Without it the in-place core is
fuzzed as a black box (its Python-visible results still steer the Python layer's coverage).
"""
from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
_core_dir = os.environ.get("FASTATTEST_CORE_DIR")
# tests/ for softauthn, then the repo (or the natively instrumented copy) for fastattest
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
if _core_dir:
    sys.path.insert(0, _core_dir)

import atheris  # noqa: E402  (must be imported before the instrumented extension loads)

if _core_dir:
    # The clang-instrumented core refers to libFuzzer's __sanitizer_cov_* / __sancov_* symbols:
    # load a libFuzzer build (fuzz/build_native.sh) into the global namespace before the core is
    # imported; atheris then reports "Using preloaded libfuzzer" and drives that one. A sanitizer
    # build (fuzz/build_native.sh --sanitize) runs with atheris' asan_with_fuzzer.so in LD_PRELOAD,
    # which is libFuzzer already: loading a second one would split the coverage counters.
    import ctypes

    if not hasattr(ctypes.CDLL(None), "LLVMFuzzerRunDriver"):
        ctypes.CDLL(os.path.join(_core_dir, "libfuzzer_no_main.so"), mode=os.RTLD_NOW | os.RTLD_GLOBAL)

SLOW_MS = float(os.environ.get("FUZZ_SLOW_MS", "100"))
# Long runs only: a regex for a reported, still-open bug (e.g. "error parsing asn1 value") whose
# escapes are counted and skipped so the run can go on finding other things. Never set in CI.
_KNOWN = os.environ.get("FUZZ_KNOWN")
KNOWN_HITS = 0

with atheris.instrument_imports(include=["fastattest"]):
    import fastattest  # noqa: E402,F401
    import fastattest.algorithms  # noqa: E402,F401
    import fastattest.attestation  # noqa: E402,F401
    import fastattest.client_data  # noqa: E402,F401
    import fastattest.response  # noqa: E402,F401
    import fastattest.relying_party  # noqa: E402,F401
    import fastattest.certificates  # noqa: E402,F401
    import fastattest.trust  # noqa: E402,F401
    from fastattest.attestation import _formats  # noqa: E402

    _formats()  # import every format module under instrumentation
    from fastattest import _core  # noqa: E402,F401

from fastattest.errors import VerificationError  # noqa: E402


class SlowInput(Exception):
    """An input took longer than SLOW_MS (catalogue §4: > 100 ms per case fails)."""


def _timed(fn: Callable[[bytes], Any], data: bytes) -> float:
    global KNOWN_HITS
    t0 = time.perf_counter()
    try:
        fn(data)
    except VerificationError:
        pass
    except Exception as exc:  # noqa: BLE001 - only a known, reported bug is tolerated
        if not _KNOWN or not re.search(_KNOWN, f"{type(exc).__name__}: {exc}"):
            raise
        KNOWN_HITS += 1
        if KNOWN_HITS in (1, 10, 100, 1000, 10000):
            print(f"FUZZ_KNOWN: {KNOWN_HITS} inputs hit the known bug ({type(exc).__name__}: {exc})",
                  file=sys.stderr, flush=True)
    return (time.perf_counter() - t0) * 1000.0


def check(fn: Callable[[bytes], Any], data: bytes) -> None:
    """Run ``fn(data)``: VerificationError is a pass; any other exception propagates; slow fails.

    A slow first run is re-timed twice and fails only if every run exceeds SLOW_MS: on a loaded
    2-core machine a GC pause or a descheduled process is not a finding (a 2-byte TPM input once
    "took" 179 ms that way)."""
    ms = _timed(fn, data)
    if ms > SLOW_MS:
        runs = [ms, _timed(fn, data), _timed(fn, data)]
        if min(runs) > SLOW_MS:
            raise SlowInput(f"input of {len(data)} bytes took {', '.join(f'{r:.1f}' for r in runs)} ms (> {SLOW_MS} ms)")


def main(test_one_input: Callable[[bytes], None], custom_mutator: Callable[[bytes, int, int], bytes] | None = None) -> None:
    argv = list(sys.argv)
    if custom_mutator is not None:
        atheris.Setup(argv, test_one_input, custom_mutator=custom_mutator)
    else:
        atheris.Setup(argv, test_one_input)
    atheris.Fuzz()
