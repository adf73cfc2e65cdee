"""Reading a server-create body the way Nova's API validates it."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from simulators.openstack.model import Flavor, Network, Port
from simulators.openstack.scheduler.request import PciRequest
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, Identity

MAX_TAGS = 50
MAX_TAG_LENGTH = 60
SRIOV_VF = {"direct", "macvtap", "vdpa"}


@dataclass
class BootRequest:
    name: str
    flavor: Flavor
    image_id: str
    zone: str | None
    forced_host: str | None
    group_id: str | None
    metadata: dict[str, str]
    tags: list[str]
    user_data: str | None
    config_drive: bool
    key_name: str | None
    description: str | None
    nics: list[Port | tuple[Network, str | None]]  # in the order asked: eth0 first


def _bad(message: str) -> ApiError:
    return ApiError(400, message)


def ref_id(ref: Any) -> str:
    return str(ref).rstrip("/").rsplit("/", 1)[-1]


def check_tags(tags: Any) -> list[str]:
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        raise _bad(
            f"Invalid input for field/attribute tags. Value: {tags}. "
            f"It must be a list of at most {MAX_TAGS} tags"
        )
    for tag in tags:
        if (
            not isinstance(tag, str)
            or not 0 < len(tag) <= MAX_TAG_LENGTH
            or "/" in tag
            or "," in tag
        ):
            raise _bad(
                f"Invalid input for field/attribute tags. Value: {tag!r}. Tags are "
                f"1 to {MAX_TAG_LENGTH} characters without '/' or ','"
            )
    return list(dict.fromkeys(tags))


def _zone_and_host(
    cloud: Cloud, raw: dict[str, Any], identity: Identity, microversion_74: bool
) -> tuple[str | None, str | None]:
    zone = raw.get("availability_zone") or None
    host = None
    if zone and ":" in zone:
        zone, _, rest = zone.partition(":")
        host = rest.split(":", 1)[0] or None
        zone = zone or None
        if host:
            identity.require_admin("os_compute_api:servers:create:forced_host")
    for key in ("host", "hypervisor_hostname"):
        if key in raw:
            if not microversion_74:
                raise _bad(f"Additional properties are not allowed ('{key}' was unexpected)")
            identity.require_admin("compute:servers:create:requested_destination")
            host = raw[key]
    if zone and zone not in cloud.inventory.zones:
        raise _bad("The requested availability zone is not available")
    if host and host not in cloud.hosts:
        raise _bad(f"Compute host {host} could not be found.")
    return zone, host


def _user_data(raw: dict[str, Any]) -> str | None:
    data = raw.get("user_data")
    if data is None:
        return None
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise _bad(
            "Invalid input for field/attribute user_data. Value: is not a base64 string"
        ) from exc
    if len(data) > 65535:
        raise _bad("Invalid input for field/attribute user_data: longer than 65535")
    return str(data)


def _networks(
    cloud: Cloud, raw: dict[str, Any], identity: Identity, microversion_37: bool
) -> list[Port | tuple[Network, str | None]]:
    requested: Any = raw.get("networks")
    if requested is None:
        if microversion_37:
            raise _bad(
                "Invalid input for field/attribute server. Value: 'networks' is a required property"
            )
        requested = "auto"
    if requested in ("auto", "none"):
        return []
    if not isinstance(requested, list) or not all(isinstance(i, dict) for i in requested):
        raise _bad("Invalid input for field/attribute networks.")
    nics: list[Port | tuple[Network, str | None]] = []
    for item in requested:
        if item.get("port"):
            port = cloud.ports.get(item["port"])
            if port is None or not (identity.is_admin or port.project_id == identity.project_id):
                raise _bad(f"Port {item['port']} could not be found.")
            if port.device_id or port in nics:
                raise ApiError(409, f"Port {port.id} is still in use.")
            nics.append(port)
            continue
        network = cloud.networks.get(item.get("uuid", ""))
        if network is None or not (
            identity.is_admin or network.shared or network.project_id == identity.project_id
        ):
            raise _bad(f"Network {item.get('uuid')} could not be found.")
        nics.append((network, item.get("fixed_ip")))
    return nics


def parse_boot(cloud: Cloud, body: dict[str, Any], identity: Identity, minor: int) -> BootRequest:
    raw = body.get("server")
    if not isinstance(raw, dict):
        raise _bad("Invalid input for field/attribute server. Value: None.")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise _bad("Invalid input for field/attribute name.")
    flavor = cloud.flavors.get(ref_id(raw.get("flavorRef", "")))
    if flavor is None:
        raise _bad(f"Flavor {raw.get('flavorRef')} could not be found.")
    image_id = ref_id(raw.get("imageRef", "")) if raw.get("imageRef") else ""
    if image_id and image_id not in cloud.images:
        raise _bad(f"Image {image_id} could not be found.")
    if not image_id and not raw.get("block_device_mapping_v2"):
        raise _bad("Missing imageRef attribute")
    if "tags" in raw and minor < 52:
        raise _bad("Additional properties are not allowed ('tags' was unexpected)")
    metadata = raw.get("metadata", {})
    if not isinstance(metadata, dict) or any(
        len(str(k)) > 255 or len(str(v)) > 255 for k, v in metadata.items()
    ):
        raise _bad("Invalid input for field/attribute metadata.")
    zone, host = _zone_and_host(cloud, raw, identity, minor >= 74)
    hints = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    group_id = hints.get("group")
    if group_id and group_id not in cloud.server_groups:
        raise _bad(f"Invalid input for field/attribute group. Value: {group_id}.")
    nics = _networks(cloud, raw, identity, minor >= 37)
    key_name = raw.get("key_name")
    if key_name is not None and (identity.user_id, key_name) not in cloud.keypairs:
        raise _bad("Invalid key_name provided.")
    return BootRequest(
        name=name,
        flavor=flavor,
        image_id=image_id,
        zone=zone,
        forced_host=host,
        group_id=group_id,
        metadata={str(k): str(v) for k, v in metadata.items()},
        tags=check_tags(raw.get("tags", [])),
        user_data=_user_data(raw),
        config_drive=bool(raw.get("config_drive")),
        key_name=key_name,
        description=raw.get("description"),
        nics=nics,
    )


def pci_requests(cloud: Cloud, ports: list[Port]) -> list[PciRequest]:
    requests = []
    for port in ports:
        network = cloud.networks[port.network_id]
        if port.vnic_type in SRIOV_VF:
            requests.append(PciRequest(port.id, "vf", network.physical_network, port.vnic_type))
        elif port.vnic_type == "direct-physical":
            requests.append(PciRequest(port.id, "pf", network.physical_network, port.vnic_type))
    return requests
