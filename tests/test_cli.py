"""The ``fastattest`` command: exit codes, summary, report file, verify, demo, mds."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import softauthn as sa
from corpus import ORIGIN, RP_ID, Population
from fastattest.cli import main


@pytest.fixture(scope="module")
def pop() -> Population:
    return Population(models=3)


@pytest.fixture()
def files(tmp_path: Path, pop: Population) -> dict[str, Path]:
    corpus = tmp_path / "records.jsonl"
    with corpus.open("w") as f:
        for rec in pop.records(24):
            f.write(json.dumps(rec) + "\n")
        f.write("\n")  # blank lines are skipped
    good = tmp_path / "good.json"
    good.write_text(json.dumps(pop.payload()))
    revoked = tmp_path / "revoked.json"
    revoked.write_text(json.dumps(pop.payload(statuses={0: "REVOKED"})))
    return {"corpus": corpus, "good": good, "revoked": revoked}


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_reverify_all_good_exits_0(files: dict[str, Path]) -> None:
    code, out, err = cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--now", "2026-06-01")
    assert code == 0, err
    assert "24 records" in out and "trusted" in out and "Corpus Key 2" in out and "FIDO_CERTIFIED_L1" in out
    assert err == ""  # no progress line when stderr is not a terminal


@pytest.mark.parametrize("extra", [[], ["--trust-only"], ["--workers", "2"]])
def test_reverify_changes_exit_1_with_summary_and_report(files: dict[str, Path], tmp_path: Path, extra: list[str]) -> None:
    report = tmp_path / "report.jsonl"
    code, out, _ = cli("reverify", str(files["corpus"]), "--mds", str(files["revoked"]), "--out", str(report), *extra)
    assert code == 1
    assert "status_rejected" in out and "REVOKED" in out
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    assert [r["index"] for r in rows] == list(range(24))
    assert sum(r["changed"] == "status_rejected" for r in rows) == 8
    assert all(r["aaguid"] for r in rows)


def test_reverify_worker_death_exits_3(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch that stops early (a worker process died) is neither "all good" nor a usage error."""
    from fastattest import VerificationError, batch

    real = batch.reverify

    def dying(records, **kw):
        yield from real(list(records)[:5], **kw)
        raise VerificationError("batch.worker_failed", "a worker process exited unexpectedly")

    monkeypatch.setattr(batch, "reverify", dying)
    code, out, err = cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--now", "2026-06-01")
    assert code == 3 and "[batch.worker_failed]" in err


