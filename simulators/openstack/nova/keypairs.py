"""Nova keypairs: a user's public keys, named at server create (``key_name``)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from aiohttp import web

from simulators.openstack.microversion import at_least
from simulators.openstack.model import iso, utc_now
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json


def _fingerprint(public_key: str) -> str:
    parts = public_key.split()
    blob = parts[1] if len(parts) > 1 else public_key
    try:
        raw = base64.b64decode(blob)
    except ValueError:
        raw = blob.encode()
    digest = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def _view(request: web.Request, keypair: dict[str, Any], detail: bool) -> dict[str, Any]:
    body = {k: keypair[k] for k in ("name", "public_key", "fingerprint")}
    if at_least(request, 2):
        body["type"] = keypair["type"]
    if detail:
        body.update(
            {
                "user_id": keypair["user_id"],
                "created_at": keypair["created_at"],
                "deleted": False,
                "deleted_at": None,
                "updated_at": None,
                "id": 1,
            }
        )
    return body


async def create_keypair(request: web.Request) -> web.Response:
    identity = identity_of(request)
    raw = (await read_json(request)).get("keypair")
    if not isinstance(raw, dict) or not raw.get("name"):
        raise ApiError(400, "Invalid input for field/attribute keypair.")
    key = (identity.user_id, str(raw["name"]))
    cloud = cloud_of(request)
    if key in cloud.keypairs:
        raise ApiError(409, f"Key pair '{raw['name']}' already exists.")
    public_key = raw.get("public_key") or (
        "ssh-ed25519 " + base64.b64encode(secrets.token_bytes(32)).decode() + " sim"
    )
    keypair = {
        "name": key[1],
        "public_key": public_key,
        "fingerprint": _fingerprint(public_key),
        "type": raw.get("type", "ssh"),
        "user_id": identity.user_id,
        "created_at": iso(utc_now()),
    }
    cloud.keypairs[key] = keypair
    status = 201 if at_least(request, 2) else 200
    return json_response({"keypair": _view(request, keypair, False)}, status)


def _find(request: web.Request) -> tuple[tuple[str, str], dict[str, Any]]:
    key = (identity_of(request).user_id, request.match_info["name"])
    keypair = cloud_of(request).keypairs.get(key)
    if keypair is None:
        raise ApiError(404, f"Keypair {key[1]} not found for user {key[0]}")
    return key, keypair


async def list_keypairs(request: web.Request) -> web.Response:
    user_id = identity_of(request).user_id
    pairs = [p for (owner, _), p in cloud_of(request).keypairs.items() if owner == user_id]
    return json_response({"keypairs": [{"keypair": _view(request, p, False)} for p in pairs]})


async def show_keypair(request: web.Request) -> web.Response:
    return json_response({"keypair": _view(request, _find(request)[1], True)})


async def delete_keypair(request: web.Request) -> web.Response:
    key, _ = _find(request)
    del cloud_of(request).keypairs[key]
    return web.Response(status=204 if at_least(request, 2) else 202)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/os-keypairs", list_keypairs)
    app.router.add_post("/os-keypairs", create_keypair)
    app.router.add_get("/os-keypairs/{name}", show_keypair)
    app.router.add_delete("/os-keypairs/{name}", delete_keypair)
