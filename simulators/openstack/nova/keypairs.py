"""Nova keypairs: a user's public keys, named at server create (``key_name``)."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from simulators.openstack.microversion import at_least
from simulators.openstack.model import iso, utc_now
from simulators.openstack.nova import quotas
from simulators.openstack.web import ApiError, cloud_of, identity_of, json_response, read_json

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9 _-]+$")
NAME_PATTERN_2_92 = re.compile(r"^[a-zA-Z0-9 @._-]+$")


def _invalid(reason: str) -> ApiError:
    """nova.exception.InvalidKeypair."""
    return ApiError(400, f"Keypair data is invalid: {reason}")


def _colons(digest: str) -> str:
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def fingerprint(public_key: str, key_type: str) -> str:
    """As nova.crypto computes it: MD5 of an SSH key's blob, SHA-1 of an X.509
    certificate; a key the cryptography library cannot load is refused."""
    if key_type == "x509":
        try:
            certificate = x509.load_pem_x509_certificate(public_key.encode())
        except ValueError as exc:
            raise _invalid(f"failed to generate X509 fingerprint. Error message: {exc}") from exc
        return _colons(certificate.fingerprint(hashes.SHA1()).hex())
    try:
        serialization.load_ssh_public_key(public_key.encode())
        blob = base64.b64decode(public_key.split(" ")[1])
    except (ValueError, IndexError, UnsupportedAlgorithm) as exc:
        raise _invalid("failed to generate fingerprint") from exc
    return _colons(hashlib.md5(blob, usedforsecurity=False).hexdigest())


def _generate() -> tuple[str, str]:
    """A new RSA key pair, as Nova makes one when no public key is given (before 2.92)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return private, public.decode() + " Generated-by-Nova"


def _name(raw: dict[str, Any], microversion_92: bool) -> str:
    name = raw.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255:
        raise _invalid("Keypair name must be string and between 1 and 255 characters long")
    pattern = NAME_PATTERN_2_92 if microversion_92 else NAME_PATTERN
    if not pattern.match(name):
        raise _invalid("Keypair name contains unsafe characters")
    return name


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
    if not isinstance(raw, dict):
        raise ApiError(400, "Invalid input for field/attribute keypair.")
    name = _name(raw, at_least(request, 92))
    key_type = raw.get("type", "ssh") if at_least(request, 2) else "ssh"
    if key_type not in ("ssh", "x509"):
        raise ApiError(
            400,
            f"Invalid input for field/attribute type. Value: {key_type}. "
            f"'{key_type}' is not one of ['ssh', 'x509']",
        )
    if "public_key" not in raw and at_least(request, 92):
        raise ApiError(
            400,
            "Invalid input for field/attribute keypair. Value: "
            f"{raw}. 'public_key' is a required property",
        )
    cloud = cloud_of(request)
    quotas.check(
        cloud,
        identity.project_id,
        "key_pairs",
        "Quota exceeded, too many key pairs.",
        user_id=identity.user_id,
    )
    key = (identity.user_id, name)
    if key in cloud.keypairs:
        raise ApiError(409, f"Key pair '{name}' already exists.")
    private_key = None
    public_key = raw.get("public_key")
    if public_key is None:
        if key_type == "x509":
            raise _invalid("the simulator makes SSH keys only; give the certificate")
        private_key, public_key = _generate()
    keypair = {
        "name": name,
        "public_key": str(public_key),
        "fingerprint": fingerprint(str(public_key), key_type),
        "type": key_type,
        "user_id": identity.user_id,
        "created_at": iso(utc_now()),
    }
    cloud.keypairs[key] = keypair
    body = _view(request, keypair, False)
    if private_key is not None:
        body["private_key"] = private_key
    body["user_id"] = identity.user_id
    status = 201 if at_least(request, 2) else 200
    return json_response({"keypair": body}, status)


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
