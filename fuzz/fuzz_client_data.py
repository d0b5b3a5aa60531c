"""Fuzz target: clientDataJSON (WebAuthn L3 §5.8.1, §7.1 steps 5-11) and the response envelope.

The first byte picks: even = clientDataJSON parse + verify against a fixed ceremony,
odd = the PublicKeyCredential JSON envelope (registration and assertion shapes)."""
from __future__ import annotations

import _harness  # noqa: F401
from _harness import check, main
from fastattest import client_data, response

CHALLENGE = b"fastattest-fuzz-challenge-0123456789"
ORIGINS = frozenset({"https://example.com", "https://login.example.com:8443"})


def _one(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    sel = data[0]
    if sel & 1 == 0:
        cd = client_data.parse(body)
        client_data.verify(cd, type="webauthn.create" if sel & 2 else "webauthn.get", challenge=CHALLENGE,
                           origins=ORIGINS, allow_cross_origin=bool(sel & 4),
                           top_origins=("https://top.example",) if sel & 8 else ())
    else:
        response.parse(body, registration=bool(sel & 2))


def TestOneInput(data: bytes) -> None:
    check(_one, data)


if __name__ == "__main__":
    main(TestOneInput)
