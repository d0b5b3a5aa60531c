"""reverify(mode="trust") on a compound attestation (WebAuthn L3 §8.9) recorded without the
stored fmt / aaguid / trust_path: its attStmt is an array, not a map, and the record must get
the same verdict as in full mode (found by mypy: the trust-mode grouping read ``.get`` on it)."""
from __future__ import annotations

import cbor2

import fastattest
from fastattest.response import b64encode

import format_helpers as H


def _record() -> tuple[dict[str, str], dict[str, list[bytes]]]:
    cred = H.ec_key()
    a = H.android_key(cred=cred)
    b = H.apple(cred=cred)
    stmt = [{"fmt": "android-key", "attStmt": a.stmt}, {"fmt": "apple", "attStmt": b.stmt}]
    ao = cbor2.dumps({"fmt": "compound", "attStmt": stmt, "authData": a.ad}, canonical=True)
    anchors = {"android-key": [a.pki.root.pem], "apple": [b.pki.root.pem]}
    return {"attestation_object": b64encode(ao), "client_data_hash": b64encode(H.CDH)}, anchors


def test_trust_mode_verifies_compound_like_full_mode() -> None:
    rec, anchors = _record()
    full, = fastattest.reverify([rec], trust_anchors=anchors, mode="full", at="now", now=H.NOW)
    trust, = fastattest.reverify([rec], trust_anchors=anchors, mode="trust", at="now", now=H.NOW)
    assert full.valid and full.error is None and full.fmt == "compound"
    assert trust == full
