"""Scratch folders: a killed process's are removed, a live process's stay."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nfvo.store.scratch import Scratch, owner_name


def test_folders_of_processes_that_no_longer_run_are_removed(tmp_path: Path) -> None:
    scratch = Scratch(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        alive = owner_name(child.pid)
        (tmp_path / alive / "onboard-x").mkdir(parents=True)
        (tmp_path / "999999999-1").mkdir()  # no such process
        (tmp_path / f"{os.getpid()}-1").mkdir()  # our pid, but another start time: reused
        with scratch.directory("onboard") as mine:
            (mine / "file").write_text("work")
            assert sorted(scratch.clean()) == sorted(["999999999-1", f"{os.getpid()}-1"])
            assert (mine / "file").exists() and (tmp_path / alive / "onboard-x").is_dir()
        assert not mine.exists()
        child.kill()
        child.wait()
        assert scratch.clean() == [alive]
    finally:
        child.kill()
        child.wait()
