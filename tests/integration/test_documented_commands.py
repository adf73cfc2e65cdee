"""The README's and the operator guide's ```` ```sh ```` blocks, run as written, each in a
fresh shell, in order.

Each document gets a new operator: an empty home (so an empty data directory), nothing
of ``NFVO_*`` or ``REDIS_URL`` exported, ``.venv/bin`` on ``PATH`` (the guide says to
activate it), working in a scratch directory that holds the repository's ``.venv``,
``descriptors`` and ``simulators`` (what the commands name; what they write stays
there). The one thing set is ``NFVO_API_PORT``, a free port, since other tests run
beside this one (otherwise the documented default, 9090). A block marked
``# keeps running`` is started in the background and waited for until it prints
``READY``, as an operator waits before turning to another terminal; every other block
must exit 0 and print no traceback. ``make`` lines are not run: ``make test`` is this
suite, and ``make demo`` has its own test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/operator-guide.md")
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
KEEPS_RUNNING = "# keeps running"


def blocks(document: str) -> list[str]:
    """The document's sh blocks, without the lines this test does not run."""
    found = []
    for block in BLOCK.findall((REPO / document).read_text(encoding="utf-8")):
        lines = [line for line in block.splitlines() if not line.startswith("make ")]
        if any(line.strip() for line in lines):
            found.append("\n".join(lines))
    return found


@pytest.fixture
def operator(tmp_path: Path, free_port: int) -> tuple[Path, dict[str, str]]:
    """A scratch directory and the environment of a fresh shell."""
    work = tmp_path / "work"
    work.mkdir()
    for name in (".venv", "descriptors", "simulators"):
        (work / name).symlink_to(REPO / name if name != ".venv" else Path(sys.prefix))
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "HOME": str(home),
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "NFVO_API_PORT": str(free_port),
    }
    return work, env


def start(block: str, work: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The block's one command in the background, once it has printed READY."""
    command = block.strip()
    assert "\n" not in command, f"a block that keeps running holds one command: {block!r}"
    with log.open("wb") as output:  # a file, not a pipe nobody reads once it is ready
        process = subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            cwd=work,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(line.startswith(b"READY ") for line in log.read_bytes().splitlines()):
            return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{command!r} did not say READY:\n{log.read_text(errors='replace')}")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_documented_command_runs_as_written(
    document: str, operator: tuple[Path, dict[str, str]]
) -> None:
    work, env = operator
    found = blocks(document)
    assert found, f"{document} has no sh block"
    running: list[subprocess.Popen[bytes]] = []
    try:
        for number, block in enumerate(found):
            if KEEPS_RUNNING in block:
                running.append(start(block, work, env, work.parent / f"block-{number}.log"))
                continue
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            said = done.stdout + done.stderr
            assert done.returncode == 0, f"{document}:\n{block}\n-> {done.returncode}\n{said}"
            assert "Traceback" not in said, f"{document}:\n{block}\n{said}"
    finally:
        for process in reversed(running):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
