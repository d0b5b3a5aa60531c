"""Browser round trip: the example relying party (examples/relying_party) driven by a real
Chromium with the WebDriver virtual authenticator (WebAuthn L3 §11): navigator.credentials
create/get in the page, toJSON() (or hand-built JSON), fastattest on the server.

Chromium's virtual authenticator, as observed and asserted here:
- ctap2 + attestation "direct": fmt "packed" with a one-certificate x5c ("Batch Certificate",
  self-signed, basicConstraints CA:FALSE, re-signed for every credential) -> attestation type
  "basic", not trusted (no anchor); AAGUID 01020304-0506-0708-0102-030405060708;
- ctap1/u2f: fmt "fido-u2f", type "basic", zero AAGUID, no user verification;
- attestation "none": fmt "none", type "none".

The options come from fastattest (RelyingParty.registration_options / authentication_options),
are parsed by Chromium's PublicKeyCredential.parseCreationOptionsFromJSON() /
parseRequestOptionsFromJSON(), and the responses are verified with state= (docs/ceremony.md).

Chromium is required: this test fails, never skips, when it is missing (CI installs it).
"""
from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from e2e_helpers import Page, Server, png_size, start_chromium

import fastattest

CHROMIUM_AAGUID = "01020304-0506-0708-0102-030405060708"
ZERO_AAGUID = "00000000-0000-0000-0000-000000000000"


# ---- fixtures: one server and one browser for the module (keeps the whole file ~10-20 s) -----
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(str(tmp_path_factory.mktemp("rp") / "rp.sqlite3"))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    driver = start_chromium(str(tmp_path_factory.mktemp("chromium-profile")))
    try:
        yield Page(driver, server)
    finally:
        driver.quit()


@pytest.fixture
def page(browser: Page) -> Iterator[Page]:
    """A freshly loaded page and a fresh ctap2 authenticator (tests may swap it)."""
    browser.authenticator("ctap2")
    browser.open()
    yield browser
    browser.remove_authenticator()
    browser.server.app.config["RP_METADATA"] = None


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


_n = iter(range(1_000_000))


def user(prefix: str) -> str:
    return f"{prefix}-{next(_n)}-{int(time.time() * 1000) % 100000}"


def stored(server: Server, credential_id_text: str) -> tuple[fastattest.Credential, Any]:
    raw = base64.urlsafe_b64decode(credential_id_text + "=" * (-len(credential_id_text) % 4))
    found = server.store.credential(raw)
    assert found is not None, "the server did not store the credential"
    return found


def assert_ok(r: dict[str, str], operation: str) -> None:
    assert r["result-status"] == "ok", f"{operation} failed: {r['error-code']} {r['error-message']}"
    assert operation in r["result-operation"]


def assert_refused(r: dict[str, str], code: str) -> None:
    assert r["result-status"] == "error", f"expected refusal {code}, got {r}"
    assert r["error-code"] == code, r["error-message"]


def screenshot(page: Page, shots: Path, name: str) -> Path:
    path = shots / f"{name}.png"
    assert page.driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000, f"{path} is suspiciously small ({path.stat().st_size} bytes)"
    width, height = png_size(path)
    assert width >= 600 and height >= 600, (width, height)
    return path


