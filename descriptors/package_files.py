"""Opening a VNF package (SOL004) or an NSD archive (SOL007): the files, checked.

:func:`open_package` is the one door into a package. It unpacks a CSAR itself (see
:mod:`descriptors.archive`), verifying a security option 2 envelope before it opens
the CSAR inside; finds the entry definitions through either layout (with
``TOSCA-Metadata/TOSCA.meta``, or one root YAML plus a manifest of the same base
name), reads TOSCA.meta and the manifest and passes every YAML file through
:mod:`descriptors.yaml_guard`. Then, in this order: the manifest's signature (before
any file is hashed), every digest TOSCA.meta, the manifest and the software images'
descriptions declare (each file read once, :mod:`descriptors.digests`), and the
artifacts' own signatures. It collects every problem before deciding, so an operator
fixes a package in one round, and it raises :class:`DescriptorError` if any is an
error. What it returns is safe to hand to tosca-parser: paths inside one directory,
text that is UTF-8 plain-data YAML.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from descriptors import tosca_meta as meta_keys
from descriptors.archive import (
    DEFAULT_LIMITS,
    ArchiveRefusedError,
    Limits,
    directory_checksum,
    extract_zip,
    file_sha256,
    resolve_in_package,
    scan_directory,
)
from descriptors.digests import FileDigests
from descriptors.envelope import envelope_of, unwrap
from descriptors.images import check_images, find_images, want_digests
from descriptors.manifest import (
    DigestClaim,
    Manifest,
    PackageKind,
    check_metadata,
    parse_manifest,
    verify_claim,
    want_claim,
)
from descriptors.package_security import (
    DEFAULT_POLICY,
    UNSIGNED,
    PackageSecurity,
    SignatureCheck,
    SignatureInfo,
    SignaturePolicy,
)
from descriptors.problems import DescriptorError, Problem, Severity, has_errors
from descriptors.tosca_meta import ToscaMeta, check_tosca_meta, parse_tosca_meta
from descriptors.yaml_guard import check_yaml_file, read_text

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "Manifest",
    "PackageFiles",
    "PackageKind",
    "SignaturePolicy",
    "open_package",
]

YAML_SUFFIXES = (".yaml", ".yml")
SIGNATURE_SUFFIXES = (".cms", ".sig")
META_PATH = ("TOSCA-Metadata", "TOSCA.meta")


@dataclass(frozen=True)
class PackageFiles:
    """A package whose files passed every check; ``problems`` holds its warnings.

    ``certificate`` is the package certificate (ETSI-Entry-Certificate, or the
    ``.cert`` beside the manifest); ``security`` what its signatures proved;
    ``unpacked`` says whether ``root`` is a directory this call created inside the
    workdir.
    """

    root: Path
    kind: PackageKind
    entry_definitions: Path
    other_definitions: tuple[Path, ...]
    tosca_meta: dict[str, str] | None
    manifest: Manifest | None
    checksum: str
    problems: tuple[Problem, ...]
    certificate: Path | None = None
    unpacked: bool = False
    security: PackageSecurity = UNSIGNED


@dataclass
class _Layout:
    """What the two layouts have in common once read; filled in step by step."""

    root: Path
    strict: bool
    verify: bool
    limits: Limits
    digests: FileDigests
    problems: list[Problem] = field(default_factory=list)
    claims: list[DigestClaim] = field(default_factory=list)
    entry: str | None = None
    other: list[str] = field(default_factory=list)
    meta: ToscaMeta | None = None
    manifest_path: str | None = None
    certificate: str | None = None
    entry_path: Path | None = None
    other_paths: list[Path] = field(default_factory=list)

    def lenient(self) -> Severity:
        return Severity.ERROR if self.strict else Severity.WARNING

    def existing(
        self, relative: str, listed_in: str | None, what: str, *, directory_ok: bool = False
    ) -> Path | None:
        """Resolve a path the package names, reporting escapes and absences."""
        target = resolve_in_package(self.root, relative)
        if isinstance(target, Problem):
            self.problems.append(target.model_copy(update={"file": listed_in, "path": relative}))
            return None
        if target.is_file() or (directory_ok and target.is_dir()):
            return target
        message = f"{what} {relative!r} is not in the package"
        self.problems.append(
            Problem(code="missing-file", message=message, file=listed_in, path=relative)
        )
        return None


def _read_meta(layout: _Layout, path: Path) -> None:
    """The TOSCA.meta layout: entry points, manifest and other files from block 0."""
    file = meta_keys.FILE
    text, problems = read_text(path, file, layout.limits)
    layout.problems.extend(problems)
    if text is None:
        return
    meta, problems = parse_tosca_meta(text)
    layout.meta = meta
    layout.problems.extend(problems)
    layout.problems.extend(check_tosca_meta(meta, strict=layout.strict))
    keys = meta.keys
    layout.entry = keys.get(meta_keys.ENTRY_DEFINITIONS)
    layout.other = list(meta.other_definitions)
    layout.manifest_path = keys.get(meta_keys.ENTRY_MANIFEST)
    layout.certificate = keys.get(meta_keys.ENTRY_CERTIFICATE)
    for key, what in (
        (meta_keys.ENTRY_CHANGE_LOG, "change log"),
        (meta_keys.ENTRY_CERTIFICATE, "certificate"),
    ):
        if keys.get(key):
            layout.existing(keys[key], file, what)
    if keys.get(meta_keys.ENTRY_LICENSES):
        layout.existing(keys[meta_keys.ENTRY_LICENSES], file, "licences", directory_ok=True)
    for entry in meta.files:
        claim = DigestClaim(entry.name, entry.algorithm, entry.hash, file, entry.line, False)
        layout.claims.append(claim)


def _read_flat(layout: _Layout) -> None:
    """The layout without TOSCA.meta: one YAML at the root and ``<same name>.mf``."""
    root = layout.root
    candidates = sorted(
        p.name for p in root.iterdir() if p.suffix.lower() in YAML_SUFFIXES and _is_regular(p)
    )
    if not candidates:
        message = "no TOSCA-Metadata/TOSCA.meta and no YAML file at the package root"
        folders = [p.name for p in root.iterdir()]
        if len(folders) == 1 and (root / folders[0]).is_dir():
            message += f"; the files are inside {folders[0]}/: zip its contents, not the folder"
        layout.problems.append(Problem(code="no-entry-definitions", message=message))
        return
    if len(candidates) > 1:
        message = f"no TOSCA.meta and {len(candidates)} root YAML files: {', '.join(candidates)}"
        layout.problems.append(Problem(code="ambiguous-entry", message=message))
        return
    layout.entry = candidates[0]
    stem = Path(candidates[0]).stem
    if _is_regular(root / f"{stem}.mf"):
        layout.manifest_path = f"{stem}.mf"
    else:
        others = sorted(p.name for p in root.glob("*.mf"))
        if others:
            message = f"manifest must be named {stem}.mf like the entry YAML, found {others[0]}"
            layout.problems.append(Problem(code="manifest-name", message=message, file=others[0]))
    if _is_regular(root / f"{stem}.cert"):
        layout.certificate = f"{stem}.cert"


def _read_manifest(layout: _Layout) -> Manifest | None:
    """Parse the manifest and note every artifact it lists, to be verified later."""
    if layout.manifest_path is None:
        if layout.entry is None:
            return None  # the layout itself is broken; that is the problem to report
        message = "package has no manifest, so nothing vouches for its files"
        layout.problems.append(
            Problem(code="no-manifest", message=message, severity=layout.lenient())
        )
        return None
    listed_in = meta_keys.FILE if layout.meta else None
    path = layout.existing(layout.manifest_path, listed_in, "manifest")
    if path is None:
        return None
    text, problems = read_text(path, layout.manifest_path, layout.limits)
    layout.problems.extend(problems)
    if text is None:
        return None
    manifest, problems = parse_manifest(text, layout.manifest_path)
    manifest = manifest.model_copy(update={"certificate": layout.certificate})
    layout.problems.extend(problems)
    layout.problems.extend(check_metadata(manifest, strict=layout.strict))
    for source in manifest.sources:
        claim = DigestClaim(source.path, source.algorithm, source.hash, manifest.file, source.line)
        layout.claims.append(claim)
    for paths in manifest.non_mano_artifact_sets.values():
        for artifact in paths:
            claim = DigestClaim(artifact, None, None, manifest.file, None, hash_required=False)
            layout.claims.append(claim)
    return manifest


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _yaml_files(root: Path) -> list[Path]:
    """Every regular YAML file, in a stable order, without following links."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        base = Path(dirpath)
        found.extend(
            base / n
            for n in sorted(filenames)
            if n.lower().endswith(YAML_SUFFIXES) and _is_regular(base / n)
        )
    return found


