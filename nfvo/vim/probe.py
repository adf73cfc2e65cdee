"""Whether each registered VIM answers: for health checks, cached so probes stay cheap;
and what a cloud offers us before it is registered (:func:`check_cloud`).

A probe authenticates (opening the VIM's facade) and lists one flavor, within
``timeout``; its answer is reused for ``max_age`` seconds, so a readiness probe every
few seconds costs each cloud one request per ``max_age``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from nfvo.vim.errors import VimError, VimForbidden, VimRefused
from nfvo.vim.facade import Vim
from nfvo.vim.registry import VimRecord, VimRegistry
from nfvo.vim.session import VimSession, VimSpec


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


#: Services the orchestrator cannot work without, and those some features use
#: (openstacksdk proxy names; the catalogue's aliases, volumev3 and block-storage, count).
NEEDED_SERVICES = {"compute": "servers", "network": "ports and networks", "image": "images"}
USEFUL_SERVICES = {"block_storage": "volumes", "placement": "live capacity (admin)"}


@dataclass(frozen=True)
class CloudCheck:
    """What registering a VIM found: who we are there, what it serves, whether we are
    an administrator (an admin-only read, os-hypervisors, succeeded)."""

    user: str
    project: str
    roles: tuple[str, ...]
    services: tuple[str, ...]
    missing: tuple[str, ...]  # needed services absent from the catalogue
    absent: tuple[str, ...]  # useful services absent from it
    admin: bool

    def summary(self) -> str:
        roles = ", ".join(self.roles) or "none"
        rights = "admin rights" if self.admin else "no admin rights"
        return (
            f"authenticated as {self.user} in project {self.project} (roles {roles}), "
            f"{rights}; services: {', '.join(self.services)}"
        )


async def check_cloud(spec: VimSpec) -> CloudCheck:
    """Authenticate, read the service catalogue and try an admin-only read, as ``spec``
    says; a VimError when the cloud cannot be reached or refuses the credentials."""
    async with Vim(spec) as vim:
        session = vim.session
        token = await session.blocking("read the token", _token_of, session, mutating=False)
        user, project, roles = token
        found = []
        for service in (*NEEDED_SERVICES, *USEFUL_SERVICES):
            try:
                await session.blocking(
                    "find " + service, _endpoint, session, service, mutating=False
                )
                found.append(service)
            except VimRefused:
                continue
        admin = "compute" in found and await _answers(vim, "/os-hypervisors")
    return CloudCheck(
        user=user,
        project=project,
        roles=roles,
        services=tuple(found),
        missing=tuple(s for s in NEEDED_SERVICES if s not in found),
        absent=tuple(s for s in USEFUL_SERVICES if s not in found),
        admin=admin,
    )


def _token_of(session: VimSession) -> tuple[str, str, tuple[str, ...]]:
    keystone = session.connection.session
    access = keystone.auth.get_access(keystone)  # type: ignore[union-attr]  # authorized
    return str(access.username), str(access.project_name), tuple(sorted(access.role_names))


def _endpoint(session: VimSession, service: str) -> str:
    return str(getattr(session.connection, service).get_endpoint())


async def _answers(vim: Vim, path: str) -> bool:
    """Whether an admin-only read is allowed (403: it is not)."""
    try:
        await vim.session.request("compute", "GET", path, call="check admin rights")
    except VimForbidden:
        return False
    return True
