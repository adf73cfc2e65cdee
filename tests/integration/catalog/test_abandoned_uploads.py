"""A server killed in the middle of a streaming upload: after it restarts, the entry is
CREATED again (DELETE and a new upload work), its partial file is gone, and the scratch
folders the killed process left are removed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from nfvo.store.keys import Keyspace
from tests.integration.catalog.conftest import VERSIONS
from tests.support.nfvo_processes import serve, sharing
from tests.support.processes import ManagedProcess
from tests.support.waiting import eventually

V = VERSIONS["vnfpkgm"]


async def stalled_body(sent: asyncio.Event) -> AsyncIterator[bytes]:
    """A megabyte of a package, then nothing more: the client goes quiet mid-upload."""
    yield b"PK" + b"\0" * (1 << 20)
    sent.set()
    await asyncio.Event().wait()


async def state(http: aiohttp.ClientSession, href: str) -> str:
    async with http.get(href, headers=V) as response:
        return str((await response.json())["onboardingState"])


@pytest.mark.timeout(120)
async def test_an_upload_cut_by_a_crash_is_recovered_at_restart(
    process_factory: type[ManagedProcess],
    redis_url: str,
    keyspace: Keyspace,
    tmp_path: Path,
    free_port: int,
    shipped: dict[str, Path],
) -> None:
    data_dir = tmp_path / "nfvo"
    server = serve(process_factory, sharing(redis_url, keyspace.prefix, data_dir), free_port)
    server.start()
    api = f"http://127.0.0.1:{free_port}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api}/vnfpkgm/v2/vnf_packages", json={}, headers=V) as response:
            href = api + (await response.json())["_links"]["self"]["href"]
        sent = asyncio.Event()
        upload = asyncio.create_task(
            http.put(
                f"{href}/package_content",
                data=stalled_body(sent),
                headers={**V, "Content-Type": "application/zip"},
            )
        )
        await sent.wait()
        await eventually(lambda: _is(http, href, "UPLOADING"))
        blobs = data_dir / "blobs"
        await eventually(lambda: any(blobs.rglob("content.part")))
        partial = list(blobs.rglob("content.part"))
        left_behind = data_dir / "scratch" / "999999999-1" / "onboard-x"
        left_behind.mkdir(parents=True)

        server.kill()
        upload.cancel()
        server.start()

        await eventually(lambda: _is(http, href, "CREATED"), within=45, interval=0.2)
        assert not any(path.exists() for path in partial)
        assert not left_behind.parent.exists()
        async with http.delete(href, headers=V) as response:
            assert response.status == 204, await response.text()
        async with http.post(f"{api}/vnfpkgm/v2/vnf_packages", json={}, headers=V) as response:
            again = api + (await response.json())["_links"]["self"]["href"]
        headers = {**V, "Content-Type": "application/zip"}
        content = shipped["amf"].read_bytes()
        async with http.put(f"{again}/package_content", data=content, headers=headers) as r:
            assert r.status == 202, await r.text()
        await eventually(lambda: _is(http, again, "ONBOARDED"), within=30, interval=0.1)


async def _is(http: aiohttp.ClientSession, href: str, wanted: str) -> bool:
    return await state(http, href) == wanted
