"""What the VIM gave a VNF instance, as SOL003 reports it: ``instantiatedVnfInfo``
(5.5.3.3) and the occurrence's ``resourceChanges`` (5.5.3.13, ``AffectedVnfc``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from descriptors.model import Flavour
from vnfm.plan import Vnfc
from vnfm.wire import InstantiateVnfRequest

SERVER = "OS::Nova::Server"
PORT = "OS::Neutron::Port"
NETWORK = "OS::Neutron::Net"


def _handle(vim: str, resource_id: str, kind: str) -> dict[str, Any]:
    return {"vimConnectionId": vim, "resourceId": resource_id, "vimLevelResourceType": kind}


def _cp_id(vnfc: Vnfc, cp_id: str) -> str:
    return f"{vnfc.id}-{cp_id}"


def initial_levels(flavour: Flavour, level: str | None) -> dict[str, int]:
    """Each scaling aspect's level at instantiation level ``level`` (or the default)."""
    wanted = level or flavour.default_level
    chosen = next((lv for lv in flavour.instantiation_levels if lv.level_id == wanted), None)
    found = chosen.scale_info if chosen else {}
    return {aspect.aspect_id: found.get(aspect.aspect_id, 0) for aspect in flavour.scaling_aspects}


def instantiated_info(
    vnfd_id: str,
    flavour: Flavour,
    request: InstantiateVnfRequest,
    built: Mapping[Vnfc, Mapping[str, Any]],
    vim: str,
    levels: Mapping[str, int],
) -> dict[str, Any]:
    vnfc_resources: list[dict[str, Any]] = []
    ext_cps: list[dict[str, Any]] = []
    ext_ports: dict[str, list[dict[str, Any]]] = {}
    for vnfc, out in built.items():
        cps = []
        for port in out["ports"]:
            cp_instance = _cp_id(vnfc, port["cpId"])
            cps.append({"id": cp_instance, "cpdId": port["cpId"], "vnfLinkPortId": port["portId"]}
                       | ({"vnfExtCpId": cp_instance} if port.get("extCpId") else {}))  # fmt: skip
            if port.get("extCpId"):
                ext_cps.append(
                    {
                        "id": cp_instance,
                        "cpdId": port["extCpId"],
                        "cpConfigId": str(vnfc.index),
                        "cpProtocolInfo": [
                            {
                                "layerProtocol": "IP_OVER_ETHERNET",
                                "ipOverEthernet": {
                                    "macAddress": port["macAddress"],
                                    "ipAddresses": [
                                        {
                                            "type": "IPV4",
                                            "addresses": port["addresses"],
                                            "isDynamic": True,
                                        }
                                    ],
                                },
                            }
                        ],
                        "extLinkPortId": port["portId"],
                        "associatedVnfcCpId": cp_instance,
                    }
                )
                ext_ports.setdefault(port["networkId"], []).append(
                    {"id": port["portId"], "resourceHandle": _handle(vim, port["portId"], PORT),
                     "cpInstanceId": cp_instance}
                )  # fmt: skip
        vnfc_resources.append(
            {
                "id": vnfc.id,
                "vduId": vnfc.vdu_id,
                "vnfdId": vnfd_id,
                "computeResource": _handle(vim, out["serverId"], SERVER),
                **({"zoneId": out["zone"]} if out.get("zone") else {}),
                **({"reservationId": out["reservationId"]} if out.get("reservationId") else {}),
                "storageResourceIds": [],
                "vnfcCpInfo": cps,
                "metadata": {"host": out.get("host")},
            }
        )
    links = [
        {
            "id": link.id,
            "resourceHandle": _handle(vim, link.resource_id, NETWORK),
            "extLinkPorts": ext_ports.get(link.resource_id, []),
            "currentVnfExtCpData": [cp.to_wire() for cp in link.ext_cps],
        }
        for link in request.ext_virtual_links or []
    ]
    return {
        "flavourId": flavour.flavour_id,
        "vnfState": "STOPPED"
        if built and all(out.get("state") == "STOPPED" for out in built.values())
        else "STARTED",
        "scaleStatus": [{"aspectId": a, "scaleLevel": n} for a, n in sorted(levels.items())],
        "maxScaleLevels": [
            {"aspectId": a.aspect_id, "scaleLevel": a.max_scale_level}
            for a in flavour.scaling_aspects
        ],
        "extCpInfo": ext_cps,
        "extVirtualLinkInfo": links,
        "vnfcResourceInfo": vnfc_resources,
        "vnfVirtualLinkResourceInfo": [],
        "virtualStorageResourceInfo": [],
        "vnfcInfo": [
            {
                "id": vnfc.id,
                "vduId": vnfc.vdu_id,
                "vnfcResourceInfoId": vnfc.id,
                "vnfcState": "STARTED",
            }
            for vnfc in built
        ],
        **(
            {"localizationLanguage": request.localization_language}
            if request.localization_language
            else {}
        ),
    }


def vnfc_changes(
    vnfd_id: str, built: Mapping[Vnfc, Mapping[str, Any]], vim: str, change: str
) -> dict[str, Any]:
    """``resourceChanges`` (and the notification's ``affectedVnfcs``)."""
    return {
        "affectedVnfcs": [
            {
                "id": vnfc.id,
                "vduId": vnfc.vdu_id,
                "vnfdId": vnfd_id,
                "changeType": change,
                "computeResource": _handle(vim, out["serverId"], SERVER),
                "resourceDefinitionId": vnfc.id,
                **({"zoneId": out["zone"]} if out.get("zone") else {}),
                "affectedVnfcCpIds": [_cp_id(vnfc, p["cpId"]) for p in out.get("ports", [])],
            }
            for vnfc, out in built.items()
        ],
        "affectedExtLinkPorts": [
            {
                "id": p["portId"],
                "changeType": change,
                "extCpInstanceId": _cp_id(vnfc, p["cpId"]),
                "resourceHandle": _handle(vim, p["portId"], PORT),
            }
            for vnfc, out in built.items()
            for p in out.get("ports", [])
            if p.get("extCpId")
        ],
    }