def _check_all_yaml(layout: _Layout) -> dict[str, list[Any]]:
    documents: dict[str, list[Any]] = {}
    for path in _yaml_files(layout.root):
        relative = path.relative_to(layout.root).as_posix()
        docs, problems = check_yaml_file(path, relative, layout.limits)
        layout.problems.extend(problems)
        documents[relative] = docs
    return documents


def _is_ns_type(type_name: str) -> bool:
    return type_name.rsplit(".", 1)[-1] == "NS"


def kind_of_template(document: object) -> PackageKind:
    """NSD when the template substitutes or instantiates an NS node type, else VNF."""
    if not isinstance(document, dict):
        return PackageKind.VNF
    ns_types = {"tosca.nodes.nfv.NS"}
    node_types = document.get("node_types")
    if isinstance(node_types, dict):
        ns_types |= {
            str(name)
            for name, body in node_types.items()
            if isinstance(body, dict) and _is_ns_type(str(body.get("derived_from", "")))
        }
    topology = document.get("topology_template")
    used: list[str] = []
    if isinstance(topology, dict):
        mappings = topology.get("substitution_mappings")
        if isinstance(mappings, dict):
            used.append(str(mappings.get("node_type", "")))
        nodes = topology.get("node_templates")
        if isinstance(nodes, dict):
            used.extend(str(n.get("type", "")) for n in nodes.values() if isinstance(n, dict))
    is_ns = any(t in ns_types or _is_ns_type(t) for t in used)
    return PackageKind.NSD if is_ns else PackageKind.VNF


