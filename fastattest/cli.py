"""The ``fastattest`` command.

    fastattest reverify INPUT.jsonl [--mds BLOB_OR_PAYLOAD] [--workers N] [--out REPORT.jsonl]
                                    [--trust-only] [--at registration|now] [--dask tcp://host:8786]
                                    [--crl CRL ...] [--require-crls]
    fastattest verify RESPONSE.json --rp-id ID --origin URL --challenge B64URL [--json]
                                    [--crl CRL ...] [--require-crls]
    fastattest demo
    fastattest mds fetch | show | lookup AAGUID
    fastattest --version

Exit codes: 0 all good; 1 some records changed or failed (``reverify``) / verification failed
(``verify``); 2 usage or configuration error (bad arguments, unreadable files or metadata);
3 the batch did not complete (a worker process died: ``batch.worker_failed``).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Sequence


from .errors import FastAttestError, MetadataError, VerificationError
from .types import ReverifyMode

USAGE_ERROR = 2
INCOMPLETE = 3  # reverify stopped before the end of its input (a worker process died)


class _UsageError(Exception):
    pass


# --------------------------------------------------------------------------- helpers


def _now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _UsageError(f"--now: not an ISO 8601 date-time: {value!r}") from None
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def load_metadata(path: str | None, *, required: bool = True) -> Any:
    """``--mds``: a BLOB (JWT) file or a JSON payload file; None: ``MetadataStore.load()``."""
    from .metadata import MetadataStore

    if path is None:
        try:
            return MetadataStore.load()
        except MetadataError:
            if required:
                raise
            return None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _UsageError(f"--mds: cannot read {path}: {exc.strerror}") from None
    if data.lstrip()[:1] == b"{":
        return MetadataStore.from_payload(data, source=str(path))
    return MetadataStore.from_blob(data.strip())


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str], out: IO[str]) -> None:
    cells = [[str(h) for h in header]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


def _count_lines(f: IO[bytes]) -> int | None:
    """Number of non-blank lines, if the file can be read twice (seekable); else None."""
    try:
        if not f.seekable():
            return None
        pos = f.tell()
        n = 0
        for line in f:
            if line.strip():
                n += 1
        f.seek(pos)
        return n
    except (OSError, ValueError):
        return None


def _lines(f: IO[bytes]) -> Iterator[bytes]:
    for line in f:
        if line.strip():
            yield line


class _Progress:
    """A one-line progress report on stderr (a TTY only): records/s and ETA."""

    def __init__(self, total: int | None, stream: IO[str], enabled: bool) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled
        self.start = time.monotonic()
        self.last = 0.0
        self.n = 0

    def tick(self) -> None:
        self.n += 1
        if not self.enabled or self.n & 63:
            return
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        self.draw(now)

    def draw(self, now: float) -> None:
        rate = self.n / max(now - self.start, 1e-9)
        msg = f"{self.n:,} records  {rate:,.0f}/s"
        if self.total:
            left = max(self.total - self.n, 0)
            msg += f"  {100 * self.n / self.total:5.1f}%  ETA {_duration(left / rate if rate else 0)}"
        self.stream.write("\r" + msg + " " * 8)
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


# --------------------------------------------------------------------------- reverify


class Summary:
    """Counts per outcome, per status and per AAGUID description."""

    def __init__(self) -> None:
        self.total = 0
        self.outcomes: Counter[str] = Counter()
        self.changed: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.error_examples: dict[str, str] = {}  # code -> the first record's message
        self.statuses: Counter[str] = Counter()
        self.descriptions: Counter[str] = Counter()

    def add(self, r: Any) -> None:
        get = r.get if isinstance(r, dict) else lambda k: getattr(r, k)
        self.total += 1
        valid, trusted, changed = get("valid"), get("trusted"), get("changed")
        self.outcomes["invalid" if not valid else "trusted" if trusted else "untrusted"] += 1
        if changed:
            self.changed[changed] += 1
        if not valid:
            code = get("error") or "?"
            self.errors[code] += 1
            if code not in self.error_examples:
                self.error_examples[code] = f"record {get('index')}: {get('trust_error') or '-'}"
        else:
            self.statuses[get("status") or "(none)"] += 1
            self.descriptions[get("description") or f"(unknown) {get('aaguid')}"] += 1

    @property
    def bad(self) -> int:
        return sum(self.changed.values()) + self.outcomes["invalid"] - self.changed["invalid"]

    def write(self, out: IO[str], limit: int = 25) -> None:
        out.write(f"\n{self.total:,} records\n\n")
        for title, counter in (("outcome", self.outcomes), ("changed", self.changed), ("error", self.errors),
                               ("status", self.statuses), ("authenticator", self.descriptions)):
            if not counter:
                continue
            if title == "error":  # why records are invalid: the code, how many, the first one's message
                errs = [(code, n, self.error_examples.get(code, "")) for code, n in counter.most_common(limit)]
                _table(errs, ("error", "records", "first (message)"), out)
                out.write("\n")
                continue
            rows = counter.most_common(limit)
            if len(counter) > limit:
                rows.append((f"... {len(counter) - limit} more", sum(counter.values()) - sum(c for _, c in rows)))
            _table(rows, (title, "records"), out)
            out.write("\n")


def _policy(args: argparse.Namespace) -> Any:
    """The Policy of --crl FILE... / --require-crls (catalogue X09), or None for the default."""
    from .policy import Policy

    if not args.crl and not args.require_crls:
        return None
    crls = []
    for path in args.crl:
        try:
            crls.append(Path(path).read_bytes())
        except OSError as exc:
            raise _UsageError(f"--crl: cannot read {path}: {exc.strerror}") from None
    try:
        return Policy(crls=crls, require_crls=args.require_crls)
    except (TypeError, ValueError) as exc:
        raise _UsageError(f"--crl: {exc}") from None


def _crl_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--crl", action="append", default=[], metavar="FILE",
                   help="a DER or PEM CRL of an attestation CA (repeatable): revoked certificates are untrusted")
    p.add_argument("--require-crls", action="store_true",
                   help="fail closed: an attestation certificate whose issuer's CRL is not given is untrusted")


def cmd_reverify(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .batch import reverify

    if args.workers < 1:
        raise _UsageError("--workers must be at least 1")
    policy = _policy(args)
    store = load_metadata(args.mds)
    now = _now(args.now)
    try:
        f: IO[bytes] = sys.stdin.buffer if args.input == "-" else open(args.input, "rb")
    except OSError as exc:
        raise _UsageError(f"cannot read {args.input}: {exc.strerror}") from None
    report = None
    try:
        if args.out:
            try:
                report = open(args.out, "w", encoding="utf-8")
            except OSError as exc:
                raise _UsageError(f"--out: cannot write {args.out}: {exc.strerror}") from None
        total = _count_lines(f)
        progress = _Progress(total, err, args.progress if args.progress is not None else err.isatty())
        mode: ReverifyMode = "trust" if args.trust_only else "full"
        if args.dask:
            results: Iterable[Any] = _dask_results(args, store, mode, now, policy)
        else:
            results = reverify(_lines(f), metadata=store, policy=policy, workers=args.workers, at=args.at, mode=mode,
                               chunk_size=args.chunk_size, now=now)
        summary = Summary()
        for r in results:
            d = r.to_dict() if hasattr(r, "to_dict") else r
            summary.add(d)
            if report is not None:
                report.write(json.dumps(d, separators=(",", ":")) + "\n")
            progress.tick()
        progress.done()
    finally:
        if f is not sys.stdin.buffer:
            f.close()
        if report is not None:
            report.close()
    summary.write(out)
    return 1 if summary.bad else 0


def _dask_results(args: argparse.Namespace, store: Any, mode: str, now: datetime | None,
                  policy: Any = None) -> Iterator[dict[str, Any]]:
    """Records through a Dask cluster, one partition (file) at a time."""
    if args.input == "-":
        raise _UsageError("--dask needs an input file the workers can read, not stdin")
    try:
        from distributed import Client

        from .dask import reverify_jsonl
    except ImportError as exc:
        raise _UsageError(f"--dask needs the 'distributed' package ({exc.name or exc}): pip install 'fastattest[dask]'") from None
    try:
        client = Client(args.dask, timeout=args.dask_timeout)  # type: ignore[no-untyped-call]  # distributed leaves Client.__init__ unannotated
    except (OSError, TimeoutError, ValueError) as exc:
        raise _UsageError(f"--dask: cannot connect to the Dask scheduler at {args.dask}: {exc}") from None
    with client:
        bag = reverify_jsonl([os.path.abspath(args.input)], store, client, at=args.at, mode=mode, now=now, policy=policy)
        for part in bag.to_delayed():
            yield from part.compute()


# --------------------------------------------------------------------------- verify / demo


def _b64(value: str, what: str) -> bytes:
    from .response import b64decode

    try:
        return b64decode(value, what)
    except VerificationError:
        raise _UsageError(f"{what} is not base64url") from None


def _credential_rows(cred: Any) -> list[tuple[str, Any]]:
    d = cred.to_dict()
    rows = []
    for k in ("credential_id", "aaguid", "fmt", "attestation_type", "trusted", "status", "trust_error", "algorithm",
              "sign_count", "user_verified", "backup_eligible", "backed_up", "transports"):
        rows.append((k, d.get(k)))
    if cred.metadata is not None:
        rows.append(("authenticator", cred.metadata.description))
    return rows


_HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+(:\d+)?/?$")  # a host[:port] without "scheme://" (android:... has none either, but never matches)


def cmd_verify(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .relying_party import RelyingParty

    try:
        response = Path(args.file).read_bytes()
    except OSError as exc:
        raise _UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    for origin in args.origin:
        if _HOST_PORT.match(origin):  # "localhost:5000", "example.com": no scheme
            raise _UsageError(f"--origin {origin!r} has no scheme: an origin is scheme://host[:port], "
                              f"as the browser reports it, e.g. https://{origin} or http://{origin}")
    policy = _policy(args)
    store = load_metadata(args.mds, required=False)
    rp = RelyingParty(args.rp_id, args.origin, metadata=store, policy=policy)
    try:
        cred = rp.register(response, challenge=_b64(args.challenge, "--challenge"), now=_now(args.now))
    except VerificationError as exc:
        if args.json:
            out.write(json.dumps({"ok": False, "code": exc.code, "message": exc.message}) + "\n")
        else:
            out.write(f"rejected: {exc.code}: {exc.message}\n")
        return 1
    if args.json:
        out.write(json.dumps({"ok": True, "credential": cred.to_dict()}, indent=2) + "\n")
    else:
        _table(_credential_rows(cred), ("field", "value"), out)
    return 0


def samples_dir() -> Path:
    return Path(__file__).with_name("samples")


def run_sample(sample: dict[str, Any], store: Any) -> tuple[str, str, str, str, str]:
    """(fmt, attestation type, trusted, result) of one sample vector, as table cells."""
    from .relying_party import Credential, RelyingParty

    now = _now(sample.get("now")) if sample.get("now") else None
    rp = RelyingParty(sample["rp_id"], sample["origin"], metadata=store, trust_anchors=sample.get("trust_anchors"))
    challenge = _b64(sample["challenge"], "challenge")
    if sample.get("kind") == "authentication":
        resp = sample["response"]
        cred = Credential(credential_id=_b64(resp["rawId"] if isinstance(resp, dict) else "", "rawId"),
                          public_key=_b64(sample["credential_public_key"], "credential_public_key"),
                          sign_count=int(sample.get("stored_sign_count") or 0))
        res = rp.verify(resp, credential=cred, challenge=challenge, now=now)
        return ("", "", "", f"ok (sign_count {res.sign_count})", "")
    c = rp.register(sample["response"], challenge=challenge, now=now)
    return (c.fmt, c.attestation_type, "yes" if c.trusted else "no", "ok", c.trust_error or "")


def cmd_demo(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    directory = Path(args.samples) if args.samples else samples_dir()
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not files:
        err.write(f"no sample vectors in {directory}\n")
        return 0
    try:
        store = load_metadata(None)
        out.write(f"metadata: {store!r}\n\n")
    except MetadataError as exc:
        out.write(f"note: no FIDO metadata ({exc.code}); verifying without it\n\n")
        store = None
    rows = []
    for path in files:
        try:
            sample = json.loads(path.read_text(encoding="utf-8"))
            name = sample.get("name") or path.stem
            kind = sample.get("kind", "registration")
        except (OSError, ValueError, AttributeError) as exc:
            rows.append((path.stem, "?", "", "", "", f"unreadable: {exc}"))
            continue
        try:
            fmt, att, trusted, result, note = run_sample(sample, store)
            rows.append((name, kind, fmt, att, trusted, result + (f" ({note})" if note else "")))
        except FastAttestError as exc:
            rows.append((name, kind, "", "", "", exc.code))
        except (_UsageError, KeyError, TypeError, ValueError) as exc:
            rows.append((name, kind, "", "", "", f"bad sample: {exc}"))
    _table(rows, ("name", "kind", "fmt", "attestation", "trusted", "result"), out)
    return 0


# --------------------------------------------------------------------------- mds


def _mds_functions() -> dict[str, Any]:
    """The metadata engineer's command implementations, when they exist."""
    found: dict[str, Any] = {}
    for mod_name in ("fastattest.mds_cli", "fastattest.metadata"):
        try:
            mod = __import__(mod_name, fromlist=["_"])
        except ImportError:
            continue
        for name in ("mds_fetch", "mds_show", "mds_lookup"):
            if name not in found and callable(getattr(mod, name, None)):
                found[name] = getattr(mod, name)
    return found


