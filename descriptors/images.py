"""Software images: the bytes a VNFD's ``SwImage`` artifact names, checked against
what the VNFD says of them (SOL001 ``SwImageData``: checksum, size, container and
disk format).

Read from the plain YAML of the package (no tosca-parser), so the same check serves
``nfvo package build`` on a source tree, ``validate`` and onboarding. An image path
is relative to the template that names it (a path from the package root is accepted
when that is where the file is); one that climbs out of the package, or whose file is
absent, is an error; a URL is an image kept elsewhere and is not checked. Digests
come from :class:`descriptors.digests.FileDigests`, which reads each image once for
this check, the manifest's and an artifact signature's together.

SOL001 rules on the description: in 2.x a VDU (or virtual storage) with a ``SwImage``
artifact describes it in ``sw_image_data``; 3.x may use either that or the
artifact's properties (4.x only the latter, which its types require); a node has at
most one ``SwImage`` artifact.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from descriptors.archive import resolve_in_package
from descriptors.digests import FileDigests, hash_name
from descriptors.manifest import is_external
from descriptors.problems import Problem, Severity
from descriptors.yaml_paths import compose, line_at

SW_IMAGE = "tosca.artifacts.nfv.SwImage"
TOSCA_1_2 = "tosca_simple_yaml_1_2"
_SIZE = re.compile(r"^\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z]+)\s*$")
UNITS = {
    "b": 1,
    "kb": 1000,
    "kib": 1024,
    "mb": 1000**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "gib": 1024**3,
    "tb": 1000**4,
    "tib": 1024**4,
}
#: disk formats a file announces in its header; raw and the Amazon kinds announce none
HEADED_FORMATS = frozenset({"qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso"})
TAR_CONTAINERS = frozenset({"ova", "ovf", "docker"})
UNCHECKED_FORMATS = frozenset({"aki", "ari", "ami"})


@dataclass(frozen=True)
class ImageClaim:
    """A ``SwImage`` artifact and the description the VNFD gives of its file."""

    file: str
    node: str
    artifact: str
    written: str
    target: str | None
    description: Mapping[str, Any]
    described_at: tuple[str, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return ("topology_template", "node_templates", self.node, "artifacts", self.artifact)


def _family_is_2x(document: Mapping[str, Any]) -> bool:
    return str(document.get("tosca_definitions_version", "")) == TOSCA_1_2


def _nodes(document: Any) -> Mapping[str, Any]:
    if not isinstance(document, dict):
        return {}
    topology = document.get("topology_template")
    nodes = topology.get("node_templates") if isinstance(topology, dict) else None
    return nodes if isinstance(nodes, dict) else {}


def find_images(
    root: Path, documents: Mapping[str, list[Any]]
) -> tuple[list[ImageClaim], list[Problem]]:
    """Every ``SwImage`` artifact of the package's templates, and the SOL001 rules'
    findings about how they are described."""
    claims: list[ImageClaim] = []
    problems: list[Problem] = []
    for file, docs in documents.items():
        for document in docs:
            for node_name, node in _nodes(document).items():
                if isinstance(node, dict):
                    found, wrong = _node_images(file, document, str(node_name), node)
                    claims += found
                    problems += wrong
    return claims, [_located(p, root) for p in problems]


def _node_images(
    file: str, document: Mapping[str, Any], node_name: str, node: Mapping[str, Any]
) -> tuple[list[ImageClaim], list[Problem]]:
    artifacts = node.get("artifacts")
    if not isinstance(artifacts, dict):
        return [], []
    images = {
        str(name): artifact
        for name, artifact in artifacts.items()
        if isinstance(artifact, dict) and artifact.get("type") == SW_IMAGE
    }
    node_keys = ("topology_template", "node_templates", node_name)
    problems: list[Problem] = []
    if len(images) > 1:
        message = f'"{node_name}" has {len(images)} SwImage artifacts; SOL001 allows one image'
        problems.append(_problem("image-count", message, file, (*node_keys, "artifacts")))
    properties = node.get("properties") if isinstance(node.get("properties"), dict) else {}
    data = properties.get("sw_image_data") if isinstance(properties, dict) else None
    claims: list[ImageClaim] = []
    for name, artifact in images.items():
        own = artifact.get("properties")
        keys = (*node_keys, "artifacts", name)
        if _family_is_2x(document) and not isinstance(data, dict):
            message = (
                f'"{node_name}" has the SwImage artifact "{name}" but no sw_image_data, '
                "which SOL001 2.x requires to describe it"
            )
            problems.append(_problem("image-description", message, file, keys))
            continue
        at: tuple[str, ...]
        if isinstance(data, dict):
            description, at = data, (*node_keys, "properties", "sw_image_data")
        elif isinstance(own, dict):
            description, at = own, (*keys, "properties")
        else:
            message = (
                f'"{node_name}" does not describe its SwImage artifact "{name}" '
                "(sw_image_data or the artifact's properties)"
            )
            problems.append(_problem("image-description", message, file, keys))
            continue
        written = str(artifact.get("file", ""))
        claims.append(
            ImageClaim(file, node_name, name, written, _target(file, written), description, at)
        )
    return claims, problems


def _target(file: str, written: str) -> str | None:
    """The image's package path, relative to its template; None for a URL or an escape."""
    if is_external(written):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(file), written))
    if written.startswith("/") or joined == ".." or joined.startswith("../"):
        return None
    return joined


