"""python -m simulators.openstack as its own process, found through clouds.yaml."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import openstack
import pytest

from simulators.openstack.inventory import INVENTORY_DIR
from tests.integration.simulators.conftest import connect, in_thread


async def test_process_serves_and_writes_clouds_yaml(
    tmp_path: Path, free_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text("clouds:\n  other: {auth: {auth_url: http://example.invalid}}\n")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulators.openstack",
        "--inventory",
        str(INVENTORY_DIR / "region.yaml"),
        "--generate-hosts",
        "20",
        "--port",
        str(free_port),
        "--clouds-yaml",
        str(clouds),
        "--time-scale",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.decode().strip() == f"READY http://127.0.0.1:{free_port}"

        monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))

        def work() -> tuple[int, list[str]]:
            conn = openstack.connect(cloud="sim")
            hypervisors = list(conn.compute.hypervisors())
            member = connect(clouds, "sim-member")
            return len(hypervisors), [f.name for f in member.compute.flavors()]

        hypervisors, flavors = await in_thread(work)
        assert hypervisors == 23
        assert "cp.pinned.4" in flavors
        assert "other:" in clouds.read_text()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)
    assert process.returncode == 0
