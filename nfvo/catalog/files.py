"""Package files in and out of the blob store, and the PNFD summary.

At onboarding every file of the opened package becomes its own blob
(``{kind}/{id}/f/{n}``) so that ``artifacts/{path}``, ``vnfd`` and ``manifest``
(SOL005 clauses 9.4.4, 9.4.4a, 9.4.7) are served with byte ranges without opening the
archive again; the archive itself stays as ``{kind}/{id}/content``.
"""

from __future__ import annotations

import asyncio
import io
import posixpath
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from descriptors.archive import DEFAULT_LIMITS
from descriptors.loader import LoadedPackage
from descriptors.package_files import SIGNATURE_SUFFIXES, open_package
from descriptors.package_security import SignaturePolicy
from descriptors.problems import DescriptorError, Problem
from descriptors.yaml_guard import check_yaml_file
from nfvo.catalog.records import CatalogRecord, StoredFile
from nfvo.store.blobs import BlobStore

ZIP_MAGIC = b"PK\x03\x04"
_META = "TOSCA-Metadata/TOSCA.meta"


def content_key(kind: str, record_id: str) -> str:
    return f"{kind}/{record_id}/content"


async def write_source(blobs: BlobStore, key: str, work: Path) -> Path:
    """The stored content as a local file (a zip) or a directory (plain YAML)."""
    head = await blobs.read(key, 0, min(4, (await blobs.stat(key)).size))
    if head == ZIP_MAGIC:
        target = work / "package.zip"
    else:  # SOL005 clause 5.4.4.3.3: an NSD may be uploaded as one YAML file
        (work / "plain").mkdir()
        target = work / "plain" / "descriptor.yaml"
    with target.open("wb") as handle:
        async for chunk in blobs.get(key):
            handle.write(chunk)
    return target if head == ZIP_MAGIC else target.parent


def _role(relative: str, loaded: LoadedPackage | None, images: set[str]) -> str:
    if relative in images:
        return "image"
    if relative == _META:
        return "meta"
    if relative.endswith(SIGNATURE_SUFFIXES):
        return "signature"
    if loaded is None:
        return "descriptor" if relative.endswith((".yaml", ".yml")) else "artifact"
    files = loaded.files
    descriptors = {files.entry_definitions, *files.other_definitions}
    if any(files.root / relative == path for path in descriptors):
        return "descriptor"
    entry_dir = files.entry_definitions.parent
    beside_entry = entry_dir != files.root and (files.root / relative).parent == entry_dir
    if beside_entry and relative.endswith((".yaml", ".yml")):  # imported type definitions
        return "descriptor"
    if files.manifest is not None and relative == files.manifest.file:
        return "manifest"
    if files.certificate is not None and files.root / relative == files.certificate:
        return "certificate"
    if files.manifest is not None and any(
        relative in (s.signature, s.certificate) for s in files.manifest.sources
    ):
        return "signature"  # an artifact's own signature or certificate
    return "artifact"


def _non_mano_sets(loaded: LoadedPackage | None) -> dict[str, str]:
    if loaded is None or loaded.files.manifest is None:
        return {}
    return {
        path: name
        for name, paths in loaded.files.manifest.non_mano_artifact_sets.items()
        for path in paths
    }


async def _chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            yield chunk


async def collect_files(
    blobs: BlobStore, record: CatalogRecord, root: Path, loaded: LoadedPackage | None
) -> list[StoredFile]:
    images = {image.image_path for image in record.images}
    sets = _non_mano_sets(loaded)
    stored: list[StoredFile] = []
    paths = await asyncio.to_thread(_package_paths, root)
    for number, path in enumerate(paths):
        relative = path.relative_to(root).as_posix()
        key = f"{record.kind.value}/{record.id}/f/{number}"
        info = await blobs.put(key, _chunks(path), max_size=path.stat().st_size)
        stored.append(
            StoredFile(
                path=relative,
                blob_key=key,
                size=info.size,
                sha256=info.sha256,
                role=_role(relative, loaded, images),
                non_mano_set=sets.get(relative),
            )
        )
    return stored


def _package_paths(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


async def zip_of(blobs: BlobStore, files: list[StoredFile]) -> bytes:
    """A zip of ``files`` at their package paths (descriptor or artifacts downloads)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in files:
            archive.writestr(item.path, await blobs.read(item.blob_key))
    return buffer.getvalue()


def pnfd_summary(
    source: Path, work: Path, policy: SignaturePolicy
) -> tuple[dict[str, Any], list[Problem], Path]:
    """The PNF node's properties (SOL001 clause 7.9.1 tosca.nodes.nfv.PNF), or problems."""
    try:
        files = open_package(source, work, keep_going=True, signatures=policy)
    except DescriptorError as exc:
        return {}, exc.problems, source
    entry = files.entry_definitions.relative_to(files.root).as_posix()
    documents, problems = check_yaml_file(files.entry_definitions, entry, DEFAULT_LIMITS)
    if problems:
        return {}, problems, files.root
    template = (documents[0] or {}) if documents else {}
    nodes = (template.get("topology_template") or {}).get("node_templates") or {}
    for node in nodes.values():
        if isinstance(node, dict) and str(node.get("type", "")).endswith("PNF"):
            props = node.get("properties") or {}
            fields = {
                "descriptor_id": str(props.get("descriptor_id", "")) or None,
                "provider": props.get("provider"),
                "product_name": props.get("name"),
                "descriptor_version": str(props.get("version", "")) or None,
                "invariant_id": props.get("descriptor_invariant_id"),
            }
            if fields["descriptor_id"]:
                return fields, [], files.root
    message = "this is not a PNFD: no PNF node with a descriptor_id"
    return (
        {},
        [Problem(message=message, file=entry, path="topology_template/node_templates")],
        files.root,
    )


def is_single_descriptor(files: list[StoredFile]) -> bool:
    return len([f for f in files if f.role == "descriptor"]) == 1


def descriptor_entry(files: list[StoredFile]) -> StoredFile | None:
    found = [f for f in files if f.role == "descriptor"]
    return found[0] if found else None


def package_path(loaded: LoadedPackage, artifact: str) -> str:
    """An artifact path as written in a descriptor (relative to that file) from the root."""
    entry_dir = loaded.files.entry_definitions.parent.relative_to(loaded.files.root)
    return posixpath.normpath(posixpath.join(entry_dir.as_posix(), artifact)).lstrip("/")
