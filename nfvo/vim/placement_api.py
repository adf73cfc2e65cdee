"""Placement through the VIM session: compute nodes' inventories and usages, read-only.

What Nova enforces when it schedules is Placement's view: each compute node's
inventory (``total``, ``reserved``, ``allocation_ratio`` per resource class) and the
usage of every consumer holding it (servers, and whatever else allocates there:
another region's service, a server still building, an instance of a deleted
flavor). :meth:`PlacementApi.snapshot` reads both for the root providers named like
the site's hosts into a :class:`PlacementSnapshot`. Admin only under Placement's
default policy; a refusal reaches the caller as a ``VimError`` like any other.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from nfvo.vim.session import VimSession

# 1.14: providers list their parent (nested providers), so roots can be told apart.
MICROVERSION = "1.14"
RESOURCE_CLASSES = ("VCPU", "PCPU", "MEMORY_MB", "DISK_GB")


@dataclass(frozen=True, slots=True)
class ProviderInventory:
    """One resource class of a provider, as Placement records it."""

    total: int
    reserved: int = 0
    allocation_ratio: float = 1.0

    @property
    def capacity(self) -> int:
        """What consumers may take: ``(total - reserved) x allocation_ratio``."""
        return int((self.total - self.reserved) * self.allocation_ratio)


@dataclass(frozen=True, slots=True)
class ResourceProvider:
    id: str
    name: str
    inventories: Mapping[str, ProviderInventory] = field(default_factory=dict)
    usages: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlacementSnapshot:
    """Root providers by name (the compute node's hypervisor hostname)."""

    providers: Mapping[str, ResourceProvider]
    read_at: float


def _inventory(raw: Mapping[str, Any]) -> ProviderInventory:
    return ProviderInventory(
        total=int(raw["total"]),
        reserved=int(raw.get("reserved", 0)),
        allocation_ratio=float(raw.get("allocation_ratio", 1.0)),
    )


class PlacementApi:
    def __init__(self, session: VimSession) -> None:
        self.session = session

    async def request(self, path: str, call: str, **kwargs: Any) -> Any:
        return await self.session.request(
            "placement", "GET", path, call=call, microversion=MICROVERSION, **kwargs
        )

    async def root_providers(self) -> dict[str, str]:
        """Name -> uuid of every provider without a parent (compute nodes)."""
        body = await self.request("/resource_providers", "list resource providers")
        return {
            provider["name"]: provider["uuid"]
            for provider in body.get("resource_providers", [])
            if not provider.get("parent_provider_uuid")
        }

    async def inventories(self, provider_id: str) -> dict[str, ProviderInventory]:
        body = await self.request(
            f"/resource_providers/{provider_id}/inventories", "show provider inventories"
        )
        return {
            name: _inventory(raw)
            for name, raw in body.get("inventories", {}).items()
            if name in RESOURCE_CLASSES
        }

    async def usages(self, provider_id: str) -> dict[str, int]:
        body = await self.request(
            f"/resource_providers/{provider_id}/usages", "show provider usages"
        )
        return {
            name: int(amount)
            for name, amount in body.get("usages", {}).items()
            if name in RESOURCE_CLASSES
        }

    async def provider(self, name: str, provider_id: str) -> ResourceProvider:
        inventories, usages = await asyncio.gather(
            self.inventories(provider_id), self.usages(provider_id)
        )
        return ResourceProvider(provider_id, name, inventories, usages)

    async def snapshot(self, names: Collection[str]) -> PlacementSnapshot:
        """Inventories and usages of the root providers named in ``names`` (the pool of
        the session bounds how many requests are in flight)."""
        read_at = time.time()
        wanted = set(names)
        roots = {n: i for n, i in (await self.root_providers()).items() if n in wanted}
        providers = await asyncio.gather(*(self.provider(n, i) for n, i in roots.items()))
        return PlacementSnapshot({p.name: p for p in providers}, read_at)
