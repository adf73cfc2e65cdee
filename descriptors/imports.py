"""Where every TOSCA import comes from, and reading each type file once per process.

A descriptor imports ETSI's SOL001 type files by their forge URL (or, in packages
that ship copies, by relative path). Nothing is ever fetched: a forge URL resolves to
a local file of a :class:`TypeLibrary` (the project's own definitions in
``descriptors/types`` by default; tests point one at ETSI's files), and any other URL
is a :class:`Problem`. A bare ETSI file name that the package imports without shipping
it resolves to the library too (Tacker's packages rely on this), with a warning.

A package is a stranger's input, and an import is a path it chooses: a relative
import resolves only to a YAML file inside the package (one ``yaml_guard`` has
checked), through no symbolic link. An absolute path, one that climbs out of the
package (``../../etc/passwd``, ``/proc/self/environ``, ``/dev/zero``) or a repository
import is refused on its name alone, before anything is read, so no finding can
quote a file of the host.

tosca-parser re-reads and re-parses every import each time a template mentions it,
several times per template; :func:`load_yaml` keeps parsed documents keyed by the
SHA-256 of their bytes (packages ship slightly different copies under the same
names), so a type file is parsed once per process.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from descriptors.archive import resolve_in_package
from descriptors.problems import Problem, Severity
from descriptors.type_dialect import tolerate

TYPES_DIR = Path(__file__).parent / "types"

#: ETSI's forge URL of a SOL001 type file, in every form the forge has served raw files
#: (``/rep/`` and ``/gitlab/``, ``raw/``, GitLab's ``-/raw/``, Gitea's ``raw/tag/`` and
#: ``raw/branch/``, a query such as ``?ref_type=tags``); ``version`` picks the family.
FORGE_URL = re.compile(
    r"^https?://forge\.etsi\.org/(?:rep|gitlab)/nfv/SOL001/(?:-/)?(?:raw|blob)/"
    r"(?:(?:tag|branch)/)?v?(?P<version>\d+\.\d+\.\d+)/"
    r"etsi_nfv_sol001_(?P<kind>common|vnfd|nsd|pnfd)_types\.yaml(?:\?[^#\s]*)?$",
    re.IGNORECASE,
)
#: ETSI's file name, as packages that ship copies import it.
ETSI_FILE_NAME = re.compile(r"^(?:\./)?etsi_nfv_sol001_(?P<kind>common|vnfd|nsd|pnfd)_types\.yaml$")
#: TOSCA version of a template -> SOL001 major version its bare ETSI imports mean.
_MAJOR_BY_TOSCA_VERSION = {"tosca_simple_yaml_1_2": "2", "tosca_simple_yaml_1_3": "3"}

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CACHE_SIZE = 256
#: What a package may import by path: the files the YAML guard checked.
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class TypeLibrary:
    """SOL001 type files by major version (``"2"``, ``"3"``, ``"4"``) and kind."""

    directories: Mapping[str, Path]
    file_pattern: str = "{kind}.yaml"

    @classmethod
    def project(cls) -> TypeLibrary:
        """The project's own definitions: one set for 2.x, one for 3.x and 4.x."""
        return cls({"2": TYPES_DIR / "v2", "3": TYPES_DIR / "v3", "4": TYPES_DIR / "v3"})

    def file_for(self, major: str, kind: str) -> Path | None:
        directory = self.directories.get(major)
        if directory is None:
            return None
        path = directory / self.file_pattern.format(kind=kind)
        return path if path.is_file() else None

    @cached_property
    def _resolved(self) -> tuple[Path, ...]:
        return tuple(d.resolve() for d in self.directories.values())

    @cached_property
    def key(self) -> tuple[object, ...]:
        """What identifies the library in caches (its mapping is not hashable)."""
        return (tuple(sorted((k, str(v)) for k, v in self.directories.items())), self.file_pattern)

    def contains(self, path: Path) -> bool:
        resolved = path.resolve()
        return any(resolved.is_relative_to(directory) for directory in self._resolved)

    def resolve_url(self, url: str) -> Path | None:
        """The local file for an ETSI forge URL, or None when it is not one we know."""
        match = FORGE_URL.match(url.strip())
        if match is None:
            return None
        return self.file_for(match["version"].split(".")[0], match["kind"])


