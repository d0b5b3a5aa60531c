"""attestation.prepare_anchors remembers the last mapping it prepared (one dict comparison for
a repeated one): the stores it returns must follow the mapping's contents whatever the caller
does to it between calls, and equal contents in any container give the same stores."""
from __future__ import annotations

import pytest

import softauthn
from fastattest import attestation, certificates
from fastattest.errors import VerificationError


@pytest.fixture(scope="module")
def roots() -> list[bytes]:
    return [softauthn.der(softauthn.TestCA().root_cert) for _ in range(3)]


def _anchors(stores: dict) -> dict[str, set[bytes]]:
    return {fmt: set(store.anchors) for fmt, store in stores.items()}


def test_a_mutated_mapping_is_prepared_again(roots: list[bytes]) -> None:
    a, b, c = roots
    mapping: dict = {"packed": [a]}
    assert _anchors(attestation.prepare_anchors(mapping)) == {"packed": {a}}
    assert _anchors(attestation.prepare_anchors(mapping)) == {"packed": {a}}  # remembered
    mapping["packed"].append(b)  # in place: the same list object
    assert _anchors(attestation.prepare_anchors(mapping)) == {"packed": {a, b}}
    mapping["tpm"] = c
    assert _anchors(attestation.prepare_anchors(mapping)) == {"packed": {a, b}, "tpm": {c}}
    mapping["packed"][0] = c
    assert _anchors(attestation.prepare_anchors(mapping)) == {"packed": {c, b}, "tpm": {c}}
    del mapping["tpm"]
    mapping["packed"].clear()
    assert attestation.prepare_anchors(mapping) == {"packed": attestation.prepare_anchors({"packed": []})["packed"]}
    assert len(attestation.prepare_anchors(mapping)["packed"]) == 0
    mapping.clear()
    assert attestation.prepare_anchors(mapping) == {}


def test_equal_contents_give_the_same_stores(roots: list[bytes]) -> None:
    a, b, _ = roots
    first = attestation.prepare_anchors({"packed": [a, b]})
    assert attestation.prepare_anchors({"packed": [a, b]}) is first  # a fresh dict, the same certificates
    assert attestation.prepare_anchors({"packed": (a, b)}) is first  # the cache keyed by contents
    assert attestation.prepare_anchors({"packed": [b]}) is not first
    assert _anchors(attestation.prepare_anchors({"packed": [b, a], "tpm": a})) == {"packed": {a, b}, "tpm": {a}}


def test_a_certificate_that_can_change_in_place_is_not_remembered(roots: list[bytes]) -> None:
    a, b, _ = roots
    attestation.prepare_anchors({"packed": [a]})
    mutable = bytearray(a)
    mapping = {"packed": [mutable]}
    assert _anchors(attestation.prepare_anchors(mapping)) == {"packed": {a}}  # equal to the last: its stores
    mutable[:] = b
    assert _anchors(attestation.prepare_anchors(mapping)) == {"packed": {b}}
    mutable[:] = b"not a certificate"
    with pytest.raises(VerificationError) as ei:
        attestation.prepare_anchors(mapping)
    assert ei.value.code == "trust.anchor_invalid"


def test_a_bytearray_gives_the_same_stores_first_or_after(roots: list[bytes]) -> None:
    """Prepared the same whether or not an equal bytes mapping was prepared just before."""
    _, _, c = roots
    certificates.load.cache_clear()
    attestation._LAST = None
    fresh = _anchors(attestation.prepare_anchors({"fido-u2f": [bytearray(c)]}))
    attestation.prepare_anchors({"fido-u2f": [c]})
    assert _anchors(attestation.prepare_anchors({"fido-u2f": [bytearray(c)]})) == fresh == {"fido-u2f": {c}}


def test_other_mappings_and_bad_input(roots: list[bytes]) -> None:
    from types import MappingProxyType

    a, _, _ = roots
    assert _anchors(attestation.prepare_anchors(MappingProxyType({"packed": [a]}))) == {"packed": {a}}
    with pytest.raises(VerificationError) as ei:
        attestation.prepare_anchors([("packed", a)])  # type: ignore[arg-type]
    assert ei.value.code == "trust.anchor_invalid"
    with pytest.raises(VerificationError) as ei:
        attestation.prepare_anchors({"packed": [b"junk"]})
    assert ei.value.code == "trust.anchor_invalid"
    assert attestation.prepare_anchors(None) == {} and attestation.prepare_anchors({}) == {}
