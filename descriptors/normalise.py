"""Every VDU of a flavour as the :class:`VduRequirement` placement reads.

SOL001 has no property for CPU pinning details, huge-page sizes, NUMA layout or DPDK
on a VM VDU; they travel in its free-form maps. We read, in increasing precedence:

1. ``requested_additional_capabilities.*.target_performance_parameters``
2. ``virtual_memory.vdu_mem_requirements``
3. ``virtual_cpu.vdu_cpu_requirements``

under Nova's extra-spec names where one exists (``hw:cpu_policy``, ``hw:mem_page_size``,
``hw:numa_nodes``, ...) and ``nfvo:`` names where none does (``nfvo:dpdk``). SOL001's
own ``virtual_cpu_pinning`` means dedicated CPUs, and ``numa_enabled`` one NUMA node,
unless a key says otherwise. Each key is documented in docs/descriptors.md.
"""

from __future__ import annotations

import difflib
import re
from typing import TypeVar

from pydantic import ValidationError

from descriptors.model import Flavour, Vdu, VduCp
from descriptors.problems import Problem, Severity
from descriptors.requirements import (
    CpuPolicy,
    EmulatorThreadsPolicy,
    InterfaceRequirement,
    NumaNodeSplit,
    PageSize,
    ThreadPolicy,
    VduRequirement,
    VnicType,
)

DPDK_KEY = "nfvo:dpdk"
PORT_SECURITY_KEY = "nfvo:port_security"
#: Keys this module turns into VduRequirement fields; other ``hw:`` keys pass through.
_CONSUMED = {
    "hw:cpu_policy",
    "hw:cpu_thread_policy",
    "hw:emulator_threads_policy",
    "hw:cpu_dedicated_mask",
    "hw:numa_nodes",
    "hw:mem_page_size",
}
#: Nova's other ``hw:`` flavor extra specs (nova/api/validation/extra_specs/hw.py): passed
#: through as they are, so known, not typos.
NOVA_EXTRA_SPECS = frozenset(
    {
        "hw:boot_menu", "hw:cpu_cores", "hw:cpu_max_cores", "hw:cpu_max_sockets",
        "hw:cpu_max_threads", "hw:cpu_realtime", "hw:cpu_realtime_mask", "hw:cpu_sockets",
        "hw:cpu_threads", "hw:ephemeral_encryption", "hw:ephemeral_encryption_format",
        "hw:hide_hypervisor_id", "hw:locked_memory", "hw:maxphysaddr_bits",
        "hw:maxphysaddr_mode", "hw:mem_encryption", "hw:pci_numa_affinity_policy", "hw:pmu",
        "hw:serial_port_count", "hw:tpm_model", "hw:tpm_version", "hw:vif_multiqueue_enabled",
        "hw:viommu_model", "hw:virtio_packed_ring", "hw:watchdog_action",
    }
)  # fmt: skip
#: Every key our requirement maps know (docs/descriptors.md), besides hw:numa_*.N.
KNOWN_KEYS = frozenset(_CONSUMED | NOVA_EXTRA_SPECS | {DPDK_KEY, PORT_SECURITY_KEY})
_NUMA_SPLIT_KEY = re.compile(r"^hw:numa_(cpus|mem)\.\d+$")
#: SOL001 2.x's "virtio" is Neutron's ordinary port.
_VNIC_ALIASES = {"virtio": VnicType.NORMAL}
#: Kinds SOL001 4.x lists for containers (CNI plugins) or smart NICs: no VM port has them.
_NOT_FOR_VMS = {
    "smart-nic": "asks for a smart-NIC offload, which a VM port cannot request from Neutron",
    "bridge": "is a container network (CNI) kind",
    "ipvlan": "is a container network (CNI) kind",
    "loopback": "is a container network (CNI) kind",
    "macvlan": "is a container network (CNI) kind",
    "ptp": "is a container network (CNI) kind",
    "vlan": "is a container network (CNI) kind",
    "host-device": "is a container network (CNI) kind",
}
_TRUE = {"true", "yes", "1", "on"}
E = TypeVar("E", CpuPolicy, ThreadPolicy, EmulatorThreadsPolicy)


def normalise_flavour(
    flavour: Flavour, *, file: str | None = None
) -> tuple[dict[str, VduRequirement], list[Problem]]:
    """One VduRequirement per VDU of ``flavour``, and what prevented or qualified them."""
    found: dict[str, VduRequirement] = {}
    problems: list[Problem] = []
    for vdu in flavour.vdus:
        where = f"topology_template.node_templates.{vdu.vdu_id}"
        requirement, vdu_problems = normalise_vdu(vdu, flavour)
        vdu_problems += unknown_keys(vdu, flavour)
        problems.extend(
            p.model_copy(update={"file": file, "path": p.path or where}) for p in vdu_problems
        )
        if requirement is not None:
            found[vdu.vdu_id] = requirement
    return found, problems