_FLATTENED: dict[tuple[object, str], dict[str, Any]] = {}
_TYPE_SECTIONS = (
    "artifact_types",
    "data_types",
    "capability_types",
    "interface_types",
    "relationship_types",
    "node_types",
    "group_types",
    "policy_types",
)


def load_library_file(library: TypeLibrary, path: Path) -> dict[str, Any]:
    """A library type file with everything it imports merged in and no ``imports`` left.

    tosca-parser appends every import list it has seen to the next file's list, so a
    library file importing ``../shared/common.yaml`` would leak that name into the
    package's own files; handing it one self-contained document avoids that.
    """
    resolved = path.resolve()
    key = (library.key, str(resolved))
    merged = _FLATTENED.get(key)
    if merged is None:  # library files do not change while the process runs
        merged = {}
        _merge_closure(library, resolved, merged, set())
        _FLATTENED[key] = merged
    return _copy(merged)  # type: ignore[no-any-return]


def _merge_closure(
    library: TypeLibrary, path: Path, merged: dict[str, Any], seen: set[Path]
) -> None:
    if path in seen:
        return
    seen.add(path)
    document = load_yaml(path) or {}
    for target in document.get("imports") or []:
        name = target.get("file") if isinstance(target, dict) else target
        if not isinstance(name, str):
            continue
        local = library.resolve_url(name) if "://" in name else path.parent / name
        if local is None or not local.is_file():
            raise LookupError(f"type library file {path} imports {name}, which it lacks")
        _merge_closure(library, local.resolve(), merged, seen)
    merged.setdefault("tosca_definitions_version", document.get("tosca_definitions_version"))
    for section in _TYPE_SECTIONS:
        merged.setdefault(section, {}).update(document.get(section) or {})


