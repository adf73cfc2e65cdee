"""The CLI as an operator runs it against the shared Redis of the test session."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from nfvo.store.keys import Keyspace
from simulators.openstack.inventory import INVENTORY_DIR
from tests.support.processes import ManagedProcess, port_open

LAB = INVENTORY_DIR / "lab.yaml"


@pytest.fixture
def runner(
    redis_url: str, keyspace: Keyspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """A CliRunner whose settings point at the test's keyspace; its keys go afterwards."""
    for name in ("NFVO_CONFIG", "REDIS_URL", "NFVO_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NFVO_REDIS_URL", redis_url)
    monkeypatch.setenv("NFVO_KEY_PREFIX", keyspace.prefix)
    monkeypatch.setenv("NFVO_DATA_DIR", str(tmp_path / "data"))
    yield CliRunner()
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=keyspace.pattern()))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def cloud(process_factory: type[ManagedProcess], free_port: int, tmp_path: Path) -> Path:
    """The simulated OpenStack on the lab inventory; its clouds.yaml (sim: admin,
    sim-member: a tenant's user)."""
    clouds = tmp_path / "clouds.yaml"
    simulator = process_factory(
        [sys.executable, "-m", "simulators.openstack", "--inventory", str(LAB), "--port",
         str(free_port), "--clouds-yaml", str(clouds), "--time-scale", "0"],
        # clouds.yaml is written after the port opens, before READY is printed
        ready=lambda: port_open(free_port)() and clouds.exists(),
    )  # fmt: skip
    simulator.start()
    return clouds
