"""A package in, a typed VNFD or NSD out: open, parse with tosca-parser, build, normalise.

:func:`load_package` is the one entry point the catalogue, the CLI and the tests use.
:func:`read_descriptor` does the TOSCA half on an already opened tree (the entry
definitions file and the package root), which is what the corpus and differential
tests call on unpacked directories.

The VNFD and NSD halves of the reading live in ``vnfd_reader`` and ``nsd_reader``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from descriptors.consistency import Finding, flavour_findings, ns_flavour_findings
from descriptors.imports import ImportSession, TypeLibrary
from descriptors.locations import locate_anchor
from descriptors.model import Nsd, Vnfd
from descriptors.node_types import NS, VNF
from descriptors.normalise import normalise_flavour
from descriptors.nsd_reader import read_nsd
from descriptors.package_files import PackageFiles, open_package
from descriptors.package_security import DEFAULT_POLICY, SignaturePolicy
from descriptors.problems import DescriptorError, Problem, has_errors
from descriptors.requirements import VduRequirement
from descriptors.tosca import (
    nodes_of,
    parse_template,
)
from descriptors.vnfd_reader import read_vnfd
from descriptors.yaml_paths import compose, line_at


@dataclass(frozen=True)
class Descriptor:
    """What the TOSCA half found in one entry definitions file."""

    vnfd: Vnfd | None
    nsd: Nsd | None
    problems: tuple[Problem, ...]
    entry: str = ""
    node_files: dict[str, str] = field(default_factory=dict)
    """node template name -> the package file defining it (flavours may be apart)."""
    flavour_files: dict[str, str] = field(default_factory=dict)
    """deployment flavour id -> the package file defining it."""
    root: Path | None = None

    def locate(self, problem: Problem, file: str | None = None) -> Problem:
        """The problem with its file (``file``, else the one defining the node its path
        names) and the line its path starts at."""
        if problem.file is None:
            parts = (problem.path or "").split(".")
            node = parts[2] if parts[:2] == ["topology_template", "node_templates"] else ""
            problem = problem.model_copy(
                update={"file": file or self.node_files.get(node, self.entry)}
            )
        if problem.line is None and problem.path and problem.file and self.root is not None:
            line = line_at(compose(self.root / problem.file), problem.path.split("."))
            problem = problem.model_copy(update={"line": line})
        return problem

    def place(self, finding: Finding, file: str) -> Problem:
        """A consistency finding at its anchor in ``file``."""
        problem, anchor = finding
        found = locate_anchor(self.root / file, anchor) if self.root is not None else None
        if found is None:
            return self.locate(problem, file)
        path, line = found
        return problem.model_copy(update={"file": file, "path": path, "line": line})


@dataclass(frozen=True)
class LoadedPackage:
    files: PackageFiles
    vnfd: Vnfd | None
    nsd: Nsd | None
    warnings: tuple[Problem, ...] = ()
    requirements: dict[str, dict[str, VduRequirement]] = field(default_factory=dict)
    """flavour id -> VDU id -> what placement needs (VNF packages only)."""


def load_package(
    source: Path,
    workdir: Path,
    *,
    strict: bool = False,
    signatures: SignaturePolicy = DEFAULT_POLICY,
) -> LoadedPackage:
    """Open, verify (signatures as ``signatures`` says), parse and normalise a package;
    DescriptorError lists every problem."""
    files = open_package(source, workdir, strict=strict, keep_going=True, signatures=signatures)
    descriptor = read_descriptor(files.entry_definitions, files.root)
    required, found = normalise_descriptor(descriptor)
    problems = [*files.problems, *descriptor.problems, *found]
    if files.kind.value == "vnf" and descriptor.vnfd is None and not has_errors(problems):
        problems.append(Problem(message="a VNF package whose descriptor has no VNF node"))
    if files.kind.value == "nsd" and descriptor.nsd is None and not has_errors(problems):
        problems.append(Problem(message="an NSD archive whose descriptor has no NS node"))
    if has_errors(problems) or (strict and problems):
        raise DescriptorError(problems, files.manifest.metadata if files.manifest else None)
    return LoadedPackage(files, descriptor.vnfd, descriptor.nsd, tuple(problems), required)


def normalise_descriptor(
    descriptor: Descriptor,
) -> tuple[dict[str, dict[str, VduRequirement]], list[Problem]]:
    """Every VDU's requirement per flavour, and what the cross-checks and normalisation
    found, each problem in the file that defines its flavour, at its path and line."""
    required: dict[str, dict[str, VduRequirement]] = {}
    problems: list[Problem] = []
    if descriptor.nsd is not None:
        for ns_flavour in descriptor.nsd.flavours:
            findings = ns_flavour_findings(ns_flavour)
            problems += [descriptor.place(f, descriptor.entry) for f in findings]
    if descriptor.vnfd is not None:
        for flavour in descriptor.vnfd.flavours:
            file = descriptor.flavour_files.get(flavour.flavour_id, descriptor.entry)
            problems += [descriptor.place(f, file) for f in flavour_findings(flavour)]
            required[flavour.flavour_id], found = normalise_flavour(flavour)
            problems += [descriptor.locate(p, file) for p in found]
    return required, problems


def read_descriptor(entry: Path, root: Path, library: TypeLibrary | None = None) -> Descriptor:
    """Parse ``entry`` (inside ``root``) and build its VNFD or NSD."""
    session = ImportSession(library or TypeLibrary.project(), root)
    top = parse_template(entry, session)
    vnfd = nsd = None
    node_files: dict[str, str] = {}
    flavour_files: dict[str, str] = {}
    if top is not None:
        node_files = {node.name: session.relative(entry) for node in top.nodetemplates or []}
        if nodes_of(top, NS):
            nsd = read_nsd(top, session)
        elif nodes_of(top, VNF):
            vnfd = read_vnfd(top, session, node_files, flavour_files)
    if top is not None and vnfd is None and nsd is None and not has_errors(session.problems):
        session.add(
            Problem(
                message="the descriptor has neither a VNF nor an NS node template",
                file=session.relative(entry),
                path="topology_template.node_templates",
            )
        )
    return Descriptor(
        vnfd, nsd, tuple(session.problems), session.relative(entry), node_files, flavour_files,
        root,
    )  # fmt: skip
