"""Scratch directories that a killed process does not leave behind for good.

Work that unpacks files (onboarding a package) does it under ``<root>/<owner>/``, where
the owner names this process by pid and start time. :meth:`Scratch.clean` removes the
folders of owners that no longer run (a pid reused by another process has another
start time), so a process killed mid-work leaves nothing the next start does not
clear; folders of live processes, on this host or sharing the directory, stay.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from nfvo.store.resources import ResourceKey


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields after its ')' are plain.
    return stat.rsplit(")", 1)[1].split()[19]


def owner_name(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{pid}-{_start_time(pid) or 0}"


def _alive(owner: str) -> bool:
    pid_text, _, started = owner.partition("-")
    if not pid_text.isdigit():
        return True  # not ours to judge
    return _start_time(int(pid_text)) == started


class Scratch:
    def __init__(self, root: Path) -> None:
        self.root = root

    @contextlib.contextmanager
    def directory(self, purpose: str) -> Iterator[Path]:
        """A fresh folder for ``purpose``, removed when the block ends."""
        mine = self.root / owner_name()
        mine.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = Path(tempfile.mkdtemp(prefix=f"{purpose}-", dir=mine))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def clean(self) -> list[str]:
        """Remove the folders of owners that no longer run; the owners removed."""
        removed: list[str] = []
        with contextlib.suppress(FileNotFoundError):
            for folder in self.root.iterdir():
                if folder.is_dir() and not _alive(folder.name):
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder.name)
        return removed


SCRATCH: ResourceKey[Scratch] = ResourceKey("scratch directories", Scratch)
