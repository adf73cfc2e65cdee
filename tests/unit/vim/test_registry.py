"""VIM records: validation, the masked view, vimConnectionInfo both ways, the key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from nfvo.config import load_settings
from nfvo.store.secrets import MASK, SecretBox, key_file
from nfvo.vim.registry import (
    VIM_TYPE,
    VimRecord,
    from_connection_info,
    from_document,
    to_connection_info,
    to_document,
)

CLOUD = {
    "auth": {
        "auth_url": "https://keystone.example:5000/v3",
        "username": "nfvo",
        "password": "s3cret-pw",
        "project_name": "core",
        "project_domain_name": "Default",
        "user_domain_name": "Default",
    },
    "region_name": "RegionOne",
}
INFO = {
    "vimId": "edge-1",
    "vimType": VIM_TYPE,
    "interfaceInfo": {"endpoint": "https://keystone.example:5000/v3"},
    "accessInfo": {
        "username": "nfvo",
        "password": "s3cret-pw",
        "project": "core",
        "projectDomain": "Default",
        "userDomain": "Default",
        "region": "RegionOne",
    },
}


def test_connection_info_converts_both_ways() -> None:
    vim_id, cloud = from_connection_info(INFO)
    assert (vim_id, cloud) == ("edge-1", CLOUD)
    record = VimRecord(vim_id, cloud)
    # Plus our extension: whether it is admin and where its events are.
    assert to_connection_info(record, include_secrets=True) == {**INFO, "extra": {"admin": False}}
    masked = to_connection_info(record)
    assert masked["accessInfo"]["password"] == MASK


def test_other_vim_types_are_refused() -> None:
    with pytest.raises(ValueError, match="not supported"):
        from_connection_info({**INFO, "vimType": "kubernetes"})
    with pytest.raises(ValueError, match="endpoint is required"):
        from_connection_info({**INFO, "interfaceInfo": {}})


def test_masked_view_hides_every_secret() -> None:
    cloud = {"auth": {**CLOUD["auth"], "application_credential_secret": "app-secret"}}  # type: ignore[dict-item]
    view = VimRecord("edge-1", cloud, admin=True).masked()
    text = repr(view)
    assert "s3cret-pw" not in text and "app-secret" not in text
    assert view["cloud"]["auth"]["password"] == MASK
    assert view["cloud"]["auth"]["username"] == "nfvo" and view["admin"] is True


def test_documents_hold_sealed_secrets_and_read_back(tmp_path: Path) -> None:
    box = SecretBox(key_file(tmp_path / "key"))
    record = VimRecord("edge-1", CLOUD, admin=True, max_concurrency=4)
    document = to_document(record, box)
    assert "s3cret-pw" not in repr(document)
    assert from_document(document, box, is_default=False) == record
    other = SecretBox(key_file(tmp_path / "other-key"))
    with pytest.raises(ValueError, match="cannot be decrypted"):
        from_document(document, other, is_default=False)


def test_records_are_validated() -> None:
    with pytest.raises(ValueError, match="VIM name"):
        VimRecord("bad name", CLOUD)
    with pytest.raises(ValueError, match="auth_url"):
        VimRecord("edge", {"auth": {}})


def test_key_file_is_created_private_once(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secrets.key"
    first = key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_file(path) == first
    assert list(path.parent.iterdir()) == [path]  # no temporary left behind


def test_a_configured_key_is_used_and_no_key_file_is_made(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    settings = load_settings(secret_key=key, data_dir=tmp_path)
    sealed = SecretBox.from_settings(settings).seal("pw")
    assert SecretBox(key.encode()).open(sealed) == "pw"
    assert not (tmp_path / "secrets.key").exists()
    assert "pw" not in repr(settings.redacted()) and key not in repr(settings.redacted())
