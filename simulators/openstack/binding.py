"""Port binding as Neutron's ML2 drivers do it when Nova boots a server on a host."""

from __future__ import annotations

from simulators.openstack.hosts import HostState
from simulators.openstack.model import Network, Port, Server, utc_now
from simulators.openstack.scheduler.claims import Claim, PciClaim
from simulators.openstack.state import Cloud

SRIOV_VNIC_TYPES = {"direct", "macvtap", "direct-physical", "vdpa"}
PCI_VENDOR_INFO = "8086:154c"


def vf_address(pf_address: str, index: int) -> str:
    domain_bus = pf_address.rsplit(":", 1)[0]
    return f"{domain_bus}:{0x02 + index // 8:02x}.{index % 8}"


def _vlan(network: Network) -> str:
    """The SR-IOV driver's ``vif_details.vlan``: the segment's VLAN, 0 on a flat one."""
    if network.network_type == "vlan" and network.segmentation_id is not None:
        return str(network.segmentation_id)
    return "0"


def _vif(
    port: Port, host: HostState, pci: PciClaim | None, network: Network
) -> tuple[str, dict[str, object]]:
    if port.vnic_type in ("direct", "macvtap"):
        return "hw_veb", {"port_filter": False, "vlan": _vlan(network), "connectivity": "l2"}
    if port.vnic_type == "direct-physical":
        details = {"port_filter": False, "vlan": _vlan(network), "connectivity": "l2"}
        return "hostdev_physical", details
    if port.vnic_type == "vdpa":
        return "vdpa", {"port_filter": False}
    if port.vnic_type == "virtio-forwarder" or host.spec.ovs_dpdk:
        return "vhostuser", {
            "vhostuser_socket": f"/var/run/openvswitch/vhu{port.id[:11]}",
            "vhostuser_mode": "server",
            "vhostuser_ovs_plug": True,
            "datapath_type": "netdev",
            "port_filter": False,
        }
    return "ovs", {
        "port_filter": True,
        "datapath_type": "system",
        "ovs_hybrid_plug": False,
        "connectivity": "l2",
        "bridge_name": "br-int",
    }


def bind_ports(
    cloud: Cloud, server: Server, host: HostState, claim: Claim | None, active: bool = False
) -> None:
    """Bind at scheduling (status DOWN); with ``active`` the ports come UP, except a
    vhost-user port of a guest without huge pages, whose queues never start."""
    pci_by_port = {p.port_id: p for p in (claim.pci if claim else [])}
    huge = bool(claim and claim.cells and all(c.page_size_mb for c in claim.cells))
    zone = host.spec.zone
    for port_id in server.port_ids:
        port = cloud.ports.get(port_id)
        if port is None:
            continue
        pci = pci_by_port.get(port_id)
        port.binding_host_id = host.name
        network = cloud.networks[port.network_id]
        port.vif_type, port.vif_details = _vif(port, host, pci, network)
        if pci is not None:
            address = (
                pci.pci_address
                if pci.vf_index is None
                else vf_address(pci.pci_address, pci.vf_index)
            )
            port.binding_profile = {
                "pci_slot": address,
                "pci_vendor_info": PCI_VENDOR_INFO,
                "physical_network": pci.physnet,
            }
        port.device_id, port.device_owner = server.id, f"compute:{zone}"
        if active:
            stuck = port.vif_type == "vhostuser" and not huge
            port.status = "DOWN" if stuck else "ACTIVE"
        port.updated_at = utc_now()
        port.revision_number += 1


def unplug_ports(cloud: Cloud, server: Server) -> None:
    """The guest is off: its ports stay bound but go DOWN."""
    for port_id in server.port_ids:
        port = cloud.ports.get(port_id)
        if port is not None and port.device_id == server.id and port.status != "DOWN":
            port.status = "DOWN"
            port.updated_at = utc_now()
            port.revision_number += 1


def release_ports(cloud: Cloud, server: Server) -> None:
    """Delete the ports Nova made for the server; unbind the ones it was given."""
    for port_id in list(server.port_ids):
        port = cloud.ports.get(port_id)
        if port is None:
            continue
        subnet_ips = [(ip["subnet_id"], ip["ip_address"]) for ip in port.fixed_ips]
        if port_id in server.created_port_ids:
            for subnet_id, address in subnet_ips:
                subnet = cloud.subnets.get(subnet_id)
                if subnet is not None:
                    subnet.used.discard(address)
            del cloud.ports[port_id]
            continue
        port.binding_host_id, port.vif_type, port.vif_details = "", "unbound", {}
        port.binding_profile = {}
        port.device_id = port.device_owner = ""
        port.status = "DOWN"
        port.updated_at = utc_now()
        port.revision_number += 1
    server.port_ids = [p for p in server.port_ids if p not in server.created_port_ids]
    server.created_port_ids = []
