"""Glance images and Cinder volumes through the VIM session.

Glance computes MD5 and SHA-512 of what it receives; a package names its image by
SHA-256 (or another algorithm), so the package's own hash is kept as an image
property and the image is looked up by it before anything is uploaded again.
Cinder volumes have no tags: their deterministic name is the key, and the identity
rides in their metadata for people and audits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nfvo.vim.errors import VimNotFound
from nfvo.vim.session import VimSession
from nfvo.vim.tags import ResourceIdentity

HASH_PROPERTY = "nfvo_image_hash"


@dataclass(frozen=True)
class ImageRequest:
    name: str
    image_hash: str  # "<algorithm>:<hex>" as the package states it
    path: Path
    disk_format: str = "qcow2"
    container_format: str = "bare"
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Image:
    id: str
    name: str
    status: str
    size: int | None
    properties: dict[str, Any]


def _image(body: dict[str, Any]) -> Image:
    return Image(body["id"], body.get("name", ""), body.get("status", ""), body.get("size"), body)


class Storage:
    def __init__(self, session: VimSession) -> None:
        self.session = session

    async def find_image(self, image_hash: str) -> Image | None:
        body = await self.session.request(
            "image", "GET", "/images", call="find image",
            params={HASH_PROPERTY: image_hash, "status": "active"},
        )  # fmt: skip
        images = [_image(i) for i in body.get("images", []) if i.get(HASH_PROPERTY) == image_hash]
        return images[0] if images else None

    async def image_named(self, name: str) -> Image:
        """An active image an operator uploaded under ``name`` (Glance filters names exactly)."""
        body = await self.session.request(
            "image", "GET", "/images", call="find image by name",
            params={"name": name, "status": "active"},
        )  # fmt: skip
        images = [_image(i) for i in body.get("images", []) if i.get("name") == name]
        if not images:
            raise VimNotFound(self.session.name, "find image", f"no active image named {name!r}")
        return images[0]

    async def ensure_image(self, request: ImageRequest) -> Image:
        """The active image with the package's hash, uploading it only if absent."""

        async def create() -> Image:
            body = {
                "name": request.name,
                "disk_format": request.disk_format,
                "container_format": request.container_format,
                HASH_PROPERTY: request.image_hash,
                **request.properties,
            }
            image = await self.session.request(
                "image", "POST", "/images", call="create image", json=body
            )
            await self.session.request(
                "image", "PUT", f"/images/{image['id']}/file", call="upload image",
                data=request.path.read_bytes(),
                headers={"Content-Type": "application/octet-stream"},
            )  # fmt: skip
            shown = await self.session.request(
                "image", "GET", f"/images/{image['id']}", call="show image"
            )
            return _image(shown)

        return await self.session.create_once(
            "upload image", lambda: self.find_image(request.image_hash), create
        )

    async def find_volume(self, identity: ResourceIdentity) -> dict[str, Any] | None:
        body = await self.session.request(
            "block_storage", "GET", "/volumes/detail", call="find volume",
            params={"name": identity.name()},
        )  # fmt: skip
        found = [v for v in body.get("volumes", []) if v.get("name") == identity.name()]
        return found[0] if found else None

    async def ensure_volume(
        self, identity: ResourceIdentity, size_gb: int, zone: str | None = None
    ) -> dict[str, Any]:
        async def create() -> dict[str, Any]:
            volume: dict[str, Any] = {
                "name": identity.name(),
                "size": size_gb,
                "metadata": {"nfvo_tags": " ".join(identity.tags())},
            }
            if zone:
                volume["availability_zone"] = zone
            body = await self.session.request(
                "block_storage", "POST", "/volumes", call="create volume", json={"volume": volume}
            )
            return dict(body["volume"])

        return await self.session.create_once(
            "create volume", lambda: self.find_volume(identity), create
        )

    async def delete_volume(self, volume_id: str) -> bool:
        try:
            await self.session.request(
                "block_storage", "DELETE", f"/volumes/{volume_id}", call="delete volume"
            )
        except VimNotFound:
            return False
        return True