# ---- registration: formats and algorithms --------------------------------------------------
def test_ctap2_packed_es256_register_then_sign_in_three_times(page: Page, shots: Path) -> None:
    # this path posts the browser's own PublicKeyCredential.toJSON() (WebAuthn L3 §5.1.8)
    assert page.driver.execute_script("return typeof PublicKeyCredential.prototype.toJSON") == "function"
    name = user("alice")
    r = page.register(name, attestation="direct", algorithm="-7")
    assert_ok(r, "register")
    assert r["result-username"] == name
    assert r["result-fmt"] == "packed"
    assert r["result-attestation-type"] == "basic"  # packed full attestation, x5c of one certificate
    assert r["result-trusted"] == "not trusted"  # the batch certificate chains to no anchor we hold
    assert r["result-aaguid"] == CHROMIUM_AAGUID
    assert r["result-algorithm"] == "ES256 (-7)"
    assert r["result-uv"] == "yes"
    assert r["result-metadata-description"] == "(metadata not configured)"
    counts = [int(r["result-sign-count"])]
    cred, _ = stored(page.server, r["result-credential-id"])
    assert (cred.fmt, cred.attestation_type, cred.algorithm, len(cred.trust_path)) == ("packed", "basic", -7, 1)
    assert cred.sign_count == counts[0]

    for _ in range(3):
        s = page.sign_in(name)
        assert_ok(s, "sign in")
        assert s["result-credential-id"] == r["result-credential-id"]
        assert s["result-discoverable"] == "no"
        assert s["result-uv"] == "yes"
        counts.append(int(s["result-sign-count"]))
    assert counts == sorted(set(counts)), f"signature counter must advance: {counts}"  # §6.1.1
    cred, _ = stored(page.server, r["result-credential-id"])
    assert cred.sign_count == counts[-1], "the new counter is stored (§7.2 step 24)"

    path = screenshot(page, shots, "ctap2-es256-sign-in")
    text = page.driver.find_element("id", "result").text
    assert "Result: ok (sign in)" in text and "packed" in text and f"Sign count {counts[-1]}" in text
    assert path.exists()


@pytest.mark.parametrize(("alg", "label"), [("-257", "RS256 (-257)"), ("-8", "EdDSA (-8)")])
def test_ctap2_packed_other_algorithms(page: Page, alg: str, label: str) -> None:
    name = user(f"alg{alg}")
    r = page.register(name, attestation="direct", algorithm=alg)
    assert_ok(r, "register")
    assert (r["result-fmt"], r["result-attestation-type"], r["result-algorithm"]) == ("packed", "basic", label)
    cred, _ = stored(page.server, r["result-credential-id"])
    assert cred.algorithm == int(alg)
    first = int(r["result-sign-count"])
    s = page.sign_in(name)
    assert_ok(s, "sign in")
    assert s["result-algorithm"] == label
    assert int(s["result-sign-count"]) > first


def test_u2f_authenticator_gives_fido_u2f(page: Page) -> None:
    page.authenticator("ctap1/u2f", resident_key=False, user_verification=False)
    page.open()
    name = user("u2f")
    r = page.register(name, attestation="direct", resident_key="discouraged", user_verification="discouraged")
    assert_ok(r, "register")
    assert (r["result-fmt"], r["result-attestation-type"]) == ("fido-u2f", "basic")
    assert r["result-aaguid"] == ZERO_AAGUID  # §8.6: fido-u2f has no AAGUID
    assert r["result-algorithm"] == "ES256 (-7)"
    assert r["result-uv"] == "no"
    counts = [int(r["result-sign-count"])]
    for _ in range(2):
        s = page.sign_in(name)
        assert_ok(s, "sign in")
        assert s["result-fmt"] == "fido-u2f"
        counts.append(int(s["result-sign-count"]))
    assert counts == sorted(set(counts)), counts


def test_attestation_none(page: Page) -> None:
    name = user("none")
    r = page.register(name, attestation="none")
    assert_ok(r, "register")
    assert (r["result-fmt"], r["result-attestation-type"], r["result-trusted"]) == ("none", "none", "not trusted")
    cred, _ = stored(page.server, r["result-credential-id"])
    assert cred.trust_path == ()
    s = page.sign_in(name)
    assert_ok(s, "sign in")


def test_manual_json_path(browser: Page) -> None:
    """The page's hand-built JSON (for browsers without toJSON()) verifies the same way."""
    browser.authenticator("ctap2")
    browser.open("manual=1")
    try:
        assert browser.driver.execute_script("return fastattestDemo.manual") is True
        name = user("manual")
        r = browser.register(name, attestation="direct", algorithm="all")
        assert_ok(r, "register")
        assert r["result-fmt"] == "packed" and r["result-transports"] == "usb"
        assert_ok(browser.sign_in(name), "sign in")
    finally:
        browser.remove_authenticator()


