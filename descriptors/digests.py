"""Digests of a package's files, each file read once.

Several checks want a digest of the same file: the manifest's ``Hash:``, TOSCA.meta's,
the VNFD's ``sw_image_data`` checksum (perhaps with another algorithm), an artifact's
signature. A software image can be gigabytes, so the checks first say what they will
ask (:meth:`FileDigests.want`), and the first question about a file reads it once,
in chunks, feeding every wanted algorithm. Digests learnt elsewhere (the SHA-256
computed while a zip entry was inflated) are handed in with :meth:`FileDigests.know`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

CHUNK = 1024 * 1024
ALGORITHMS = frozenset({"sha224", "sha256", "sha384", "sha512"})


def hash_name(algorithm: str) -> str | None:
    """``SHA-256``, ``sha_256`` and ``sha256`` all mean hashlib's ``sha256``."""
    name = algorithm.strip().lower().replace("-", "").replace("_", "")
    return name if name in ALGORITHMS else None


class FileDigests:
    """Hex digests by (file, hashlib name), computed on first use for all wanted names."""

    def __init__(self, progress: Callable[[int], None] | None = None) -> None:
        self._progress = progress  # told the bytes of every chunk read
        self._wanted: dict[Path, set[str]] = {}
        self._known: dict[Path, dict[str, str]] = {}
        self.reads = 0

    def want(self, path: Path, name: str) -> None:
        known = self._known.get(path, {})
        if name not in known:
            self._wanted.setdefault(path, set()).add(name)

    def know(self, path: Path, name: str, hexdigest: str) -> None:
        self._known.setdefault(path, {})[name] = hexdigest

    def hexdigest(self, path: Path, name: str) -> str:
        known = self._known.setdefault(path, {})
        if name not in known:
            names = (self._wanted.pop(path, set()) | {name}) - set(known)
            known.update(self._read(path, names))
        return known[name]

    def digest(self, path: Path, name: str) -> bytes:
        return bytes.fromhex(self.hexdigest(path, name))

    def _read(self, path: Path, names: set[str]) -> dict[str, str]:
        hashers = {name: hashlib.new(name) for name in sorted(names)}
        self.reads += 1
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                for hasher in hashers.values():
                    hasher.update(chunk)
                if self._progress is not None:
                    self._progress(len(chunk))
        return {name: hasher.hexdigest() for name, hasher in hashers.items()}
