"""Keystone v3: version documents, password and application-credential tokens, the
catalogue, and the few admin reads an orchestrator makes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from simulators.openstack import keystone_admin
from simulators.openstack.keystone_admin import catalog, role_id
from simulators.openstack.model import AppCredential, User, new_id
from simulators.openstack.state import Cloud, Token
from simulators.openstack.web import (
    ApiError,
    auth_middleware,
    base_url,
    cloud_of,
    error_middleware,
    identity_of,
    json_response,
    keystone_error,
    read_json,
)

TOKEN_LIFETIME = timedelta(hours=12)
UNAUTHORIZED = "The request you have made requires authentication."


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _version(base: str) -> dict[str, Any]:
    return {
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": f"{base}/identity/v3/"}],
        "media-types": [
            {"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}
        ],
    }


async def versions(request: web.Request) -> web.Response:
    body = {"versions": {"values": [_version(base_url(request))]}}
    return json_response(body, 300)


async def version(request: web.Request) -> web.Response:
    return json_response({"version": _version(base_url(request))})


def token_body(cloud: Cloud, token: Token, base: str, with_catalog: bool = True) -> dict[str, Any]:
    user = cloud.users[token.user_id]
    project = cloud.projects[token.project_id]
    domain = {"id": "default", "name": "Default"}
    body: dict[str, Any] = {
        "methods": token.methods,
        "audit_ids": [token.id[:22]],
        "expires_at": _ts(token.expires_at),
        "issued_at": _ts(token.issued_at),
        "user": {"id": user.id, "name": user.name, "domain": domain, "password_expires_at": None},
        "project": {"id": project.id, "name": project.name, "domain": domain},
        "is_domain": False,
        "roles": [{"id": role_id(r), "name": r} for r in token.roles],
    }
    if token.app_credential_id:
        credential = cloud.app_credentials[token.app_credential_id]
        body["application_credential"] = {
            "id": credential.id,
            "name": credential.name,
            "restricted": True,
        }
    if with_catalog:
        body["catalog"] = catalog(cloud, base, project.id)
    return {"token": body}


def _password_user(cloud: Cloud, auth: dict[str, Any]) -> User:
    raw = auth.get("password", {}).get("user", {})
    for user in cloud.users.values():
        if (raw.get("id") == user.id or raw.get("name") == user.name) and raw.get(
            "password"
        ) == user.password:
            return user
    raise ApiError(401, UNAUTHORIZED)


def _check_scope(cloud: Cloud, scope: dict[str, Any], project_id: str) -> None:
    wanted = scope.get("project")
    if not wanted:
        return
    project = cloud.projects[project_id]
    if wanted.get("id") not in (None, project.id) or wanted.get("name") not in (None, project.name):
        raise ApiError(401, UNAUTHORIZED)


def issue_token(cloud: Cloud, auth: dict[str, Any]) -> Token:
    methods = auth.get("identity", {}).get("methods", [])
    identity = auth.get("identity", {})
    now = datetime.now(UTC)
    credential_id = None
    if "password" in methods:
        user = _password_user(cloud, identity)
        project_id, roles = user.project_id, user.roles
    elif "application_credential" in methods:
        credential = _app_credential(cloud, identity.get("application_credential", {}))
        user, credential_id = cloud.users[credential.user_id], credential.id
        project_id, roles = credential.project_id, credential.roles
    elif "token" in methods:
        old = cloud.tokens.get(identity.get("token", {}).get("id", ""))
        if old is None:
            raise ApiError(401, UNAUTHORIZED)
        user, project_id, roles = cloud.users[old.user_id], old.project_id, old.roles
    else:
        raise ApiError(400, "Expecting to find identity methods in auth.")
    if credential_id is None:
        _check_scope(cloud, auth.get("scope") or {}, project_id)
    token = Token(
        secrets.token_hex(16),
        user.id,
        project_id,
        list(roles),
        list(methods),
        now,
        now + TOKEN_LIFETIME,
        credential_id,
    )
    cloud.tokens[token.id] = token
    return token


def _app_credential(cloud: Cloud, raw: dict[str, Any]) -> AppCredential:
    for credential in cloud.app_credentials.values():
        by_id = raw.get("id") == credential.id
        user = raw.get("user", {})
        by_name = raw.get("name") == credential.name and (
            user.get("id") == credential.user_id
            or user.get("name") == cloud.users[credential.user_id].name
        )
        if (by_id or by_name) and raw.get("secret") == credential.secret:
            return credential
    raise ApiError(401, UNAUTHORIZED)


async def create_token(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    body = await read_json(request)
    token = issue_token(cloud, body.get("auth", {}))
    nocatalog = "nocatalog" in request.query
    return json_response(
        token_body(cloud, token, base_url(request), not nocatalog),
        201,
        {"X-Subject-Token": token.id},
    )


def _subject(request: web.Request) -> Token:
    cloud = cloud_of(request)
    token = cloud.tokens.get(request.headers.get("X-Subject-Token", ""))
    if token is None:
        raise ApiError(404, "Could not find token.")
    return token


async def validate_token(request: web.Request) -> web.Response:
    token = _subject(request)
    identity = identity_of(request)
    if token.user_id != identity.user_id:
        identity.require_admin("identity:validate_token")
    if request.method == "HEAD":
        return web.Response(status=200, headers={"X-Subject-Token": token.id})
    body = token_body(cloud_of(request), token, base_url(request), "nocatalog" not in request.query)
    return json_response(body, 200, {"X-Subject-Token": token.id})


async def revoke_token(request: web.Request) -> web.Response:
    token = _subject(request)
    cloud_of(request).tokens.pop(token.id, None)
    return web.Response(status=204)


async def get_catalog(request: web.Request) -> web.Response:
    identity = identity_of(request)
    body = catalog(cloud_of(request), base_url(request), identity.project_id)
    return json_response({"catalog": body})


async def auth_projects(request: web.Request) -> web.Response:
    """The projects the token's user may scope to: here, the user's own."""
    identity = identity_of(request)
    return json_response({"projects": [_project_view(cloud_of(request), identity.project_id)]})


def _project_view(cloud: Cloud, project_id: str) -> dict[str, Any]:
    project = cloud.projects[project_id]
    return {
        "id": project.id,
        "name": project.name,
        "domain_id": "default",
        "enabled": True,
        "description": "",
        "is_domain": False,
        "parent_id": "default",
        "tags": [],
        "links": {},
    }


async def list_projects(request: web.Request) -> web.Response:
    identity_of(request).require_admin("identity:list_projects")
    cloud = cloud_of(request)
    projects = [_project_view(cloud, p) for p in cloud.projects]
    name = request.query.get("name")
    return json_response({"projects": [p for p in projects if name in (None, p["name"])]})


async def get_project(request: web.Request) -> web.Response:
    identity = identity_of(request)
    project_id = request.match_info["project_id"]
    if not identity.is_admin and project_id != identity.project_id:
        identity.require_admin("identity:get_project")
    cloud = cloud_of(request)
    if project_id not in cloud.projects:
        raise ApiError(404, f"Could not find project: {project_id}.")
    return json_response({"project": _project_view(cloud, project_id)})


def _user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "domain_id": user.domain_id,
        "enabled": True,
        "default_project_id": user.project_id,
        "password_expires_at": None,
        "options": {},
        "links": {},
    }


async def list_users(request: web.Request) -> web.Response:
    identity_of(request).require_admin("identity:list_users")
    return json_response({"users": [_user_view(u) for u in cloud_of(request).users.values()]})


async def get_user(request: web.Request) -> web.Response:
    identity = identity_of(request)
    user_id = request.match_info["user_id"]
    if user_id != identity.user_id:
        identity.require_admin("identity:get_user")
    user = cloud_of(request).users.get(user_id)
    if user is None:
        raise ApiError(404, f"Could not find user: {user_id}.")
    return json_response({"user": _user_view(user)})


async def create_app_credential(request: web.Request) -> web.Response:
    identity = identity_of(request)
    user_id = request.match_info["user_id"]
    if user_id != identity.user_id:
        raise ApiError(
            403,
            "You are not authorized to perform the requested action: "
            "identity:create_application_credential.",
        )
    raw = (await read_json(request)).get("application_credential", {})
    if not raw.get("name"):
        raise ApiError(400, "Invalid input for field 'name': required.")
    roles = [r["name"] for r in raw.get("roles", []) if r.get("name") in identity.roles]
    credential = AppCredential(
        new_id().replace("-", ""),
        raw["name"],
        raw.get("secret") or secrets.token_urlsafe(24),
        user_id,
        identity.project_id,
        roles or list(identity.roles),
    )
    cloud_of(request).app_credentials[credential.id] = credential
    body = {
        "id": credential.id,
        "name": credential.name,
        "secret": credential.secret,
        "project_id": credential.project_id,
        "user_id": user_id,
        "unrestricted": False,
        "description": raw.get("description"),
        "expires_at": None,
        "roles": [{"id": role_id(r), "name": r, "domain_id": None} for r in credential.roles],
        "access_rules": [],
        "links": {},
    }
    return json_response({"application_credential": body}, 201)


async def list_roles(request: web.Request) -> web.Response:
    identity_of(request).require_admin("identity:list_roles")
    roles: list[dict[str, Any]] = [
        {"id": role_id(r), "name": r, "domain_id": None, "links": {}}
        for r in ("admin", "member", "reader")
    ]
    return json_response({"roles": roles})


async def list_regions(request: web.Request) -> web.Response:
    cloud = cloud_of(request)
    regions: list[dict[str, Any]] = [
        {"id": r, "description": "", "parent_region_id": None, "links": {}}
        for r in cloud.inventory.regions
    ]
    return json_response({"regions": regions})


PUBLIC = {"/identity", "/identity/", "/identity/v3", "/identity/v3/", "/identity/v3/auth/tokens"}


def _public(request: web.Request) -> bool:
    return request.path in PUBLIC and not (
        request.path.endswith("/auth/tokens") and request.method != "POST"
    )


def identity_app() -> web.Application:
    app = web.Application(middlewares=[error_middleware(keystone_error), auth_middleware(_public)])
    app.router.add_get("/", versions)
    app.router.add_get("/v3", version)
    app.router.add_get("/v3/", version)
    app.router.add_post("/v3/auth/tokens", create_token)
    app.router.add_get("/v3/auth/tokens", validate_token)  # HEAD too
    app.router.add_delete("/v3/auth/tokens", revoke_token)
    app.router.add_get("/v3/auth/catalog", get_catalog)
    app.router.add_get("/v3/auth/projects", auth_projects)
    app.router.add_get("/v3/projects", list_projects)
    app.router.add_get("/v3/projects/{project_id}", get_project)
    app.router.add_get("/v3/users", list_users)
    app.router.add_get("/v3/users/{user_id}", get_user)
    app.router.add_post("/v3/users/{user_id}/application_credentials", create_app_credential)
    app.router.add_get("/v3/roles", list_roles)
    app.router.add_get("/v3/regions", list_regions)
    keystone_admin.add_routes(app)
    return app