def unknown_keys(vdu: Vdu, flavour: Flavour) -> list[Problem]:
    """A warning for each key of our convention's namespaces (``hw:``, ``nfvo:``) that
    no one reads, or any key close to one that is read: a typo would otherwise be passed
    to Nova or dropped in silence. Other keys are the vendor's own (the maps are free)."""
    compute = f"topology_template.node_templates.{vdu.vdu_id}.capabilities.virtual_compute"
    maps = [
        (f"{compute}.properties.virtual_cpu.vdu_cpu_requirements", vdu.cpu_requirements),
        (f"{compute}.properties.virtual_memory.vdu_mem_requirements", vdu.memory_requirements),
        *(
            (
                f"{compute}.properties.requested_additional_capabilities",
                c.target_performance_parameters,
            )
            for c in vdu.additional_capabilities
        ),
        *(
            (f"topology_template.node_templates.{cp.cp_id}.properties", cp.interface_requirements)
            for cp in flavour.cps
            if cp.vdu_id == vdu.vdu_id
        ),
    ]
    problems = []
    for path, keys in maps:
        for key in keys:
            if key in KNOWN_KEYS or _NUMA_SPLIT_KEY.match(key):
                continue
            near = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1, cutoff=0.8)
            if not near and not key.startswith(("hw:", "nfvo:")):
                continue
            fate = "passed to Nova as it is" if key.startswith("hw:") else "ignored"
            hint = f'; did you mean "{near[0]}"?' if near else ""
            problems.append(
                Problem(
                    message=f'VDU {vdu.vdu_id}: unknown key "{key}" ({fate}){hint}',
                    path=path,
                    severity=Severity.WARNING,
                    code="unknown-key",
                )
            )
    return problems


def epa_keys(vdu: Vdu) -> dict[str, str]:
    """The VDU's free-form EPA keys, the more specific map winning."""
    keys: dict[str, str] = {}
    for capability in vdu.additional_capabilities:
        keys.update(capability.target_performance_parameters)
    keys.update(vdu.memory_requirements)
    keys.update(vdu.cpu_requirements)
    return keys


def normalise_vdu(vdu: Vdu, flavour: Flavour) -> tuple[VduRequirement | None, list[Problem]]:
    problems: list[Problem] = []
    if vdu.vcpus < 1 or vdu.memory_mb < 1:
        return None, [_no_compute(vdu)]
    keys = epa_keys(vdu)
    interfaces = [
        _interface(cp, flavour, problems) for cp in flavour.cps if cp.vdu_id == vdu.vdu_id
    ]
    try:
        requirement = VduRequirement(
            vdu_id=vdu.vdu_id,
            vcpus=vdu.vcpus,
            memory_mb=vdu.memory_mb,
            disk_gb=_disk_gb(vdu),
            cpu_policy=_cpu_policy(vdu, keys, problems),
            dedicated_cpus=_cpu_set(keys.get("hw:cpu_dedicated_mask"), vdu.vcpus),
            thread_policy=_enum(ThreadPolicy, keys, "hw:cpu_thread_policy", problems),
            emulator_threads=_enum(
                EmulatorThreadsPolicy, keys, "hw:emulator_threads_policy", problems
            )
            or EmulatorThreadsPolicy.SHARE,
            numa_nodes=_numa_nodes(vdu, keys, problems),
            numa_split=_numa_split(keys, vdu.vcpus),
            page_size=_page_size(keys, problems),
            interfaces=[i for i in interfaces if i is not None],
            dpdk=_dpdk(vdu, keys, flavour),
            extra=_extra(keys),
        )
    except (ValidationError, ValueError) as exc:
        problems.append(
            Problem(
                message=f"VDU {vdu.vdu_id}: inconsistent compute needs: {_reason(exc)}", code="epa"
            )
        )
        return None, problems
    if requirement.dpdk and not (requirement.page_size and requirement.page_size.is_huge):
        problems.append(
            Problem(
                message=f"VDU {vdu.vdu_id} runs DPDK but asks for no huge pages "
                "(hw:mem_page_size); vhost-user ports will not work",
                severity=Severity.WARNING,
                code="epa",
            )
        )
    return requirement, problems


def _no_compute(vdu: Vdu) -> Problem:
    return Problem(
        message=f"VDU {vdu.vdu_id} declares no virtual CPU or memory "
        "(capabilities.virtual_compute), so it cannot run as a VM; container VDUs "
        "described only by Kubernetes manifests are not deployed by this orchestrator",
        code="no-compute",
    )


def _dpdk(vdu: Vdu, keys: dict[str, str], flavour: Flavour) -> bool:
    """The VDU's maps say so, or one of its CPs' interface requirements does."""
    cps = (cp for cp in flavour.cps if cp.vdu_id == vdu.vdu_id)
    return _flag(keys, DPDK_KEY) or any(_flag(cp.interface_requirements, DPDK_KEY) for cp in cps)


def _extra(keys: dict[str, str]) -> dict[str, str]:
    """Nova extra specs we do not interpret, passed through for the flavour."""
    numa_split = ("hw:numa_cpus.", "hw:numa_mem.")
    return {
        key: value
        for key, value in keys.items()
        if key.startswith("hw:") and key not in _CONSUMED and not key.startswith(numa_split)
    }


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())
    return str(exc)


