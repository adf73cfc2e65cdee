"""Tokens of an external issuer, checked against its JWKS (URL on loopback, file, inline)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jwt
import orjson
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import rsa

from nfvo.sol.auth import authentication_from_settings
from nfvo.sol.tokens import RemoteKeys, TokenError, public_jwk
from nfvo.store.keys import Keyspace
from tests.integration.sol.secured import bearer, secured_app, secured_settings

ISSUER = "https://idp.example/realms/telco"


class Idp:
    """An issuer with an RSA key made here; counts how often its JWKS is fetched."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "idp-" + uuid.uuid4().hex[:8]
        self.fetches = 0

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.key, self.kid)]}

    def token(self, kid: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": "nfvo",
            "sub": "oss-1",
            "project": "red",
            "scope": "gizmos:read",
            "iat": now,
            "exp": now + 300,
            **claims,
        }
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": kid or self.kid})

    async def serve_jwks(self, _request: web.Request) -> web.Response:
        self.fetches += 1
        return web.json_response(self.jwks())


@pytest.fixture
async def idp() -> AsyncIterator[tuple[Idp, str]]:
    provider = Idp()
    app = web.Application()
    app.router.add_get("/certs", provider.serve_jwks)
    async with TestServer(app, host="127.0.0.1") as server:
        yield provider, str(server.make_url("/certs"))


async def _client_for(
    settings_jwks: str, tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace
) -> TestClient[web.Request, web.Application]:
    settings = secured_settings(
        tmp_path, auth_clients=[], admin_password=None, auth_jwks=settings_jwks, auth_issuer=ISSUER
    )
    auth = authentication_from_settings(settings, redis, keyspace)
    assert auth.routes == ()  # no client configured: no built-in endpoint
    return TestClient(TestServer(secured_app(redis, keyspace, auth)))


async def test_tokens_checked_against_a_fetched_jwks(
    idp: tuple[Idp, str], tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    provider, url = idp
    assert provider.fetches == 0  # nothing fetched before the first token
    async with await _client_for(url, tmp_path, redis, keyspace) as client:
        for _ in range(3):
            response = await client.get("/gizmos/v1/gizmos", headers=bearer(provider.token()))
            assert response.status == 200
        assert provider.fetches == 1  # cached
        wrong_audience = provider.token(aud="someone-else")
        response = await client.get("/gizmos/v1/gizmos", headers=bearer(wrong_audience))
        assert response.status == 401
        no_project = provider.token(project=None)
        response = await client.get("/gizmos/v1/gizmos", headers=bearer(no_project))
        assert response.status == 401 and "project" in (await response.json())["detail"]


@pytest.mark.parametrize("form", ["file", "inline"])
async def test_a_jwks_given_as_file_or_inline(
    form: str, tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    provider = Idp()
    text = orjson.dumps(provider.jwks()).decode()
    if form == "file":
        path = tmp_path / "jwks.json"
        path.write_text(text)
        text = str(path)
    async with await _client_for(text, tmp_path, redis, keyspace) as client:
        response = await client.get("/gizmos/v1/gizmos", headers=bearer(provider.token()))
        assert response.status == 200


async def test_unknown_key_ids_refetch_at_most_once_per_interval(idp: tuple[Idp, str]) -> None:
    provider, url = idp
    keys = RemoteKeys(url, min_interval=60)
    assert await keys.key(provider.kid) is not None
    for _ in range(5):
        assert await keys.key("made-up") is None
    assert provider.fetches == 1  # a flood of made-up kids does not reach the issuer


async def test_an_unreachable_issuer_is_a_token_error() -> None:
    keys = RemoteKeys("http://127.0.0.1:9/certs", timeout=1)
    with pytest.raises(TokenError, match="cannot be fetched"):
        await keys.key("any")
