"""Whether each registered VIM answers: for health checks, cached so probes stay cheap.

A probe authenticates (opening the VIM's facade) and lists one flavor, within
``timeout``; its answer is reused for ``max_age`` seconds, so a readiness probe every
few seconds costs each cloud one request per ``max_age``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from nfvo.vim.errors import VimError
from nfvo.vim.registry import VimRecord, VimRegistry


@dataclass(frozen=True)
class VimState:
    name: str
    reachable: bool
    detail: str  # "ok", or what failed (the VIM's own message, no credentials)
    checked_at: float


@dataclass
class VimProbe:
    registry: VimRegistry
    max_age: float = 30.0
    timeout: float = 5.0
    _states: dict[str, VimState] = field(default_factory=dict)

    async def states(self) -> list[VimState]:
        records = await self.registry.list()
        now = time.time()
        stale = [r for r in records if now - self._checked(r.name) > self.max_age]
        for state in await asyncio.gather(*(self._probe(r) for r in stale)):
            self._states[state.name] = state
        return [self._states[r.name] for r in records]

    def _checked(self, name: str) -> float:
        state = self._states.get(name)
        return state.checked_at if state else 0.0

    async def _probe(self, record: VimRecord) -> VimState:
        try:
            async with asyncio.timeout(self.timeout):
                vim = await self.registry.open_vim(record.name)
                await vim.session.request(
                    "compute", "GET", "/flavors", call="probe", params={"limit": 1}
                )
        except TimeoutError:
            return VimState(record.name, False, f"no answer within {self.timeout:g}s", time.time())
        except VimError as exc:
            return VimState(record.name, False, str(exc), time.time())
        return VimState(record.name, True, "ok", time.time())
