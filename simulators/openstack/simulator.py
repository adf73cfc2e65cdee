"""The simulator in-process: ``async with Simulator(inventory) as sim: sim.url``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from aiohttp import web

from simulators.openstack.app import build_app
from simulators.openstack.clouds import write_clouds_yaml
from simulators.openstack.compute import LIFECYCLE, Lifecycle
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import Inventory, load_inventory
from simulators.openstack.state import Cloud, build_cloud
from simulators.openstack.web import BASE_URL


class Simulator:
    def __init__(
        self,
        inventory: Inventory | Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clouds_yaml: Path | None = None,
        config: SimConfig | None = None,
        generate_hosts: int | None = None,
    ) -> None:
        if not isinstance(inventory, Inventory):
            inventory = load_inventory(inventory, generate_hosts)
        self.config = config or SimConfig()
        self.cloud: Cloud = build_cloud(inventory, self.config)
        self.app = build_app(self.cloud)
        self._host, self._port = host, port
        self._clouds_yaml = clouds_yaml
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    @property
    def clouds_yaml_path(self) -> Path:
        assert self._clouds_yaml is not None, "the simulator is not started"
        return self._clouds_yaml

    @property
    def lifecycle(self) -> Lifecycle:
        return self.app[LIFECYCLE]

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        address = self._runner.addresses[0]
        self.url = f"http://{self._host}:{address[1]}"
        self.app[BASE_URL].append(self.url)
        if self._clouds_yaml is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sim-clouds-")
            self._clouds_yaml = Path(self._tmp.name) / "clouds.yaml"
        write_clouds_yaml(self._clouds_yaml, self.cloud, self.url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
