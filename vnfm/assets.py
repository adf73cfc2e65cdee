"""What a VNFC is built from besides its ports: the flavour, the software image and the
server group, each taken from the grant where it names one.

- Flavour: the grant's ``vimAssets.computeResourceFlavours`` entry for the VDU (a VIM
  id or name); else an existing flavour with the VDU's sizes and extra specs
  (``nfvo.vim.flavor_specs``), created only where the VIM record says we are admin,
  refused otherwise with the extra specs an admin must provide.
- Image: the grant's ``vimAssets.softwareImages`` entry; else the VIM's image with the
  package's hash property; else the package's artifact, hash verified, uploaded once
  (a Redis lock per hash, so concurrent instantiations upload it once).
- Server group: the one ``additionalParams.placement`` names, made on first use with
  the VDU's rule's policy (affinity or anti-affinity).
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import redis.asyncio as aioredis

from descriptors.model import Flavour, PlacementKind, SoftwareImage, Vdu
from descriptors.requirements import VduRequirement
from nfvo.sol.grant import Grant
from nfvo.store.errors import PermanentError
from nfvo.store.keys import Keyspace
from nfvo.vim.errors import VimConflict
from nfvo.vim.facade import Vim
from nfvo.vim.flavor_specs import flavour_spec
from nfvo.vim.storage import ImageRequest
from vnfm.packages import VnfPackage

_ALGORITHMS = {"sha-224": "sha224", "sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512"}
UPLOAD_LOCK_SECONDS = 600


async def flavour_id(vim: Vim, grant: Grant | None, requirement: VduRequirement) -> str:
    named = grant.flavour_for(requirement.vdu_id) if grant else None
    if named:
        flavors = await vim.compute.flavors()
        found = next((f for f in flavors if named in (f.id, f.name)), None)
        if found is not None:
            return found.id
    # ensure_flavor finds one by content, creates it as admin, or refuses naming the specs.
    spec = flavour_spec(requirement)
    try:
        return (await vim.compute.ensure_flavor(spec)).id
    except VimConflict:  # another instantiation created it between our look and our create
        return (await vim.compute.ensure_flavor(spec)).id


def image_hash(image: SoftwareImage) -> str:
    return f"{image.checksum.algorithm}:{image.checksum.hash}"


def verify(path: Path, image: SoftwareImage) -> None:
    algorithm = _ALGORITHMS.get(image.checksum.algorithm.lower())
    if algorithm is None:
        raise PermanentError(
            f"image {image.name}: unknown hash algorithm {image.checksum.algorithm}"
        )
    digest = hashlib.new(algorithm)
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    if digest.hexdigest().lower() != image.checksum.hash.lower():
        raise PermanentError(
            f"image {image.name}: the package's file does not have the hash its VNFD states"
        )


async def image_id(
    vim: Vim,
    grant: Grant | None,
    package: VnfPackage,
    vdu: Vdu,
    redis: aioredis.Redis,
    keyspace: Keyspace,
) -> str:
    if grant is not None and grant.vim_assets is not None:
        for granted in grant.vim_assets.software_images:
            if granted.vnfd_software_image_id in (vdu.vdu_id, vdu.image.name if vdu.image else ""):
                return granted.vim_software_image_id
    image = vdu.image
    if image is None:
        raise PermanentError(f"VDU {vdu.vdu_id} has no software image and the grant names none")
    wanted = image_hash(image)
    found = await vim.storage.find_image(wanted)
    if found is not None:
        return found.id
    path = package.artifact(image)
    await asyncio.to_thread(verify, path, image)
    lock = keyspace.lock(
        "image-upload", hashlib.sha256(f"{vim.name}/{wanted}".encode()).hexdigest()
    )
    while not await redis.set(lock, "1", nx=True, ex=UPLOAD_LOCK_SECONDS):
        await asyncio.sleep(0.2)  # another instantiation uploads it: then find it
        found = await vim.storage.find_image(wanted)
        if found is not None:
            return found.id
    try:
        request = ImageRequest(
            name=image.name,
            image_hash=wanted,
            path=path,
            disk_format=image.disk_format,
            container_format=image.container_format,
        )
        return (await vim.storage.ensure_image(request)).id
    finally:
        await redis.delete(lock)


def group_policy(flavour: Flavour, vdu_id: str) -> str:
    """Nova's policy for the server group of ``vdu_id``'s placement rule."""
    for rule in flavour.placement_rules:
        if vdu_id in rule.targets and rule.scope == "nfvi_node":
            return "affinity" if rule.kind is PlacementKind.AFFINITY else "anti-affinity"
    return "soft-anti-affinity"
