"""Unpacking a CSAR ourselves, because a package is input from a stranger.

A zip can name files outside the directory it is unpacked into (``../../x``, ``/etc/x``),
carry symbolic links that later reads would follow, or inflate a few kilobytes into
terabytes. tosca-parser unpacks with ``extractall`` and trusts all of that, so it never
sees a zip: :func:`extract_zip` checks every entry against :class:`Limits` and writes
only regular files into a fresh directory, counting the bytes it actually inflates
rather than the sizes the headers claim. :func:`scan_directory` applies the same rules
to a package that arrives already unpacked.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from descriptors.digests import FileDigests
from descriptors.problems import Problem

MIB = 1024 * 1024
CHUNK = 64 * 1024
LOCAL_FAILURES = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EMFILE})
EOCD_SEARCH = 65_535 + 22 + 56 + 20  # comment, EOCD, ZIP64 record and locator
SUPPORTED_COMPRESSION = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    OverflowError,
)


@dataclass(frozen=True)
class Limits:
    """Bounds on what a package may cost us; every one is checked while streaming.

    The ratio bound applies only to files larger than ``ratio_floor_bytes``: a tiny
    file that compresses well (an empty YAML, a licence) is harmless.
    """

    max_entries: int = 10_000
    max_file_bytes: int = 4096 * MIB
    max_total_bytes: int = 8192 * MIB
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1 * MIB
    max_text_bytes: int = 16 * MIB
    max_path_length: int = 1024
    yaml_max_aliases: int = 1_000
    yaml_max_nodes: int = 1_000_000
    yaml_max_depth: int = 100


DEFAULT_LIMITS = Limits()


class ArchiveRefusedError(Exception):
    """One reason to stop unpacking at once; the caller turns it into the problem list."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _refuse(code: str, message: str, file: str | None = None) -> ArchiveRefusedError:
    return ArchiveRefusedError(Problem(code=code, message=message, file=file))


def check_member_name(name: str, limits: Limits) -> PurePosixPath:
    """The relative path an entry may be written to, or a refusal saying why not.

    Backslashes count as separators here because some zip tools on Windows write them,
    and a later reader on Windows would treat ``..\\..\\x`` as an escape.
    """
    if len(name) > limits.max_path_length:
        raise _refuse("bad-name", f"entry name longer than {limits.max_path_length}", name[:80])
    if any(ord(c) < 32 or c == "\x7f" for c in name):
        raise _refuse("bad-name", "entry name contains control characters", repr(name))
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise _refuse("absolute-path", "entry has an absolute path", name)
    if ".." in parts:
        raise _refuse("zip-slip", "entry path climbs out of the package ('..')", name)
    clean = [p for p in parts if p not in ("", ".")]
    if not clean:
        raise _refuse("bad-name", "entry has an empty path", name)
    return PurePosixPath(*clean)


