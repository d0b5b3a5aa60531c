"""The floors.

- The crypto floor: bare ``cryptography``, SHA-256 of the signed data plus the one signature
  each case hinges on (ECDSA P-256, RSA-2048, Ed25519), with the public key already loaded.
- The ceremony floor: what ``RelyingParty.register`` must add to ``verify_attestation`` on the
  same input, done by the cheapest means we have and with no checks (``peers.ceremony_floor``).
"""
from __future__ import annotations

import pytest

from bench import peers
from bench.inputs import assertion_cases, registration_case, registration_cases

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


REG_CASES = [c.name for c in registration_cases()]


@pytest.mark.parametrize("case_name", REG_CASES)
def test_ceremony_floor(benchmark, case_name: str) -> None:
    case = registration_case(case_name)
    benchmark.group = f"ceremony floor {case_name}"
    benchmark.extra_info.update(kind="registration", case=case_name, lib="ceremony-floor")
    run = peers.ceremony_floor(case)
    # the floor decodes and hashes the very input the other rows verify
    assert run() == (case.attestation_object, case.client_data_hash)
    benchmark(run)