# ---- discoverable credentials ----------------------------------------------------------------
def test_discoverable_sign_in_without_allow_credentials(page: Page) -> None:
    name = user("passkey")
    r = page.register(name, attestation="none", resident_key="required", user_verification="required")
    assert_ok(r, "register")
    [vc] = page.stored_credentials()
    assert vc.is_resident_credential
    # the options for a sign-in with no user name carry an empty allowCredentials (§5.5)
    opts = page.fetch_json("/login/options", {"username": ""})
    assert opts["publicKey"]["allowCredentials"] == []
    s = page.sign_in("")  # no user name: the authenticator picks its discoverable credential
    assert_ok(s, "sign in")
    assert s["result-discoverable"] == "yes"
    assert s["result-username"] == name  # found by rawId; userHandle checked against the owner
    assert s["result-credential-id"] == r["result-credential-id"]
    assert s["result-uv"] == "yes"


# ---- refusals ------------------------------------------------------------------------------------
def test_tampered_signature_refused(browser: Page) -> None:
    browser.authenticator("ctap2")
    browser.open("tamper=signature")
    try:
        name = user("tamper")
        r = browser.register(name, algorithm="-7")
        assert_ok(r, "register")  # the flag only touches assertions
        before, _ = stored(browser.server, r["result-credential-id"])
        s = browser.sign_in(name)
        assert_refused(s, "assertion.signature_invalid")  # §7.2 step 20
        after, _ = stored(browser.server, r["result-credential-id"])
        assert after.sign_count == before.sign_count, "a refused assertion must not move the stored counter"
        assert "Refused: assertion.signature_invalid" in browser.driver.find_element("id", "result").text
    finally:
        browser.remove_authenticator()


def test_replayed_challenge_refused(page: Page, shots: Path) -> None:
    name = user("replay")
    r = page.register(name, algorithm="-7")
    assert_ok(r, "register")
    # the same registration posted again: the challenge was consumed
    assert_refused(page.replay_last(), "challenge.replayed")

    s = page.sign_in(name)
    assert_ok(s, "sign in")
    count = int(s["result-sign-count"])
    last = page.driver.execute_script("return fastattestDemo.lastVerify")
    # the same assertion posted again, unchanged: refused by the single-use challenge store
    rr = page.replay_last()
    assert_refused(rr, "challenge.replayed")
    screenshot(page, shots, "replay-refused")
    # the old assertion under a fresh ceremony: the library sees the wrong challenge (§7.2 step 12)
    fresh = page.fetch_json("/login/options", {"username": name})
    body: dict[str, Any] = {"ceremonyId": fresh["ceremonyId"], "credential": last["body"]["credential"]}
    answer = page.fetch_json("/login/verify", body)
    assert answer["ok"] is False and answer["error"]["code"] == "client_data.challenge_mismatch", answer
    # an unknown ceremony
    answer = page.fetch_json("/login/verify", {"ceremonyId": "nope", "credential": last["body"]["credential"]})
    assert answer["error"]["code"] == "challenge.unknown", answer
    cred, _ = stored(page.server, s["result-credential-id"])
    assert cred.sign_count == count


# ---- metadata -----------------------------------------------------------------------------------
def test_metadata_description_and_status_shown(page: Page, shots: Path) -> None:
    """With metadata configured, the page shows the entry's description and status for the AAGUID."""
    payload = {
        "no": 1, "nextUpdate": "2099-01-01", "legalHeader": "test",
        "entries": [{
            "aaguid": CHROMIUM_AAGUID,
            "metadataStatement": {"aaguid": CHROMIUM_AAGUID, "description": "Chromium virtual authenticator (test entry)",
                                  "attestationTypes": ["basic_full"], "attestationRootCertificates": []},
            "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-01-01"}],
            "timeOfLastStatusChange": "2020-01-01",
        }],
    }
    store_cls = getattr(fastattest, "MetadataStore", None)
    if store_cls is None:  # exported from the package top level per CONTRACT.md; module path meanwhile
        from fastattest.metadata import MetadataStore as store_cls
    page.server.app.config["RP_METADATA"] = store_cls.from_payload(json.dumps(payload))
    page.open()
    assert page.driver.find_element("id", "metadata-configured").text == "configured"
    name = user("mds")
    r = page.register(name, attestation="direct", algorithm="-7")
    assert_ok(r, "register")
    assert r["result-metadata-description"] == "Chromium virtual authenticator (test entry)"
    assert r["result-metadata-status"] == "FIDO_CERTIFIED_L1"
    assert r["result-name"] == "Chromium virtual authenticator (test entry)"  # Credential.authenticator_name
    assert page.driver.find_element("css selector", "#passkey-list .passkey-name").text == r["result-name"]
    assert r["result-trusted"] == "not trusted"  # the entry lists no root for the batch certificate
    s = page.sign_in(name)
    assert_ok(s, "sign in")
    assert s["result-metadata-description"] == "Chromium virtual authenticator (test entry)"
    screenshot(page, shots, "metadata")


