"""Item 12 (its part here): no secret printed by ``nfvo config show``, none left open on disk.

- ``nfvo config show`` printed ``redis_url`` whole, password included.
- The embedded Redis listened on the loopback without a password (any local user could
  read and change every record) and wrote world-readable files. It now demands a
  generated password, kept 0600 in a 0700 data directory, given to the server on its
  standard input (so no process listing shows it), and its files are 0600.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import orjson
import redis

from nfvo.store.embedded import PASSWORD_FILE, EmbeddedRedis

PASSWORD = "s3cret-in-the-url-quince"


def _config_show(*arguments: str) -> str:
    env = {**os.environ, "NFVO_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:6399/0"}
    env["NFVO_AUTH_JWKS"] = f"https://reader:{PASSWORD}@idp.example/jwks"
    shown = subprocess.run(
        [str(Path(sys.executable).parent / "nfvo"), "config", "show", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return shown.stdout


def test_config_show_masks_the_passwords_of_urls() -> None:
    text = _config_show()
    assert PASSWORD not in text
    assert "redis://:***@127.0.0.1:6399/0" in text
    shown = orjson.loads(_config_show("-o", "json"))
    assert shown["redis_url"] == "redis://:***@127.0.0.1:6399/0"
    assert shown["auth_jwks"] == "https://reader:***@idp.example/jwks"


def _unauthenticated(port: int) -> bytes:
    """What another local user gets asking the server for a key, without a password."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"*2\r\n$4\r\nKEYS\r\n$1\r\n*\r\n")
        return connection.recv(256)


def test_the_embedded_redis_demands_its_password_and_keeps_its_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with EmbeddedRedis(data) as server:
        redis.Redis.from_url(server.url).set("nfvo:doc:vnfpkg:x", "tenant data")
        assert _unauthenticated(server.port).startswith(b"-NOAUTH")
        password = (data / PASSWORD_FILE).read_text().strip()
        assert len(password) >= 32
        assert server.pid is not None
        assert password.encode() not in Path(f"/proc/{server.pid}/cmdline").read_bytes()
        modes = {
            path.relative_to(data).as_posix(): stat.S_IMODE(path.stat().st_mode)
            for path in data.rglob("*")
        }
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert modes[PASSWORD_FILE] == 0o600
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert not loose, f"readable by others: {loose}"
    with EmbeddedRedis(data) as again:  # the same password next time, and the data kept
        assert redis.Redis.from_url(again.url).get("nfvo:doc:vnfpkg:x") == b"tenant data"


def test_a_data_directory_left_open_is_closed_at_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "redis.log").write_text("old log\n")
    (data / "redis.log").chmod(0o644)
    with EmbeddedRedis(data):
        pass
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "redis.log").stat().st_mode) == 0o600
