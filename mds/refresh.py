#!/usr/bin/env python
"""Refresh the FIDO MDS3 BLOB cache (for cron / systemd timers).

    python mds/refresh.py                       # https://mds3.fidoalliance.org/ -> ~/.cache/fastattest
    python mds/refresh.py --crls                # also require the chain's CRLs (MDS3 §3.2)
    python mds/refresh.py --cache-dir /var/cache/fastattest --root my-root.pem --url https://...

Exit status: 0 when the cache holds a verified BLOB that is not stale, 1 otherwise (the error
code is printed; a failed download or verification never touches the cache).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastattest import mds_cli  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    mds_cli.add_parser(sub)
    return mds_cli.main(parser.parse_args(["mds", "fetch", *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":
    raise SystemExit(main())