@dataclass
class ImportSession:
    """What one parse resolved and found wrong; ``problems`` grows as tosca-parser loads."""

    library: TypeLibrary
    root: Path
    problems: list[Problem] = field(default_factory=list)
    loaded: dict[str, Path] = field(default_factory=dict)
    artifact_types: dict[str, Any] = field(default_factory=dict)

    def add(self, problem: Problem) -> None:
        """Record a finding once: tosca-parser resolves the same import many times."""
        if problem not in self.problems:
            self.problems.append(problem)

    def load(self, path: Path | str) -> Any:
        """The document tosca-parser asked for: library files flattened, package files as
        they are, anything else refused unread (PermissionError)."""
        local = Path(path)
        if self.library.contains(local):
            document: Any = load_library_file(self.library, local)
        elif local.resolve().is_relative_to(self.root.resolve()):
            self.loaded[self.relative(local)] = local
            document = load_yaml(local)
        else:
            raise PermissionError("not a file of the package")
        if isinstance(document, dict):
            # tosca-parser keeps no artifact types; artifact checks need them
            self.artifact_types.update(document.get("artifact_types") or {})
        return document

    def relative(self, path: Path | str) -> str:
        """A file's name as the operator knows it: inside the package, or the library's."""
        resolved = Path(path).resolve()
        for base in (self.root.resolve(), TYPES_DIR.resolve()):
            if resolved.is_relative_to(base):
                return str(resolved.relative_to(base))
        return resolved.name

    def resolve(self, importer: str | None, target: str) -> Path | None:
        """Where ``target`` imported from ``importer`` lives, or None (and a Problem)."""
        where = self.relative(importer) if importer else None
        if "://" in target:
            bundled = self._bundled_copy(importer, target)
            if bundled is not None:
                return bundled
            local = self.library.resolve_url(target)
            if local is None:
                self.add(
                    Problem(
                        message=f'imports "{target}", which is not a SOL001 type file this '
                        "orchestrator knows; imports are never downloaded, so ship the file "
                        "in the package and import it by relative path",
                        file=where,
                        path="imports",
                        line=_line_of(importer, target),
                        code="unmapped-import",
                    )
                )
            return local
        if importer is None:
            return None
        local_path = self._in_package(importer, target)
        if isinstance(local_path, Problem):
            self.add(
                local_path.model_copy(
                    update={"file": where, "path": "imports", "line": _line_of(importer, target)}
                )
            )
            return None
        if local_path.is_file():
            return local_path
        bare = ETSI_FILE_NAME.match(target)
        if bare is not None:
            return self._bare_etsi_name(importer, target, bare["kind"], where)
        self.add(
            Problem(
                message=f'imports "{target}", which is not in the package',
                file=where,
                path="imports",
                line=_line_of(importer, target),
                code="missing-import",
            )
        )
        return None

    def _in_package(self, importer: str, target: str) -> Path | Problem:
        """Where ``target``, relative to ``importer``, lies in the package; or why it may
        not be read. Decided on the names alone: nothing outside is touched."""
        root = self.root.resolve()
        directory = Path(importer).resolve().parent
        outside = Problem(
            message=f'imports "{target[:200]}", which is outside the package; a package '
            "imports its own files by relative path, and SOL001 type files by their URL",
            code="outside-import",
        )
        if PurePosixPath(target).is_absolute() or not directory.is_relative_to(root):
            return outside
        joined = posixpath.normpath(posixpath.join(directory.relative_to(root).as_posix(), target))
        if joined == ".." or joined.startswith("../"):
            return outside
        found = resolve_in_package(self.root, joined)
        if isinstance(found, Problem):
            return outside.model_copy(
                update={"message": f'imports "{target[:200]}": {found.message}'}
            )
        if not target.lower().endswith(YAML_SUFFIXES):
            return Problem(
                message=f'imports "{target[:200]}", which is not a YAML file of the package '
                "(.yaml or .yml)",
                code="import-not-yaml",
            )
        return found

    def _bare_etsi_name(self, importer: str, target: str, kind: str, where: str | None) -> Path:
        document = load_yaml(importer) or {}
        version = str(document.get("tosca_definitions_version", ""))
        major = _MAJOR_BY_TOSCA_VERSION.get(version, "2")
        local = self.library.file_for(major, kind)
        if local is None:  # the library lacks that kind; say so rather than guess
            raise LookupError(f"type library has no {kind} definitions for SOL001 {major}.x")
        self.add(
            Problem(
                message=f'imports "{target}" without shipping it; using the SOL001 '
                f"{major}.x definitions of this orchestrator",
                file=where,
                path="imports",
                line=_line_of(importer, target),
                severity=Severity.WARNING,
                code="implicit-etsi-import",
            )
        )
        return local

    def _bundled_copy(self, importer: str | None, url: str) -> Path | None:
        """The package's own copy of the ETSI file ``url`` names, beside the importer:
        ETSI's files import each other by URL, and a package shipping them means its
        copies (the same rule as a relative import of them)."""
        match = FORGE_URL.match(url.strip())
        if importer is None or match is None:
            return None
        directory = Path(importer).resolve().parent
        if not directory.is_relative_to(self.root.resolve()):
            return None
        name = f"etsi_nfv_sol001_{match['kind'].lower()}_types.yaml"
        relative = (directory / name).relative_to(self.root.resolve()).as_posix()
        found = resolve_in_package(self.root, relative)
        return found if isinstance(found, Path) and found.is_file() else None


def _line_of(importer: str | None, target: str) -> int | None:
    """The first line of the importing file that names the import (for the operator)."""
    if importer is None:
        return None
    try:
        lines = Path(importer).read_text(errors="replace").splitlines()
    except OSError:
        return None
    return next((number for number, line in enumerate(lines, 1) if target in line), None)


class _DocumentCache:
    """Parsed YAML documents by content hash, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._documents: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, data: bytes) -> Any:
        key = hashlib.sha256(data).hexdigest()
        with self._lock:
            if key in self._documents:
                self._documents.move_to_end(key)
                self.hits += 1
                return _copy(self._documents[key])
        document = tolerate(yaml.load(data, Loader=_YAML_LOADER))  # safe (C where available)
        with self._lock:
            self.misses += 1
            self._documents[key] = document
            if len(self._documents) > self._size:
                self._documents.popitem(last=False)
        return _copy(document)

    def clear(self) -> None:
        with self._lock:
            self._documents.clear()
            self.hits = self.misses = 0


def _copy(value: Any) -> Any:
    """A private copy: tosca-parser appends to the import lists of what it loads."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


DOCUMENTS = _DocumentCache(_CACHE_SIZE)


def load_yaml(path: str | Path) -> Any:
    """The parsed document at ``path`` (a private copy), parsed once per content."""
    return DOCUMENTS.get(Path(path).read_bytes())
