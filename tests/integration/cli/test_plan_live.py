"""``nfvo placement plan --vim``: the plan on a registered cloud's live usage."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from descriptors.summary import SHIPPED
from nfvo.cli.commands.placement import CORE_NETWORKS
from nfvo.cli.main import cli
from tests.integration.cli.conftest import LAB


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
