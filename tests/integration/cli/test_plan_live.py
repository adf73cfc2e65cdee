"""``nfvo placement plan --vim``: the plan on a registered cloud's live usage."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from descriptors.summary import SHIPPED
from nfvo.cli.commands.placement import CORE_NETWORKS
from nfvo.cli.main import cli
from simulators.openstack.inventory import INVENTORY_DIR
from tests.support.processes import ManagedProcess, port_open

LAB = INVENTORY_DIR / "lab.yaml"


@pytest.fixture
def cloud(process_factory: type[ManagedProcess], free_port: int, tmp_path: Path) -> Iterator[Path]:
    clouds = tmp_path / "clouds.yaml"
    simulator = process_factory(
        [sys.executable, "-m", "simulators.openstack", "--inventory", str(LAB), "--port",
         str(free_port), "--clouds-yaml", str(clouds), "--time-scale", "0"],
        # clouds.yaml is written after the port opens, before READY is printed
        ready=lambda: port_open(free_port)() and clouds.exists(),
    )  # fmt: skip
    simulator.start()
    return clouds


def plan(runner: CliRunner, vim: str) -> str:
    networks = [arg for binding in CORE_NETWORKS for arg in ("--network", binding)]
    result = runner.invoke(
        cli,
        ["placement", "plan", "--packages-dir", str(SHIPPED), "--inventory", str(LAB),
         "--level", "lab", *networks, "--vim", vim],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def test_plan_against_a_registered_cloud(runner: CliRunner, cloud: Path) -> None:
    for name, entry, admin in (("lab", "sim", ["--admin"]), ("lab-member", "sim-member", [])):
        result = runner.invoke(
            cli,
            ["vim", "add", name, "--clouds-yaml", str(cloud), "--cloud", entry, *admin],
        )
        assert result.exit_code == 0, result.output
    as_admin = plan(runner, "default")
    assert "upf-0" in as_admin and "no admin rights" not in as_admin
    as_member = plan(runner, "lab-member")
    assert "note: no admin rights: capacity without usage" in as_member


def test_an_unknown_vim_is_a_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        ["placement", "plan", "--packages-dir", str(SHIPPED), "--inventory", str(LAB),
         "--vim", "nowhere"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "nowhere" in result.output and "Traceback" not in result.output
