"""Writing a CSAR from a package source tree, the way :func:`open_package` reads it.

The shipped 5G-core packages live as source trees (``descriptors/packages/<name>/``);
hand-maintained digests go stale the first time someone edits a YAML file, so
:func:`build_package` regenerates them: every file except the manifest itself and
signature files gets a ``Source``/``Algorithm: SHA-256``/``Hash`` block, the source
manifest's metadata block and ``non_mano_artifact_sets`` are kept, and TOSCA.meta's
per-artifact ``Hash:`` lines are recomputed. A CMS signature in the source manifest is
dropped (it no longer matches); signing is a later step. The zip is deterministic:
sorted entries, fixed timestamps and modes, so the same tree always gives the same
bytes and the same package checksum.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from pathlib import Path

from descriptors import tosca_meta as meta_keys
from descriptors.manifest import Manifest, parse_algorithm, parse_manifest
from descriptors.package_files import SIGNATURE_SUFFIXES
from descriptors.problems import DescriptorError, Problem
from descriptors.tosca_meta import parse_tosca_meta

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


def _add_manifest_key(meta_text: str, manifest: str) -> str:
    """Block 0 gains ETSI-Entry-Manifest when the source tree had no manifest."""
    lines = meta_text.splitlines()
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    lines.insert(end, f"{meta_keys.ENTRY_MANIFEST}: {manifest}")
    return "\n".join(lines) + "\n"


def _rehash_meta(meta_text: str, contents: dict[str, bytes]) -> str:
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
        elif lowered == "hash" and name in contents and algorithm is not None:
            digest = hashlib.new(algorithm.value.replace("-", "").lower(), contents[name])
            line = f"{key}: {digest.hexdigest()}"
        out.append(line)
    return "\n".join(out) + "\n"


def render_manifest(source: Manifest | None, contents: dict[str, bytes]) -> str:
    """The manifest text: kept metadata, one SHA-256 block per file, kept artifact sets."""
    parts: list[str] = []
    if source is not None and source.metadata:
        parts.append("metadata:\n" + "".join(f"{k}: {v}\n" for k, v in source.metadata.items()))
    for relative, data in contents.items():
        digest = hashlib.sha256(data).hexdigest()
        parts.append(f"Source: {relative}\nAlgorithm: SHA-256\nHash: {digest}\n")
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


def _write_zip(target: Path, contents: dict[str, bytes], modes: dict[str, int]) -> None:
    temporary = target.with_name(f".{target.name}.partial")
    with zipfile.ZipFile(temporary, "w") as archive:
        for relative in sorted(contents):
            info = zipfile.ZipInfo(relative, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | modes.get(relative, 0o644)) << 16
            archive.writestr(info, contents[relative], compresslevel=9)
    temporary.replace(target)


def build_package(source_dir: Path, out_dir: Path) -> Path:
    """Write ``<product>-<version>.csar`` for ``source_dir`` into ``out_dir``; return it."""
    files = _collect(source_dir)
    manifest_name, meta_text = _manifest_path(files)
    source_manifest: Manifest | None = None
    if manifest_name in files:
        text = files[manifest_name].read_text(encoding="utf-8")
        source_manifest, _ = parse_manifest(text, manifest_name)
    elif meta_text is not None:
        meta_text = _add_manifest_key(meta_text, manifest_name)
    contents = {
        relative: path.read_bytes()
        for relative, path in files.items()
        if relative not in (manifest_name, META_FILE) and not relative.endswith(SIGNATURE_SUFFIXES)
    }
    if meta_text is not None:
        contents[META_FILE] = _rehash_meta(meta_text, contents).encode()
    contents = dict(sorted(contents.items()))
    manifest_text = render_manifest(source_manifest, contents)
    modes = {r: 0o755 if p.stat().st_mode & stat.S_IXUSR else 0o644 for r, p in files.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / _archive_name(source_manifest, source_dir)
    _write_zip(target, {**contents, manifest_name: manifest_text.encode()}, modes)
    return target
