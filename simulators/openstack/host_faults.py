"""A host going down as it really does, a server crashing or stopping behind Nova's back."""

from __future__ import annotations

import asyncio
import time

from simulators.openstack.compute import Lifecycle
from simulators.openstack.hosts import HostState
from simulators.openstack.model import Server, iso, utc_now


class HostMonitor:
    """Masakari's host monitor: it notices a dead host after its own detection time."""

    def __init__(self, lifecycle: Lifecycle) -> None:
        self.lifecycle = lifecycle
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.reported_down: set[str] = set()

    async def close(self) -> None:
        for task in self.pending.values():
            task.cancel()
        await asyncio.gather(*self.pending.values(), return_exceptions=True)

    def host_down(self, host: HostState) -> None:
        """The host dies: heartbeats stop; servers stay ACTIVE; Nova says nothing."""
        if not host.service.alive:
            return
        host.service.alive = False
        host.service.last_heartbeat = time.monotonic()
        host.service.updated_at = iso(utc_now()) or ""
        delay = self.lifecycle.cloud.config.scaled(self.lifecycle.cloud.config.host_monitor_delay)
        self.pending[host.name] = asyncio.create_task(self._report_down(host, delay))

    async def _report_down(self, host: HostState, delay: float) -> None:
        await asyncio.sleep(delay)
        self.pending.pop(host.name, None)
        self.reported_down.add(host.name)
        await self.lifecycle.publisher.host(host.name, "STOPPED", "OFFLINE", "NORMAL")

    async def host_up(self, host: HostState) -> None:
        task = self.pending.pop(host.name, None)
        if task is not None:
            task.cancel()
        host.service.alive = True
        host.service.last_heartbeat = time.monotonic()
        host.service.booted_at = time.time()
        await self.lifecycle.resume_builds(host.name)
        if host.name in self.reported_down:
            self.reported_down.discard(host.name)
            await self.lifecycle.publisher.host(host.name, "STARTED", "ONLINE", "NORMAL")


async def crash_server(lifecycle: Lifecycle, server: Server) -> None:
    """The guest dies: ERROR, as Nova records it."""
    server.fault = {
        "code": 500,
        "message": "Instance crashed",
        "created": utc_now(),
        "details": "simulated guest crash",
    }
    lifecycle.plug(server, running=False)
    await lifecycle.set_state(server, "ERROR", "error", None, 4)


async def stop_server(lifecycle: Lifecycle, server: Server) -> None:
    """The guest powers off by itself: Nova's power-state sync stops it (SHUTOFF)."""
    await lifecycle.notify(server, "instance.power_off.start")
    lifecycle.plug(server, running=False)
    await lifecycle.set_state(server, "SHUTOFF", "stopped", None, 4)
    await lifecycle.notify(server, "instance.power_off.end")
