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
from collections import Counter
from pathlib import Path
from typing import Any

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


def mds_fetch(args: Any) -> str:
    """Download, verify and cache the BLOB; return the summary of what is now cached."""
    store = MetadataStore.fetch(
        getattr(args, "url", None) or DEFAULT_URL,
        timeout=getattr(args, "timeout", None) or 30,
        cache_dir=getattr(args, "cache_dir", None),
        root_certificate=_roots(args),
        allow_stale=bool(getattr(args, "allow_stale", False)),
        check_crls=bool(getattr(args, "crls", False)),
    )
    directory = getattr(args, "cache_dir", None) or default_cache_dir()
    return f"fetched and verified; cached in {directory}\n" + mds_show(store)


def mds_show(store: MetadataStore) -> str:
    """A printable summary: serial, next update, entry count, status counts, skipped entries."""
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


def mds_lookup(store: MetadataStore, aaguid: str) -> str:
    """Describe the entry of an AAGUID (or of a 40-hex attestation certificate key identifier)."""
    key = (aaguid or "").strip()
    entry = store.entry(key)
    if entry is None and len(key) == 40:
        entry = store.entry_by_key_identifier(key)
    if entry is None:
        entry = store.entry_by_aaid(key)
    if entry is None:
        raise MetadataError("metadata.entry_invalid", f"no metadata entry for {key!r} (metadata no {store.no})")
    return _describe(entry)


def store_from_args(args: Any) -> MetadataStore:
    """The store `show`/`lookup` read: --blob (verified), --payload (trusted) or the default."""
    blob = getattr(args, "blob", None)
    payload = getattr(args, "payload", None)
    try:
        if blob:
            return MetadataStore.from_blob(Path(blob).read_bytes(), _roots(args), allow_stale=True)
        if payload:
            return MetadataStore.from_payload(Path(payload).read_bytes(), source=str(payload))
    except OSError as exc:
        raise MetadataError("metadata.unavailable", f"cannot read {blob or payload}: {exc}") from None
    if getattr(args, "cache_dir", None):
        return MetadataStore.load(cache_dir=args.cache_dir, root_certificate=_roots(args))
    return MetadataStore.load()


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `mds` command (with fetch/show/lookup) to an argparse subparsers object."""
    mds = subparsers.add_parser("mds", help="FIDO MDS3 metadata: fetch, show, lookup")
    sub = mds.add_subparsers(dest="mds_command", required=True)

    def source(p: argparse.ArgumentParser) -> None:
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


def main(args: Any) -> int:
    """Run a parsed `mds` command; print the result; return the exit status."""
    try:
        if args.mds_command == "fetch":
            print(mds_fetch(args))
        elif args.mds_command == "show":
            print(mds_show(store_from_args(args)))
        else:
            store = store_from_args(args)
            if getattr(args, "json", False):
                mds_lookup(store, args.aaguid)  # raises when absent
                entry = store.entry(args.aaguid) or store.entry_by_key_identifier(args.aaguid) or store.entry_by_aaid(args.aaguid)
                print(json.dumps(entry.raw if entry else None, indent=2))
            else:
                print(mds_lookup(store, args.aaguid))
    except MetadataError as exc:
        print(f"error: {exc.message} [{exc.code}]")
        return 1
    return 0

