"""What a server asks of a host, read from its flavor's extra specs and its ports.

Nova reads the same keys (nova/virt/hardware.py); invalid combinations are refused
at the API with 400, as Nova does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulators.openstack.hosts import PAGE_1G, PAGE_2M

PAGE_SIZES = {
    "2MB": PAGE_2M,
    "2048": PAGE_2M,
    "2048KB": PAGE_2M,
    "1GB": PAGE_1G,
    "1048576": PAGE_1G,
    "1048576KB": PAGE_1G,
}
PCI_POLICIES = ("required", "legacy", "preferred", "socket")


class InvalidRequest(ValueError):
    """Extra specs Nova would refuse at the API (400)."""


@dataclass(frozen=True)
class GuestCell:
    id: int
    vcpus: tuple[int, ...]
    memory_mb: int
    dedicated: frozenset[int]


@dataclass(frozen=True)
class PciRequest:
    port_id: str
    kind: str  # "vf" or "pf"
    physnet: str | None
    vnic_type: str


@dataclass
class RequestSpec:
    vcpus: int
    ram_mb: int
    disk_gb: int
    cpu_policy: str = "shared"
    thread_policy: str = "prefer"
    emulator_isolate: bool = False
    page_sizes: tuple[int | None, ...] = (None,)
    cells: tuple[GuestCell, ...] | None = None
    pci_policy: str = "legacy"
    pci: list[PciRequest] = field(default_factory=list)
    virtio_forwarder: bool = False
    zone: str | None = None
    forced_host: str | None = None
    group_id: str | None = None
    required_traits: frozenset[str] = frozenset()
    forbidden_traits: frozenset[str] = frozenset()

    @property
    def pcpus(self) -> int:
        dedicated = sum(len(c.dedicated) for c in self.cells or ())
        return dedicated + (1 if self.emulator_isolate else 0)

    @property
    def shared_vcpus(self) -> int:
        return self.vcpus - sum(len(c.dedicated) for c in self.cells or ())


def parse_cpu_set(text: str) -> set[int]:
    """'0-3,^2,5' as Nova parses cpusets."""
    included: set[int] = set()
    excluded: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        target = excluded if part.startswith("^") else included
        part = part.lstrip("^")
        try:
            if "-" in part:
                low, high = part.split("-", 1)
                target.update(range(int(low), int(high) + 1))
            else:
                target.add(int(part))
        except ValueError as exc:
            raise InvalidRequest(f"Invalid range expression {text!r}") from exc
    return included - excluded


def build_request(flavor: dict[str, Any]) -> RequestSpec:
    specs: dict[str, str] = flavor.get("extra_specs", {})
    vcpus, ram = int(flavor["vcpus"]), int(flavor["ram"])
    spec = RequestSpec(vcpus=vcpus, ram_mb=ram, disk_gb=int(flavor.get("disk", 0)))
    spec.cpu_policy = specs.get("hw:cpu_policy", "shared")
    if spec.cpu_policy not in ("shared", "dedicated", "mixed"):
        raise InvalidRequest(f"Invalid hw:cpu_policy {spec.cpu_policy!r}")
    spec.thread_policy = specs.get("hw:cpu_thread_policy", "prefer")
    if spec.thread_policy not in ("prefer", "isolate", "require"):
        raise InvalidRequest(f"Invalid hw:cpu_thread_policy {spec.thread_policy!r}")
    spec.emulator_isolate = specs.get("hw:emulator_threads_policy") == "isolate"
    spec.page_sizes = _page_sizes(specs.get("hw:mem_page_size"))
    spec.pci_policy = specs.get("hw:pci_numa_affinity_policy", "legacy")
    if spec.pci_policy not in PCI_POLICIES:
        raise InvalidRequest(f"Invalid hw:pci_numa_affinity_policy {spec.pci_policy!r}")
    dedicated = _dedicated_vcpus(spec.cpu_policy, specs, vcpus)
    if spec.emulator_isolate and not dedicated:
        raise InvalidRequest("hw:emulator_threads_policy=isolate needs pinned CPUs")
    if spec.thread_policy == "isolate" and dedicated:
        spec.forbidden_traits = frozenset({"HW_CPU_HYPERTHREADING"})
    elif spec.thread_policy == "require" and dedicated:
        spec.required_traits = frozenset({"HW_CPU_HYPERTHREADING"})
    needs_numa = bool(dedicated) or spec.page_sizes != (None,) or "hw:numa_nodes" in specs
    if needs_numa:
        spec.cells = _cells(specs, vcpus, ram, dedicated)
    return spec


def _page_sizes(value: str | None) -> tuple[int | None, ...]:
    if value is None or value == "small":
        return (None,)
    if value == "large":
        return (PAGE_1G, PAGE_2M)
    if value == "any":
        return (PAGE_1G, PAGE_2M, None)
    size = PAGE_SIZES.get(value.upper())
    if size is None:
        raise InvalidRequest(f"Invalid hw:mem_page_size {value!r}")
    return (size,)


def _dedicated_vcpus(policy: str, specs: dict[str, str], vcpus: int) -> frozenset[int]:
    if policy == "dedicated":
        return frozenset(range(vcpus))
    if policy != "mixed":
        return frozenset()
    mask = specs.get("hw:cpu_dedicated_mask")
    if mask is None:
        raise InvalidRequest("hw:cpu_policy=mixed needs hw:cpu_dedicated_mask")
    if mask.startswith("^"):
        chosen = set(range(vcpus)) - parse_cpu_set(mask.replace("^", ""))
    else:
        chosen = parse_cpu_set(mask)
    if not chosen or chosen == set(range(vcpus)) or not chosen <= set(range(vcpus)):
        raise InvalidRequest(f"Invalid hw:cpu_dedicated_mask {mask!r} for {vcpus} vCPUs")
    return frozenset(chosen)


def _cells(
    specs: dict[str, str], vcpus: int, ram: int, dedicated: frozenset[int]
) -> tuple[GuestCell, ...]:
    try:
        count = int(specs.get("hw:numa_nodes", "1"))
    except ValueError as exc:
        raise InvalidRequest("hw:numa_nodes must be an integer") from exc
    if count < 1 or count > vcpus:
        raise InvalidRequest(f"Invalid hw:numa_nodes {count} for {vcpus} vCPUs")
    explicit = any(k.startswith(("hw:numa_cpus.", "hw:numa_mem.")) for k in specs)
    if explicit:
        cpu_lists = [parse_cpu_set(specs.get(f"hw:numa_cpus.{i}", "")) for i in range(count)]
        mems = [int(specs.get(f"hw:numa_mem.{i}", "0")) for i in range(count)]
        flat = [c for cpus in cpu_lists for c in cpus]
        if sorted(flat) != list(range(vcpus)) or sum(mems) != ram or 0 in mems:
            raise InvalidRequest("hw:numa_cpus.N and hw:numa_mem.N must cover every vCPU and MiB")
    else:
        if vcpus % count or ram % count:
            raise InvalidRequest(f"{vcpus} vCPUs and {ram} MiB do not split over {count} nodes")
        per = vcpus // count
        cpu_lists = [set(range(i * per, (i + 1) * per)) for i in range(count)]
        mems = [ram // count] * count
    return tuple(
        GuestCell(i, tuple(sorted(cpus)), mems[i], frozenset(cpus & dedicated))
        for i, cpus in enumerate(cpu_lists)
    )
