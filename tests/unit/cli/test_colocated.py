"""The VNF manager beside the NFVO: each the other's client, secrets derived alike."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis

from nfvo.cli.colocated import BUILTIN, NFVO_CLIENT, VNFM_CLIENT, colocated, register_builtin
from nfvo.config import load_settings
from nfvo.lcm.vnfms import VnfmRecord, VnfmRegistry
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox

KEY = "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="  # a Fernet key
OTHER_KEY = "b29vb29vb29vb29vb29vb29vb29vb29vb29vb29vb28="


def settings(tmp_path: Path, **overrides: object):  # type: ignore[no-untyped-def]
    base = {"data_dir": tmp_path, "secret_key": KEY, "api_host": "0.0.0.0", "api_port": 9191}
    return load_settings(None, **(base | overrides))


def test_both_clients_are_added_with_the_same_secrets_every_time(tmp_path: Path) -> None:
    first, again = colocated(settings(tmp_path)), colocated(settings(tmp_path))
    clients = {c.client_id: c for c in first.auth_clients}
    assert set(clients) == {VNFM_CLIENT, NFVO_CLIENT}
    assert "grant:write" in clients[VNFM_CLIENT].scopes
    assert clients[NFVO_CLIENT].scopes == ["vnflcm:read", "vnflcm:write"]
    assert first.vnfm_client_id == VNFM_CLIENT
    assert first.vnfm_client_secret == again.vnfm_client_secret
    assert first.vnfm_nfvo_url == "http://127.0.0.1:9191"  # a wildcard is reached on loopback
    other = colocated(settings(tmp_path, secret_key=OTHER_KEY))
    assert other.vnfm_client_secret != first.vnfm_client_secret


def test_a_configured_vnfm_client_is_kept_and_without_auth_none_is_added(
    tmp_path: Path,
) -> None:
    mine = colocated(settings(tmp_path, vnfm_client_id="mine", vnfm_client_secret="x" * 24))
    assert mine.vnfm_client_id == "mine"
    assert [c.client_id for c in mine.auth_clients] == [NFVO_CLIENT]
    assert colocated(settings(tmp_path, auth_enabled=False)).auth_clients == []
    assert colocated(settings(tmp_path, vnfm_enabled=False)).vnfm_nfvo_url is None


async def test_builtin_is_the_default_unless_another_is(
    tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    configured = colocated(settings(tmp_path))
    registry = VnfmRegistry(redis, keyspace, SecretBox(KEY.encode()))
    try:
        record = await register_builtin(configured, registry)
        assert record.name == BUILTIN and record.is_default
        assert record.client_id == NFVO_CLIENT and record.url == "http://127.0.0.1:9191"
        await registry.add(VnfmRecord("vendor", "http://192.0.2.1:8080", is_default=True))
        again = await register_builtin(configured, registry)
        assert not again.is_default and await registry.default_name() == "vendor"
    finally:
        await registry.close()
