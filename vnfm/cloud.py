"""What the VNF manager asks of a VIM beyond creating one resource: everything of one
VNF instance found by its tags, and the removals terminate and rollback make.

All through the ``nfvo.vim`` facade (its services' ``request``), so retries, error
classes and the SDK's thread pool are the platform's.
"""

from __future__ import annotations

import contextlib

from nfvo.vim.compute import Server
from nfvo.vim.errors import VimNotFound
from nfvo.vim.facade import Vim
from nfvo.vim.network import Port
from nfvo.vim.tags import MARKER, fit_tag


def owner_tags(vnf_instance_id: str) -> str:
    """The tags every resource of one VNF instance carries (Nova's and Neutron's filter)."""
    return ",".join([MARKER, fit_tag("nfvo-vnf", vnf_instance_id)])


async def servers_of(vim: Vim, vnf_instance_id: str) -> list[Server]:
    body = await vim.compute.request(
        "GET",
        "/servers/detail",
        "list the VNF's servers",
        params={"tags": owner_tags(vnf_instance_id)},
    )
    return [Server.from_body(item) for item in body.get("servers", [])]


async def ports_of(vim: Vim, vnf_instance_id: str) -> list[Port]:
    body = await vim.network.request(
        "GET", "/ports", "list the VNF's ports", params={"tags": owner_tags(vnf_instance_id)}
    )
    return [Port.from_body(item) for item in body.get("ports", [])]


async def stop_server(vim: Vim, server_id: str) -> None:
    """os-stop (graceful shutdown of the guest); a server already stopped is fine."""
    server = await vim.compute.server(server_id)
    if server.status in ("SHUTOFF", "DELETED"):
        return
    await vim.compute.request(
        "POST", f"/servers/{server_id}/action", "stop server", json={"os-stop": None}
    )


async def server_groups_named(vim: Vim, names: set[str]) -> list[str]:
    body = await vim.compute.request("GET", "/os-server-groups", "list server groups")
    return [g["id"] for g in body.get("server_groups", []) if g.get("name") in names]


async def delete_server_group(vim: Vim, group_id: str) -> None:
    with contextlib.suppress(VimNotFound):
        await vim.compute.request("DELETE", f"/os-server-groups/{group_id}", "delete server group")