def _check_entry(layout: _Layout, documents: dict[str, list[Any]]) -> PackageKind:
    """The entry YAML must be one TOSCA template; it tells the kind if nothing else does."""
    if layout.entry_path is None:
        return PackageKind.VNF
    entry = layout.entry_path.relative_to(layout.root).as_posix()
    docs = documents.get(entry, [])
    is_template = len(docs) == 1 and isinstance(docs[0], dict)
    if docs and not (is_template and "tosca_definitions_version" in docs[0]):
        message = "entry definitions are not one TOSCA template (no tosca_definitions_version)"
        layout.problems.append(Problem(code="not-tosca", message=message, file=entry))
    return kind_of_template(docs[0] if docs else None)


@dataclass(frozen=True)
class _Opened:
    """What :func:`_inspect` learnt of an unpacked tree."""

    layout: _Layout
    manifest: Manifest | None
    kind: PackageKind
    security: PackageSecurity


def _inspect(
    root: Path, digests: FileDigests, *, strict: bool, verify: bool, limits: Limits,
    policy: SignaturePolicy, envelope: SignatureInfo | None,
) -> _Opened:  # fmt: skip
    """Every check on an unpacked tree; the manifest's metadata decides the kind."""
    layout = _Layout(root=root, strict=strict, verify=verify, limits=limits, digests=digests)
    meta_path = root.joinpath(*META_PATH)
    if _is_regular(meta_path):
        _read_meta(layout, meta_path)
    else:
        _read_flat(layout)
    listed_in = meta_keys.FILE if layout.meta else None
    if layout.entry:
        layout.entry_path = layout.existing(layout.entry, listed_in, "entry definitions")
    for relative in layout.other:
        path = layout.existing(relative, listed_in, "other definitions")
        layout.other_paths.extend([path] if path else [])
    manifest = _read_manifest(layout)
    documents = _check_all_yaml(layout)
    kind = _check_entry(layout, documents)
    if manifest is not None and manifest.kind is not None:
        if layout.entry_path is not None and manifest.kind is not kind:
            message = (
                f"manifest metadata says {manifest.kind.value}, the template looks {kind.value}"
            )
            layout.problems.append(
                Problem(code="kind-mismatch", message=message, severity=layout.lenient())
            )
        kind = manifest.kind
    if manifest is not None:
        layout.problems.extend(_unlisted(root, manifest, layout.lenient()))
    signatures = SignatureCheck(root, manifest, layout.certificate, policy, envelope)
    layout.problems.extend(signatures.check_manifest())
    if not any(p.code in SIGNATURE_CODES for p in layout.problems):
        _verify_contents(layout, documents)
        layout.problems.extend(signatures.check_artifacts(digests))
    return _Opened(layout, manifest, kind, signatures.result())


