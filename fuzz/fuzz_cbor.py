"""Fuzz target: the CBOR decoder (_core.cbor_decode / cbor_decode_prefix), default and strict.

Oracles beyond "only VerificationError": whatever the default decoder accepts, cbor2 decodes to
the same value (same types, same key order); the strict decoder accepts exactly the inputs the
default one accepts that are CTAP2-canonical (cbor2 canonical=True re-encodes them to the same
bytes), with the same value.
"""
from __future__ import annotations

import _harness  # noqa: F401  (sets sys.path, instruments fastattest)
import cbor2
from _harness import VerificationError, check, main
from fastattest import _core


def _strict(data: bytes) -> object:
    try:
        return _core.cbor_decode(data, strict=True)
    except VerificationError:
        return VerificationError


def _one(data: bytes) -> None:
    try:
        value = _core.cbor_decode(data)
    except VerificationError:
        # the prefix decoder must agree on the item boundary or fail too; strict refuses too
        _core.cbor_decode_prefix(data, 0, 8)
        if _strict(data) is not VerificationError:
            raise AssertionError(f"strict accepts {data.hex()}, the default decoder refuses it") from None
        return
    theirs = cbor2.loads(data)
    if theirs != value or type(theirs) is not type(value) or repr(theirs) != repr(value):
        raise AssertionError(f"cbor2 decodes {data.hex()} to {theirs!r}, we to {value!r}")
    canonical = cbor2.dumps(value, canonical=True) == data
    strict = _strict(data)
    if canonical != (strict is not VerificationError) or (canonical and strict != value):
        raise AssertionError(f"strict mode {'refuses' if canonical else 'accepts'} {data.hex()}")
    v2, end = _core.cbor_decode_prefix(data + b"\x00", 0)
    if end != len(data) or v2 != value:
        raise AssertionError("cbor_decode_prefix disagrees with cbor_decode")


def TestOneInput(data: bytes) -> None:
    check(_one, data)


if __name__ == "__main__":
    main(TestOneInput)
