"""For clouds that give us no notification stream: what changed, by asking.

Each round lists servers changed since the last round (``changes-since``, with
``host_status`` where we are admin) and the compute services, compares them with what
the previous round saw, and publishes the differences as the same envelopes the
notification converters produce. The first round only records what is there.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from nfvo.store.events import Event, EventStream, publish
from nfvo.store.keys import Keyspace
from nfvo.store.tasks import sleep_unless
from nfvo.vim.facade import Vim

# Overlap between rounds: Nova's timestamps have second resolution and clocks drift.
_OVERLAP = timedelta(seconds=5)


@dataclass
class _Seen:
    servers: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)
    services: dict[str, tuple[str, bool, str]] = field(default_factory=dict)
    since: datetime | None = None
    primed: bool = False


class VimPoller:
    def __init__(self, vim: Vim, redis: aioredis.Redis, keyspace: Keyspace) -> None:
        self.vim, self.redis, self.keyspace = vim, redis, keyspace
        self._seen = _Seen()

    async def poll_once(self) -> list[Event]:
        """One round; returns (and publishes) the events it found."""
        started = datetime.now(UTC)
        events = [*await self._servers(), *await self._services()]
        self._seen.since = started - _OVERLAP
        if not self._seen.primed:
            self._seen.primed = True
            return []
        for event in events:
            await publish(self.redis, self.keyspace, EventStream.VIM, event)
        return events

    async def _servers(self) -> list[Event]:
        params: dict[str, Any] = {}
        if self.vim.session.spec.admin:
            params["all_tenants"] = "1"
        if self._seen.since is not None:
            params["changes-since"] = self._seen.since.strftime("%Y-%m-%dT%H:%M:%SZ")
        body = await self.vim.compute.request(
            "GET", "/servers/detail", "poll servers", params=params
        )
        events = []
        for server in body.get("servers", []):
            state = (
                server.get("status", ""),
                server.get("host_status"),
                server.get("OS-EXT-SRV-ATTR:host"),
            )
            previous = self._seen.servers.get(server["id"])
            self._seen.servers[server["id"]] = state
            if previous == state:
                continue
            deleted = server.get("status") == "DELETED"
            events.append(
                Event(
                    source=f"vim/{self.vim.name}/poller",
                    type="vim.server.deleted" if deleted else "vim.server.updated",
                    subject=f"servers/{server['id']}",
                    data={
                        "status": state[0],
                        "old_status": previous[0] if previous else None,
                        "host_status": state[1],
                        "host": state[2],
                        "tags": list(server.get("tags") or []),
                    },
                )
            )
        return events

    async def _services(self) -> list[Event]:
        if not self.vim.session.spec.admin:
            return []  # os-services is admin-only by default
        body = await self.vim.compute.request(
            "GET", "/os-services", "poll compute services", params={"binary": "nova-compute"}
        )
        events = []
        for service in body.get("services", []):
            state = (
                service.get("state", ""),
                bool(service.get("forced_down")),
                service.get("status", ""),
            )
            previous = self._seen.services.get(service["host"])
            self._seen.services[service["host"]] = state
            if previous == state:
                continue
            events.append(
                Event(
                    source=f"vim/{self.vim.name}/poller",
                    type="vim.service.changed",
                    subject=f"hosts/{service['host']}",
                    data={
                        "host": service["host"],
                        "state": state[0],
                        "forced_down": state[1],
                        "disabled": state[2] == "disabled",
                    },
                )
            )
        return events

    async def run(self, stop: asyncio.Event, interval: float = 10.0) -> None:
        while not stop.is_set():
            await self.poll_once()
            await sleep_unless(stop, interval)
