"""Fixtures of the SOL013 plumbing tests: the demo API served on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from nfvo.sol.auth import authentication_from_settings
from nfvo.store.keys import Keyspace
from tests.integration.sol.secured import secured_app, secured_settings
from tests.integration.sol.widgets_api import make_app


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(make_app(), host="127.0.0.1")) as test_client:
        yield test_client


@pytest.fixture
async def secured_client(
    tmp_path: Path, redis: aioredis.Redis, keyspace: Keyspace
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """The gizmos API behind the built-in token endpoint's authentication."""
    auth = authentication_from_settings(secured_settings(tmp_path), redis, keyspace)
    async with TestClient(TestServer(secured_app(redis, keyspace, auth))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def etsi_definitions(shared_dir: Path) -> dict[str, Any]:
    """SOL005's common definitions (ProblemDetails, ApiVersionInformation)."""
    path = shared_dir / "etsi/openapi/3.7.1/nfv-sol005/SOL005/definitions/SOL005_def.yaml"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    definitions: dict[str, Any] = yaml.safe_load(path.read_text())["definitions"]
    return definitions
