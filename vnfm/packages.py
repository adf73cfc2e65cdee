"""VNF packages as the VNF manager sees them: read from the NFVO, parsed with
``descriptors``, cached by vnfdId and package checksum.

``GET /vnfpkgm/v2/onboarded_vnf_packages/{vnfdId}`` names the package's checksum; the
package content (``.../package_content``) is downloaded once per checksum into the
cache directory, unpacked and parsed there (tosca-parser runs in a thread), and the
parsed package kept in memory. A re-onboarded package (a new checksum) is read anew.
Never the NFVO's store: any NFVO serving SOL003 package management will do.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from descriptors.loader import load_package
from descriptors.model import Flavour, SoftwareImage, Vnfd
from descriptors.package_security import SignaturePolicy
from descriptors.problems import DescriptorError
from descriptors.requirements import VduRequirement
from nfvo.store.errors import PermanentError
from nfvo.store.keys import is_valid_id
from nfvo.store.resources import ResourceKey
from vnfm.nfvo_client import PACKAGE_VERSION, NfvoClient, NfvoRefused


class UnknownVnfd(PermanentError):
    """The NFVO has no onboarded package with this vnfdId."""


class UnreadablePackage(PermanentError):
    """The NFVO serves a package whose descriptor this manager cannot read."""


@dataclass(frozen=True)
class VnfPackage:
    """One onboarded VNF package: its descriptor, requirements and unpacked files."""

    vnfd_id: str
    checksum: str
    vnfd: Vnfd
    requirements: dict[str, dict[str, VduRequirement]]
    definitions: Path  # the folder of the unpacked entry definitions file

    def flavour(self, flavour_id: str) -> Flavour | None:
        return next((f for f in self.vnfd.flavours if f.flavour_id == flavour_id), None)

    def artifact(self, image: SoftwareImage) -> Path:
        """The software image's file in the unpacked package (relative to the VNFD)."""
        if image.file is None:
            raise PermanentError(f"software image {image.name} names no file in the package")
        path = (self.definitions / image.file).resolve()
        if not path.is_file():
            raise PermanentError(f"software image {image.name}: {image.file} is not in the package")
        return path


def _key(vnfd_id: str, checksum: str) -> str:
    return hashlib.sha256(f"{vnfd_id}\n{checksum}".encode()).hexdigest()[:24]


@dataclass
class PackageSource:
    client: NfvoClient
    cache_dir: Path
    # The manager verifies what it deploys as the NFVO did (its own trust anchors).
    signatures: SignaturePolicy = field(default_factory=SignaturePolicy)
    _parsed: dict[str, VnfPackage] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def get(self, vnfd_id: str) -> VnfPackage:
        """The package whose VNFD is ``vnfd_id``; UnknownVnfd if the NFVO has none."""
        info = await self._info(vnfd_id)
        checksum = info.get("checksum") or {}
        digest = f"{checksum.get('algorithm', '')}:{checksum.get('hash', '')}"
        key = _key(vnfd_id, digest)
        async with self._locks.setdefault(key, asyncio.Lock()):
            if key not in self._parsed:
                self._parsed[key] = await self._fetch(vnfd_id, digest, key)
            return self._parsed[key]

    async def _info(self, vnfd_id: str) -> dict[str, Any]:
        if not is_valid_id(vnfd_id):  # never an id an NFVO issues, nor safe in a path
            raise UnknownVnfd(f"vnfdId {vnfd_id[:80]!r} is not an identifier an NFVO issues")
        path = f"/vnfpkgm/v2/onboarded_vnf_packages/{vnfd_id}"
        try:
            info: dict[str, Any] = await self.client.get_json(path, version=PACKAGE_VERSION)
        except NfvoRefused as error:
            if error.status == 404:
                raise UnknownVnfd(
                    f"the NFVO has no onboarded VNF package with vnfdId {vnfd_id}"
                ) from None
            raise
        return info

    async def _fetch(self, vnfd_id: str, checksum: str, key: str) -> VnfPackage:
        folder = self.cache_dir / key
        folder.mkdir(parents=True, exist_ok=True)
        archive = folder / "package.zip"
        if not archive.exists():
            path = f"/vnfpkgm/v2/onboarded_vnf_packages/{vnfd_id}/package_content"
            await self.client.download(path, archive, version=PACKAGE_VERSION)
        # Unpacked in a directory of its own, then moved into place whole: managers
        # sharing a data directory (or a crash mid-way) never see a half-unpacked tree.
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".unpacking-"))
        try:
            loaded = await asyncio.to_thread(
                load_package, archive, staging, signatures=self.signatures
            )
            if loaded.vnfd is None:
                raise UnreadablePackage(f"the package of vnfdId {vnfd_id} holds no VNFD")
            unpacked, root = folder / "unpacked", loaded.files.root
            with contextlib.suppress(OSError):  # another process's identical tree is there
                root.rename(unpacked)
        except DescriptorError as error:
            raise UnreadablePackage(
                f"the package of vnfdId {vnfd_id} cannot be read: {error}"
            ) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        definitions = unpacked / loaded.files.entry_definitions.parent.relative_to(root)
        return VnfPackage(vnfd_id, checksum, loaded.vnfd, loaded.requirements, definitions)


PACKAGES: ResourceKey[PackageSource] = ResourceKey("VNF package source", PackageSource)
