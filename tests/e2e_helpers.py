"""Helpers for the browser round trip (tests/test_e2e_browser.py): the example relying party
served on a free port in a thread, and Debian's Chromium driven through Selenium with the
WebDriver virtual authenticator (WebAuthn L3 §11)."""
from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions
from selenium.webdriver.support.ui import Select, WebDriverWait
from werkzeug.serving import BaseWSGIServer, make_server

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("FASTATTEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("FASTATTEST_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
    "--disable-dev-shm-usage", "--window-size=1000,1300",
)
RESULT_IDS = (
    "result-status", "result-operation", "result-username", "result-credential-id", "result-fmt",
    "result-attestation-type", "result-trusted", "result-trust-error", "result-aaguid", "result-algorithm",
    "result-metadata-description", "result-metadata-status", "result-sign-count", "result-uv",
    "result-backup", "result-transports", "result-discoverable", "result-name", "error-code", "error-message",
)


def load_example() -> ModuleType:
    """Import examples/relying_party/app.py by path (the repository root need not be on sys.path)."""
    name = "fastattest_example_relying_party"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "relying_party" / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Server:
    """The example app on 127.0.0.1:<free port>, reached by the browser as http://localhost:<port>."""

    def __init__(self, db_path: str) -> None:
        self.module = load_example()
        self.app = self.module.create_app(rp_id="localhost", db_path=db_path)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self._server.server_port
        self.origin = f"http://localhost:{self.port}"  # localhost is a secure context
        self.app.config["RP_ORIGINS"] = [self.origin]
        self._thread = threading.Thread(target=self._server.serve_forever, name="example-rp", daemon=True)
        self._thread.start()

    @property
    def store(self) -> Any:
        return self.app.extensions["fastattest_store"]

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)
        self.store.close()


def require_chromium() -> None:
    """Fail (never skip): CI installs Debian's chromium and chromium-driver (scripts/test.sh)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        assert os.path.isfile(path) and os.access(path, os.X_OK), (
            f"{path} is missing: install Debian's chromium and chromium-driver (scripts/test.sh does)")


def start_chromium(profile_dir: str) -> webdriver.Chrome:
    require_chromium()
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile_dir}")
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(15)
    return driver


class Page:
    """The example's page in the browser, with one virtual authenticator at a time."""

    def __init__(self, driver: webdriver.Chrome, server: Server) -> None:
        self.driver = driver
        self.server = server

    # -- virtual authenticator ------------------------------------------------------------
    def authenticator(self, protocol: str = "ctap2", *, resident_key: bool = True, user_verification: bool = True) -> str:
        self.remove_authenticator()
        o = VirtualAuthenticatorOptions()
        o.protocol = protocol  # "ctap2" or "ctap1/u2f"
        o.transport = "usb"
        o.has_resident_key = resident_key
        o.has_user_verification = user_verification
        o.is_user_consenting = True
        o.is_user_verified = user_verification
        self.driver.add_virtual_authenticator(o)
        return self.driver.virtual_authenticator_id

    def remove_authenticator(self) -> None:
        if self.driver.virtual_authenticator_id is not None:
            self.driver.remove_virtual_authenticator()

    def stored_credentials(self) -> list[Any]:
        return self.driver.get_credentials()

    # -- page -------------------------------------------------------------------------------
    def open(self, query: str = "") -> None:
        self.driver.get(self.server.origin + "/" + (f"?{query}" if query else ""))
        WebDriverWait(self.driver, 10).until(lambda d: d.execute_script("return !!window.fastattestDemo"))

    def choose(self, *, attestation: str = "direct", algorithm: str = "all", resident_key: str = "preferred",
               user_verification: str = "preferred") -> None:
        Select(self.driver.find_element(By.ID, "attestation")).select_by_value(attestation)
        Select(self.driver.find_element(By.ID, "algorithm")).select_by_value(algorithm)
        Select(self.driver.find_element(By.ID, "resident-key")).select_by_value(resident_key)
        Select(self.driver.find_element(By.ID, "user-verification")).select_by_value(user_verification)

    def _click(self, button: str, username: str) -> dict[str, str]:
        field = self.driver.find_element(By.ID, "username")
        field.clear()
        if username:
            field.send_keys(username)
        self.driver.find_element(By.ID, button).click()
        return self.wait_result()

    def register(self, username: str, **choices: str) -> dict[str, str]:
        self.choose(**choices)
        return self._click("register", username)

    def sign_in(self, username: str = "") -> dict[str, str]:
        return self._click("login", username)

    def replay_last(self) -> dict[str, str]:
        self.driver.execute_script("fastattestDemo.replayLast()")
        return self.wait_result()

    def wait_result(self) -> dict[str, str]:
        WebDriverWait(self.driver, 15).until(
            lambda d: d.find_element(By.ID, "result-status").text in ("ok", "error"))
        return self.result()

    def result(self) -> dict[str, str]:
        """The visible result: element id -> rendered text (as a person sees it)."""
        texts = self.driver.execute_script(
            "return arguments[0].map(id => [id, document.getElementById(id).innerText.trim()])", list(RESULT_IDS))
        return {k: v for k, v in texts}

    def fetch_json(self, url: str, body: Any) -> Any:
        """POST JSON from the page (same origin) and return the decoded answer."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "fetch(arguments[0], {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify(arguments[1])}).then(r => r.json()).then(done, e => done({jsError: String(e)}));",
            url, body)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (PNG spec §11.2.2)."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path} has no IHDR chunk first"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
