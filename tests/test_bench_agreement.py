"""fastattest and its peers must agree on the verdict for every benchmark input.

The benchmarks (bench/) time fastattest against py_webauthn 3.x and python-fido2 2.x on the
same inputs; a speed comparison is only honest if all libraries accept and reject the same
things. For each registration case of bench/inputs.py, without and with the same root, and
each assertion case, on the valid input and on mutations (one flipped signature byte, a
wrong expected challenge), the verdicts must match, except for the documented cases in
``STRICTER`` where fastattest refuses on purpose and the spec says why.

python-fido2 is compared at the attestation level (attestation object + clientDataHash, no
challenge), so it has no verdict on "wrong-challenge" registrations.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import peers  # noqa: E402
from bench.inputs import (  # noqa: E402
    WRONG_CHALLENGE,
    assertion_cases,
    flip_assertion_signature,
    flip_signature,
    registration_case,
    registration_cases,
)
from fastattest import VerificationError  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def _peer_clock():
    """bench.peers sets py_webauthn's certificate clock to each case's time; put it back after
    this module so later tests that use py_webauthn see the real time."""
    yield
    peers.restore_clock()

#: (case, roots, mutation, peer) -> why fastattest refuses where the peer accepts (spec reference).
#: Empty today: on every benchmark input all three libraries agree.
STRICTER: dict[tuple[str, bool, str, str], str] = {}


def _verdict(run: Callable[[], Any]) -> tuple[bool, str]:
    try:
        run()
        return True, ""
    except VerificationError as exc:
        return False, exc.code
    except Exception as exc:  # the peers' own exception types
        return False, f"{type(exc).__name__}: {exc}"


def _fastattest(run: Callable[[], Any], fmt: str) -> tuple[bool, str]:
    ok, why = _verdict(run)
    if not ok and why == "format.unsupported" and fmt == "tpm":
        pytest.xfail("fastattest tpm format not available in this tree")
    return ok, why


REG = [
    (c.name, roots, m)
    for c in registration_cases()
    for roots in ((False, True) if c.roots else (False,))
    for m in (("valid", "flipped-sig", "wrong-challenge") if c.fmt != "none" else ("valid", "wrong-challenge"))
]


@pytest.mark.parametrize(("case_name", "roots", "mutation"), REG,
                         ids=[f"{n}-{'roots' if r else 'noroots'}-{m}" for n, r, m in REG])
def test_registration_verdicts_agree(case_name: str, roots: bool, mutation: str) -> None:
    case = registration_case(case_name)
    challenge = WRONG_CHALLENGE if mutation == "wrong-challenge" else None
    if mutation == "flipped-sig":
        case = flip_signature(case)
    expected = mutation == "valid"

    fa_ok, fa_why = _fastattest(peers.fastattest_rp(case, roots, challenge), case.fmt)
    assert fa_ok == expected, f"fastattest: {fa_why or 'accepted'}"
    verdicts = {"py_webauthn": _verdict(peers.webauthn_register(case, roots, challenge))}
    if mutation != "wrong-challenge":
        verdicts["python-fido2"] = _verdict(peers.fido2_register(case, roots))
        # the bytes-level entry point gives the same verdict as the ceremony
        va_ok, va_why = _fastattest(peers.fastattest_verify(case, roots), case.fmt)
        assert va_ok == expected, f"verify_attestation: {va_why or 'accepted'}"
    for peer, (ok, why) in verdicts.items():
        if (case_name, roots, mutation, peer) in STRICTER:
            assert not fa_ok and ok
            continue
        assert ok == fa_ok, f"{peer} {'accepted' if ok else 'rejected (' + why + ')'}, fastattest {'accepted' if fa_ok else 'rejected (' + fa_why + ')'}"


AUTH = [(c.name, m) for c in assertion_cases() for m in ("valid", "flipped-sig", "wrong-challenge")]


@pytest.mark.parametrize(("case_name", "mutation"), AUTH, ids=[f"{n}-{m}" for n, m in AUTH])
def test_assertion_verdicts_agree(case_name: str, mutation: str) -> None:
    case = next(c for c in assertion_cases() if c.name == case_name)
    challenge = WRONG_CHALLENGE if mutation == "wrong-challenge" else None
    if mutation == "flipped-sig":
        case = flip_assertion_signature(case)
    expected = mutation == "valid"

    fa_ok, fa_why = _verdict(peers.fastattest_assert(case, challenge))
    assert fa_ok == expected, f"fastattest: {fa_why or 'accepted'}"
    for peer, run in (("py_webauthn", peers.webauthn_assert(case, challenge)), ("python-fido2", peers.fido2_assert(case, challenge))):
        ok, why = _verdict(run)
        if (case_name, False, mutation, peer) in STRICTER:
            assert not fa_ok and ok
            continue
        assert ok == fa_ok, f"{peer} {'accepted' if ok else 'rejected (' + why + ')'}, fastattest {'accepted' if fa_ok else 'rejected (' + fa_why + ')'}"


def test_flipped_signature_is_rejected_for_the_signature() -> None:
    """The mutation tests above must fail on the signature, not on something incidental."""
    case = flip_signature(registration_case("packed-full"))
    ok, why = _verdict(peers.fastattest_verify(case, False))
    assert not ok and why == "packed.signature_invalid"
    a = flip_assertion_signature(assertion_cases()[0])
    ok, why = _verdict(peers.fastattest_assert(a))
    assert not ok and why == "assertion.signature_invalid"
