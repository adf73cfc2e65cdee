"""The OpenAPI 3 document of exactly the routes served, generated from route tables.

Nothing is written by hand: each mounted API's route table gives the paths, methods,
scopes, media types and query parameters; the pydantic wire models give the request
and response schemas (``models_json_schema`` with ETSI names, one shared
``components.schemas``). Every operation declares the ``Version`` header it demands
(SOL013 clause 4.6.1) and ProblemDetails (clause 6.3) for its errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from nfvo.sol.auth import TOKEN_PATH
from nfvo.sol.problems import PROBLEM_CONTENT_TYPE, ProblemDetails
from nfvo.sol.routes import API_APPS, OPENAPI_TITLE, ROUTE_TABLE, Route
from nfvo.sol.versions import API_INFO, ApiInfo, ApiVersionInformation, versions_route
from nfvo.sol.wire import dumps

OPENAPI_PATH = "/openapi.json"
REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "oauth2"
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")
_PATH_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*)?\}")


def _version_parameter(info: ApiInfo) -> dict[str, Any]:
    """The ``Version`` header an API demands: one of its versions, optionally with an
    ``-impl:...`` suffix (SOL013 clause 4.6.1), so generic clients can fill it in."""
    names = info.names()
    alternatives = "|".join(re.escape(name) for name in names)
    return {
        "name": "Version",
        "in": "header",
        "required": True,
        "schema": {
            "type": "string",
            "pattern": f"^({alternatives})(-impl:.*)?$",
            "default": info.current,
        },
        "description": f"Version of the API requested (SOL013 clause 4.6.1): {', '.join(names)}.",
    }


def _mounted(root: web.Application) -> list[tuple[str, Route, ApiInfo]]:
    """Every (full path, route, its API) the root serves, api_versions included."""
    served: list[tuple[str, Route, ApiInfo]] = []
    names: set[str] = set()
    for app in root[API_APPS]:
        info = app[API_INFO]
        if info.api_name not in names:
            names.add(info.api_name)
            served.append((f"/{info.api_name}/api_versions", versions_route(), info))
        served.extend((info.uri_prefix + route.path, route, info) for route in app[ROUTE_TABLE])
    return served


def _models(routes: Iterable[Route]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (ProblemDetails, "serialization"): None,
        (ApiVersionInformation, "serialization"): None,
    }
    for route in routes:
        if route.request_model is not None:
            wanted[(route.request_model, "validation")] = None
        if route.response_model is not None:
            wanted[(route.response_model, "serialization")] = None
    return list(wanted)


def _parameters(path: str, route: Route, info: ApiInfo) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAMETER.findall(path)
    ]
    parameters.extend(
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in route.query
    )
    if route.versioned:
        parameters.append(_version_parameter(info))
    return parameters


def _operation(path: str, route: Route, info: ApiInfo, refs: dict[Any, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": route.summary or "success",
        "headers": {"Version": {"schema": {"type": "string"}}},
    }
    if route.path == "/api_versions":
        schema = refs[(ApiVersionInformation, "serialization")]
        response["content"] = {"application/json": {"schema": schema}}
    elif route.response_model is not None:
        schema = refs[(route.response_model, "serialization")]
        if route.response_is_list:
            schema = {"type": "array", "items": schema}
        response["content"] = {media: {"schema": schema} for media in route.produces}
    problem_schema = refs[(ProblemDetails, "serialization")]
    problem = {"content": {PROBLEM_CONTENT_TYPE: {"schema": problem_schema}}}
    operation: dict[str, Any] = {
        "operationId": _NOT_NAME.sub("_", f"{route.method.lower()}_{path.strip('/')}"),
        "summary": route.summary,
        "parameters": _parameters(path, route, info),
        "responses": {
            str(route.status): response,
            "default": {"description": "ProblemDetails", **problem},
        },
    }
    if route.scope:
        # The extension stays for tools that read it; ``security`` is the standard way.
        operation["x-nfvo-scope"] = route.scope
        operation["security"] = [{SECURITY_SCHEME: [route.scope]}]
    if route.consumes:
        schema = (
            refs[(route.request_model, "validation")]
            if route.request_model is not None
            else {"type": "object"}  # e.g. a merge patch (RFC 7396) of the resource
        )
        operation["requestBody"] = {
            "required": True,
            "content": {media: {"schema": schema} for media in route.consumes},
        }
    return operation


def openapi_document(root: web.Application) -> dict[str, Any]:
    served = _mounted(root)
    key_map, schemas = models_json_schema(
        _models(route for _, route, _ in served), by_alias=True, ref_template=REF_TEMPLATE
    )
    paths: dict[str, dict[str, Any]] = {}
    for path, route, info in served:
        template = _PATH_PARAMETER.sub(lambda m: "{" + m.group(1) + "}", path)
        paths.setdefault(template, {})[route.method.lower()] = _operation(
            path, route, info, key_map
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": root[OPENAPI_TITLE], "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": _security_schemes(route.scope for _, route, _ in served),
        },
    }


def _security_schemes(scopes: Iterable[str]) -> dict[str, Any]:
    """OAuth 2.0 client credentials (SOL013 clause 8.3) against the built-in endpoint."""
    flow = {
        "tokenUrl": TOKEN_PATH,
        "scopes": {scope: f"the {scope} operations" for scope in sorted(set(scopes)) if scope},
    }
    return {SECURITY_SCHEME: {"type": "oauth2", "flows": {"clientCredentials": flow}}}


async def openapi_handler(request: web.Request) -> web.Response:
    document = openapi_document(request.app)
    return web.Response(body=dumps(document), content_type="application/json")
