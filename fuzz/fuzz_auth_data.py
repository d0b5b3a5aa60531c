"""Fuzz target: authenticator data (WebAuthn L3 §6.1) and, when present, its COSE key."""
from __future__ import annotations

import _harness  # noqa: F401
from _harness import VerificationError, check, main
from fastattest import _core, algorithms


def _one(data: bytes) -> None:
    ad = _core.parse_authenticator_data(data)
    if ad.raw != data or len(ad.rp_id_hash) != 32 or not 0 <= ad.sign_count < 2**32:
        raise AssertionError("parsed fields disagree with the input")
    if ad.has_attested_data:
        if ad.credential_id is None or len(ad.credential_id) > 1023 or len(ad.aaguid or b"") != 16:
            raise AssertionError("attested credential data out of bounds")
        try:
            algorithms.load_cose_key(bytes(ad.credential_public_key))
        except VerificationError:
            pass


def TestOneInput(data: bytes) -> None:
    check(_one, data)


if __name__ == "__main__":
    main(TestOneInput)
