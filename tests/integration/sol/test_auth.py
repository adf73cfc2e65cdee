"""Bearer tokens, scopes and the built-in token endpoint, over loopback HTTP."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import ec

from nfvo.sol.auth import authentication_from_settings
from nfvo.sol.tokens import TokenIssuer
from nfvo.store.keys import Keyspace
from tests.integration.sol.secured import (
    SECRETS,
    basic,
    bearer,
    secured_app,
    secured_settings,
    token_for,
)

Client = TestClient[web.Request, web.Application]
VERSION = {"Version": "1.0.0"}


@pytest.fixture
def client(secured_client: Client) -> Client:
    return secured_client


async def test_no_token_is_401_with_a_bearer_challenge(client: Client) -> None:
    response = await client.get("/gizmos/v1/gizmos", headers=VERSION)
    assert response.status == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="nfvo"'
    assert "needs an access token" in (await response.json())["detail"]


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        ("Bearer not-a-jwt", "invalid_token"),
        ("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "invalid_token"),
    ],
)
async def test_bad_tokens_are_401_invalid(client: Client, authorization: str, error: str) -> None:
    response = await client.get(
        "/gizmos/v1/gizmos", headers={**VERSION, "Authorization": authorization}
    )
    assert response.status == 401
    assert f'error="{error}"' in response.headers["WWW-Authenticate"]


async def test_an_expired_token_is_401_naming_expiry(
    tmp_path: Path, client: Client, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    auth = authentication_from_settings(secured_settings(tmp_path), redis, keyspace)  # same key
    assert auth.issuer is not None
    old = TokenIssuer(auth.issuer.key, issuer="nfvo", audience="nfvo", lifetime=-120)
    response = await client.get(
        "/gizmos/v1/gizmos", headers=bearer(old.issue("alice", "red", ["gizmos:read"]))
    )
    assert response.status == 401
    assert "expired" in (await response.json())["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_a_token_from_a_foreign_key_or_issuer_is_401(client: Client) -> None:
    stranger = TokenIssuer(
        ec.generate_private_key(ec.SECP256R1()), issuer="nfvo", audience="nfvo", lifetime=60
    )
    token = stranger.issue("alice", "red", ["gizmos:read"])
    response = await client.get("/gizmos/v1/gizmos", headers=bearer(token))
    assert response.status == 401
    assert "unknown key" in (await response.json())["detail"]


async def test_a_missing_scope_is_403_naming_it(client: Client) -> None:
    token = await token_for(client, "reader")
    assert (await client.get("/gizmos/v1/gizmos", headers=bearer(token))).status == 200
    response = await client.post("/gizmos/v1/gizmos", json={"name": "x"}, headers=bearer(token))
    assert response.status == 403
    detail = (await response.json())["detail"]
    assert "needs the scope gizmos:write" in detail and "gizmos:read" in detail
    challenge = response.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="gizmos:write"' in challenge


async def test_admin_passes_every_scope(client: Client) -> None:
    token = await token_for(client, "admin")
    response = await client.post("/gizmos/v1/gizmos", json={"name": "x"}, headers=bearer(token))
    assert response.status == 201


async def test_api_versions_needs_no_token(client: Client) -> None:
    assert (await client.get("/gizmos/v1/api_versions")).status == 200


async def test_token_endpoint_form_credentials_and_scopes(client: Client) -> None:
    response = await client.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "alice",
            "client_secret": SECRETS["alice"],
            "scope": "gizmos:read",
        },
    )
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "gizmos:read"
    assert body["expires_in"] == 3600
    narrowed = bearer(body["access_token"])
    refused = await client.post("/gizmos/v1/gizmos", json={"name": "x"}, headers=narrowed)
    assert refused.status == 403


@pytest.mark.parametrize(
    ("data", "authorization", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, basic("alice", "wrong"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, basic("nobody", "x"), 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
        (
            {"grant_type": "password"},
            basic("alice", SECRETS["alice"]),
            400,
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "client_credentials", "scope": "gizmos:read nfvo:admin"},
            basic("alice", SECRETS["alice"]),
            400,
            "invalid_scope",
        ),
    ],
)
async def test_token_endpoint_refusals(
    client: Client, data: dict[str, str], authorization: str | None, status: int, error: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.post("/oauth2/token", data=data, headers=headers)
    assert response.status == status
    body = await response.json()
    assert body["error"] == error
    text = await response.text()
    assert all(secret not in text for secret in SECRETS.values())


async def test_the_issuers_keys_are_served(client: Client) -> None:
    jwks = await (await client.get("/oauth2/jwks")).json()
    assert [key["kty"] for key in jwks["keys"]] == ["EC"]
    assert "d" not in jwks["keys"][0]  # the public half only


async def test_the_signing_key_is_kept_private_and_reused(
    tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    first = authentication_from_settings(secured_settings(tmp_path), redis, keyspace)
    second = authentication_from_settings(secured_settings(tmp_path), redis, keyspace)
    assert first.issuer is not None and second.issuer is not None
    assert first.issuer.kid == second.issuer.kid
    key_file = tmp_path / "auth" / "signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600


async def test_disabled_auth_warns_and_lets_everyone_in(
    tmp_path: Path,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="nfvo.sol.auth"):
        settings = secured_settings(tmp_path, auth_enabled=False)
        auth = authentication_from_settings(settings, redis, keyspace)
    assert "authentication is disabled" in caplog.text
    assert auth.routes == ()
    async with TestClient(TestServer(secured_app(redis, keyspace, auth))) as client:
        created = await client.post("/gizmos/v1/gizmos", json={"name": "x"}, headers=VERSION)
        assert created.status == 201


async def test_enabled_auth_without_any_issuer_is_refused_at_start(
    tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    settings = secured_settings(tmp_path, auth_clients=[], admin_password=None)
    with pytest.raises(ValueError, match="no way to get a token"):
        authentication_from_settings(settings, redis, keyspace)