def _entry_mode(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0xFFFF


def check_member(info: zipfile.ZipInfo, archive_bytes: int, limits: Limits) -> PurePosixPath:
    """Refuse an entry on what its headers say, before a byte of it is inflated."""
    relative = check_member_name(info.filename, limits)
    mode = _entry_mode(info)
    if stat.S_ISLNK(mode):
        raise _refuse("symlink", "entry is a symbolic link", info.filename)
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise _refuse("special-file", "entry is a device, pipe or socket", info.filename)
    if info.flag_bits & 0x1:
        raise _refuse("encrypted", "entry is encrypted", info.filename)
    if info.compress_type not in SUPPORTED_COMPRESSION:
        raise _refuse(
            "unsupported-compression",
            f"compression method {info.compress_type} (only stored and deflate are read)",
            info.filename,
        )
    if info.file_size > limits.max_file_bytes:
        raise _refuse(
            "file-too-large",
            f"entry declares {info.file_size} bytes, more than {limits.max_file_bytes}",
            info.filename,
        )
    compressed = max(1, min(info.compress_size, archive_bytes))
    if info.file_size > limits.ratio_floor_bytes and info.file_size / compressed > limits.max_ratio:
        raise _refuse(
            "zip-bomb",
            f"entry inflates {info.file_size / compressed:.0f}x (limit {limits.max_ratio:.0f}x)",
            info.filename,
        )
    return relative


class _Budget:
    """Bytes inflated so far, checked after every chunk whatever the headers claimed.

    The whole package has a ratio bound too: thousands of entries each just under the
    per-file floor (or sharing one compressed kernel) must not add up to gigabytes.
    """

    def __init__(self, limits: Limits, archive_bytes: int) -> None:
        self.limits = limits
        self.archive_bytes = max(1, archive_bytes)
        self.total = 0

    def charge(self, name: str, written: int, compressed: int, chunk: int) -> None:
        self.total += chunk
        limits = self.limits
        if written > limits.max_file_bytes:
            raise _refuse("file-too-large", f"entry inflates past {limits.max_file_bytes}", name)
        if self.total > limits.max_total_bytes:
            raise _refuse("zip-bomb", f"package inflates past {limits.max_total_bytes}", name)
        if _too_compressed(self.total, self.archive_bytes, limits):
            raise _refuse("zip-bomb", f"package inflates more than {limits.max_ratio:.0f}x")
        if written > limits.ratio_floor_bytes and written / compressed > limits.max_ratio:
            raise _refuse("zip-bomb", f"entry inflates more than {limits.max_ratio:.0f}x", name)


def _too_compressed(inflated: int, compressed: int, limits: Limits) -> bool:
    return inflated > limits.ratio_floor_bytes and inflated / max(1, compressed) > limits.max_ratio


def _open_exclusive(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.open(path, flags, 0o600)


def _write_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: _Budget, size: int
) -> str:
    """Inflate one entry into ``target``; its SHA-256, computed on the way (images are
    large: their bytes are hashed while they are written, not read again for it)."""
    compressed = max(1, min(info.compress_size, size))
    written = 0
    digest = hashlib.sha256()
    fd = _open_exclusive(target)
    with os.fdopen(fd, "wb") as out, archive.open(info) as member:
        while chunk := member.read(CHUNK):
            written += len(chunk)
            budget.charge(info.filename, written, compressed, len(chunk))
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _members(
    archive: zipfile.ZipFile, size: int, limits: Limits
) -> Iterator[tuple[zipfile.ZipInfo, PurePosixPath]]:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise _refuse("too-many-entries", f"{len(infos)} entries (limit {limits.max_entries})")
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_total_bytes:
        raise _refuse("zip-bomb", f"entries declare {declared} bytes in all")
    checked = [(info, check_member(info, size, limits)) for info in infos]
    if _too_compressed(declared, size, limits):
        ratio = declared / max(1, size)
        raise _refuse("zip-bomb", f"package inflates {ratio:.0f}x (limit {limits.max_ratio:.0f}x)")
    seen: set[str] = set()
    for info, relative in checked:
        key = relative.as_posix().casefold()
        if key in seen and not info.is_dir():
            raise _refuse("duplicate-entry", "two entries have the same path", info.filename)
        seen.add(key)
        yield info, relative


def _make_directory(target: Path, name: str) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise _refuse("duplicate-entry", "directory entry collides with a file", name) from exc


def _unpack(archive: zipfile.ZipFile, dest: Path, size: int, limits: Limits) -> dict[str, str]:
    budget = _Budget(limits, size)
    digests: dict[str, str] = {}
    for info, relative in list(_members(archive, size, limits)):
        target = dest.joinpath(*relative.parts)
        if info.is_dir():
            _make_directory(target, info.filename)
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.resolve().is_relative_to(dest.resolve()):
                raise _refuse("zip-slip", "entry resolves outside the package", info.filename)
            digests[relative.as_posix()] = _write_member(archive, info, target, budget, size)
        except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
            raise _refuse("duplicate-entry", "entry collides with another", info.filename) from exc
    return digests


def extract_member(path: Path, name: str, target: Path, limits: Limits) -> str:
    """Write one entry of the zip at ``path`` to ``target`` (which must not exist), checked
    as :func:`extract_zip` checks every entry; its SHA-256, or ArchiveRefusedError."""
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo(name)
            check_member(info, size, limits)
            return _write_member(archive, info, target, _Budget(limits, size), size)
    except ArchiveRefusedError:
        raise
    except OSError as error:
        if error.errno in LOCAL_FAILURES:
            raise
        raise _corrupt(path, error) from error
    except (*ZIP_ERRORS, KeyError) as error:
        raise _corrupt(path, error) from error


def _corrupt(path: Path, error: BaseException) -> ArchiveRefusedError:
    with path.open("rb") as handle:
        head = handle.read(4)
    text = str(error) or type(error).__name__
    if head != b"PK\x03\x04" and isinstance(error, zipfile.BadZipFile):
        return _refuse("not-a-zip", f"not a zip archive ({text})")
    if "crc" in text.lower() or head != b"PK\x03\x04":
        return _refuse("corrupt", f"archive is damaged ({text})")
    return _refuse("truncated", f"archive is truncated or damaged ({text})")


def declared_entries(path: Path) -> int | None:
    """The entry count the end-of-central-directory record claims, read before zipfile
    builds an object per entry (a forged count would otherwise cost memory first)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - EOCD_SEARCH))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    zip64 = tail.rfind(b"PK\x06\x06", 0, at)
    if count == 0xFFFF and zip64 >= 0 and len(tail) >= zip64 + 40:
        count = int.from_bytes(tail[zip64 + 32 : zip64 + 40], "little")
    return count


def extract_zip(path: Path, dest: Path, limits: Limits) -> dict[str, str]:
    """Unpack ``path`` into ``dest`` (which must be new and empty) or raise ArchiveRefusedError;
    the SHA-256 of every file written, by relative path.

    On refusal ``dest`` may hold some files; the caller deletes the whole directory.
    A full or read-only disk is not the package's fault and stays an ``OSError``.
    """
    size = path.stat().st_size
    count = declared_entries(path)
    if count is not None and count > limits.max_entries:
        raise _refuse("too-many-entries", f"{count} entries (limit {limits.max_entries})")
    try:
        with zipfile.ZipFile(path) as archive:
            return _unpack(archive, dest, size, limits)
    except ArchiveRefusedError:
        raise
    except OSError as error:
        if error.errno in LOCAL_FAILURES:
            raise  # our disk, not the package: the caller's infrastructure error
        raise _corrupt(path, error) from error
    except ZIP_ERRORS as error:
        raise _corrupt(path, error) from error


def scan_directory(root: Path, limits: Limits) -> list[Problem]:
    """Apply the archive rules to an unpacked package: no links, no specials, bounded."""
    problems: list[Problem] = []
    count = 0
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for name in sorted(dirnames + filenames):
            full = base / name
            rel = full.relative_to(root).as_posix()
            info = full.lstat()
            count += 1
            if stat.S_ISLNK(info.st_mode):
                problems.append(Problem(code="symlink", message="symbolic link", file=rel))
            elif not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
                problems.append(Problem(code="special-file", message="not a file", file=rel))
            elif stat.S_ISREG(info.st_mode):
                total += info.st_size
                if info.st_size > limits.max_file_bytes:
                    problems.append(
                        Problem(code="file-too-large", message=f"{info.st_size} bytes", file=rel)
                    )
        if count > limits.max_entries:
            return [*problems, Problem(code="too-many-entries", message=f"over {count} entries")]
    if total > limits.max_total_bytes:
        problems.append(Problem(code="zip-bomb", message=f"package holds {total} bytes"))
    return problems


def resolve_in_package(root: Path, relative: str) -> Path | Problem:
    """The file a package path names, if it stays inside ``root`` without links.

    Paths in TOSCA.meta and manifests are input too: ``../../etc/passwd`` must not make
    us hash, or later read, a file of the host.
    """
    try:
        clean = check_member_name(relative.strip(), DEFAULT_LIMITS)
    except ArchiveRefusedError as refused:
        return refused.problem.model_copy(update={"code": "bad-path", "file": None})
    current = root
    for part in clean.parts:
        current = current / part
        if current.is_symlink():
            return Problem(code="symlink", message="path passes through a symbolic link")
    return current


def directory_checksum(root: Path, digests: FileDigests) -> str:
    """SHA-256 over the sorted relative paths and file digests: a directory's identity.

    Links are listed as such, never followed, so a link's target cannot change it. The
    files' digests stay in ``digests`` for the checks that want them next.
    """
    entries: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for name in dirnames + filenames:
            path = base / name
            mode = path.lstat().st_mode
            if stat.S_ISDIR(mode):
                continue
            digest = digests.hexdigest(path, "sha256") if stat.S_ISREG(mode) else "not-a-file"
            entries.append((path.relative_to(root).as_posix(), digest))
    listing = hashlib.sha256()
    for relative, digest in sorted(entries):
        listing.update(f"{relative}\0{digest}\n".encode())
    return listing.hexdigest()


def file_sha256(path: Path) -> str:
    """Streamed, so a multi-gigabyte image never sits in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
