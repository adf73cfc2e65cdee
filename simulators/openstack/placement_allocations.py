"""``PUT`` and ``DELETE /allocations/{consumer_uuid}``: allocations written by consumers
other than the simulated servers (another region's service, a tool holding capacity),
as an admin may on a real Placement.

Bodies follow the microversion: a list of ``{"resource_provider": {"uuid"},
"resources"}`` before 1.12, a dict keyed by provider uuid from 1.12; ``project_id`` and
``user_id`` required from 1.8, ``consumer_generation`` (null for a new consumer) from
1.28, ``consumer_type`` from 1.38. An empty ``allocations`` (1.28+) removes the
consumer's allocations. The allocations of the simulated servers themselves stay
Nova's: writing them is refused with 409.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from simulators.openstack.microversion import MICROVERSION, Version
from simulators.openstack.model import ConsumerAllocations
from simulators.openstack.resource_providers import (
    capacity,
    generation,
    inventory,
    providers,
    usage_totals,
)
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, cloud_of, read_json

CONCURRENT_UPDATE = "placement.concurrent_update"
ROOT_CLASSES = ("VCPU", "PCPU", "MEMORY_MB", "DISK_GB")


def _invalid(message: str) -> ApiError:
    return ApiError(400, f"JSON does not validate: {message}")


def _consumer_id(request: web.Request) -> str:
    raw = request.match_info["consumer"]
    try:
        return str(uuid.UUID(raw))
    except ValueError as exc:
        raise ApiError(400, f"Malformed consumer_uuid: {raw}") from exc


def _resources(raw: Any) -> dict[str, int]:
    if not isinstance(raw, dict) or not raw:
        raise _invalid("'resources' must be a non-empty object")
    for name, amount in raw.items():
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 1:
            raise _invalid(f"{amount!r} is not valid under any of the given schemas ({name})")
    return dict(raw)


def _parse(body: dict[str, Any], version: Version) -> dict[str, dict[str, int]]:
    """The requested allocations by provider uuid, after the version's schema checks."""
    required = ["allocations"]
    if version >= Version(1, 8):
        required += ["project_id", "user_id"]
    if version >= Version(1, 28):
        required.append("consumer_generation")
    if version >= Version(1, 38):
        required.append("consumer_type")
    for name in required:
        if name not in body:
            raise _invalid(f"'{name}' is a required property")
    raw = body["allocations"]
    if version < Version(1, 12):
        if not isinstance(raw, list) or not raw:
            raise _invalid("'allocations' must be a non-empty array")
        result: dict[str, dict[str, int]] = {}
        for item in raw:
            provider = item.get("resource_provider") if isinstance(item, dict) else None
            if not isinstance(provider, dict) or "uuid" not in provider:
                raise _invalid("'resource_provider' is a required property")
            result[str(provider["uuid"])] = _resources(item.get("resources"))
        return result
    if not isinstance(raw, dict) or (not raw and version < Version(1, 28)):
        raise _invalid("'allocations' must be a non-empty object")
    return {
        str(rp): _resources(entry.get("resources") if isinstance(entry, dict) else None)
        for rp, entry in raw.items()
    }


def _check_generation(
    cloud: Cloud, consumer_id: str, body: dict[str, Any], version: Version
) -> int:
    """The consumer's next generation; a 409 when the caller's view is stale (1.28+)."""
    current = cloud.allocations.get(consumer_id)
    if version >= Version(1, 28):
        expected = current.generation if current else None
        given = body.get("consumer_generation")
        if given != expected:
            shown = "null" if expected is None else expected
            raise ApiError(
                409,
                f"consumer generation conflict - expected {shown} but got {given}",
                CONCURRENT_UPDATE,
            )
    return (current.generation if current else 0) + 1


def _check_providers(cloud: Cloud, wanted: dict[str, dict[str, int]]) -> None:
    known = providers(cloud)
    for provider_id in wanted:
        if provider_id not in known:
            raise ApiError(
                400, f"Allocation for resource provider '{provider_id}' that does not exist."
            )


