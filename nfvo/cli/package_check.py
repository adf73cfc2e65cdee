"""A package checked on this machine, the one way ``validate``, ``build`` and ``onboard``
check it.

A *source tree* (a directory whose manifest lists no file, like the shipped
``descriptors/packages/*``) is checked as ``nfvo package build`` would write it: built
into the work directory (the build computes the manifest's listing and digests), then
the CSAR is checked. An archive, or an unpacked package whose manifest lists its files,
is checked as it is. Warnings are always reported; ``strict`` makes them errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from descriptors.build import build_package, build_work
from descriptors.loader import LoadedPackage, load_package
from descriptors.package_security import PackageSigner, SignatureMode, SignaturePolicy
from descriptors.problems import DescriptorError, Problem, Severity
from descriptors.summary import PackageRow, package_row
from nfvo.cli.progress import byte_bar

NOT_CHECKED = SignaturePolicy(SignatureMode.OFF)


def is_source_tree(path: Path) -> bool:
    """A directory whose manifests list no file: ``nfvo package build`` lists them."""
    if not path.is_dir():
        return False
    for manifest in path.glob("*.mf"):
        text = manifest.read_text(encoding="utf-8", errors="replace")
        if any(line.lstrip().startswith("Source:") for line in text.splitlines()):
            return False
    return True


@dataclass
class Checked:
    """What checking one package found."""

    path: Path
    archive: Path | None  # what was checked: the path itself, or the CSAR built from it
    loaded: LoadedPackage | None
    problems: list[Problem] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)  # the manifest's, if read

    @property
    def valid(self) -> bool:
        return self.loaded is not None

    @property
    def kind(self) -> str:
        if self.loaded is None:
            return "?"
        return "nsd" if self.loaded.nsd is not None else self.loaded.files.kind.value

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    def row(self) -> PackageRow:
        if self.loaded is not None:
            return package_row(self.loaded)
        name = self.metadata.get("vnf_product_name") or self.metadata.get("nsd_name")
        version = self.metadata.get("vnf_package_version") or self.metadata.get(
            "nsd_file_structure_version", ""
        )
        return PackageRow(
            name=name or self.path.name, kind="?", version=version, size="", status="invalid",
            signature="",
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        security = self.loaded.files.security if self.loaded is not None else None
        return {
            "path": str(self.path),
            "row": self.row(),
            "signature": security.model_dump(mode="json") if security else None,
            "problems": [p.model_dump(mode="json") for p in self.problems],
        }


def build(source: Path, out_dir: Path, signer: PackageSigner | None = None) -> Path:
    """``source`` built into ``out_dir``, the bytes shown as they go."""
    with byte_bar(build_work(source), f"building {source.name}") as advance:
        return build_package(source, out_dir, signer, advance)


def check_package(
    path: Path, work: Path, *, strict: bool = False, policy: SignaturePolicy = NOT_CHECKED
) -> Checked:
    """Check ``path`` (a source tree built into ``work`` first); never raises for what is
    wrong with the package: it is in the result's ``problems``."""
    archive = path
    try:
        if is_source_tree(path):
            archive = build(path, work / "built")
        loaded = load_package(archive, work / "open", strict=strict, signatures=policy)
    except DescriptorError as exc:
        return Checked(path, None, None, exc.problems, exc.metadata)
    manifest = loaded.files.manifest
    metadata = dict(manifest.metadata) if manifest is not None else {}
    return Checked(path, archive, loaded, list(loaded.warnings), metadata)
