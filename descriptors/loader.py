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

from descriptors.imports import ImportSession, TypeLibrary
from descriptors.model import (
    Nsd,
    Vnfd,
    check_nsd,
    check_vnfd,
)
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


@dataclass(frozen=True)
class Descriptor:
    """What the TOSCA half found in one entry definitions file."""

    vnfd: Vnfd | None
    nsd: Nsd | None
    problems: tuple[Problem, ...]
    entry: str = ""
    node_files: dict[str, str] = field(default_factory=dict)
    """node template name -> the package file defining it (flavours may be apart)."""

    def locate(self, problem: Problem) -> Problem:
        """The problem with its file: the one defining the node its path names."""
        if problem.file is not None:
            return problem
        parts = (problem.path or "").split(".")
        node = parts[2] if parts[:2] == ["topology_template", "node_templates"] else ""
        return problem.model_copy(update={"file": self.node_files.get(node, self.entry)})


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
        raise DescriptorError(problems)
    return LoadedPackage(files, descriptor.vnfd, descriptor.nsd, tuple(problems), required)


def normalise_descriptor(
    descriptor: Descriptor,
) -> tuple[dict[str, dict[str, VduRequirement]], list[Problem]]:
    """Every VDU's requirement per flavour, and what the cross-checks and normalisation
    found, each problem in the file that holds the node it names."""
    required: dict[str, dict[str, VduRequirement]] = {}
    problems: list[Problem] = []
    if descriptor.nsd is not None:
        problems += check_nsd(descriptor.nsd)
    if descriptor.vnfd is not None:
        problems += check_vnfd(descriptor.vnfd)
        for flavour in descriptor.vnfd.flavours:
            required[flavour.flavour_id], flavour_problems = normalise_flavour(flavour)
            problems += flavour_problems
    return required, [descriptor.locate(p) for p in problems]


def read_descriptor(entry: Path, root: Path, library: TypeLibrary | None = None) -> Descriptor:
    """Parse ``entry`` (inside ``root``) and build its VNFD or NSD."""
    session = ImportSession(library or TypeLibrary.project(), root)
    top = parse_template(entry, session)
    vnfd = nsd = None
    node_files: dict[str, str] = {}
    if top is not None:
        node_files = {node.name: session.relative(entry) for node in top.nodetemplates or []}
        if nodes_of(top, NS):
            nsd = read_nsd(top, session)
        elif nodes_of(top, VNF):
            vnfd = read_vnfd(top, session, node_files)
    if top is not None and vnfd is None and nsd is None and not has_errors(session.problems):
        session.add(
            Problem(
                message="the descriptor has neither a VNF nor an NS node template",
                file=session.relative(entry),
                path="topology_template.node_templates",
            )
        )
    return Descriptor(vnfd, nsd, tuple(session.problems), session.relative(entry), node_files)
