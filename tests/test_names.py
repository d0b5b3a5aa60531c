"""Authenticator display names (fastattest/names.py): metadata description first, then the
community passkey-provider list the RP supplies; never a security decision."""
from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

import mds_pki
from fastattest import Credential, MetadataError, MetadataStore, authenticator_name, cli, names

ICLOUD = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd"  # an AAGUID a synced provider uses (no attestation)
KEY = "01020304-0506-0708-090a-0b0c0d0e0f10"
PROVIDERS = {ICLOUD: {"name": "iCloud Keychain", "icon_dark": "data:..."}, KEY: {"name": "Community name"},
             "not-a-uuid": {"name": "x"}, "00000000-0000-0000-0000-000000000001": {"icon_light": "no name"}}


@pytest.fixture(autouse=True)
def provider_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "aaguid.json"
    path.write_text(json.dumps(PROVIDERS))
    monkeypatch.setattr(names, "_names", None)
    monkeypatch.setenv(names.ENV_VAR, str(path))
    yield path
    names._names = None


def test_metadata_description_first_then_provider_list() -> None:
    store = MetadataStore.from_payload(mds_pki.payload(entries=[mds_pki.entry(KEY, description="Soft Key 5")]))
    assert authenticator_name(KEY, store) == "Soft Key 5"  # the metadata wins
    assert authenticator_name(KEY) == "Community name"
    assert authenticator_name(uuid.UUID(ICLOUD), store) == "iCloud Keychain"  # no entry: the provider list
    assert authenticator_name(uuid.UUID(ICLOUD).bytes) == "iCloud Keychain"
    assert authenticator_name("00000000-0000-0000-0000-000000000001") is None  # an entry without a name
    assert authenticator_name(uuid.UUID(int=0), store) is None  # U2F / hidden model
    assert authenticator_name(str(uuid.uuid4())) is None


def test_credential_authenticator_name() -> None:
    synced = Credential(credential_id=b"\x01", public_key=b"", sign_count=0, aaguid=uuid.UUID(ICLOUD))
    assert synced.authenticator_name == "iCloud Keychain"
    store = MetadataStore.from_payload(mds_pki.payload(entries=[mds_pki.entry(KEY, description="Soft Key 5")]))
    vouched = Credential(credential_id=b"\x01", public_key=b"", sign_count=0, aaguid=uuid.UUID(KEY), metadata=store.entry(KEY))
    assert vouched.authenticator_name == "Soft Key 5"


def test_argument_errors() -> None:
    with pytest.raises(ValueError):
        authenticator_name("nope")
    with pytest.raises(ValueError):
        authenticator_name(b"short")
    with pytest.raises(TypeError):
        authenticator_name(12345)
    with pytest.raises(TypeError):
        names.load_provider_names(42)


def test_retired_or_broken_lists() -> None:
    with pytest.warns(UserWarning, match="empty"):
        assert names.load_provider_names({}) == 0
    assert authenticator_name(ICLOUD) is None
    assert names.load_provider_names(PROVIDERS) == 2
    with pytest.raises(ValueError):
        names.parse_provider_list("[1, 2]")
    names.load_provider_names(None)
    assert authenticator_name(ICLOUD) is None


def test_unreadable_list_warns_and_names_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    monkeypatch.setenv(names.ENV_VAR, str(bad))
    with pytest.warns(UserWarning, match="cannot read"):
        assert authenticator_name(ICLOUD) is None



def test_a_hostile_list_neither_crashes_nor_is_read_whole(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_bytes(b"[" * 5000)
    with pytest.raises(ValueError):
        names.parse_provider_list(deep.read_bytes())
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:  # sparse: larger than the cap, nothing written
        f.truncate(names.MAX_LIST_BYTES + 1)
    for path, why in ((deep, "nests too deeply"), (huge, "more than")):
        monkeypatch.setattr(names, "_names", None)  # read the list again, from the variable
        monkeypatch.setenv(names.ENV_VAR, str(path))
        with pytest.warns(UserWarning, match=why):
            assert authenticator_name(ICLOUD) is None

def test_cli_lookup(provider_list: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["names", "lookup", ICLOUD, "--file", str(provider_list)], stdout=out, stderr=err) == 0
    assert out.getvalue().strip() == "iCloud Keychain"
    out = io.StringIO()
    assert cli.main(["names", "lookup", str(uuid.uuid4())], stdout=out, stderr=err) == 1
    assert "no name known" in out.getvalue()
    assert cli.main(["names", "lookup", "garbage"], stdout=out, stderr=err) != 0


def test_fetch_refuses_plain_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        names.fetch_provider_list("http://example.com/aaguid.json", tmp_path / "x.json")
