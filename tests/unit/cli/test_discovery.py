"""Where the CLI finds the API, its credentials and the Redis: what is set first, then
what a local ``nfvo serve`` published, and its password only for its own URL."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from nfvo.cli.discovery import (
    ADMIN_PASSWORD_FILE,
    Access,
    local_url,
    publish_server,
    redis_url_of,
    server_of,
    withdraw_server,
)
from nfvo.cli.errors import CliError
from nfvo.config import load_settings
from nfvo.store.embedded import EmbeddedRedis, published_url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("NFVO_") or name == "REDIS_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("NFVO_DATA_DIR", str(tmp_path))


def test_nothing_published_is_the_default_url_without_credentials(tmp_path: Path) -> None:
    server = server_of(load_settings())
    assert server.url == "http://127.0.0.1:9090" and server.source == "the default nfvo_url"
    assert server.access.anonymous and "neither api_token nor admin_password" in (
        server.credentials
    )


def test_the_published_server_and_its_password(tmp_path: Path) -> None:
    publish_server(tmp_path, "http://127.0.0.1:9191")
    (tmp_path / ADMIN_PASSWORD_FILE).write_text("generated-password-1234\n")
    server = server_of(load_settings())
    assert server.url == "http://127.0.0.1:9191"
    assert server.source.startswith("published by nfvo serve in")
    assert server.access == Access(client=("admin", "generated-password-1234"))
    assert server.credentials == str(tmp_path / ADMIN_PASSWORD_FILE)


def test_what_is_set_wins_and_the_password_stays_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_server(tmp_path, "http://127.0.0.1:9191")
    (tmp_path / ADMIN_PASSWORD_FILE).write_text("generated-password-1234\n")
    monkeypatch.setenv("NFVO_NFVO_URL", "https://nfvo.example:443/")
    elsewhere = server_of(load_settings())
    assert elsewhere.url == "https://nfvo.example:443" and elsewhere.source == "nfvo_url"
    assert elsewhere.access.anonymous  # the local password is not sent to another server
    monkeypatch.setenv("NFVO_API_TOKEN", "a.b.c")
    assert server_of(load_settings()).access == Access(token="a.b.c")


def test_withdrawing_forgets_only_what_this_process_published(tmp_path: Path) -> None:
    path = publish_server(tmp_path, local_url("0.0.0.0", 9090))
    assert json.loads(path.read_text())["url"] == "http://127.0.0.1:9090"
    path.write_text(json.dumps({"url": "http://other", "pid": os.getpid() + 1}))
    withdraw_server(tmp_path)
    assert path.exists()
    publish_server(tmp_path, "http://127.0.0.1:1")
    withdraw_server(tmp_path)
    assert not path.exists()
    assert local_url("::", 1) == "http://127.0.0.1:1" and local_url("::1", 5) == "http://[::1]:5"


def test_the_redis_an_owner_publishes_while_it_runs(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="no `nfvo serve` publishes one"):
        redis_url_of(load_settings(), "nfvo vim")
    with EmbeddedRedis(tmp_path / "owned") as owned:
        assert published_url(tmp_path / "owned") == owned.url
        assert (tmp_path / "owned" / "redis.url").stat().st_mode & 0o777 == 0o600
    assert published_url(tmp_path / "owned") is None
