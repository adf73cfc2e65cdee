import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
import redis

from nfvo.store.embedded import (
    PIDFILE,
    DataDirectoryInUse,
    EmbeddedRedis,
    EmbeddedRedisError,
    find_redis_server,
)


def client(server: EmbeddedRedis) -> redis.Redis:
    return redis.Redis.from_url(server.url)


def abandon(server: EmbeddedRedis) -> None:
    """Forget the server as a killed owner would: the kernel drops its lock with it."""
    server._process = None
    if server._owner is not None:
        os.close(server._owner)
        server._owner = None


def test_throw_away_server_starts_and_cleans_up() -> None:
    server = EmbeddedRedis()
    server.start()
    directory = Path(client(server).config_get("dir")["dir"])
    assert client(server).ping()
    assert client(server).config_get("appendonly")["appendonly"] == "no"
    pid = server.pid
    server.stop()
    assert pid is not None and not Path(f"/proc/{pid}").exists()
    assert not directory.exists()
    with pytest.raises(EmbeddedRedisError, match="not running"):
        _ = server.url


def test_owned_server_persists_across_a_clean_restart(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as server:
        client(server).set("nfvo:k", "v1")
    assert list(tmp_path.glob("appendonly*"))
    with EmbeddedRedis(tmp_path) as server:
        assert client(server).get("nfvo:k") == b"v1"


def test_owned_server_keeps_state_when_killed(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    client(server).set("nfvo:survives", "yes")
    time.sleep(1.2)  # appendfsync everysec: at most one second is ever at risk
    assert server.pid is not None
    os.kill(server.pid, signal.SIGKILL)
    server._process.wait()  # type: ignore[union-attr]
    abandon(server)
    with EmbeddedRedis(tmp_path) as again:
        assert client(again).get("nfvo:survives") == b"yes"


def test_a_leftover_server_on_the_data_dir_is_stopped_first(tmp_path: Path) -> None:
    first = EmbeddedRedis(tmp_path)
    first.start()
    client(first).set("nfvo:k", "v")
    leftover_pid = int((tmp_path / PIDFILE).read_text())
    abandon(first)
    with EmbeddedRedis(tmp_path) as second:
        assert not Path(f"/proc/{leftover_pid}").exists() or _zombie(leftover_pid)
        assert client(second).get("nfvo:k") == b"v"


def test_a_second_owner_of_the_data_dir_is_refused(tmp_path: Path) -> None:
    with EmbeddedRedis(tmp_path) as first:
        with pytest.raises(DataDirectoryInUse, match=f"in use by process {os.getpid()}"):
            EmbeddedRedis(tmp_path).start()
        assert client(first).ping()  # untouched


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_an_explicit_binary_must_be_executable(tmp_path: Path) -> None:
    with pytest.raises(EmbeddedRedisError, match="not an executable"):
        find_redis_server(tmp_path / "nothing")


async def test_usable_from_async_code() -> None:
    from nfvo.store.connection import redis_for

    async with redis_for(None, None, owned=False) as r:
        assert await r.ping()
        await asyncio.sleep(0)