def _disk_gb(vdu: Vdu) -> int:
    from_image = -(-vdu.image.min_disk_bytes // 2**30) if vdu.image else 0
    return max(sum(vdu.local_storage_gb), from_image)


def _cpu_policy(vdu: Vdu, keys: dict[str, str], problems: list[Problem]) -> CpuPolicy:
    policy = _enum(CpuPolicy, keys, "hw:cpu_policy", problems)
    if policy is not None:
        return policy
    if vdu.cpu_pinning_policy is not None:
        if vdu.cpu_pinning_rules:
            problems.append(
                Problem(
                    message=f"VDU {vdu.vdu_id}: virtual_cpu_pinning_rule is not applied core by "
                    "core (Nova pins but chooses the cores); the VDU gets dedicated CPUs",
                    severity=Severity.WARNING,
                    code="epa",
                )
            )
        return CpuPolicy.DEDICATED
    return CpuPolicy.SHARED


def _enum(kind: type[E], keys: dict[str, str], key: str, problems: list[Problem]) -> E | None:
    raw = keys.get(key)
    if raw is None:
        return None
    try:
        return kind(raw.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        problems.append(
            Problem(message=f'{key} is "{raw}"; it must be one of {allowed}', code="epa")
        )
        return None


def _page_size(keys: dict[str, str], problems: list[Problem]) -> PageSize | None:
    raw = keys.get("hw:mem_page_size")
    if raw is None:
        return None
    aliases = {
        "2048": "2MB",
        "2mb": "2MB",
        "2mib": "2MB",
        "1gb": "1GB",
        "1gib": "1GB",
        "1048576": "1GB",
    }
    value = aliases.get(raw.strip().lower(), raw.strip().lower())
    try:
        return PageSize(value)
    except ValueError:
        problems.append(
            Problem(
                message=f'hw:mem_page_size is "{raw}"; use small, large, any, 2MB or 1GB',
                code="epa",
            )
        )
        return None


def _numa_nodes(vdu: Vdu, keys: dict[str, str], problems: list[Problem]) -> int | None:
    raw = keys.get("hw:numa_nodes")
    if raw is None:
        return 1 if vdu.numa_enabled else None
    if not raw.strip().isdigit() or int(raw) < 1:
        problems.append(
            Problem(message=f'hw:numa_nodes is "{raw}"; it must be a positive number', code="epa")
        )
        return None
    return int(raw)


def _numa_split(keys: dict[str, str], vcpus: int) -> list[NumaNodeSplit]:
    split: list[NumaNodeSplit] = []
    node = 0
    while f"hw:numa_cpus.{node}" in keys and f"hw:numa_mem.{node}" in keys:
        split.append(
            NumaNodeSplit(
                vcpus=_cpu_set(keys[f"hw:numa_cpus.{node}"], vcpus),
                memory_mb=int(keys[f"hw:numa_mem.{node}"]),
            )
        )
        node += 1
    return split


def _cpu_set(raw: str | None, vcpus: int) -> list[int]:
    """Nova's CPU set syntax: ``0-3,6``, or ``^0`` for every vCPU but those."""
    if not raw:
        return []
    include: set[int] = set()
    exclude: set[int] = set()
    for part in raw.replace(" ", "").split(","):
        target = exclude if part.startswith("^") else include
        part = part.lstrip("^")
        low, _, high = part.partition("-")
        target.update(range(int(low), int(high or low) + 1))
    if not include and exclude:
        include = set(range(vcpus))
    return sorted(include - exclude)


def _flag(keys: dict[str, str], key: str) -> bool:
    return keys.get(key, "").strip().lower() in _TRUE


def _interface(cp: VduCp, flavour: Flavour, problems: list[Problem]) -> InterfaceRequirement | None:
    raw = (cp.vnic_type or "normal").strip().lower()
    if raw in _NOT_FOR_VMS:
        problems.append(
            Problem(
                message=f'connection point {cp.cp_id} has vnic_type "{raw}", which '
                f"{_NOT_FOR_VMS[raw]}; a VM VDU needs normal, direct, direct-physical, "
                "macvtap, virtio-forwarder or vdpa",
                path=f"topology_template.node_templates.{cp.cp_id}.properties.vnic_type",
                code="vnic-type",
            )
        )
        return None
    vnic = _VNIC_ALIASES.get(raw)
    if vnic is None:
        try:
            vnic = VnicType(raw)
        except ValueError:
            problems.append(
                Problem(
                    message=f'connection point {cp.cp_id}: unknown vnic_type "{raw}"',
                    code="vnic-type",
                )
            )
            return None
    return InterfaceRequirement(
        cp_id=cp.cp_id,
        vnic_type=vnic,
        logical_network=logical_network(cp, flavour),
        order=cp.order,
        port_security=cp.interface_requirements.get(PORT_SECURITY_KEY, "true").lower() in _TRUE,
    )


def logical_network(cp: VduCp, flavour: Flavour) -> str | None:
    """The VNF-internal virtual link a CP binds to, else the external CP exposing it."""
    if cp.virtual_link:
        return cp.virtual_link
    for ext in flavour.ext_cps:
        if ext.maps_to == cp.cp_id:
            return ext.cp_id
    return None
