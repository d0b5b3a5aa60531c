"""`fastattest mds ...`: fetch, show and look up FIDO MDS3 metadata from the command line.

``cli.py`` wires these in; each function returns the text to print, so they are easy to test
and to reuse. ``add_parser(subparsers)`` and ``main(args)`` are the wiring in one place:

    fastattest mds fetch [--url URL] [--cache-dir DIR] [--root PEM ...] [--timeout S] [--allow-stale] [--crls]
    fastattest mds show [--cache-dir DIR] [--blob FILE [--root PEM ...]] [--payload FILE]
    fastattest mds lookup AAGUID|KEY-ID [same source options as show]
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import IO, Any

from .errors import MetadataError
from .metadata import DEFAULT_URL, MetadataEntry, MetadataStore, default_cache_dir, fingerprint

__all__ = ["mds_fetch", "mds_show", "mds_lookup", "add_parser", "main", "store_from_args"]


def _roots(args: Any) -> list[bytes] | None:
    paths = getattr(args, "root", None) or []
    if not paths:
        return None
    out: list[bytes] = []
    for p in paths:
        try:
            out.append(Path(p).read_bytes())
        except OSError as exc:
            raise MetadataError("trust.anchor_invalid", f"cannot read root certificate {p}: {exc}") from None
    return out


def _emit(text: str, out: IO[str] | None) -> str | int:
    if out is None:
        return text
    out.write(text + "\n")
    return 0


def mds_fetch(args: Any, out: IO[str] | None = None) -> str | int:
    """Download, verify and cache the BLOB; return the summary of what is now cached
    (or, given ``out``, write it there and return the exit status 0)."""
    store = MetadataStore.fetch(
        getattr(args, "url", None) or DEFAULT_URL,
        timeout=getattr(args, "timeout", None) or 30,
        cache_dir=getattr(args, "cache_dir", None),
        root_certificate=_roots(args),
        allow_stale=bool(getattr(args, "allow_stale", False)),
        check_crls=bool(getattr(args, "crls", False)),
    )
    directory = getattr(args, "cache_dir", None) or default_cache_dir()
    return _emit(f"fetched and verified; cached in {directory}\n" + _summary(store), out)


def mds_show(store: MetadataStore | Any, out: IO[str] | None = None) -> str | int:
    """A printable summary: serial, next update, entry count, status counts, skipped entries.

    ``mds_show(store)`` returns the text; ``mds_show(args, out)`` (the CLI) loads the store the
    arguments name (``--mds`` / ``--blob`` / ``--payload`` / ``--cache-dir``), writes, returns 0.
    """
    if not isinstance(store, MetadataStore):
        store = store_from_args(store)
    return _emit(_summary(store), out)


def _summary(store: MetadataStore) -> str:
    lines = [
        f"source:       {store.source}",
        f"no:           {store.no}",
        f"next update:  {store.next_update}" + ("  (STALE: refresh with `fastattest mds fetch`)" if store.is_stale() else ""),
        f"entries:      {len(store)}  ({len(store.aaguids)} by AAGUID)",
        f"skipped:      {len(store.skipped)}",
    ]
    if store.chain:
        lines.append("chain:        " + " <- ".join(fingerprint(d)[:16] for d in store.chain))
    statuses = Counter(e.status or "(none)" for e in store)
    lines.append("statuses:     " + ", ".join(f"{s}={n}" for s, n in sorted(statuses.items())))
    for index, aaguid, reason in store.skipped[:50]:
        lines.append(f"  skipped #{index} {aaguid or '-'}: {reason}")
    for warning in store.warnings[:20]:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)


def _describe(entry: MetadataEntry) -> str:
    lines = [
        f"description:  {entry.description}",
        f"aaguid:       {entry.aaguid or '-'}",
    ]
    if entry.aaid:
        lines.append(f"aaid:         {entry.aaid}")
    if entry.attestation_certificate_key_identifiers:
        lines.append("key ids:      " + ", ".join(entry.attestation_certificate_key_identifiers))
    lines += [
        f"status:       {entry.status_at()} (latest report: {entry.status})",
        f"certified:    {entry.certification_level or '-'}",
        f"last change:  {entry.time_of_last_status_change or '-'}",
        f"roots:        {len(entry.attestation_root_certificates)}",
    ]
    for der in entry.attestation_root_certificates:
        lines.append(f"  sha256 {fingerprint(der)}")
    for r in entry.status_reports:
        extra = f" certificate={fingerprint(r.certificate)[:16]}" if r.certificate else ""
        lines.append(f"  report {r.effective_date or '----------'} {r.status}{extra}")
    for p in entry.problems:
        lines.append(f"  problem: {p}")
    return "\n".join(lines)


def _find(store: MetadataStore, key: str) -> MetadataEntry | None:
    key = (key or "").strip()
    entry = store.entry(key)
    if entry is None and len(key) == 40:
        entry = store.entry_by_key_identifier(key)
    return entry if entry is not None else store.entry_by_aaid(key)


def mds_lookup(store: MetadataStore | Any, aaguid: str | IO[str] | None = None) -> str | int:
    """Describe the entry of an AAGUID (or of a 40-hex attestation certificate key identifier,
    or a UAF AAID). ``mds_lookup(store, aaguid)`` returns the text and raises
    ``MetadataError("metadata.entry_invalid")`` when there is none; ``mds_lookup(args, out)``
    (the CLI) writes to ``out`` and returns the exit status (1 when there is no entry)."""
    if not isinstance(store, MetadataStore):
        args, out = store, aaguid
        found = _find(store_from_args(args), args.aaguid)
        if found is None:
            out.write(f"no metadata entry for {args.aaguid}\n")  # type: ignore[union-attr]
            return 1
        if getattr(args, "json", False):
            return _emit(json.dumps(found.raw, indent=2), out)  # type: ignore[arg-type]
        return _emit(_describe(found), out)  # type: ignore[arg-type]
    entry = _find(store, aaguid if isinstance(aaguid, str) else "")
    if entry is None:
        raise MetadataError("metadata.entry_invalid", f"no metadata entry for {aaguid!r} (metadata no {store.no})")
    return _describe(entry)


def store_from_args(args: Any) -> MetadataStore:
    """The store `show`/`lookup` read: ``--mds FILE`` (a BLOB, verified, or a payload JSON,
    trusted), ``--blob``, ``--payload``, ``--cache-dir``, or the default ``MetadataStore.load()``."""
    path = getattr(args, "mds", None) or getattr(args, "blob", None) or getattr(args, "payload", None)
    if path:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise MetadataError("metadata.unavailable", f"cannot read {path}: {exc.strerror}") from None
        if getattr(args, "payload", None) or data.lstrip()[:1] == b"{":
            return MetadataStore.from_payload(data, source=str(path))
        store = MetadataStore.from_blob(data, _roots(args), allow_stale=True)
        store.source = str(path)
        return store
    if getattr(args, "cache_dir", None):
        return MetadataStore.load(cache_dir=args.cache_dir, root_certificate=_roots(args))
    return MetadataStore.load()


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `mds` command (with fetch/show/lookup) to an argparse subparsers object."""
    mds: argparse.ArgumentParser = subparsers.add_parser("mds", help="FIDO MDS3 metadata: fetch, show, lookup")
    sub = mds.add_subparsers(dest="mds_command", required=True)

    def source(p: argparse.ArgumentParser) -> None:
        p.add_argument("--mds", help="a BLOB (verified) or payload JSON file to read instead of the default")
        p.add_argument("--cache-dir", help="metadata cache directory (default: $FASTATTEST_CACHE_DIR or ~/.cache/fastattest)")
        p.add_argument("--root", action="append", help="PEM/DER root to pin instead of GlobalSign R46/R3 (repeatable)")

    f = sub.add_parser("fetch", help="download, verify and cache the MDS3 BLOB")
    f.add_argument("--url", default=DEFAULT_URL)
    f.add_argument("--timeout", type=float, default=30)
    f.add_argument("--allow-stale", action="store_true")
    f.add_argument("--crls", action="store_true", help="download the chain's CRLs and require them (MDS3 §3.2)")
    source(f)
    s = sub.add_parser("show", help="summarise the metadata in use")
    source(s)
    s.add_argument("--blob", help="verify and show this BLOB file instead")
    s.add_argument("--payload", help="show this decoded payload JSON instead (trusted as is)")
    lk = sub.add_parser("lookup", help="describe the entry of an AAGUID or key identifier")
    lk.add_argument("aaguid")
    source(lk)
    lk.add_argument("--blob")
    lk.add_argument("--payload")
    lk.add_argument("--json", action="store_true", help="print the raw entry as JSON")
    return mds


def main(args: Any, out: IO[str] | None = None) -> int:
    """Run a parsed `mds` command; print the result; return the exit status."""
    out = out or sys.stdout
    command = {"fetch": mds_fetch, "show": mds_show, "lookup": mds_lookup}[args.mds_command]
    try:
        return int(command(args, out))
    except MetadataError as exc:
        out.write(f"error: {exc.message} [{exc.code}]\n")
        return 1