def _verify_contents(layout: _Layout, documents: dict[str, list[Any]]) -> None:
    """Every declared digest and every software image, each file read once for all."""
    root, digests = layout.root, layout.digests
    images, problems = find_images(root, documents)
    layout.problems.extend(problems)
    if layout.verify:
        for claim in layout.claims:
            want_claim(root, claim, digests)
    want_digests(root, images, digests)
    for claim in layout.claims:
        layout.problems.extend(
            verify_claim(root, claim, verify=layout.verify, strict=layout.strict, digests=digests)
        )
    layout.problems.extend(check_images(root, images, digests))


def _unlisted(root: Path, manifest: Manifest, severity: Severity) -> list[Problem]:
    """Every file must be in the manifest (SOL004 clause 4.3.3; a warning unless strict),
    except the files that describe the package itself: TOSCA.meta, the manifest, the
    certificates and signatures."""
    listed = {source.path.strip().removeprefix("./") for source in manifest.sources}
    exempt = {"/".join(META_PATH), manifest.file, manifest.certificate or ""}
    exempt |= {s.signature or "" for s in manifest.sources}
    exempt |= {s.certificate or "" for s in manifest.sources}
    problems = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            relative = (Path(dirpath) / name).relative_to(root).as_posix()
            if relative in listed or relative in exempt or name.endswith(SIGNATURE_SUFFIXES):
                continue
            message = f"{relative!r} is in the package but not in the manifest"
            problems.append(
                Problem(
                    code="unlisted-file", message=message, file=manifest.file, severity=severity
                )
            )
    return problems


def _unpack(source: Path, workdir: Path, limits: Limits) -> tuple[Path, dict[str, str]]:
    """A fresh directory inside ``workdir`` holding the CSAR's files (and their
    SHA-256), or a refusal."""
    workdir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="package-", dir=workdir))
    try:
        digests = extract_zip(source, root, limits)
    except ArchiveRefusedError as refused:
        shutil.rmtree(root, ignore_errors=True)
        raise DescriptorError([refused.problem]) from None
    return root, digests