def want_digests(root: Path, claims: list[ImageClaim], digests: FileDigests) -> None:
    for claim in claims:
        path = _resolved(root, claim)
        name = hash_name(str(_mapping(claim.description.get("checksum")).get("algorithm", "")))
        if isinstance(path, Path) and name is not None:
            digests.want(path, name)


def _resolved(root: Path, claim: ImageClaim) -> Path | Problem | None:
    """The image file; None when it is kept elsewhere (a URL)."""
    if is_external(claim.written):
        return None
    if claim.target is None:
        message = f'image path "{claim.written}" climbs out of the package'
        return _problem("image-path", message, claim.file, (*claim.keys, "file"))
    path = resolve_in_package(root, claim.target)
    if isinstance(path, Path) and not path.is_file() and "/" in claim.written:
        from_root = resolve_in_package(root, claim.written)  # written from the package root
        path = from_root if isinstance(from_root, Path) and from_root.is_file() else path
    if isinstance(path, Problem):  # a link on the way: as bad as climbing out
        return _problem("image-path", path.message, claim.file, (*claim.keys, "file"))
    if not path.is_file():
        message = f'software image "{claim.written}" ({claim.target}) is not in the package'
        return _problem("missing-image", message, claim.file, (*claim.keys, "file"))
    return path


def check_images(root: Path, claims: list[ImageClaim], digests: FileDigests) -> list[Problem]:
    """Each image present, inside the package, and as its description says."""
    problems: list[Problem] = []
    for claim in claims:
        path = _resolved(root, claim)
        if isinstance(path, Problem):
            problems.append(path)
        elif path is not None:
            problems += _check_bytes(path, claim, digests)
    return [_located(p, root) for p in problems]


def _check_bytes(path: Path, claim: ImageClaim, digests: FileDigests) -> list[Problem]:
    described = claim.description
    at = claim.described_at
    found: list[Problem] = []
    checksum = _mapping(described.get("checksum"))
    algorithm = str(checksum.get("algorithm", ""))
    name = hash_name(algorithm)
    expected = "".join(str(checksum.get("hash", "")).split()).lower()
    if name is None:
        message = f'checksum algorithm "{algorithm}" of "{claim.written}" is not a SHA-2 digest'
        found.append(_problem("image-checksum", message, claim.file, (*at, "checksum")))
    elif (actual := digests.hexdigest(path, name)) != expected:
        message = f'{algorithm} of "{claim.written}" is {actual}, the descriptor says {expected}'
        found.append(_problem("image-checksum", message, claim.file, (*at, "checksum", "hash")))
    size_problem = _check_size(path, claim)
    found += [size_problem] if size_problem else []
    format_problem = _check_format(path, claim)
    found += [format_problem] if format_problem else []
    return found


