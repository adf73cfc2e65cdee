"""The placer of every VIM that has a site inventory, kept current by the VIM's events.

One :class:`~nfvo.placement.live.LiveSite` per VIM, made on first use: the inventory
stored with the VIM's record (``nfvo vim add --inventory``) for the topology, the
cloud's servers for the usage, and the VIM's reservations (``Reservations`` keyed by
the VIM's name) for what is granted but not built yet. :meth:`Sites.follow` is the
runtime's service that tells every live site of the events it cares about.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from nfvo.placement.live import LiveSite
from nfvo.placement.reservations import Placer, Reservations, ReservationState
from nfvo.store.consumers import Entry, Follower
from nfvo.store.events import Event, EventStream
from nfvo.store.keys import Keyspace
from nfvo.store.resources import ResourceKey
from nfvo.vim.inventory import SiteInventory
from nfvo.vim.registry import VimRegistry


class NoSiteInventory(LookupError):
    """The VIM has no site inventory, so nothing can be placed on it."""


@dataclass
class Sites:
    vims: VimRegistry
    redis: aioredis.Redis
    keyspace: Keyspace
    max_age: float = 60.0  # reconcile with the cloud at least this often
    _live: dict[str, LiveSite] = field(default_factory=dict)
    _making: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def live(self, vim_name: str | None = None) -> LiveSite:
        record = await (self.vims.get(vim_name) if vim_name else self.vims.default())
        if record.site is None:
            raise NoSiteInventory(
                f"VIM {record.name} has no site inventory: register it with --inventory"
            )
        async with self._making:
            if record.name not in self._live:
                self._live[record.name] = LiveSite(
                    SiteInventory(record.site),
                    await self.vims.open_vim(record.name),
                    self.reservations(record.name),
                    max_age=self.max_age,
                )
            return self._live[record.name]

    def reservations(self, vim_name: str) -> Reservations:
        return Reservations(self.redis, self.keyspace, site=vim_name)

    async def placer(self, vim_name: str | None = None) -> Placer:
        """Decisions on the VIM's current graph, less what is reserved there."""
        site = await self.live(vim_name)
        current = await site.current()
        reservations = site.reservations or self.reservations(site.vim.name)
        # The live graph counts the servers of committed reservations itself.
        held = (ReservationState.HELD,)
        return Placer(current.graph, reservations, tuple(current.caveats), counted=held)

    def notice(self, event: Event) -> None:
        for site in self._live.values():
            site.notice(event)

    async def follow(self, stop: asyncio.Event) -> None:
        """A supervised service: every VIM event reaches every live site."""
        follower = Follower(self.redis, self.keyspace.stream(EventStream.VIM.value))
        await follower.follow(self._notice_entry, stop)

    async def _notice_entry(self, entry: Entry) -> None:
        self.notice(Event.from_entry(entry.fields))


SITES: ResourceKey[Sites] = ResourceKey("placement sites", Sites)
