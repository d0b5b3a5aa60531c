"""The compiled CollectedClientData checks (fastattest/_json.pxi: verify_client_data and
check_client_data, behind client_data.verify and RelyingParty) against the rules written out in
plain Python (WebAuthn L3 §5.8.1; §7.1 steps 7-11, §7.2 steps 11-15; catalogue J02-J10): the
same verdict, code and message on every combination of member values below."""
from __future__ import annotations

import hashlib
import itertools
import json

import pytest

from fastattest import VerificationError, _core, client_data

CH = b"\x01\x02challenge-bytes\xff"
CH_B64 = client_data.encode_challenge(CH)
ORIGINS = frozenset({"https://example.com", "https://login.example.com"})
TOPS = ("https://top.example",)
ABSENT = object()


def model(cd: dict, type_: str, challenge: bytes, origins, allow_cross: bool, tops) -> tuple[str, str] | None:
    """The rules, one by one, in spec order: (code, message) of the first that fails, else None."""
    if cd.get("type") != type_:
        return "client_data.type_mismatch", f"clientDataJSON type is {cd.get('type')!r}, expected {type_!r}"
    got = cd.get("challenge")
    if not isinstance(got, str) or got != client_data.encode_challenge(challenge):
        return "client_data.challenge_mismatch", "clientDataJSON challenge does not match the issued challenge"
    origin = cd.get("origin")
    if not isinstance(origin, str) or origin not in origins:
        return "client_data.origin_mismatch", f"origin {origin!r} is not an expected origin"
    cross = cd.get("crossOrigin", False)
    if not isinstance(cross, bool):
        return "client_data.cross_origin", "crossOrigin is not a boolean"
    if cross and not allow_cross:
        return "client_data.cross_origin", "cross-origin ceremonies are not allowed"
    if "topOrigin" in cd:
        top = cd["topOrigin"]
        if not cross or not isinstance(top, str) or top not in tops:
            return "client_data.top_origin", f"topOrigin {top!r} is not allowed"
    if "tokenBinding" in cd and not isinstance(cd["tokenBinding"], str):
        tb = cd["tokenBinding"]
        if not isinstance(tb, dict) or tb.get("status") not in ("present", "supported"):
            return "client_data.token_binding", "tokenBinding must be an object with a valid status"
        if tb["status"] == "present":
            return "client_data.token_binding", "token binding is not supported by this relying party"
    return None


VALUES = {
    "type": ["webauthn.create", "webauthn.get", "webauthn.create ", 1, None, ABSENT],
    "challenge": [CH_B64, CH_B64 + "=", CH_B64[:-1], client_data.encode_challenge(b"other"), 5, ABSENT],
    "origin": ["https://example.com", "https://login.example.com", "https://example.com/", "HTTPS://EXAMPLE.COM",
               ["https://example.com"], ABSENT],
    "crossOrigin": [False, True, 0, "false", None, ABSENT],
    "topOrigin": ["https://top.example", "https://evil.example", 3, None, ABSENT],
    "tokenBinding": [{"status": "supported"}, {"status": "present", "id": "x"}, {"status": "bogus"}, {}, "unused",
                     ["present"], None, ABSENT],
}


def _cases():
    keys = list(VALUES)
    for combo in itertools.product(*(VALUES[k] for k in keys)):
        yield {k: v for k, v in zip(keys, combo) if v is not ABSENT}


def _outcome(fn):
    try:
        fn()
    except VerificationError as e:
        return e.code, e.message
    return None


@pytest.mark.parametrize("allow_cross", [False, True])
@pytest.mark.parametrize("type_", ["webauthn.create", "webauthn.get"])
def test_compiled_checks_match_the_rules(type_, allow_cross):
    n = refused = 0
    for cd in _cases():
        want = model(cd, type_, CH, ORIGINS, allow_cross, TOPS)
        got = _outcome(lambda: client_data.verify(cd, type=type_, challenge=CH, origins=ORIGINS,
                                                  allow_cross_origin=allow_cross, top_origins=TOPS))
        assert got == (None if want is None else (want[0], want[1])), (cd, got, want)
        raw = json.dumps(cd).encode()
        fused = _outcome(lambda: _core.check_client_data(raw, type_, CH, ORIGINS, allow_cross, TOPS))
        assert fused == got, (cd, fused, got)
        n += 1
        refused += want is not None
    assert n > 10_000 and 0 < refused < n  # both verdicts reached


def test_fused_returns_the_hash_and_parses_first():
    raw = json.dumps({"type": "webauthn.get", "challenge": CH_B64, "origin": "https://example.com"}).encode()
    assert _core.check_client_data(raw, "webauthn.get", bytearray(CH), ORIGINS, False, ()) == hashlib.sha256(raw).digest()
    with pytest.raises(VerificationError) as ei:  # a duplicate key is refused before any member check
        _core.check_client_data(b'{"type":"x","type":"webauthn.get"}', "webauthn.get", CH, ORIGINS, False, ())
    assert ei.value.code == "client_data.duplicate_key"


@pytest.mark.parametrize("bad, exc", [("text", TypeError), (None, TypeError), (b"", ValueError), (bytearray(), ValueError)])
def test_the_challenge_is_the_issued_bytes(bad, exc):
    cd = {"type": "webauthn.get", "challenge": CH_B64, "origin": "https://example.com"}
    with pytest.raises(exc):
        client_data.verify(cd, type="webauthn.get", challenge=bad, origins=ORIGINS)
    with pytest.raises(exc):
        _core.verify_client_data(cd, "webauthn.get", bad, ORIGINS, False, ())


def test_a_mapping_that_is_not_a_dict_is_read_alike():
    from types import MappingProxyType

    cd = {"type": "webauthn.get", "challenge": CH_B64, "origin": "https://evil.example"}
    with pytest.raises(VerificationError) as ei:
        client_data.verify(MappingProxyType(cd), type="webauthn.get", challenge=CH, origins=ORIGINS)
    assert ei.value.code == "client_data.origin_mismatch"


def test_challenge_compared_to_its_encoding_character_by_character():
    """The challenge member is compared with the issued bytes' base64url encoding without
    building it (_json.pxi _is_b64url_of): exactly the encoding matches; one character changed
    (to another alphabet character, its standard-alphabet twin, a non-ASCII one), one dropped or
    added, padding, or the encoding of other bytes never does. Lengths 1..40 cover every
    remainder of the last group."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    cd = {"type": "webauthn.get", "origin": "https://example.com"}

    def accepted(challenge: bytes, text: object) -> bool:
        try:
            _core.verify_client_data({**cd, "challenge": text}, "webauthn.get", challenge, ORIGINS, False, ())
        except VerificationError as e:
            assert e.code == "client_data.challenge_mismatch"
            return False
        return True

    for n in range(1, 41):
        ch = bytes((7 * n + 13 * k) % 256 for k in range(n))
        enc = client_data.encode_challenge(ch)
        assert accepted(ch, enc) and accepted(bytearray(ch), enc)
        variants = [enc[:-1], enc + "A", enc + "=", enc + "==", "", client_data.encode_challenge(ch[:-1] + b"\x00" if ch[-1] else ch[:-1] + b"\x01")]
        for i, c in enumerate(enc):
            variants.append(enc[:i] + alphabet[(alphabet.index(c) + 1) % 64] + enc[i + 1:])
            variants.append(enc[:i] + {"-": "+", "_": "/"}.get(c, "\u00e9") + enc[i + 1:])
            variants.append(enc[:i] + "\u20ac" + enc[i + 1:])
        for v in variants:
            assert accepted(ch, v) is (v == enc), (ch, v)