_AAID = re.compile(r"^[0-9A-Fa-f]{4}#[0-9A-Fa-f]{4}$")  # FIDO UAF AAID (UAF Protocol §3.1.4)


def _lookup_key(key: str) -> bool:
    """An AAGUID (any UUID spelling), a 40-hex attestation certificate key identifier, or an AAID."""
    from uuid import UUID

    key = key.strip()
    if re.fullmatch(r"[0-9A-Fa-f]{40}", key) or _AAID.match(key):
        return True
    try:
        UUID(key)
        return True
    except ValueError:
        return False


def cmd_mds(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from .metadata import MetadataStore

    if args.mds_command == "lookup" and not _lookup_key(args.aaguid):
        raise _UsageError(f"mds lookup: {args.aaguid!r} is not an AAGUID (a UUID such as "
                          "cb69481e-8ff7-4039-93ec-0a2729a154a8), a 40-hex attestation key identifier or a UAF AAID (XXXX#XXXX)")
    if args.mds_command == "fetch" and args.timeout is not None and not args.timeout > 0:
        raise _UsageError("mds fetch: --timeout must be a positive number of seconds")
    provided = _mds_functions().get(f"mds_{args.mds_command}")
    if provided is not None:
        return int(provided(args, out) or 0)
    if args.mds_command == "fetch":
        kw: dict[str, Any] = {"timeout": args.timeout or 30, "cache_dir": args.cache_dir}
        store = MetadataStore.fetch(url=args.url, **kw) if args.url else MetadataStore.fetch(**kw)
        out.write(f"fetched and cached: {store!r}\n")
        return 0
    store = load_metadata(args.mds)
    if args.mds_command == "show":
        out.write(f"{store!r}\nsource: {getattr(store, 'source', '?')}\nnext update: {store.next_update}\n\n")
        statuses = Counter(e.status or "(none)" for e in store)
        _table(statuses.most_common(), ("status", "entries"), out)
        return 0
    entry = store.entry(args.aaguid)
    if entry is None:
        out.write(f"no metadata entry for {args.aaguid}\n")
        return 1
    rows = [("aaguid", entry.aaguid), ("description", entry.description), ("status", entry.status),
            ("certification", getattr(entry, "certification_level", None)),
            ("attestation roots", len(entry.attestation_root_certificates)),
            ("key identifiers", ", ".join(entry.attestation_certificate_key_identifiers) or None)]
    _table(rows, ("field", "value"), out)
    if entry.status_reports:
        out.write("\n")
        _table([(getattr(r, "status", None), getattr(r, "effective_date", None)) for r in entry.status_reports],
               ("status report", "effective"), out)
    return 0


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    p = argparse.ArgumentParser(prog="fastattest", description="WebAuthn / FIDO2 attestation verification")
    p.add_argument("--version", action="version", version=f"fastattest {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("reverify", help="re-verify stored registrations (JSON lines) against metadata")
    r.add_argument("input", help="JSONL of Credential.to_dict() records ('-': stdin)")
    r.add_argument("--mds", help="metadata BLOB (JWT) or JSON payload file (default: MetadataStore.load())")
    r.add_argument("--workers", type=int, default=1, help="processes that verify: this one and N-1 children (default 1)")
    r.add_argument("--out", help="write one JSON result per record to this file")
    r.add_argument("--trust-only", action="store_true", help="recompute only the trust verdict, per certificate chain")
    r.add_argument("--at", choices=("registration", "now"), default="registration",
                   help="check certificates as of registration (default) or now")
    r.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster (scheduler address)")
    r.add_argument("--dask-timeout", type=float, default=10, metavar="SECONDS",
                   help="how long to try to reach the Dask scheduler (default 10)")
    _crl_options(r)
    r.add_argument("--chunk-size", type=int, default=256, help=argparse.SUPPRESS)
    r.add_argument("--now", help="today, ISO 8601 (default: the current time)")
    r.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress line on stderr (default: when stderr is a terminal)")
    r.set_defaults(func=cmd_reverify)

    v = sub.add_parser("verify", help="verify one registration response (PublicKeyCredential JSON)")
    v.add_argument("file")
    v.add_argument("--rp-id", required=True)
    v.add_argument("--origin", required=True, action="append")
    v.add_argument("--challenge", required=True, help="the challenge issued, base64url")
    v.add_argument("--mds", help="metadata BLOB or payload file (default: MetadataStore.load() if available)")
    v.add_argument("--now", help="ISO 8601 time to verify at")
    v.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _crl_options(v)
    v.set_defaults(func=cmd_verify)

    d = sub.add_parser("demo", help="verify the sample vectors shipped with the package")
    d.add_argument("--samples", help=argparse.SUPPRESS)
    d.set_defaults(func=cmd_demo)

    m = sub.add_parser("mds", help="FIDO metadata: fetch, show, lookup")
    msub = m.add_subparsers(dest="mds_command", required=True)
    f = msub.add_parser("fetch", help="download, verify and cache the MDS3 BLOB")
    f.add_argument("--url")
    f.add_argument("--timeout", type=float, default=30, metavar="SECONDS", help="network timeout (default 30)")
    f.add_argument("--cache-dir", help="cache directory (default: $FASTATTEST_CACHE_DIR or ~/.cache/fastattest)")
    s = msub.add_parser("show", help="summarise the metadata in use")
    s.add_argument("--mds")
    lk = msub.add_parser("lookup", help="show the entry of an AAGUID")
    lk.add_argument("aaguid")
    lk.add_argument("--mds")
    m.set_defaults(func=cmd_mds)

    n = sub.add_parser("names", help="authenticator display names: fetch the passkey provider list, look up a name")
    nsub = n.add_subparsers(dest="names_command", required=True)
    nf = nsub.add_parser("fetch", help="download the community passkey-provider AAGUID list (names only; never a security decision)")
    nf.add_argument("--url", default=None, help="default: passkeydeveloper/passkey-authenticator-aaguids combined_aaguid.json")
    nf.add_argument("--output", default=None, help="file to write (default: ~/.cache/fastattest/aaguid.json, read automatically)")
    nl = nsub.add_parser("lookup", help="the display name of an AAGUID")
    nl.add_argument("aaguid")
    nl.add_argument("--file", help="a provider list file (default: $FASTATTEST_AAGUID_NAMES or the fetched copy)")
    nl.add_argument("--mds", help="metadata BLOB or payload file (its description comes first)")
    n.set_defaults(func=cmd_names)
    return p


def cmd_names(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """`fastattest names fetch|lookup` (fastattest/names.py)."""
    from . import names

    if args.names_command == "fetch":
        try:
            path, count = names.fetch_provider_list(args.url or names.PROVIDER_LIST_URL, args.output)
        except (OSError, ValueError) as exc:
            raise _UsageError(f"cannot fetch the provider list: {exc}") from None
        out.write(f"{count} provider names written to {path}\n")
        return 0
    if args.file:
        names.load_provider_names(args.file)
    store = load_metadata(args.mds) if args.mds else None
    try:
        name = names.authenticator_name(args.aaguid, store)
    except (TypeError, ValueError):
        raise _UsageError(f"{args.aaguid!r} is not an AAGUID") from None
    out.write(f"{name if name is not None else '(no name known)'}\n")
    return 0 if name is not None else 1


def main(argv: Sequence[str] | None = None, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    try:
        # no warning filter: certificates are read without cryptography's X.509 parser, so a
        # real device's certificate (a non-positive serial) makes it warn nowhere
        rc: int = args.func(args, out, err)
        return rc
    except _UsageError as exc:
        err.write(f"fastattest: {exc}\n")
        return USAGE_ERROR
    except MetadataError as exc:
        # a 429 answer's Retry-After, when the download code records it on the error
        retry = getattr(exc, "retry_after", None)
        hint = f" (the server asks to retry after {retry} s)" if retry else ""
        err.write(f"fastattest: metadata: {exc.message} [{exc.code}]{hint}\n")
        return USAGE_ERROR
    except VerificationError as exc:
        err.write(f"fastattest: {exc.message} [{exc.code}]\n")
        return INCOMPLETE if exc.code == "batch.worker_failed" else USAGE_ERROR
    except KeyboardInterrupt:
        err.write("\ninterrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
