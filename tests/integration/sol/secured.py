"""The gizmos demo API mounted as the composition root mounts a secured API.

Clients of the built-in token endpoint: ``alice`` and ``bob`` write in projects
``red`` and ``blue``, ``reader`` only reads in ``red``, ``admin`` (from
``admin_password``) holds ``nfvo:admin``. Secrets are distinctive so tests can look
for them in responses, logs and the audit stream.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient

from nfvo.config import Settings, load_settings
from nfvo.sol.audit import audit_middleware
from nfvo.sol.auth import Authentication
from nfvo.sol.http import make_root_app
from nfvo.sol.notifications import Notifier
from nfvo.store.keys import Keyspace
from tests.integration.sol.gizmos_api import make_gizmos_app

SECRETS = {
    "alice": "alice-s3cret-kumquat",
    "bob": "bob-s3cret-rhubarb",
    "reader": "reader-s3cret-quince",
    "admin": "admin-s3cret-damson",
}
WRITE = ["gizmos:read", "gizmos:write"]


def secured_settings(data_dir: Path, **overrides: Any) -> Settings:
    def client(client_id: str, scopes: list[str], project: str) -> dict[str, Any]:
        secret = SECRETS[client_id]
        return {"client_id": client_id, "client_secret": secret, "scopes": scopes} | {
            "project": project
        }

    clients = [
        client("alice", WRITE, "red"),
        client("bob", WRITE, "blue"),
        client("reader", ["gizmos:read"], "red"),
    ]
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "auth_clients": clients,
        "admin_password": SECRETS["admin"],
    }
    return load_settings(**(values | overrides))


def secured_app(
    redis: aioredis.Redis,
    keyspace: Keyspace,
    auth: Authentication,
    notifier: Notifier | None = None,
) -> web.Application:
    return make_root_app(
        [make_gizmos_app(redis, keyspace, notifier)],
        middlewares=[audit_middleware(redis, keyspace), auth.middleware],
        routes=auth.routes,
    )


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def token_for(client: TestClient[web.Request, web.Application], client_id: str) -> str:
    response = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(client_id, SECRETS[client_id])},
    )
    assert response.status == 200, await response.text()
    token: str = (await response.json())["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Version": "1.0.0"}
