"""When Redis does not answer, the API says 503 with Retry-After, never 500."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from nfvo.api.app import build_app
from nfvo.config import load_settings
from nfvo.runtime import compose
from nfvo.store.connection import connect
from tests.integration.catalog.conftest import VERSIONS


async def test_an_unreachable_store_is_503_with_retry_after(tmp_path: Path, free_port: int) -> None:
    nowhere = f"redis://127.0.0.1:{free_port}"  # nothing listens there
    settings = load_settings(None, redis_url=nowhere, data_dir=tmp_path, auth_enabled=False)
    redis = connect(nowhere)
    app = build_app(compose(settings, redis))  # nothing in the background: the API alone
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        for api, method, path in (
            ("vnfpkgm", "GET", "/vnfpkgm/v2/vnf_packages"),
            ("nsd", "POST", "/nsd/v2/ns_descriptors"),
        ):
            response = await client.request(method, path, json={}, headers=VERSIONS[api])
            assert response.status == 503, await response.text()
            assert response.headers["Retry-After"] == "1"
            assert response.content_type == "application/problem+json"
            assert "retry" in (await response.json())["detail"]
    await redis.aclose()


async def test_an_outage_is_logged_once_not_per_request(
    tmp_path: Path, free_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"redis://127.0.0.1:{free_port}"
    settings = load_settings(None, redis_url=nowhere, data_dir=tmp_path, auth_enabled=False)
    redis = connect(nowhere)
    app = build_app(compose(settings, redis))
    with caplog.at_level(logging.WARNING, logger="nfvo.sol"):
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            for _ in range(20):
                response = await client.get("/vnfpkgm/v2/vnf_packages", headers=VERSIONS["vnfpkgm"])
                assert response.status == 503
    lines = [r for r in caplog.records if "the store did not answer" in r.getMessage()]
    assert len(lines) == 1
    await redis.aclose()