# ---- the library's options in Chromium, verified with state= (docs/ceremony.md) ----------------
HEX = "const hex = b => Array.from(new Uint8Array(b)).map(x => x.toString(16).padStart(2, '0')).join('');"


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def handle_of(server: Server, username: str) -> bytes:
    row = server.store.user(username)
    assert row is not None
    return bytes(row["handle"])


def test_chromium_parses_the_library_options(page: Page) -> None:
    for fn in ("parseCreationOptionsFromJSON", "parseRequestOptionsFromJSON"):
        assert page.driver.execute_script(f"return typeof PublicKeyCredential.{fn}") == "function", fn
    name = user("parse")
    opts = page.fetch_json("/register/options", {"username": name, "attestation": "direct", "residentKey": "required",
                                                  "userVerification": "required", "algorithms": [-257, -7]})
    pk = opts["publicKey"]
    got = page.driver.execute_script(HEX + """
        const o = PublicKeyCredential.parseCreationOptionsFromJSON(arguments[0]);
        return {challenge: hex(o.challenge), user: hex(o.user.id), name: o.user.name, rp: o.rp,
                algs: o.pubKeyCredParams.map(p => p.alg), sel: o.authenticatorSelection, att: o.attestation,
                credProps: o.extensions.credProps, timeout: o.timeout, exclude: o.excludeCredentials.length};""", pk)
    assert got["challenge"] == b64d(pk["challenge"]).hex() and len(got["challenge"]) == 64  # 32 bytes
    assert got["user"] == handle_of(page.server, name).hex()  # the random user handle, not the name
    assert got["name"] == name and got["rp"] == {"id": "localhost", "name": "fastattest example"}
    assert got["algs"] == [-7, -257]  # the library's preference order
    assert got["sel"]["residentKey"] == "required" and got["sel"]["requireResidentKey"] is True
    assert got["sel"]["userVerification"] == "required" and got["att"] == "direct"
    assert got["credProps"] is True and got["timeout"] == 300_000 and got["exclude"] == 0

    r = page.register(name, attestation="direct", resident_key="required", user_verification="required", algorithm="-7")
    assert_ok(r, "register")
    assert page.driver.execute_script("return fastattestDemo.parsedWith") == "parseCreationOptionsFromJSON"
    cred, _ = stored(page.server, r["result-credential-id"])
    assert cred.user_handle == handle_of(page.server, name)  # set from the state by register(state=...)

    opts = page.fetch_json("/login/options", {"username": name, "userVerification": "required"})
    got = page.driver.execute_script(HEX + """
        const o = PublicKeyCredential.parseRequestOptionsFromJSON(arguments[0]);
        return {challenge: hex(o.challenge), rpId: o.rpId, uv: o.userVerification,
                allow: o.allowCredentials.map(c => [hex(c.id), c.transports])};""", opts["publicKey"])
    assert got["challenge"] == b64d(opts["publicKey"]["challenge"]).hex()
    assert got["rpId"] == "localhost" and got["uv"] == "required"
    assert got["allow"] == [[cred.credential_id.hex(), ["usb"]]]
    s = page.sign_in(name)
    assert_ok(s, "sign in")
    assert page.driver.execute_script("return fastattestDemo.parsedWith") == "parseRequestOptionsFromJSON"


