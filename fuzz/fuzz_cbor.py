"""Fuzz target: the strict CBOR decoder (_core.cbor_decode / cbor_decode_prefix).

Oracle beyond "only VerificationError": anything we accept must be CTAP2-canonical, so
cbor2 must decode it to the same value and re-encode it (canonical=True) to the same bytes.
"""
from __future__ import annotations

import _harness  # noqa: F401  (sets sys.path, instruments fastattest)
import cbor2
from _harness import VerificationError, check, main
from fastattest import _core


def _one(data: bytes) -> None:
    try:
        value = _core.cbor_decode(data)
    except VerificationError:
        # the prefix decoder must agree on the item boundary or fail too
        _core.cbor_decode_prefix(data, 0, 8)
        return
    theirs = cbor2.loads(data)
    if theirs != value or type(theirs) is not type(value):
        raise AssertionError(f"cbor2 decodes {data.hex()} to {theirs!r}, we to {value!r}")
    if cbor2.dumps(value, canonical=True) != data:
        raise AssertionError(f"accepted non-canonical CBOR {data.hex()}")
    v2, end = _core.cbor_decode_prefix(data + b"\x00", 0)
    if end != len(data) or v2 != value:
        raise AssertionError("cbor_decode_prefix disagrees with cbor_decode")


def TestOneInput(data: bytes) -> None:
    check(_one, data)


if __name__ == "__main__":
    main(TestOneInput)