def _open_archive(
    source: Path, workdir: Path, limits: Limits, policy: SignaturePolicy, digests: FileDigests
) -> tuple[Path, SignatureInfo | None]:
    """Unpack a CSAR; or verify an option 2 envelope's signature over its CSAR first."""
    envelope = envelope_of(source)
    info = None
    if envelope is None:
        root, known = _unpack(source, workdir, limits)
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        csar = workdir / f"envelope-{uuid.uuid4().hex}.csar"  # created exclusively
        try:
            info, problems = unwrap(source, envelope, csar, limits, policy)
            if has_errors(problems):
                raise DescriptorError(problems)
            root, known = _unpack(csar, workdir, limits)
        finally:
            csar.unlink(missing_ok=True)
    for relative, hexdigest in known.items():
        digests.know(root / relative, "sha256", hexdigest)
    return root, info


# Errors about the package's content, not its shape: the descriptors can still be read
# safely, so a caller that wants every problem at once (keep_going) goes on to parse.
CONTENT_ERROR_CODES = frozenset(
    {
        "checksum-mismatch",
        "checksum-malformed",
        "missing-artifact",
        "no-checksum",
        "unsupported-algorithm",
        "manifest-metadata",
        "manifest-name",
        "no-manifest",
        "unlisted-file",
        "kind-mismatch",
        "missing-image",
        "image-path",
        "image-checksum",
        "image-size",
        "image-format",
        "image-description",
        "image-count",
    }
)
#: A refused signature stops everything: nothing of an untrusted package is read further.
SIGNATURE_CODES = frozenset(
    {
        "unsigned",
        "untrusted",
        "trust-anchors",
        "wrong-key",
        "signature-mismatch",
        "signature-malformed",
        "signature-too-large",
        "signature-algorithm",
        "no-certificate",
        "certificate",
        "certificate-expired",
        "certificate-not-yet-valid",
        "certificate-revoked",
        "chain-loop",
        "key-usage",
    }
)


def open_package(
    source: Path,
    workdir: Path,
    *,
    strict: bool = False,
    verify_checksums: bool = True,
    limits: Limits = DEFAULT_LIMITS,
    keep_going: bool = False,
    signatures: SignaturePolicy = DEFAULT_POLICY,
) -> PackageFiles:
    """Open a CSAR (zip), an option 2 envelope or an unpacked package directory and
    check all of it, its signatures as ``signatures`` says.

    A zip is unpacked into a new directory inside ``workdir``, which is removed again
    if the package is refused; nothing is written anywhere else, and a directory
    source is only read. With ``keep_going``, errors in :data:`CONTENT_ERROR_CODES`
    are returned in ``problems`` instead of raised, so the caller can go on to read
    the descriptors and report everything at once; it must then refuse the package.
    """
    digests = FileDigests()
    envelope: SignatureInfo | None = None
    if source.is_dir():
        root, checksum, unpacked = source, directory_checksum(source, digests), False
        early = scan_directory(source, limits)
    elif source.is_file():
        checksum, unpacked, early = file_sha256(source), True, []
        root, envelope = _open_archive(source, workdir, limits, signatures, digests)
    else:
        raise DescriptorError([Problem(code="not-found", message=f"no package at {source}")])
    try:
        opened = _inspect(
            root, digests, strict=strict, verify=verify_checksums, limits=limits,
            policy=signatures, envelope=envelope,
        )  # fmt: skip
        layout = opened.layout
        problems = early + layout.problems
        errors = [p for p in problems if p.severity is Severity.ERROR]
        if errors and not (keep_going and all(p.code in CONTENT_ERROR_CODES for p in errors)):
            raise DescriptorError(problems)
    except BaseException:
        if unpacked:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return PackageFiles(
        root=root,
        kind=opened.kind,
        entry_definitions=layout.entry_path or root,
        other_definitions=tuple(layout.other_paths),
        tosca_meta=dict(layout.meta.keys) if layout.meta else None,
        manifest=opened.manifest,
        checksum=checksum,
        problems=tuple(problems),
        certificate=root / layout.certificate if layout.certificate else None,
        unpacked=unpacked,
        security=opened.security,
    )
