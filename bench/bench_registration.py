"""Registration (attestation) verification: fastattest vs py_webauthn 3.x vs python-fido2 2.x.

For each case (packed full and self, fido-u2f, tpm RSA and ECC, none; see inputs.py), with no
trust anchors and with the same root given to every library:

- ``fastattest``: ``verify_attestation(attestation_object, client_data_hash, trust_anchors=..., now=...)``, warm
- ``fastattest-cold``: the same call after ``clear_caches()`` (first sight of the certificate and key)
- ``fastattest-rp``: ``RelyingParty.register(response_json, challenge, now)`` end to end, warm
- ``py_webauthn``: ``verify_registration_response(...)`` (``pem_root_certs_bytes_by_fmt`` with roots)
- ``python-fido2``: ``AttestationObject`` + ``Attestation.for_type(fmt)().verify(...)`` (+ ``verify_x509_chain``)

The peers keep no caches, so one number each stands for cold and warm.
"""
from __future__ import annotations

import pytest

from bench import peers
from bench._common import first_call, time_it
from bench.conftest import clear_caches
from bench.inputs import registration_case, registration_cases

CASES = [(c.name, roots) for c in registration_cases() for roots in ((False, True) if c.roots else (False,))]
LIBS = ["fastattest", "fastattest-cold", "fastattest-rp", "py_webauthn", "python-fido2"]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize(("case_name", "roots"), CASES, ids=[f"{n}-{'roots' if r else 'noroots'}" for n, r in CASES])
def test_registration(benchmark, case_name: str, roots: bool, lib: str) -> None:
    case = registration_case(case_name)
    benchmark.group = f"registration {case_name} {'roots' if roots else 'noroots'}"
    benchmark.extra_info.update(kind="registration", case=case_name, fmt=case.fmt, roots=roots, lib=lib)
    if lib in ("fastattest", "fastattest-cold"):
        run = peers.fastattest_verify(case, roots)
    elif lib == "fastattest-rp":
        run = peers.fastattest_rp(case, roots)
    elif lib == "py_webauthn":
        run = peers.webauthn_register(case, roots)
    else:
        run = peers.fido2_register(case, roots)
    result = first_call(run, case.fmt)
    if lib.startswith("fastattest") and roots:
        assert result.trusted, f"{case_name}: fastattest did not chain to the root"
    time_it(benchmark, run, clear_caches if lib == "fastattest-cold" else None)
