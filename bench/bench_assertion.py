"""Assertion (authentication) verification: ES256, RS256, Ed25519.

- ``fastattest``: ``RelyingParty.verify(response_json, credential, challenge)``, warm (COSE key cached)
- ``fastattest-cold``: the same after ``clear_caches()`` (the COSE key is parsed and validated again)
- ``py_webauthn``: ``verify_authentication_response(...)``
- ``python-fido2``: ``Fido2Server.authenticate_complete(state, [credential], response)``
"""
from __future__ import annotations

import pytest

from bench import peers
from bench._common import time_it
from bench.conftest import clear_caches
from bench.inputs import assertion_cases

CASES = [c.name for c in assertion_cases()]
LIBS = ["fastattest", "fastattest-cold", "py_webauthn", "python-fido2"]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("case_name", CASES)
def test_assertion(benchmark, case_name: str, lib: str) -> None:
    case = next(c for c in assertion_cases() if c.name == case_name)
    benchmark.group = f"assertion {case_name}"
    benchmark.extra_info.update(kind="assertion", case=case_name, roots=False, lib=lib)
    run = {"fastattest": peers.fastattest_assert, "fastattest-cold": peers.fastattest_assert,
           "py_webauthn": peers.webauthn_assert, "python-fido2": peers.fido2_assert}[lib](case)
    run()
    time_it(benchmark, run, clear_caches if lib == "fastattest-cold" else None)
