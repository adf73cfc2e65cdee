"""Placement's records: a resource provider per compute node (VCPU, PCPU, MEMORY_MB,
DISK_GB), SR-IOV NICs as child providers when ``placement.pci_in_placement`` is on,
their inventories, and the allocations against them: the servers' claims plus the
allocations other consumers wrote through ``PUT /allocations/{consumer_uuid}``."""

from __future__ import annotations

import uuid
from typing import Any

from simulators.openstack.hosts import HostState, NicState
from simulators.openstack.state import NAMESPACE, Cloud

VF_CLASS = "CUSTOM_PCI_8086_154C"


def nic_provider_id(host: HostState, nic: NicState) -> str:
    return str(uuid.uuid5(NAMESPACE, f"provider:{host.name}:{nic.spec.pci_address}"))


def providers(cloud: Cloud) -> dict[str, dict[str, Any]]:
    """Every provider by uuid: name, parent, root, host, nic (None for the root)."""
    result: dict[str, dict[str, Any]] = {}
    for host in cloud.hosts.values():
        result[host.provider_id] = {
            "name": host.name,
            "parent": None,
            "root": host.provider_id,
            "host": host,
            "nic": None,
        }
        if cloud.inventory.pci_in_placement:
            for nic in host.nics:
                if nic.spec.physnet and nic.spec.vfs:
                    result[nic_provider_id(host, nic)] = {
                        "name": f"{host.name}_{nic.spec.pci_address}",
                        "parent": host.provider_id,
                        "root": host.provider_id,
                        "host": host,
                        "nic": nic,
                    }
    return result


def generation(provider: dict[str, Any]) -> int:
    nic: NicState | None = provider["nic"]
    return nic.generation if nic is not None else int(provider["host"].generation)


def traits(provider: dict[str, Any]) -> list[str]:
    nic: NicState | None = provider["nic"]
    if nic is not None:
        physnet = (nic.spec.physnet or "").upper().replace("-", "_")
        return ["COMPUTE_MANAGED_PCI_DEVICE", f"CUSTOM_PHYSNET_{physnet}"]
    host: HostState = provider["host"]
    return sorted({*host.spec.traits, "COMPUTE_NODE"})


def inventory(provider: dict[str, Any]) -> dict[str, dict[str, Any]]:
    host: HostState = provider["host"]
    nic: NicState | None = provider["nic"]
    if nic is not None:
        return {VF_CLASS: _inv(nic.spec.vfs, 1.0)}
    result = {
        "VCPU": _inv(host.shared_cpu_count, host.spec.cpu_allocation_ratio),
        "MEMORY_MB": _inv(
            host.memory_mb, host.spec.ram_allocation_ratio, host.spec.reserved_host_memory_mb
        ),
        "DISK_GB": _inv(host.spec.disk_gb, host.spec.disk_allocation_ratio),
    }
    if host.dedicated_cpu_count:
        result["PCPU"] = _inv(host.dedicated_cpu_count, 1.0)
    return {k: v for k, v in result.items() if v["total"] > 0}


def _inv(total: int, ratio: float, reserved: int = 0) -> dict[str, Any]:
    return {
        "total": total,
        "reserved": reserved,
        "min_unit": 1,
        "max_unit": total,
        "step_size": 1,
        "allocation_ratio": ratio,
    }


def capacity(record: dict[str, Any]) -> int:
    """What Placement lets consumers take of one inventory record."""
    return int((record["total"] - record["reserved"]) * record["allocation_ratio"])


def allocations(
    cloud: Cloud, provider_id: str, provider: dict[str, Any]
) -> dict[str, dict[str, int]]:
    """Consumer -> resources taken from this provider."""
    host: HostState = provider["host"]
    result: dict[str, dict[str, int]] = {}
    claims = [(s, cloud.servers[s].claim) for s in host.servers if s in cloud.servers]
    for consumer_id, claim in [*claims, *host.held.items()]:
        if claim is None:
            continue
        if provider["nic"] is None:
            resources = {
                "VCPU": claim.vcpus,
                "PCPU": claim.pcpus,
                "MEMORY_MB": claim.ram_mb,
                "DISK_GB": claim.disk_gb,
            }
            resources = {k: v for k, v in resources.items() if v}
        else:
            nic: NicState = provider["nic"]
            taken = [p for p in claim.pci if p.nic == nic.spec.name]
            count = sum(nic.spec.vfs if p.vf_index is None else 1 for p in taken)
            resources = {VF_CLASS: count} if count else {}
        if resources:
            result[consumer_id] = resources
    for consumer in cloud.allocations.values():
        if consumer.resources.get(provider_id):
            result[consumer.consumer_id] = dict(consumer.resources[provider_id])
    return result


def usage_totals(cloud: Cloud, provider_id: str, provider: dict[str, Any]) -> dict[str, int]:
    totals = dict.fromkeys(inventory(provider), 0)
    for resources in allocations(cloud, provider_id, provider).values():
        for name, amount in resources.items():
            totals[name] = totals.get(name, 0) + amount
    return totals
