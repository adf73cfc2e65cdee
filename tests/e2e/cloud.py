"""The simulated cloud with the facade connected as admin, and helpers to boot VNFCs
through the facade the way the VNF manager will."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from descriptors.loader import load_package
from descriptors.requirements import VduRequirement
from descriptors.summary import SHIPPED
from nfvo.placement.flavours import flavour_spec
from nfvo.placement.model import NetworkBinding, VnfcRequest
from nfvo.vim.compute import ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.network import PortRequest
from nfvo.vim.session import RetryPolicy, VimSpec
from nfvo.vim.tags import ResourceIdentity
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator

LAB = INVENTORY_DIR / "lab.yaml"
# Logical network -> (physnet for SR-IOV ports, the lab's existing network).
SITE_NETWORKS = {
    "virtual_link_sbi": ("physnet-mgmt", "mgmt"),
    "virtual_link_n2": ("physnet-mgmt", "mgmt"),
    "virtual_link_n4": ("physnet-mgmt", "mgmt"),
    "virtual_link_n3": ("sriov-n3", "n3-sriov"),
    "virtual_link_n6": ("sriov-n6", "n6-sriov"),
}
BINDINGS = [NetworkBinding(logical_network=n, physnet=p) for n, (p, _) in SITE_NETWORKS.items()]


def requirement(nf: str, tmp_path: Path) -> VduRequirement:
    loaded = load_package(SHIPPED / nf, tmp_path / nf)
    return loaded.requirements["default"][nf]


@pytest.fixture
async def cloud() -> AsyncIterator[tuple[Simulator, Vim]]:
    async with Simulator(LAB, config=SimConfig(time_scale=0)) as sim:
        entry = yaml.safe_load(sim.clouds_yaml_path.read_text())["clouds"]["sim"]
        spec = VimSpec("lab", entry, admin=True, retry=RetryPolicy(base_delay=0.01))
        async with Vim(spec) as vim:
            yield sim, vim


async def real_placement(sim: Simulator, server_id: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{sim.url}/_sim/servers/{server_id}/placement") as response,
    ):
        return dict(await response.json())


async def boot(vim: Vim, vnfc: VnfcRequest, host: str | None, zone: str) -> str:
    networks = {
        name: (await vim.network.network(net)).id
        for _, (_, net) in SITE_NETWORKS.items()
        for name in [net]
    }
    image_id = (await vim.storage.image_named("cirros")).id
    ports = []
    for index, interface in enumerate(vnfc.requirement.interfaces):
        assert interface.logical_network is not None
        network = networks[SITE_NETWORKS[interface.logical_network][1]]
        identity = ResourceIdentity(
            vnfc.vnf_instance_id or "vnf-e2e", f"{vnfc.vnfc_id}-{interface.cp_id}", index
        )
        port = await vim.network.create_port(PortRequest(identity, network, interface.vnic_type))
        ports.append(port.id)
    flavor = await vim.compute.ensure_flavor(flavour_spec(vnfc.requirement))
    server = await vim.compute.create_server(
        ServerRequest(
            ResourceIdentity(vnfc.vnf_instance_id or "vnf-e2e", vnfc.vnfc_id),
            image_id,
            flavor.id,
            ports,
            zone=zone,
            host=host,
        )
    )
    active = await vim.compute.wait_for_server(server.id, interval=0.01)
    assert active.host == host
    return server.id
