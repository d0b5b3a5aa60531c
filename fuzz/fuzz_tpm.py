"""Fuzz target: TPM 2.0 structures (TPMT_PUBLIC, TPMS_ATTEST) from the core.

The first byte picks the parser (even: parse_tpm_public, odd: parse_tpm_attest)."""
from __future__ import annotations

import _harness  # noqa: F401
from _harness import check, main
from fastattest import _core


def _one(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    if data[0] & 1 == 0:
        pub = _core.parse_tpm_public(body)
        if pub.raw != body:
            raise AssertionError("TpmPublic.raw differs from the input")
    else:
        at = _core.parse_tpm_attest(body)
        if at.raw != body:
            raise AssertionError("TpmAttest.raw differs from the input")


def TestOneInput(data: bytes) -> None:
    check(_one, data)


if __name__ == "__main__":
    main(TestOneInput)
