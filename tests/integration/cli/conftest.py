"""The CLI as an operator runs it against the shared Redis of the test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from nfvo.store.keys import Keyspace


@pytest.fixture
def runner(
    redis_url: str, keyspace: Keyspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """A CliRunner whose settings point at the test's keyspace; its keys go afterwards."""
    for name in ("NFVO_CONFIG", "REDIS_URL", "NFVO_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NFVO_REDIS_URL", redis_url)
    monkeypatch.setenv("NFVO_KEY_PREFIX", keyspace.prefix)
    monkeypatch.setenv("NFVO_DATA_DIR", str(tmp_path / "data"))
    yield CliRunner()
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=keyspace.pattern()))
    if keys:
        client.delete(*keys)
    client.close()
