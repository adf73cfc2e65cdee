"""``nfvo serve`` and ``nfvo worker`` as child processes a test can kill and restart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.processes import ManagedProcess, port_open, python_argv

REPO_ROOT = Path(__file__).resolve().parents[2]
NFVO = [str(Path(sys.executable).parent / "nfvo")]  # the console script, as installed


def nfvo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``nfvo ARGS`` run to its end in ``env``, its output captured as text."""
    return subprocess.run([*NFVO, *args], env=env, capture_output=True, text=True, timeout=120)


def nfvo_argv(*arguments: str) -> list[str]:
    return python_argv("-c", "from nfvo.cli.main import main; main()", *arguments)


def sharing(redis_url: str, prefix: str, data_dir: Path) -> dict[str, str | None]:
    """What processes of one orchestrator share: the Redis, the key prefix and the data
    directory (the blob store and the secret key)."""
    return {"NFVO_REDIS_URL": redis_url, "NFVO_KEY_PREFIX": prefix, "NFVO_DATA_DIR": str(data_dir)}


# Unset for a server that must own its embedded Redis (CI exports REDIS_URL for tests).
NO_REDIS_URL: dict[str, str | None] = {"REDIS_URL": None, "NFVO_REDIS_URL": None}


def serve(
    factory: type[ManagedProcess], environment: dict[str, str | None], port: int, *options: str
) -> ManagedProcess:
    """``nfvo serve --no-auth`` on ``port`` (not started)."""
    argv = nfvo_argv("serve", "--no-auth", "--port", str(port), *options)
    return factory(argv, env=environment, cwd=REPO_ROOT, ready=port_open(port))


def worker(
    factory: type[ManagedProcess], environment: dict[str, str | None], *options: str
) -> ManagedProcess:
    """``nfvo worker`` (not started), ready once it says so in its log."""
    process = factory(nfvo_argv("worker", *options), env=environment, cwd=REPO_ROOT)

    def ready() -> bool:  # one "ready" line per start, in a log kept across restarts
        log = process.log_path.read_bytes() if process.log_path else b""
        return log.count(b" ready: ") >= process.starts

    process.ready = ready
    return process