def test_reverify_bad_record_exits_1(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(files["corpus"].read_text().splitlines()[0] + "\n{oops\n")
    code, out, _ = cli("reverify", str(bad), "--mds", str(files["good"]))
    assert code == 1 and "batch.record_invalid" in out and "invalid" in out


def test_reverify_progress_line_when_forced(files: dict[str, Path]) -> None:
    code, _, err = cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--progress")
    assert code == 0 and "records" in err and "/s" in err and "100.0%" in err and "ETA" in err


@pytest.mark.parametrize("argv", [
    [],
    ["reverify"],
    ["reverify", "nope.jsonl", "--mds", "{good}"],
    ["reverify", "{corpus}", "--mds", "missing.json"],
    ["reverify", "{corpus}", "--mds", "{corpus}"],  # not a BLOB nor a payload
    ["reverify", "{corpus}", "--mds", "{good}", "--workers", "0"],
    ["reverify", "{corpus}", "--mds", "{good}", "--at", "then"],
    ["reverify", "{corpus}", "--mds", "{good}", "--now", "noon"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(files: dict[str, Path], argv: list[str]) -> None:
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    code, _, _ = cli(*argv)
    assert code == 2


def test_verify_registration(tmp_path: Path) -> None:
    auth = sa.SoftAuthenticator("packed")
    challenge = b"cli-challenge-0123456789"
    resp = tmp_path / "resp.json"
    resp.write_text(json.dumps(auth.create(RP_ID, ORIGIN, challenge)))
    code, out, _ = cli("verify", str(resp), "--rp-id", RP_ID, "--origin", ORIGIN, "--challenge", sa.b64u(challenge),
                       "--mds", str(_empty_payload(tmp_path)))
    assert code == 0 and "packed" in out and "basic" in out
    code, out, _ = cli("verify", str(resp), "--rp-id", RP_ID, "--origin", ORIGIN, "--challenge", sa.b64u(b"other"),
                       "--mds", str(_empty_payload(tmp_path)), "--json")
    assert code == 1 and json.loads(out)["code"] == "client_data.challenge_mismatch"


def _empty_payload(tmp_path: Path) -> Path:
    p = tmp_path / "empty.json"
    p.write_text(json.dumps({"no": 1, "nextUpdate": "2099-01-01", "entries": []}))
    return p


def test_demo_runs_every_sample(tmp_path: Path) -> None:
    code, out, _ = cli("demo")
    assert code == 0
    from fastattest.cli import samples_dir

    samples = sorted(samples_dir().glob("*.json"))  # the installed package's (also under scripts/wheel.sh)
    assert len(samples) >= 10
    for s in samples:
        assert json.loads(s.read_text()).get("name", s.stem) in out
    code, _, err = cli("demo", "--samples", str(tmp_path))
    assert code == 0 and "no sample vectors" in err


def test_mds_show_and_lookup(files: dict[str, Path], pop: Population) -> None:
    code, out, _ = cli("mds", "show", "--mds", str(files["revoked"]))
    assert code == 0 and "REVOKED" in out and "FIDO_CERTIFIED_L1" in out
    code, out, _ = cli("mds", "lookup", str(pop.models[0].aaguid), "--mds", str(files["revoked"]))
    assert code == 0 and "Corpus Key 0" in out and "REVOKED" in out
    code, out, _ = cli("mds", "lookup", "00000000-0000-0000-0000-00000000abcd", "--mds", str(files["good"]))
    assert code == 1


def test_console_script_entry_point(files: dict[str, Path]) -> None:
    proc = subprocess.run([sys.executable, "-m", "fastattest.cli", "reverify", str(files["corpus"]), "--mds",
                           str(files["revoked"]), "--trust-only"], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parent.parent)
    assert proc.returncode == 1 and "status_rejected" in proc.stdout


def _root_crl(pop: Population, model: int, revoke: bool) -> bytes:
    """A current CRL of model ``model``'s root CA, listing its attestation leaf if ``revoke``."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    m = pop.models[model]
    leaf = x509.load_der_x509_certificate(m.x5c[0])
    now = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    b = (x509.CertificateRevocationListBuilder().issuer_name(m.ca.root_cert.subject)
         .last_update(now - dt.timedelta(days=1)).next_update(now + dt.timedelta(days=30)))
    if revoke:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(leaf.serial_number)
                                      .revocation_date(now - dt.timedelta(days=1)).build())
    return b.sign(m.ca.root_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


@pytest.mark.parametrize("extra", [[], ["--trust-only"]])
def test_X09_reverify_with_a_crl_reports_the_revoked_model(files: dict[str, Path], tmp_path: Path, pop: Population,
                                                           extra: list[str]) -> None:
    crl = tmp_path / "root0.crl"
    crl.write_bytes(_root_crl(pop, 0, revoke=True))
    report = tmp_path / "report.jsonl"
    code, out, _ = cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--now", "2026-06-01",
                       "--crl", str(crl), "--out", str(report), *extra)
    assert code == 1
    rows = [json.loads(line) for line in report.read_text().splitlines()]
    revoked = [r for r in rows if r["trust_error"] == "trust.revoked"]
    assert len(revoked) == 8 and all(r["changed"] == "newly_untrusted" and not r["trusted"] for r in revoked)
    assert all(r["trusted"] for r in rows if r["trust_error"] != "trust.revoked")


def test_reverify_crl_options_fail_closed_and_bad_files(files: dict[str, Path], tmp_path: Path, pop: Population) -> None:
    good = tmp_path / "root0.crl"
    good.write_bytes(_root_crl(pop, 0, revoke=False))
    report = tmp_path / "report.jsonl"
    code, out, _ = cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--now", "2026-06-01",
                       "--crl", str(good), "--require-crls", "--out", str(report))
    assert code == 1 and "untrusted  16" in out and "trusted    8" in out  # models 1 and 2 have no CRL
    errors = [json.loads(line)["trust_error"] for line in report.read_text().splitlines()]
    assert errors.count("trust.revocation_unavailable") == 16 and errors.count(None) == 8
    bad = tmp_path / "bad.crl"
    bad.write_bytes(b"not a crl")
    assert cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--crl", str(bad))[0] == 2
    assert cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--crl", str(tmp_path / "missing"))[0] == 2


def test_X09_verify_with_a_crl_refuses_a_revoked_attestation_certificate(files: dict[str, Path], tmp_path: Path,
                                                                          pop: Population) -> None:
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    from fastattest import parse_attestation_object

    m = pop.models[0]
    auth = sa.SoftAuthenticator("packed", aaguid=m.aaguid, ca=m.ca)
    challenge = b"cli-crl-challenge-0123456789"
    reg = auth.create(RP_ID, ORIGIN, challenge)
    resp = tmp_path / "resp.json"
    resp.write_text(json.dumps(reg))
    leaf = x509.load_der_x509_certificate(
        parse_attestation_object(sa.unb64u(reg["response"]["attestationObject"])).att_stmt["x5c"][0])
    now = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    crl = tmp_path / "root0.crl"
    crl.write_bytes(x509.CertificateRevocationListBuilder().issuer_name(m.ca.root_cert.subject)
                    .last_update(now - dt.timedelta(days=1)).next_update(now + dt.timedelta(days=30))
                    .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(leaf.serial_number)
                                             .revocation_date(now).build())
                    .sign(m.ca.root_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    base = ["verify", str(resp), "--rp-id", RP_ID, "--origin", ORIGIN, "--challenge", sa.b64u(challenge),
            "--mds", str(files["good"]), "--now", "2026-06-01T12:00:00Z", "--json"]
    code, out, _ = cli(*base)
    assert code == 0 and json.loads(out)["credential"]["trusted"] is True
    code, out, _ = cli(*base, "--crl", str(crl))
    assert code == 1 and json.loads(out)["code"] == "trust.revoked"


# ------------------------------------------------------------------ polish (issue 18)
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import fastattest
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"fastattest {fastattest.__version__}"
    assert fastattest.__version__ == version("fastattest")


@pytest.mark.parametrize("key", ["not-a-uuid", "cb69481e-8ff7", "12345", "zz" * 20])
def test_mds_lookup_of_a_malformed_key_is_a_usage_error(key: str) -> None:
    code, out, err = cli("mds", "lookup", key)
    assert code == 2 and "is not an AAGUID" in err and out == ""


def test_mds_lookup_of_a_well_formed_unknown_key_is_not_found(tmp_path: Path, files: dict[str, Path]) -> None:
    code, out, err = cli("mds", "lookup", "00000000-0000-0000-0000-00000000abcd", "--mds", str(files["good"]))
    assert code == 1 and "no metadata entry" in out


def test_mds_fetch_takes_timeout_and_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastattest import metadata
    from fastattest.errors import MetadataError

    seen: dict = {}

    def fake_fetch(*args, **kw):
        seen.update(kw)
        raise MetadataError("metadata.fetch_failed", "offline in this test")

    monkeypatch.setattr(metadata.MetadataStore, "fetch", staticmethod(fake_fetch))
    code, out, err = cli("mds", "fetch", "--timeout", "2.5", "--cache-dir", str(tmp_path))
    assert seen["timeout"] == 2.5 and str(seen["cache_dir"]) == str(tmp_path)
    assert code != 0 and "metadata.fetch_failed" in out + err
    code, out, err = cli("mds", "fetch", "--timeout", "0")
    assert code == 2 and "--timeout" in err


def test_verify_origin_without_scheme_hints_at_it(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text("{}")
    for origin in ("localhost:5000", "example.com"):
        code, out, err = cli("verify", str(f), "--rp-id", "localhost", "--origin", origin, "--challenge", "AAAA")
        assert code == 2 and "has no scheme" in err and f"https://{origin}" in err
    # an origin with a scheme goes on to verification (and this empty response fails it)
    code, out, err = cli("verify", str(f), "--rp-id", "localhost", "--origin", "http://localhost:5000", "--challenge", "AAAA")
    assert code == 1 and "has no scheme" not in err


def test_reverify_summary_says_why_records_are_invalid(tmp_path: Path, files: dict[str, Path]) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps({"attestation_object": "AA", "client_data_json": "AA"}) + "\n")
    code, out, err = cli("reverify", str(f), "--mds", str(files["good"]), "--out", str(tmp_path / "r.jsonl"))
    assert code == 1
    assert "attestation_object.not_a_map" in out and "record 0: attestation object is not a CBOR map" in out
    rec = json.loads((tmp_path / "r.jsonl").read_text())
    assert rec["error"] == "attestation_object.not_a_map" and "not a CBOR map" in rec["trust_error"]


def test_dask_without_distributed_is_one_line(tmp_path: Path, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code, out, err = cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--dask", "tcp://127.0.0.1:1")
    assert code == 2 and err.count("\n") == 1 and "pip install 'fastattest[dask]'" in err and "Traceback" not in err


def test_dask_unreachable_scheduler_is_one_line(files: dict[str, Path]) -> None:
    code, out, err = cli("reverify", str(files["corpus"]), "--mds", str(files["good"]), "--dask", "tcp://127.0.0.1:9",
                         "--dask-timeout", "1")
    assert code == 2 and err.count("\n") == 1 and "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in err


def test_reverify_workers_from_an_unguarded_script_says_so(tmp_path: Path) -> None:
    """multiprocessing's spawn re-imports the main script in each worker; without a __main__
    guard the workers call reverify again while starting. That is reported as such, not as
    batch.worker_failed."""
    script = tmp_path / "unguarded.py"
    script.write_text("import fastattest, fastattest.batch as b\n"
                      "b._STARTUP_S, b._RATE_AFTER = 0.0, 1  # children even for 8 records\n"
                      "rec = {'attestation_object': 'AA', 'client_data_json': 'AA'}\n"
                      "print(len(list(fastattest.reverify([rec] * 8, workers=2, chunk_size=1))))\n")
    import fastattest
    env = dict(__import__("os").environ, PYTHONPATH=str(Path(fastattest.__file__).parent.parent))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert p.returncode != 0
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError:") and "__main__" in last and "batch.worker_failed" not in p.stderr
    guarded = tmp_path / "guarded.py"
    guarded.write_text("import fastattest, fastattest.batch as b\n"
                       "if __name__ == '__main__':\n"
                       "    b._STARTUP_S, b._RATE_AFTER = 0.0, 1\n"
                       "    rec = {'attestation_object': 'AA', 'client_data_json': 'AA'}\n"
                       "    print(len(list(fastattest.reverify([rec] * 8, workers=2, chunk_size=1))))\n")
    p = subprocess.run([sys.executable, str(guarded)], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert p.returncode == 0 and p.stdout.strip() == "8", p.stderr