def test_resident_and_non_resident(page: Page) -> None:
    resident, plain = user("rk"), user("nrk")
    r1 = page.register(resident, attestation="none", resident_key="required")
    assert_ok(r1, "register")
    r2 = page.register(plain, attestation="direct", resident_key="discouraged")
    assert_ok(r2, "register")
    assert (r1["result-fmt"], r2["result-fmt"]) == ("none", "packed")
    by_id = {c.id.rstrip("="): c.is_resident_credential for c in page.stored_credentials()}  # selenium gives base64url
    assert by_id == {r1["result-credential-id"]: True, r2["result-credential-id"]: False}
    for name, r in ((resident, r1), (plain, r2)):
        s = page.sign_in(name)
        assert_ok(s, "sign in")
        assert s["result-credential-id"] == r["result-credential-id"]
    s = page.sign_in("")  # discoverable: only the resident credential can answer
    assert_ok(s, "sign in")
    assert (s["result-username"], s["result-credential-id"]) == (resident, r1["result-credential-id"])


def test_exclude_credentials_refuses_a_second_registration(page: Page) -> None:
    name = user("twice")
    r = page.register(name, attestation="direct")
    assert_ok(r, "register")
    opts = page.fetch_json("/register/options", {"username": name})
    assert [d["id"] for d in opts["publicKey"]["excludeCredentials"]] == [r["result-credential-id"]]
    again = page.register(name, attestation="direct")
    # §6.3.2 step 3: the authenticator holds an excluded credential: the client refuses
    assert_refused(again, "browser.InvalidStateError")
    assert len(page.stored_credentials()) == 1
    other = page.register(user("other"), attestation="direct")  # another user on the same authenticator is fine
    assert_ok(other, "register")


def test_allow_credentials(page: Page) -> None:
    alice, bob = user("alice"), user("bob")
    ra = page.register(alice, resident_key="discouraged")
    rb = page.register(bob, resident_key="discouraged")
    assert_ok(ra, "register")
    assert_ok(rb, "register")
    opts = page.fetch_json("/login/options", {"username": alice})
    assert [d["id"] for d in opts["publicKey"]["allowCredentials"]] == [ra["result-credential-id"]]
    s = page.sign_in(alice)
    assert_ok(s, "sign in")
    assert s["result-credential-id"] == ra["result-credential-id"]
    # a client that answers alice's options with bob's credential: the state refuses it
    answer = page.driver.execute_async_script("""
        const [aliceName, bobId] = arguments; const done = arguments[arguments.length - 1];
        (async () => {
          const post = (u, b) => fetch(u, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(b)}).then(r => r.json());
          const opts = await post('/login/options', {username: aliceName});
          const pk = {...opts.publicKey, allowCredentials: [{type: 'public-key', id: bobId}]};
          const cred = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(pk)});
          done(await post('/login/verify', {ceremonyId: opts.ceremonyId, credential: cred.toJSON()}));
        })().catch(e => done({jsError: String(e)}));""", alice, rb["result-credential-id"])
    assert answer.get("ok") is False and answer["error"]["code"] == "state.credential_not_allowed", answer


def test_user_verification_required_and_refused(browser: Page) -> None:
    browser.authenticator("ctap2", resident_key=False, user_verification=False)  # cannot verify the user
    browser.open()
    try:
        name = user("nouv")
        # an honest client cannot satisfy UV required with this authenticator and says so
        r = browser.register(name, attestation="none", resident_key="discouraged", user_verification="required")
        assert r["result-status"] == "error" and r["error-code"].startswith("browser."), r
        assert browser.stored_credentials() == []
        r = browser.register(name, attestation="none", resident_key="discouraged", user_verification="preferred")
        assert_ok(r, "register")
        assert r["result-uv"] == "no"
        browser.open("downgrade=uv")  # a client that ignores the options' UV requirement
        r = browser.register(user("nouv2"), attestation="none", resident_key="discouraged", user_verification="required")
        assert_refused(r, "auth_data.user_not_verified")  # the registration state required UV
        browser.choose(user_verification="required")
        s = browser.sign_in(name)
        assert_refused(s, "auth_data.user_not_verified")  # the authentication state required UV
        browser.choose(user_verification="preferred")
        assert_ok(browser.sign_in(name), "sign in")
    finally:
        browser.remove_authenticator()
