"""PciPassthroughFilter: SR-IOV VFs and whole PFs on the guest's NUMA cells, per policy."""

from __future__ import annotations

from simulators.openstack.hosts import HostState, NicState
from simulators.openstack.scheduler.claims import PciClaim
from simulators.openstack.scheduler.request import PciRequest


def fit_pci(
    host: HostState, requests: list[PciRequest], guest_cells: list[int] | None, policy: str
) -> list[PciClaim] | str:
    """Devices for every request, or why not; ``guest_cells`` None for a non-NUMA guest."""
    taken_vfs: dict[str, set[int]] = {}
    taken_pfs: set[str] = set()
    claims: list[PciClaim] = []
    for request in requests:
        candidates = _candidates(host, request, guest_cells, policy)
        claim = None
        for nic in candidates:
            claim = _take(nic, request, taken_vfs, taken_pfs)
            if claim is not None:
                break
        if claim is None:
            where = "" if guest_cells is None else f" on NUMA cell(s) {guest_cells}"
            what = "VF" if request.kind == "vf" else "free PF"
            return f"no {what} on physnet {request.physnet}{where} (policy {policy})"
        claims.append(claim)
    return claims


def _candidates(
    host: HostState, request: PciRequest, guest_cells: list[int] | None, policy: str
) -> list[NicState]:
    nics = [n for n in host.nics if n.spec.physnet and n.spec.physnet == request.physnet]
    if guest_cells is None:
        return nics
    affined = [n for n in nics if n.spec.numa_cell in guest_cells]
    if policy in ("required", "legacy"):
        return affined
    if policy == "preferred":
        return affined + [n for n in nics if n not in affined]
    sockets = {c.spec.socket for c in host.cells if c.id in guest_cells}
    socket_of = {c.id: c.spec.socket for c in host.cells}
    return [n for n in nics if socket_of[n.spec.numa_cell] in sockets]


def _take(
    nic: NicState, request: PciRequest, taken_vfs: dict[str, set[int]], taken_pfs: set[str]
) -> PciClaim | None:
    name = nic.spec.name
    if name in taken_pfs or nic.pf_taken:
        return None
    used = nic.used_vfs | taken_vfs.get(name, set())
    if request.kind == "pf":
        if used:
            return None
        taken_pfs.add(name)
        index: int | None = None
    else:
        free = [i for i in range(nic.spec.vfs) if i not in used]
        if not free:
            return None
        index = free[0]
        taken_vfs.setdefault(name, set()).add(index)
    return PciClaim(
        port_id=request.port_id,
        kind=request.kind,
        nic=name,
        pci_address=nic.spec.pci_address,
        vf_index=index,
        physnet=nic.spec.physnet,
        numa_cell=nic.spec.numa_cell,
        vnic_type=request.vnic_type,
    )
