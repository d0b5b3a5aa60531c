"""Helpers shared by the bench_*.py suites."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from fastattest import VerificationError

COLD_ROUNDS = 60


def first_call(run: Callable[[], Any], fmt: str) -> Any:
    """Run once before timing: a fastattest format that has not landed yet is reported n/a."""
    try:
        return run()
    except VerificationError as exc:
        if exc.code == "format.unsupported":
            pytest.skip(f"n/a: fastattest does not support fmt {fmt!r} yet (format.unsupported)")
        raise


def time_it(benchmark: Any, run: Callable[[], Any], cold: Callable[[], None] | None = None) -> Any:
    if cold is None:
        return benchmark(run)
    return benchmark.pedantic(run, setup=cold, rounds=COLD_ROUNDS, iterations=1, warmup_rounds=0)