def _check_capacity(cloud: Cloud, consumer_id: str, wanted: dict[str, dict[str, int]]) -> None:
    known = providers(cloud)
    previous = cloud.allocations.get(consumer_id)
    for provider_id, resources in wanted.items():
        provider = known[provider_id]
        records = inventory(provider)
        used = usage_totals(cloud, provider_id, provider)
        mine = previous.resources.get(provider_id, {}) if previous else {}
        for name, amount in resources.items():
            record = records.get(name)
            if record is None:
                raise ApiError(
                    409,
                    f"Unable to allocate inventory: Inventory for '{name}' on resource "
                    f"provider '{provider_id}' invalid.",
                )
            prefix = (
                f"Unable to allocate inventory: Unable to create allocation for '{name}' on "
                f"resource provider '{provider_id}'. The requested amount would"
            )
            if amount > record["max_unit"] or amount < record["min_unit"]:
                raise ApiError(409, f"{prefix} violate inventory constraints.")
            if used.get(name, 0) - mine.get(name, 0) + amount > capacity(record):
                raise ApiError(409, f"{prefix} exceed the capacity.")


def _account(cloud: Cloud, consumer: ConsumerAllocations, sign: int) -> None:
    """Add (or take back) the consumer's root-provider resources to the hosts' counts."""
    known = providers(cloud)
    for provider_id, resources in consumer.resources.items():
        provider = known.get(provider_id)
        if provider is None:
            continue
        if provider["nic"] is not None:
            provider["nic"].generation += 1
            continue
        provider["host"].generation += 1
        outside = provider["host"].outside_used
        for name in ROOT_CLASSES:
            outside[name] = outside.get(name, 0) + sign * resources.get(name, 0)


def _refuse_server(cloud: Cloud, consumer_id: str) -> None:
    if consumer_id in cloud.servers:
        raise ApiError(
            409, f"the simulator keeps Nova's own allocations of server {consumer_id}", None
        )


async def replace(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    consumer_id = _consumer_id(request)
    _refuse_server(cloud, consumer_id)
    body = await read_json(request)
    version = request[MICROVERSION]
    wanted = _parse(body, version)
    _check_providers(cloud, wanted)
    generation = _check_generation(cloud, consumer_id, body, version)
    _check_capacity(cloud, consumer_id, wanted)
    previous = cloud.allocations.pop(consumer_id, None)
    if previous is not None:
        _account(cloud, previous, -1)
    if wanted:
        consumer = ConsumerAllocations(
            consumer_id=consumer_id,
            project_id=body.get("project_id"),
            user_id=body.get("user_id"),
            consumer_type=str(body.get("consumer_type", "UNKNOWN")),
            generation=generation,
            resources=wanted,
        )
        cloud.allocations[consumer_id] = consumer
        _account(cloud, consumer, +1)
    return web.Response(status=204)


async def delete(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    consumer_id = _consumer_id(request)
    _refuse_server(cloud, consumer_id)
    consumer = cloud.allocations.pop(consumer_id, None)
    if consumer is None:
        raise ApiError(404, f"No allocations for consumer '{consumer_id}'")
    _account(cloud, consumer, -1)
    return web.Response(status=204)


def consumer_view(cloud: Cloud, consumer: ConsumerAllocations) -> dict[str, Any]:
    """``GET /allocations/{consumer_uuid}`` of a consumer written through this API."""
    generations = {p: generation(provider) for p, provider in providers(cloud).items()}
    return {
        "allocations": {
            provider_id: {"resources": resources, "generation": generations.get(provider_id, 1)}
            for provider_id, resources in consumer.resources.items()
        },
        "project_id": consumer.project_id,
        "user_id": consumer.user_id,
        "consumer_generation": consumer.generation,
        "consumer_type": consumer.consumer_type,
    }
