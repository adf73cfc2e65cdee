"""A child process a test can SIGKILL and start again, as a crash test needs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path


class ManagedProcess:
    """``argv`` run as a child; ``ready`` (if given) is polled after each start."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str | None] | None = None,  # None removes a variable
        cwd: Path | None = None,
        ready: Callable[[], bool] | None = None,
        ready_timeout: float = 15.0,
        log_path: Path | None = None,
    ) -> None:
        self.argv = list(argv)
        merged = {**os.environ, **(env or {})}
        self.env = {name: value for name, value in merged.items() if value is not None}
        self.cwd = cwd
        self.ready = ready
        self.ready_timeout = ready_timeout
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> ManagedProcess:
        assert not self.running, "already running"
        log = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
        )
        self.starts += 1
        if self.ready is not None:
            self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"{self.argv[0]} exited with {self.process.returncode}")  # type: ignore[union-attr]
            if self.ready and self.ready():
                return
            time.sleep(0.05)
        raise TimeoutError(f"{self.argv} not ready after {self.ready_timeout}s")

    def kill(self) -> int:
        """SIGKILL: no chance to clean up, as in a crash. Returns the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        return self.process.wait(10)

    def terminate(self, timeout: float = 10.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.terminate()
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def restart(self) -> ManagedProcess:
        if self.running:
            self.kill()
        return self.start()


def python_argv(*arguments: str) -> list[str]:
    """Run a module or script with the interpreter running the tests."""
    return [sys.executable, *arguments]


def port_open(port: int, host: str = "127.0.0.1") -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            return False

    return check


class RedisServer(ManagedProcess):
    """A redis-server of a test's own on a fixed port: killed and started again on the
    same port, or paused. Without persistence its data is lost with it, as after a
    crash; ``persistent``, it keeps an append-only file (as a deployed Redis does) and
    comes back with every write it acknowledged."""

    def __init__(
        self, binary: Path, port: int, directory: Path, *, persistent: bool = False
    ) -> None:
        argv = [
            str(binary),
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--save", "",
            "--appendonly", "yes" if persistent else "no",
            "--dir", str(directory),
        ]  # fmt: skip
        super().__init__(argv, ready=port_open(port), log_path=directory / "redis.log")
        self.url = f"redis://127.0.0.1:{port}/0"

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers, as with a hung server."""
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)
