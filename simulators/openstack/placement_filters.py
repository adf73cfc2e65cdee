"""The query filters Placement reads on ``/resource_providers`` and
``/allocation_candidates``: ``resources`` (1.4), ``required`` traits (1.18; forbidden
``!`` from 1.22, ``in:`` from 1.39), ``member_of`` aggregates (1.3; several from 1.24,
forbidden ``!`` from 1.32) and ``in_tree`` (1.14), each refused below its microversion
as Placement's query schema refuses an unknown parameter."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import os_resource_classes
import os_traits
from aiohttp import web

from simulators.openstack.aggregates import host_aggregate_uuids
from simulators.openstack.microversion import MICROVERSION, Version
from simulators.openstack.resource_providers import (
    capacity,
    inventory,
    providers,
    traits,
    usage_totals,
)
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError

SINCE = {
    "member_of": Version(1, 3),
    "resources": Version(1, 4),
    "in_tree": Version(1, 14),
    "required": Version(1, 18),
}
RESOURCES_RE = re.compile(r"^([A-Z0-9_]+):(\d+)$")


def _bad_query(message: str) -> ApiError:
    return ApiError(400, f"Invalid query string parameters: {message}")


@dataclass
class ProviderFilter:
    resources: dict[str, int] = field(default_factory=dict)
    required: list[frozenset[str]] = field(default_factory=list)  # each: any of these
    forbidden: set[str] = field(default_factory=set)
    member_of: list[frozenset[str]] = field(default_factory=list)  # each: any of these
    not_member_of: set[str] = field(default_factory=set)
    in_tree: str | None = None


def known_traits(cloud: Cloud) -> set[str]:
    """The standard traits and every custom trait a provider of the cloud has."""
    custom = {t for p in providers(cloud).values() for t in traits(p) if t.startswith("CUSTOM_")}
    return set(os_traits.get_traits()) | custom


def known_classes(cloud: Cloud) -> list[str]:
    custom = sorted(
        {c for p in providers(cloud).values() for c in inventory(p) if c.startswith("CUSTOM_")}
    )
    return [*os_resource_classes.STANDARDS, *custom]


def parse_resources(cloud: Cloud, text: str) -> dict[str, int]:
    result: dict[str, int] = {}
    for item in text.split(","):
        match = RESOURCES_RE.match(item.strip())
        if not match:
            raise ApiError(
                400,
                "Badly formed resources parameter. Expected resources query string "
                f"parameter in form: ?resources=VCPU:2,MEMORY_MB:1024. Got: {text}.",
            )
        result[match.group(1)] = int(match.group(2))
    unknown = [name for name in result if name not in known_classes(cloud)]
    if unknown:
        raise ApiError(
            400,
            f"Invalid resource class in resources parameter: No such resource class {unknown[0]}.",
        )
    return result


def _required(cloud: Cloud, values: list[str], version: Version, target: ProviderFilter) -> None:
    names: set[str] = set()
    for value in values:
        if value.startswith("in:"):
            if version < Version(1, 39):
                raise _bad_query(
                    f"The format 'in:HW_CPU_X86_VMX,CUSTOM_MAGIC' is not supported: {value}"
                )
            group = frozenset(value[3:].split(","))
            target.required.append(group)
            names |= group
            continue
        for item in value.split(","):
            if item.startswith("!"):
                if version < Version(1, 22):
                    raise _bad_query(
                        "Expected 'required' parameter value of the form: "
                        f"HW_CPU_X86_VMX,CUSTOM_MAGIC. Got: {value}"
                    )
                target.forbidden.add(item[1:])
                names.add(item[1:])
            else:
                target.required.append(frozenset({item}))
                names.add(item)
    missing = sorted(names - known_traits(cloud))
    if missing:
        raise ApiError(400, f"No such trait(s): {', '.join(missing)}.")


def _uuids(value: str) -> frozenset[str]:
    try:
        return frozenset(str(uuid.UUID(item)) for item in value.split(","))
    except ValueError as exc:
        raise _bad_query(
            f"Expected 'member_of' parameter to contain valid UUID(s). Got: {value}"
        ) from exc


def _member_of(values: list[str], version: Version, target: ProviderFilter) -> None:
    if len(values) > 1 and version < Version(1, 24):
        raise _bad_query("Multiple member_of parameters are not supported")
    for value in values:
        forbidden = value.startswith("!")
        if forbidden:
            if version < Version(1, 32):
                raise _bad_query(f"Forbidden member_of is not supported: {value}")
            value = value[1:]
        group = _uuids(value.removeprefix("in:"))
        if forbidden:
            target.not_member_of |= group
        else:
            target.member_of.append(group)


def parse_filter(request: web.Request, cloud: Cloud) -> ProviderFilter:
    version = request[MICROVERSION]
    query = request.query
    for name, since in SINCE.items():
        if name in query and version < since:
            raise _bad_query(f"Additional properties are not allowed ('{name}' was unexpected)")
    result = ProviderFilter(in_tree=query.get("in_tree"))
    if "resources" in query:
        result.resources = parse_resources(cloud, query["resources"])
    _required(cloud, query.getall("required", []), version, result)
    _member_of(query.getall("member_of", []), version, result)
    return result


def has_traits(have: set[str], wanted: ProviderFilter) -> bool:
    return all(group & have for group in wanted.required) and not wanted.forbidden & have


def is_member(aggregates: set[str], wanted: ProviderFilter) -> bool:
    if wanted.not_member_of & aggregates:
        return False
    return all(group & aggregates for group in wanted.member_of)


def free(cloud: Cloud, provider_id: str, provider: dict[str, Any]) -> dict[str, int]:
    """What is left of each class to allocate on one provider."""
    used = usage_totals(cloud, provider_id, provider)
    return {
        name: capacity(record) - used.get(name, 0) for name, record in inventory(provider).items()
    }


def fits(provider: dict[str, Any], left: dict[str, int], name: str, amount: int) -> bool:
    record = inventory(provider).get(name)
    if record is None:
        return False
    return (
        record["min_unit"] <= amount <= record["max_unit"]
        and amount % record["step_size"] == 0
        and amount <= left.get(name, 0)
    )


def provider_aggregates(cloud: Cloud, provider: dict[str, Any]) -> set[str]:
    """Nova puts compute nodes into aggregates; their child providers are in none."""
    if provider["nic"] is not None:
        return set()
    return set(host_aggregate_uuids(cloud, provider["host"].name))


def matches(
    cloud: Cloud, provider_id: str, provider: dict[str, Any], wanted: ProviderFilter
) -> bool:
    """``/resource_providers``: this one provider has the capacity, traits, aggregates."""
    if wanted.in_tree is not None:
        tree = providers(cloud).get(wanted.in_tree)
        if tree is None or provider["root"] != tree["root"]:
            return False
    if not has_traits(set(traits(provider)), wanted):
        return False
    if (wanted.member_of or wanted.not_member_of) and not is_member(
        provider_aggregates(cloud, provider), wanted
    ):
        return False
    if wanted.resources:
        left = free(cloud, provider_id, provider)
        return all(fits(provider, left, n, a) for n, a in wanted.resources.items())
    return True
