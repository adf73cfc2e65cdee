"""``GET /allocation_candidates`` (1.10+): the ways one provider tree can hold the
unnumbered request group of ``resources``, with ``required`` traits and ``member_of``
aggregates, and the summaries of the trees' providers.

Each resource class comes from one provider of the tree that has it (a compute node
for VCPU, PCPU, MEMORY_MB and DISK_GB, an SR-IOV NIC for its VFs), so a tree gives one
candidate per combination of such providers; the required traits must be on the
providers the candidate uses or on the tree's root, the forbidden ones on none of them;
``member_of`` is read on the root. Numbered groups (``resources1=``) are not simulated.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from aiohttp import web

from simulators.openstack.microversion import MICROVERSION, Version
from simulators.openstack.placement_filters import (
    ProviderFilter,
    fits,
    free,
    is_member,
    parse_filter,
    provider_aggregates,
)
from simulators.openstack.resource_providers import (
    capacity,
    inventory,
    providers,
    traits,
    usage_totals,
)
from simulators.openstack.state import Cloud
from simulators.openstack.web import ApiError, cloud_of, int_query, json_response

Providers = dict[str, dict[str, Any]]
NUMBERED = re.compile(r"^(resources|required|member_of)(\d+|_[a-zA-Z0-9_-]+)$")


def _trees(every: Providers) -> dict[str, list[str]]:
    trees: dict[str, list[str]] = {}
    for provider_id, provider in every.items():
        trees.setdefault(provider["root"], []).append(provider_id)
    return trees


def _tree_candidates(
    cloud: Cloud, every: Providers, root: str, members: list[str], wanted: ProviderFilter
) -> list[dict[str, dict[str, int]]]:
    if (wanted.member_of or wanted.not_member_of) and not is_member(
        provider_aggregates(cloud, every[root]), wanted
    ):
        return []
    left = {p: free(cloud, p, every[p]) for p in members}
    choices = [
        [p for p in members if fits(every[p], left[p], name, amount)]
        for name, amount in wanted.resources.items()
    ]
    found = []
    for chosen in itertools.product(*choices):
        request: dict[str, dict[str, int]] = {}
        for provider_id, (name, amount) in zip(chosen, wanted.resources.items(), strict=True):
            request.setdefault(provider_id, {})[name] = amount
        offered = {t for p in {*request, root} for t in traits(every[p])}
        forbidden = {t for p in request for t in traits(every[p])} & wanted.forbidden
        if all(group & offered for group in wanted.required) and not forbidden:
            found.append(request)
    return found


def _summary(
    cloud: Cloud, provider_id: str, provider: dict[str, Any], version: Version
) -> dict[str, Any]:
    used = usage_totals(cloud, provider_id, provider)
    body: dict[str, Any] = {
        "resources": {
            name: {"capacity": capacity(record), "used": used.get(name, 0)}
            for name, record in inventory(provider).items()
        }
    }
    if version >= Version(1, 17):
        body["traits"] = traits(provider)
    if version >= Version(1, 29):
        body["parent_provider_uuid"] = provider["parent"]
        body["root_provider_uuid"] = provider["root"]
    return body


def _request_view(request: dict[str, dict[str, int]], version: Version) -> dict[str, Any]:
    if version < Version(1, 12):
        return {
            "allocations": [
                {"resource_provider": {"uuid": p}, "resources": r} for p, r in request.items()
            ]
        }
    body: dict[str, Any] = {"allocations": {p: {"resources": r} for p, r in request.items()}}
    if version >= Version(1, 34):
        body["mappings"] = {"": list(request)}
    return body


async def list_candidates(request: web.Request) -> web.Response:
    version = request[MICROVERSION]
    if version < Version(1, 10):
        raise ApiError(404, "The resource could not be found.")
    numbered = [k for k in request.query if NUMBERED.match(k)]
    if numbered:
        raise ApiError(400, f"the simulated Placement answers unnumbered groups only: {numbered}")
    if "resources" not in request.query:
        raise ApiError(
            400,
            "Invalid query string parameters: 'resources' is a required property",
        )
    cloud = cloud_of(request)
    wanted = parse_filter(request, cloud)
    limit = int_query(request, "limit")
    every = providers(cloud)
    requests: list[dict[str, dict[str, int]]] = []
    summaries: dict[str, Any] = {}
    for root, members in _trees(every).items():
        found = _tree_candidates(cloud, every, root, members, wanted)
        if not found:
            continue
        room = None if limit is None else limit - len(requests)
        requests.extend(found[:room])
        for provider_id in members:
            summaries[provider_id] = _summary(cloud, provider_id, every[provider_id], version)
        if limit is not None and len(requests) >= limit:
            break
    body = {
        "allocation_requests": [_request_view(r, version) for r in requests],
        "provider_summaries": summaries,
    }
    return json_response(body)
