"""Fuzz target: COSE_Key parsing and validation into a cryptography key, then a signature check."""
from __future__ import annotations

import _harness  # noqa: F401
from _harness import check, main
from fastattest import algorithms


def _one(data: bytes) -> None:
    # split: COSE key | signature (a varying tail), so verify() sees odd signatures too
    cut = data.rfind(b"\xff\xfe")
    key_bytes, sig = (data, b"") if cut < 0 else (data[:cut], data[cut + 2:])
    algorithms.load_cose_key.cache_clear() if len(algorithms.load_cose_key.cache_info()) and \
        algorithms.load_cose_key.cache_info().currsize > 1000 else None
    cose, pub = algorithms.load_cose_key(key_bytes)
    algorithms.verify(cose.alg, pub, sig, b"fastattest fuzz", "signature.invalid")


def TestOneInput(data: bytes) -> None:
    check(_one, data)


if __name__ == "__main__":
    main(TestOneInput)
