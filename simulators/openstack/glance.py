"""Glance v2: images, their data, and the hashes Glance computes on upload."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulators.openstack.model import Image, iso, new_id, utc_now
from simulators.openstack.state import set_image_data
from simulators.openstack.web import (
    ApiError,
    auth_middleware,
    base_url,
    cloud_of,
    error_middleware,
    identity_of,
    int_query,
    json_response,
    read_json,
)

CORE = {
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
    "min_disk",
    "min_ram",
    "disk_format",
    "container_format",
    "owner",
    "created_at",
    "updated_at",
    "tags",
    "self",
    "file",
    "schema",
    "os_hidden",
    "direct_url",
    "locations",
}
SETTABLE = {
    "name",
    "visibility",
    "protected",
    "min_disk",
    "min_ram",
    "disk_format",
    "container_format",
    "tags",
    "os_hidden",
}
PUBLIC = {"/image", "/image/", "/image/v2", "/image/v2/"}


def glance_error(status: int, message: str, kind: str | None = None) -> dict[str, Any]:
    title = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}
    return {"code": status, "title": title.get(status, "Error"), "message": message}


def image_view(image: Image) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": image.id,
        "name": image.name,
        "status": image.status,
        "visibility": image.visibility,
        "protected": image.protected,
        "checksum": image.checksum,
        "os_hash_algo": image.os_hash_algo,
        "os_hash_value": image.os_hash_value,
        "size": image.size,
        "virtual_size": None,
        "min_disk": image.min_disk,
        "min_ram": image.min_ram,
        "disk_format": image.disk_format,
        "container_format": image.container_format,
        "owner": image.owner,
        "created_at": iso(image.created_at),
        "updated_at": iso(image.updated_at),
        "tags": list(image.tags),
        "self": f"/v2/images/{image.id}",
        "file": f"/v2/images/{image.id}/file",
        "schema": "/v2/schemas/image",
        "os_hidden": False,
    }
    body.update(image.properties)
    return body


def _visible(request: web.Request, image: Image) -> bool:
    identity = identity_of(request)
    return (
        identity.is_admin
        or image.visibility in ("public", "community")
        or image.owner == identity.project_id
    )


def find_image(request: web.Request) -> Image:
    image_id = request.match_info["image_id"]
    image = cloud_of(request).images.get(image_id)
    if image is None or not _visible(request, image):
        raise ApiError(404, f"No image found with ID {image_id}")
    return image


async def versions(request: web.Request) -> web.Response:
    href = f"{base_url(request)}/image/v2/"
    items = [
        {
            "id": f"v2.{minor}",
            "status": "CURRENT" if minor == 16 else "SUPPORTED",
            "links": [{"rel": "self", "href": href}],
        }
        for minor in range(16, -1, -1)
    ]
    return json_response({"versions": items}, 300 if request.path in ("/image", "/image/") else 200)


async def list_images(request: web.Request) -> web.Response:
    query = request.query
    images = [i for i in cloud_of(request).images.values() if _visible(request, i)]
    for key in ("name", "status", "visibility", "owner", "disk_format", "container_format"):
        if key in query:
            images = [i for i in images if str(getattr(i, key)) == query[key]]
    for tag in query.getall("tag", []):
        images = [i for i in images if tag in i.tags]
    images.sort(key=lambda i: (i.created_at, i.id), reverse=True)
    marker = query.get("marker")
    if marker:
        ids = [i.id for i in images]
        if marker not in ids:
            raise ApiError(400, f"marker {marker} not found")
        images = images[ids.index(marker) + 1 :]
    limit = int_query(request, "limit", 25) or 25
    body: dict[str, Any] = {
        "images": [image_view(i) for i in images[:limit]],
        "first": "/v2/images",
        "schema": "/v2/schemas/images",
    }
    if len(images) > limit:
        body["next"] = f"/v2/images?marker={images[limit - 1].id}&limit={limit}"
    return json_response(body)


async def create_image(request: web.Request) -> web.Response:
    raw = await read_json(request)
    identity = identity_of(request)
    if raw.get("visibility") == "public" and not identity.is_admin:
        raise ApiError(403, "You are not authorized to complete publicize_image action.")
    image = Image(
        id=str(raw.get("id") or new_id()),
        name=str(raw.get("name") or ""),
        owner=identity.project_id,
        visibility=raw.get("visibility", "shared"),
    )
    if image.id in cloud_of(request).images:
        raise ApiError(409, f"Image with identifier {image.id} already exists!")
    _apply(image, raw)
    cloud_of(request).images[image.id] = image
    return json_response(
        image_view(image), 201, {"Location": f"{base_url(request)}/image/v2/images/{image.id}"}
    )


def _apply(image: Image, raw: dict[str, Any]) -> None:
    for key, value in raw.items():
        if key in SETTABLE:
            setattr(image, key, list(value) if key == "tags" else value)
        elif key not in CORE:
            image.properties[key] = value
        elif key not in ("id", "visibility"):
            raise ApiError(403, f"Attribute '{key}' is read-only.")
    image.updated_at = utc_now()


async def update_image(request: web.Request) -> web.Response:
    image = find_image(request)
    if image.owner != identity_of(request).project_id:
        identity_of(request).require_admin("modify_image")
    raw = await request.json()
    if not isinstance(raw, list):
        raise ApiError(400, "Request body must be a JSON array of operation objects.")
    for op in raw:
        key = str(op.get("path", "")).lstrip("/")
        if op.get("op") in ("add", "replace"):
            _apply(image, {key: op.get("value")})
        elif op.get("op") == "remove":
            if key in CORE:
                raise ApiError(403, f"Attribute '{key}' is read-only.")
            image.properties.pop(key, None)
        else:
            raise ApiError(400, f"Invalid operation: {op.get('op')}")
    return json_response(image_view(image))


async def show_image(request: web.Request) -> web.Response:
    return json_response(image_view(find_image(request)))


async def delete_image(request: web.Request) -> web.Response:
    image = find_image(request)
    if image.owner != identity_of(request).project_id:
        identity_of(request).require_admin("delete_image")
    if image.protected:
        raise ApiError(403, f"Image {image.id} is protected and cannot be deleted.")
    del cloud_of(request).images[image.id]
    return web.Response(status=204)


async def upload(request: web.Request) -> web.Response:
    image = find_image(request)
    if image.status not in ("queued", "saving"):
        raise ApiError(409, "Image status transition from active to saving is not allowed")
    set_image_data(image, await request.read())
    image.updated_at = utc_now()
    return web.Response(status=204)


async def download(request: web.Request) -> web.Response:
    image = find_image(request)
    if image.data is None:
        return web.Response(status=204)
    return web.Response(
        body=image.data,
        content_type="application/octet-stream",
        headers={"Content-MD5": image.checksum or ""},
    )


def image_app() -> web.Application:
    app = web.Application(
        middlewares=[error_middleware(glance_error), auth_middleware(lambda r: r.path in PUBLIC)]
    )
    app.router.add_get("/", versions)
    app.router.add_get("/v2", versions)
    app.router.add_get("/v2/", versions)
    app.router.add_get("/v2/images", list_images)
    app.router.add_post("/v2/images", create_image)
    app.router.add_get("/v2/images/{image_id}", show_image)
    app.router.add_patch("/v2/images/{image_id}", update_image)
    app.router.add_delete("/v2/images/{image_id}", delete_image)
    app.router.add_put("/v2/images/{image_id}/file", upload)
    app.router.add_get("/v2/images/{image_id}/file", download)
    return app


def install(app: web.Application) -> None:
    app.router.add_get("/image", versions)
    app.add_subapp("/image", image_app())
