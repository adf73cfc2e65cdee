"""Neutron v2.0 on aiohttp."""

from __future__ import annotations

from aiohttp import web

from simulators.openstack.neutron import (
    agents,
    networks,
    ports,
    quotas,
    security_groups,
    tags,
)
from simulators.openstack.web import (
    auth_middleware,
    base_url,
    error_middleware,
    json_response,
    neutron_error,
)

EXTENSIONS = [
    ("binding", "Port Binding", "Expose port bindings of a virtual port to external application"),
    ("binding-extended", "Port Bindings Extended", "Expose port bindings of a virtual port"),
    ("port-security", "Port Security", "Provides port security"),
    ("provider", "Provider Network", "Expose mapping of virtual networks to physical networks"),
    ("external-net", "Neutron external network", "Adds external network attribute"),
    ("security-group", "security-group", "The security groups extension."),
    (
        "standard-attr-tag",
        "Tag support for resources with standard attribute",
        "Enables to set tag on resources with standard attribute.",
    ),
    (
        "tag-creation",
        "Tag support for resources during creation",
        "Enables to set tags on resources at creation time.",
    ),
    ("filter-validation", "Filter parameters validation", "Validate filter parameters."),
    ("pagination", "Pagination support", "Extension that indicates that pagination is enabled."),
    ("sorting", "Sorting support", "Extension that indicates that sorting is enabled."),
    ("standard-attr-timestamp", "Resource timestamps", "Adds created_at and updated_at fields"),
    ("standard-attr-revisions", "Resource revision numbers", "Adds revision_number"),
    ("standard-attr-description", "standard-attr-description", "Adds description"),
    ("net-mtu", "Network MTU", "Provides MTU attribute for a network resource."),
    ("availability_zone", "Availability Zone", "The availability zone extension."),
    ("network_availability_zone", "Network Availability Zone", "Availability zone support"),
    ("agent", "agent", "The agent management extension."),
    ("dhcp_agent_scheduler", "DHCP Agent Scheduler", "Schedule networks among dhcp agents"),
    ("quotas", "Quota management support", "Expose functions for quotas management"),
    ("quota_details", "Quota details management support", "Expose quota usage details"),
]


async def versions(request: web.Request) -> web.Response:
    href = f"{base_url(request)}/network/v2.0/"
    return json_response(
        {
            "versions": [
                {"id": "v2.0", "status": "CURRENT", "links": [{"rel": "self", "href": href}]}
            ]
        }
    )


async def version(request: web.Request) -> web.Response:
    base = f"{base_url(request)}/network/v2.0"
    resources = [
        {"name": n, "collection": c, "links": [{"rel": "self", "href": f"{base}/{c}"}]}
        for n, c in (
            ("network", "networks"),
            ("subnet", "subnets"),
            ("port", "ports"),
            ("security_group", "security-groups"),
        )
    ]
    return json_response({"resources": resources})


async def list_extensions(request: web.Request) -> web.Response:
    items = [
        {
            "alias": a,
            "name": n,
            "description": d,
            "updated": "2018-01-01T00:00:00-00:00",
            "links": [],
        }
        for a, n, d in EXTENSIONS
    ]
    return json_response({"extensions": items})


async def show_extension(request: web.Request) -> web.Response:
    alias = request.match_info["alias"]
    for a, n, d in EXTENSIONS:
        if a == alias:
            return json_response(
                {
                    "extension": {
                        "alias": a,
                        "name": n,
                        "description": d,
                        "updated": "2018-01-01T00:00:00-00:00",
                        "links": [],
                    }
                }
            )
    return json_response(
        {
            "NeutronError": {
                "type": "HTTPNotFound",
                "message": f"Extension with alias {alias} does not exist",
                "detail": "",
            }
        },
        404,
    )


PUBLIC = {"/network", "/network/", "/network/v2.0", "/network/v2.0/"}


def network_app() -> web.Application:
    app = web.Application(
        middlewares=[error_middleware(neutron_error), auth_middleware(lambda r: r.path in PUBLIC)]
    )
    app.router.add_get("/", versions)
    app.router.add_get("/v2.0", version)
    app.router.add_get("/v2.0/", version)
    app.router.add_get("/v2.0/extensions", list_extensions)
    app.router.add_get("/v2.0/extensions/{alias}", show_extension)
    for module in (networks, ports, security_groups, tags, agents, quotas):
        module.add_routes(app)
    return app
