"""Host aggregates, as Nova keeps them and Placement mirrors them: the inventory's
aggregates, then one per availability zone (Nova has zones only as aggregates with an
``availability_zone`` metadata key), each with the uuid Placement's providers are
members of."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from simulators.openstack.state import NAMESPACE, Cloud


@dataclass(frozen=True)
class Aggregate:
    id: int
    uuid: str
    name: str
    zone: str | None
    hosts: tuple[str, ...]
    metadata: dict[str, str] = field(default_factory=dict)


def aggregate_uuid(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"aggregate:{name}"))


def zone_aggregate_uuid(zone: str) -> str:
    return aggregate_uuid(f"zone:{zone}")


def aggregates(cloud: Cloud) -> list[Aggregate]:
    hosts = cloud.hosts.values()
    result = [
        Aggregate(
            index,
            aggregate_uuid(name),
            name,
            metadata.get("availability_zone"),
            tuple(h.name for h in hosts if name in h.spec.aggregates),
            dict(metadata),
        )
        for index, (name, metadata) in enumerate(cloud.inventory.aggregates.items(), start=1)
    ]
    named = {a.name for a in result}
    for zone in cloud.inventory.zones:
        if zone in named:
            continue
        result.append(
            Aggregate(
                len(result) + 1,
                zone_aggregate_uuid(zone),
                zone,
                zone,
                tuple(h.name for h in hosts if h.spec.zone == zone),
                {"availability_zone": zone},
            )
        )
    return result


def host_aggregate_uuids(cloud: Cloud, host_name: str) -> list[str]:
    """The aggregates a host's resource provider is a member of in Placement."""
    return [a.uuid for a in aggregates(cloud) if host_name in a.hosts]
