"""Writing a CSAR from a package source tree, the way :func:`open_package` reads it.

The shipped 5G-core packages live as source trees (``descriptors/packages/<name>/``);
hand-maintained digests go stale the first time someone edits a YAML file, so
:func:`build_package` regenerates them: every file except the manifest itself and
signature files gets a ``Source``/``Algorithm: SHA-256``/``Hash`` block, the source
manifest's metadata block and ``non_mano_artifact_sets`` are kept, and TOSCA.meta's
per-artifact ``Hash:`` lines are recomputed. A CMS signature in the source manifest is
dropped (it no longer matches). Software images are checked against their VNFD's
description first: a build never publishes a checksum the image does not have. Each
file is read once for its digests and once into the zip, in chunks.

With a :class:`PackageSigner` the package is signed as SOL004 clause 5 says: option 1
appends the manifest's CMS signature (the manifest's digests cover every file) and ships
the certificate as ``<manifest>.cert`` (``ETSI-Entry-Certificate``), and when asked
signs every artifact under ``Files/`` on its own too (``<artifact>.sig.cms``, named by
``Signature:`` in its manifest block, for consumers that take an image out alone);
option 2 wraps the unsigned CSAR in a zip beside its ``.cert`` and ``.cms``.

The zip is deterministic: sorted entries, fixed timestamps and modes, so the same tree
always gives the same bytes and the same package checksum (signing time aside).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from descriptors import tosca_meta as meta_keys
from descriptors.archive import DEFAULT_LIMITS
from descriptors.digests import CHUNK, FileDigests
from descriptors.images import check_images, find_images, want_digests
from descriptors.manifest import Manifest, hashlib_name, parse_algorithm, parse_manifest
from descriptors.package_files import SIGNATURE_SUFFIXES, YAML_SUFFIXES
from descriptors.package_security import PackageSigner, SecurityOption
from descriptors.problems import DescriptorError, Problem, raise_if_errors
from descriptors.tosca_meta import parse_tosca_meta
from descriptors.yaml_guard import check_yaml_file

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIPPED_DIRECTORIES = frozenset({"__pycache__", ".git"})
META_FILE = meta_keys.FILE


def _collect(source_dir: Path) -> dict[str, Path]:
    """Every regular file of the tree by relative path; links are refused, not followed."""
    files: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(source_dir, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRECTORIES)
        for name in filenames:
            path = Path(dirpath) / name
            relative = path.relative_to(source_dir).as_posix()
            if name.startswith(".") or name.endswith(".pyc"):
                continue
            if not stat.S_ISREG(path.lstat().st_mode):
                problem = Problem(code="symlink", message="not a regular file", file=relative)
                raise DescriptorError([problem])
            files[relative] = path
    return dict(sorted(files.items()))


def _manifest_path(files: dict[str, Path]) -> tuple[str, str | None]:
    """Where the manifest is (or goes) and the TOSCA.meta text when that layout is used."""
    if META_FILE in files:
        meta_text = files[META_FILE].read_text(encoding="utf-8")
        meta, _ = parse_tosca_meta(meta_text)
        named = meta.keys.get(meta_keys.ENTRY_MANIFEST)
        if named:
            return named.strip(), meta_text
        entry = meta.keys.get(meta_keys.ENTRY_DEFINITIONS, "manifest.yaml")
        return f"{Path(entry).stem}.mf", meta_text
    roots = sorted(r for r in files if "/" not in r and r.endswith((".yaml", ".yml")))
    if len(roots) != 1:
        message = f"no TOSCA.meta and {len(roots)} root YAML files: cannot name the manifest"
        raise DescriptorError([Problem(code="ambiguous-entry", message=message)])
    return f"{Path(roots[0]).stem}.mf", None


def _set_meta_key(meta_text: str, key: str, value: str) -> str:
    """Block 0 of TOSCA.meta with ``key: value`` (replacing a value it had)."""
    lines = meta_text.splitlines()
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    for number, line in enumerate(lines[:end]):
        if line.partition(":")[0].strip().lower() == key.lower():
            lines[number] = f"{key}: {value}"
            break
    else:
        lines.insert(end, f"{key}: {value}")
    return "\n".join(lines) + "\n"


def _rehash_meta(meta_text: str, files: dict[str, Path], digests: FileDigests) -> str:
    """Recompute the ``Hash:`` of every per-artifact block whose file is in the tree."""
    out: list[str] = []
    name = algorithm = None
    for line in meta_text.splitlines():
        key, _, value = line.partition(":")
        lowered = key.strip().lower()
        if not line.strip():
            name = algorithm = None
        elif lowered == "name":
            name = value.strip()
        elif lowered == "algorithm":
            algorithm = parse_algorithm(value)
        elif lowered == "hash" and name in files and algorithm is not None:
            line = f"{key}: {digests.hexdigest(files[name], hashlib_name(algorithm))}"
        out.append(line)
    return "\n".join(out) + "\n"


def render_manifest(
    source: Manifest | None, digests: dict[str, str], signatures: dict[str, str] | None = None
) -> str:
    """The manifest text: kept metadata, one SHA-256 block per file (with its signature
    file when it has one), kept artifact sets."""
    signatures = signatures or {}
    parts: list[str] = []
    if source is not None and source.metadata:
        parts.append("metadata:\n" + "".join(f"{k}: {v}\n" for k, v in source.metadata.items()))
    for relative in sorted(digests):
        block = f"Source: {relative}\nAlgorithm: SHA-256\nHash: {digests[relative]}\n"
        if relative in signatures:
            block += f"Signature: {signatures[relative]}\n"
        parts.append(block)
    if source is not None and source.non_mano_artifact_sets:
        lines = ["non_mano_artifact_sets:"]
        for set_name, sources in source.non_mano_artifact_sets.items():
            lines.append(f"  {set_name}:")
            lines.extend(f"    Source: {s}" for s in sources)
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def _archive_name(source: Manifest | None, source_dir: Path) -> str:
    metadata = source.metadata if source is not None else {}
    product = metadata.get("vnf_product_name") or metadata.get("nsd_name")
    version = metadata.get("vnf_package_version") or metadata.get("nsd_file_structure_version")
    stem = f"{product}-{version}" if product and version else product or source_dir.name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem) + ".csar"


#: Files this large are stored, not deflated: images come compressed already.
STORED_FROM_BYTES = 16 * 1024 * 1024
Entries = dict[str, Path | bytes]


Progress = Callable[[int], None]


def _write_zip(
    target: Path, entries: Entries, modes: dict[str, int], progress: Progress | None = None
) -> None:
    temporary = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(temporary, "w", allowZip64=True) as archive:
        for relative in sorted(entries):
            content = entries[relative]
            size = len(content) if isinstance(content, bytes) else content.stat().st_size
            info = zipfile.ZipInfo(relative, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            if size >= STORED_FROM_BYTES:
                info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | modes.get(relative, 0o644)) << 16
            if isinstance(content, bytes):
                archive.writestr(info, content, compresslevel=9)
                continue
            info.file_size = size
            with content.open("rb") as source, archive.open(info, "w", force_zip64=True) as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
    temporary.replace(target)


def check_tree_images(source_dir: Path, files: dict[str, Path], digests: FileDigests) -> None:
    """Refuse a tree whose software images are not what their VNFD says of them."""
    documents: dict[str, list[Any]] = {}
    problems: list[Problem] = []
    for relative, path in files.items():
        if relative.lower().endswith(YAML_SUFFIXES):
            documents[relative], found = check_yaml_file(path, relative, DEFAULT_LIMITS)
            problems += found
    images, found = find_images(source_dir, documents)
    want_digests(source_dir, images, digests)
    problems += found + check_images(source_dir, images, digests)
    raise_if_errors(problems)


def build_work(source_dir: Path) -> int:
    """The bytes :func:`build_package` reports to its ``progress`` for ``source_dir``:
    every file is read twice, for its digests and into the zip."""
    return 2 * sum(path.stat().st_size for path in _collect(source_dir).values())


def build_package(
    source_dir: Path,
    out_dir: Path,
    signer: PackageSigner | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write ``<product>-<version>.csar`` for ``source_dir`` into ``out_dir`` and return it;
    signed by ``signer`` when given (option 2 gives ``<product>-<version>.zip``).
    ``progress`` is told the bytes read as they are (:func:`build_work` in all)."""
    files = _collect(source_dir)
    manifest_name, meta_text = _manifest_path(files)
    source_manifest: Manifest | None = None
    if manifest_name in files:
        text = files[manifest_name].read_text(encoding="utf-8")
        source_manifest, _ = parse_manifest(text, manifest_name)
    elif meta_text is not None:
        meta_text = _set_meta_key(meta_text, meta_keys.ENTRY_MANIFEST, manifest_name)
    artifacts = {
        relative: path
        for relative, path in files.items()
        if relative not in (manifest_name, META_FILE) and not relative.endswith(SIGNATURE_SUFFIXES)
    }
    digests = FileDigests(progress)
    for path in artifacts.values():
        digests.want(path, "sha256")
    check_tree_images(source_dir, artifacts, digests)
    hexdigests = {
        relative: digests.hexdigest(path, "sha256") for relative, path in artifacts.items()
    }
    entries: Entries = dict(artifacts)
    signatures: dict[str, str] = {}
    signs_manifest = signer is not None and signer.option is SecurityOption.OPTION_1
    if signer is not None and signs_manifest:
        certificate = str(Path(manifest_name).with_suffix(".cert"))
        entries[certificate] = signer.certificate_pem()
        for relative in artifacts:
            if signer.artifacts and relative.startswith("Files/"):
                signatures[relative] = f"{relative}.sig.cms"
                entries[signatures[relative]] = signer.sign(bytes.fromhex(hexdigests[relative]))
        if meta_text is not None:
            meta_text = _set_meta_key(meta_text, meta_keys.ENTRY_CERTIFICATE, certificate)
    if meta_text is not None:
        meta = _rehash_meta(meta_text, artifacts, digests).encode()
        entries[META_FILE], hexdigests[META_FILE] = meta, hashlib.sha256(meta).hexdigest()
    manifest = render_manifest(source_manifest, hexdigests, signatures).encode()
    if signer is not None and signs_manifest:
        manifest += signer.sign(hashlib.sha256(manifest).digest())
    entries[manifest_name] = manifest
    modes = {r: 0o755 if p.stat().st_mode & stat.S_IXUSR else 0o644 for r, p in files.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / _archive_name(source_manifest, source_dir)
    _write_zip(target, entries, modes, progress)
    if signer is not None and signer.option is SecurityOption.OPTION_2:
        return _envelope(target, signer)
    return target


def _envelope(csar: Path, signer: PackageSigner) -> Path:
    """Security option 2: ``<name>.zip`` holding the CSAR, its ``.cert`` and ``.cms``."""
    digests = FileDigests()
    stem = csar.stem
    entries: Entries = {
        csar.name: csar,
        f"{stem}.cert": signer.certificate_pem(),
        f"{stem}.cms": signer.sign(digests.digest(csar, "sha256")),
    }
    target = csar.with_suffix(".zip")
    _write_zip(target, entries, {})
    csar.unlink()
    return target
