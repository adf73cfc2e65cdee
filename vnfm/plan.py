"""An instantiation request checked against its VNFD, and the VNFCs it will build.

Everything a client can get wrong is found here, before the occurrence is recorded or
anything exists on the VIM, and answered 422 naming the attribute: an unknown flavour
or level, an external CP no ``extVirtualLinks`` entry attaches, a CP that names no
external CP of the VNFD, and day-1 variables the boot data uses but nothing defines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from descriptors.levels import LevelError, level_counts
from descriptors.model import Flavour, VduCp
from nfvo.sol.problems import Unprocessable
from vnfm.day1 import Day1Error, missing_variables
from vnfm.packages import VnfPackage
from vnfm.wire import InstantiateVnfRequest


@dataclass(frozen=True)
class Vnfc:
    """One VNFC to build: ``<vdu>-<index>``, as the grant's resourceDefinitionId."""

    vdu_id: str
    index: int

    @property
    def id(self) -> str:
        return f"{self.vdu_id}-{self.index}"

    def to_json(self) -> dict[str, Any]:
        return {"vduId": self.vdu_id, "index": self.index}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Vnfc:
        return cls(str(data["vduId"]), int(data["index"]))


def flavour_of(package: VnfPackage, flavour_id: str) -> Flavour:
    flavour = package.flavour(flavour_id)
    if flavour is None:
        known = ", ".join(f.flavour_id for f in package.vnfd.flavours) or "none"
        raise Unprocessable(
            f"flavourId {flavour_id!r} is not a flavour of VNFD {package.vnfd_id} (it has {known})"
        )
    return flavour


def external_cp_of(flavour: Flavour, cp: VduCp) -> str | None:
    """The external CP (``cpdId``) a VduCp is exposed through, if any."""
    return next((ext.cp_id for ext in flavour.ext_cps if ext.maps_to == cp.cp_id), None)


def ext_networks(flavour: Flavour, request: InstantiateVnfRequest) -> dict[str, str]:
    """VduCp id -> the existing network (``resourceId``) its external CP attaches to."""
    networks: dict[str, str] = {}
    by_cpd = {ext.cp_id: ext.maps_to for ext in flavour.ext_cps}
    vdu_cps = {cp.cp_id for cp in flavour.cps}
    for position, link in enumerate(request.ext_virtual_links or []):
        for cp_position, ext_cp in enumerate(link.ext_cps):
            target = by_cpd.get(ext_cp.cpd_id) or (
                ext_cp.cpd_id if ext_cp.cpd_id in vdu_cps else None
            )
            if target is None:
                known = ", ".join(sorted(by_cpd)) or "none"
                raise Unprocessable(
                    f"extVirtualLinks[{position}].extCps[{cp_position}].cpdId "
                    f"{ext_cp.cpd_id!r} is not an external CP of flavour {flavour.flavour_id} "
                    f"(its external CPs: {known})"
                )
            networks[target] = link.resource_id
    return networks


def managed_networks(request: InstantiateVnfRequest) -> dict[str, str]:
    """Internal virtual link -> the existing network realising it (extManagedVirtualLinks)."""
    return {
        link.vnf_virtual_link_desc_id: link.resource_id
        for link in request.ext_managed_virtual_links or []
    }


def network_of(flavour: Flavour, request: InstantiateVnfRequest, cp: VduCp) -> str | None:
    """The network a VduCp's port goes on: its external CP's, else its internal link's."""
    found = ext_networks(flavour, request).get(cp.cp_id)
    return found or managed_networks(request).get(cp.virtual_link or "")


def plan_instantiation(package: VnfPackage, request: InstantiateVnfRequest) -> list[Vnfc]:
    """The VNFCs of ``request``; Unprocessable naming what does not fit the VNFD."""
    flavour = flavour_of(package, request.flavour_id)
    try:
        counts = level_counts(flavour, request.instantiation_level_id)
    except LevelError as error:
        raise Unprocessable(f"instantiationLevelId: {error}") from None
    internal = {vl.vl_id for vl in flavour.virtual_links}
    for cp in flavour.cps:
        if network_of(flavour, request, cp) is not None:
            continue
        if cp.virtual_link in internal:
            raise Unprocessable(
                f"connection point {cp.cp_id} of VDU {cp.vdu_id} is on internal virtual link "
                f"{cp.virtual_link}: name its network in extManagedVirtualLinks (this manager "
                "does not create internal networks yet)"
            )
        exposed = external_cp_of(flavour, cp)
        raise Unprocessable(
            f"connection point {cp.cp_id} of VDU {cp.vdu_id} is attached to no network: "
            f"add its external CP {exposed or cp.cp_id!r} to an extVirtualLinks entry"
        )
    for vdu in flavour.vdus:
        try:
            missing = missing_variables(vdu, flavour.cps, request.additional_params)
        except Day1Error as error:
            raise Unprocessable(str(error)) from None
        if missing and counts.get(vdu.vdu_id, 0):
            raise Unprocessable(
                f"the boot data of VDU {vdu.vdu_id} uses {', '.join(missing)}, which "
                "additionalParams does not define"
            )
    return [Vnfc(vdu_id, index) for vdu_id, count in counts.items() for index in range(count)]
