"""The async facade over one OpenStack VIM: everything the orchestrator does there.

``async with Vim(spec) as vim:`` then ``vim.compute``, ``vim.network``,
``vim.storage`` and ``vim.placement`` (read-only). Every create is idempotent by the
resource's identity (tags or its deterministic name, see ``nfvo.vim.tags``); with a
``VimEventFeed``, waits follow the ``vim-events`` stream (``nfvo.vim.waiting``) rather
than polling; every error is a ``VimError`` naming the VIM, the call and OpenStack's
own message.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from nfvo.vim.compute import Compute
from nfvo.vim.network import Networking
from nfvo.vim.placement_api import PlacementApi
from nfvo.vim.session import VimSession, VimSpec
from nfvo.vim.storage import Storage
from nfvo.vim.waiting import VimEventFeed


class Vim:
    def __init__(self, spec: VimSpec, events: VimEventFeed | None = None) -> None:
        self.session = VimSession(spec)
        self.compute = Compute(self.session, events)
        self.network = Networking(self.session)
        self.storage = Storage(self.session)
        self.placement = PlacementApi(self.session)

    @property
    def name(self) -> str:
        return self.session.name

    async def __aenter__(self) -> Self:
        await self.session.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.session.close()
