"""The floor: bare ``cryptography``, SHA-256 of the signed data plus the one signature each case
hinges on (ECDSA P-256, RSA-2048, Ed25519), with the public key already loaded."""
from __future__ import annotations

import pytest

from bench.inputs import assertion_cases, registration_cases

CASES = [(c.name, c.floor) for c in registration_cases() if c.floor is not None] + [
    (c.name, c.floor) for c in assertion_cases()
]


@pytest.mark.parametrize(("case_name", "floor"), CASES, ids=[n for n, _ in CASES])
def test_floor(benchmark, case_name: str, floor) -> None:
    kind = "assertion" if case_name.startswith("assertion") else "registration"
    benchmark.group = f"floor {case_name}"
    benchmark.extra_info.update(kind=kind, case=case_name, lib="floor", floor=floor.kind)
    floor.run()
    benchmark(floor.run)
