"""Regression tests for inputs the fuzzers found (fuzz/README.md). Each names the catalogue row it
belongs to and asserts the code; the fix for all of these is that certificates.load decodes a
certificate's names, extensions and validity eagerly (cryptography parses them lazily and raised
ValueError / TypeError long after load, outside any VerificationError handling)."""
from __future__ import annotations

import os

import pytest

import softauthn as sa
from fastattest import RelyingParty, VerificationError, certificates
from fastattest.policy import Policy

RP_ID, ORIGIN = "example.com", "https://example.com"


def _register_with_leaf(mutate) -> str:
    ch = os.urandom(32)
    ca = sa.TestCA()
    auth = sa.SoftAuthenticator("packed", ca=ca)
    reg = auth.make_registration(RP_ID, ORIGIN, ch)
    leaf = reg.x5c[0]
    bad = mutate(leaf)
    assert len(bad) == len(leaf) and bad != leaf
    reg.att_stmt["x5c"] = [bad] + reg.x5c[1:]
    reg.resign()
    with pytest.raises(VerificationError) as ei:
        RelyingParty(RP_ID, [ORIGIN], trust_anchors=ca.trust_anchors()).register(reg.to_json(), ch)
    return ei.value.code


def _subject_o(leaf: bytes, new_tlv: bytes) -> bytes:
    needle = b"\x0c\x10fastattest tests"            # O=fastattest tests (UTF8String), issuer then subject
    i = leaf.index(needle, leaf.index(needle) + 1)
    return leaf[:i] + new_tlv + leaf[i + len(needle):]


def test_P08_subject_attribute_as_bit_string() -> None:
    # fuzz_register: a BIT STRING-typed O in the subject made cert.subject raise TypeError
    # ("oid must be X500_UNIQUE_IDENTIFIER for BitString type")
    assert _register_with_leaf(lambda leaf: _subject_o(leaf, b"\x03\x10\x00astattest tests")) == "certificate.malformed"


def test_P08_subject_attribute_bad_printable_string() -> None:
    # A PrintableString holding '@' is read as the text it spells (issue 16; Go's x509 reads it
    # too): the certificate loads. The mutation changed the signed TBS, so the CA's signature no
    # longer verifies and a relying party that requires a trusted attestation refuses it.
    ch = os.urandom(32)
    ca = sa.TestCA()
    reg = sa.SoftAuthenticator("packed", ca=ca).make_registration(RP_ID, ORIGIN, ch)
    bad = _subject_o(reg.x5c[0], b"\x13\x10fastattest@tests")
    assert certificates.load(bad).subject.get(certificates.OID_ORGANIZATION) == ["fastattest@tests"]
    reg.att_stmt["x5c"] = [bad] + reg.x5c[1:]
    reg.resign()
    party = RelyingParty(RP_ID, [ORIGIN], trust_anchors=ca.trust_anchors(), policy=Policy(require_trusted=True))
    with pytest.raises(VerificationError) as ei:
        party.register(reg.to_json(), ch)
    assert ei.value.code.startswith("trust.")


def test_X02_issuer_attribute_unexpected_tag() -> None:
    # fuzz_register: ParseError UnexpectedTag in the issuer name (tag 17, SET, where a string belongs)
    def issuer(leaf: bytes) -> bytes:
        needle = b"\x0c\x10fastattest tests"
        i = leaf.index(needle)
        return leaf[:i] + b"\x11" + leaf[i + 1:]
    assert _register_with_leaf(issuer) == "certificate.malformed"


# --- fuzz/regressions/: inputs scripts/fuzz-ci.sh found, replayed byte for byte ------------------

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

FUZZ = Path(__file__).resolve().parent.parent / "fuzz"
_FOUND = sorted(d for d in (FUZZ / "regressions").iterdir() if d.is_dir() and any(d.iterdir())) \
    if (FUZZ / "regressions").is_dir() else []


def _replay(target: str, path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("FASTATTEST_CORE_DIR", "FUZZ_KNOWN", "LD_PRELOAD")}
    return subprocess.run([sys.executable, str(FUZZ / "replay.py"), target, str(path)], capture_output=True,
                          text=True, env=env, timeout=600)


@pytest.mark.parametrize("directory", _FOUND, ids=lambda d: d.name)
def test_fuzz_regression_seeds_replay_clean(directory: Path) -> None:
    n = sum(1 for f in directory.iterdir() if f.is_file())
    res = _replay(directory.name, directory)
    assert res.returncode == 0 and f"{directory.name}: {n} inputs, 0 failed" in res.stdout, res.stdout + res.stderr


def test_regression_seeds_join_the_seed_corpus(tmp_path: Path) -> None:
    # scripts/fuzz-ci.sh writes findings to fuzz/regressions/TARGET/; make_seeds must seed them
    (tmp_path / "regs" / "tpm").mkdir(parents=True)
    finding = b"\x01fastattest regression seed"
    (tmp_path / "regs" / "tpm" / "finding").write_bytes(finding)
    env = dict(os.environ, FUZZ_REGRESSIONS=str(tmp_path / "regs"))
    subprocess.run([sys.executable, str(FUZZ / "make_seeds.py"), str(tmp_path / "corpus")], check=True,
                   capture_output=True, env=env, timeout=600)
    assert finding in {f.read_bytes() for f in (tmp_path / "corpus" / "tpm").iterdir()}
    # and the replay tool reports what it ran (the count the test above asserts)
    res = _replay("tpm", tmp_path / "regs" / "tpm")
    assert res.returncode == 0 and "tpm: 1 inputs, 0 failed" in res.stdout, res.stdout + res.stderr