def size_in_bytes(text: str) -> tuple[int, int] | None:
    """A scalar-unit.size as (bytes, bytes per unit written), or None if not one."""
    match = _SIZE.match(text)
    if match is None or match["unit"].lower() not in UNITS:
        return None
    unit = UNITS[match["unit"].lower()]
    return int(float(match["number"]) * unit), unit


def _check_size(path: Path, claim: ImageClaim) -> Problem | None:
    """The file's size against the declared one, to within the unit it is written in
    (``4096 B`` exactly, ``1 GB`` to the gigabyte: sizes are rounded where written). A
    file larger than declared is an error; a declared size larger than the file (a disk
    size written where the image's belongs, as many samples do) only a warning: the
    checksum already vouches for the bytes."""
    declared = str(claim.description.get("size", ""))
    parsed = size_in_bytes(declared)
    actual = path.stat().st_size
    if parsed is None or abs(actual - parsed[0]) < parsed[1]:
        return None  # an unreadable size is the type check's finding
    where = (*claim.described_at, "size")
    if actual > parsed[0]:
        message = (
            f'"{claim.written}" is {actual} bytes, more than the {declared} the descriptor says'
        )
        return _problem("image-size", message, claim.file, where)
    message = (
        f'"{claim.written}" is {actual} bytes, far less than the {declared} the descriptor says'
    )
    return _problem("image-size", message, claim.file, where).model_copy(
        update={"severity": Severity.WARNING}
    )


def sniff_format(path: Path) -> str | None:
    """The disk or container format a file's header announces, or None (raw, unknown)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(512)
        footer = b""
        if size >= 512:
            handle.seek(size - 512)
            footer = handle.read(8)
        handle.seek(0x8001)
        iso = handle.read(5)
    signatures = (
        (head.startswith(b"QFI\xfb"), "qcow2"),
        (head.startswith((b"KDMV", b"# Disk DescriptorFile")), "vmdk"),
        (head.startswith(b"vhdxfile"), "vhdx"),
        (head.startswith(b"conectix") or footer == b"conectix", "vhd"),
        (head[0x40:0x44] == b"\x7f\x10\xda\xbe", "vdi"),
        (iso == b"CD001", "iso"),
        (head[257:262] == b"ustar", "tar"),
    )
    return next((name for matched, name in signatures if matched), None)


def _check_format(path: Path, claim: ImageClaim) -> Problem | None:
    container = str(claim.description.get("container_format", "")).lower()
    disk = str(claim.description.get("disk_format", "")).lower()
    found = sniff_format(path)
    at = claim.described_at
    if container in TAR_CONTAINERS:
        if found == "tar":
            return None
        message = f'"{claim.written}" is not a tar archive, as container format {container} is'
        return _problem("image-format", message, claim.file, (*at, "container_format"))
    if container in UNCHECKED_FORMATS or disk in UNCHECKED_FORMATS or not disk:
        return None
    if disk in HEADED_FORMATS and found != disk:
        seen = f"a {found} file" if found else f"not a {disk} image"
        message = f'"{claim.written}" is {seen}, the descriptor says disk format {disk}'
        return _problem("image-format", message, claim.file, (*at, "disk_format"))
    if disk == "raw" and found in HEADED_FORMATS - {"iso"}:
        message = f'"{claim.written}" is a {found} image, the descriptor says disk format raw'
        return _problem("image-format", message, claim.file, (*at, "disk_format"))
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _problem(code: str, message: str, file: str, keys: tuple[str, ...]) -> Problem:
    return Problem(code=code, message=message, file=file, path=".".join(keys))


def _located(problem: Problem, root: Path) -> Problem:
    """The problem with the line its path starts at, when the file can be read."""
    if problem.file is None or problem.path is None:
        return problem
    line = line_at(compose(root / problem.file), problem.path.split("."))
    return problem.model_copy(update={"line": line})
