"""The project's quotas on the VIM, checked before a grant reserves anything.

Nova's ``GET /limits`` (instances, cores, RAM: limit and use) and Neutron's
``GET /quotas/{project}/details`` (ports and networks: limit, used, reserved), read
through the VIM facade. A limit of -1 is unlimited. A cloud that answers 404 for
either (an old Neutron without the details extension, a cloud that does not publish
them) is not checked for that service, and the check says so in its notes; a grant
that does not fit is refused naming each quota and how much is left.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nfvo.lcm.grant_requests import GrantRefusal
from nfvo.vim.errors import VimError, VimNotFound
from nfvo.vim.facade import Vim


@dataclass(frozen=True)
class QuotaNeeds:
    """What one grant adds to the project."""

    instances: int = 0
    cores: int = 0
    ram_mb: int = 0
    ports: int = 0
    networks: int = 0


# (what we need, Nova's limit, Nova's use, the quota's name in a refusal)
_NOVA = (
    ("instances", "maxTotalInstances", "totalInstancesUsed", "instances"),
    ("cores", "maxTotalCores", "totalCoresUsed", "cores"),
    ("ram_mb", "maxTotalRAMSize", "totalRAMUsed", "RAM (MiB)"),
)
_NEUTRON = (("ports", "port", "ports"), ("networks", "network", "networks"))


def _short(name: str, need: int, limit: Any, used: Any) -> str | None:
    if not need or not isinstance(limit, int) or limit < 0:
        return None
    left = max(limit - int(used or 0), 0)
    return f"{name}: {need} wanted, {left} left of {limit}" if need > left else None


async def _nova(vim: Vim, needs: QuotaNeeds, notes: list[str]) -> list[str]:
    try:
        body = await vim.compute.request("GET", "/limits", "read compute limits")
    except VimNotFound:
        notes.append(f"VIM {vim.name} answers 404 for Nova's /limits: compute quotas not checked")
        return []
    absolute: Mapping[str, Any] = (body or {}).get("limits", {}).get("absolute", {})
    shortages = [
        _short(name, getattr(needs, attribute), absolute.get(limit), absolute.get(used))
        for attribute, limit, used, name in _NOVA
    ]
    return [s for s in shortages if s]


async def _neutron(vim: Vim, needs: QuotaNeeds, notes: list[str]) -> list[str]:
    if not needs.ports and not needs.networks:
        return []
    project = await vim.network.project_id()
    try:
        body = await vim.network.request("GET", f"/quotas/{project}/details", "read network quotas")
    except VimNotFound:
        notes.append(
            f"VIM {vim.name} answers 404 for Neutron's quota details: network quotas not checked"
        )
        return []
    quota: Mapping[str, Any] = (body or {}).get("quota", {})
    shortages = []
    for attribute, resource, name in _NEUTRON:
        entry = quota.get(resource) or {}
        used = int(entry.get("used") or 0) + int(entry.get("reserved") or 0)
        shortages.append(_short(name, getattr(needs, attribute), entry.get("limit"), used))
    return [s for s in shortages if s]


async def check_quotas(vim: Vim, needs: QuotaNeeds, project: str | None = None) -> list[str]:
    """Refuse (GrantRefusal, a shortage) what the quotas do not leave room for; the
    notes of what could not be checked. Errors reading them (other than 404) are
    notes too: the cloud enforces its quotas anyway, this check only answers early."""
    notes: list[str] = []
    shortages: list[str] = []
    for check in (_nova, _neutron):
        try:
            shortages += await check(vim, needs, notes)
        except VimError as error:
            notes.append(f"quotas not read: {error}")
    if shortages:
        where = f"project {project} on VIM {vim.name}" if project else f"VIM {vim.name}"
        raise GrantRefusal(f"quota exceeded in {where}: " + "; ".join(shortages), shortage=True)
    return notes
