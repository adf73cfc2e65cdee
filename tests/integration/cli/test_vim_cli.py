"""``nfvo vim`` against a shared Redis: add from clouds.yaml or flags, list masked,
show, set-default, remove; ``add`` checks the cloud (the simulated OpenStack) first."""

from __future__ import annotations

from pathlib import Path

import orjson
import yaml
from click.testing import CliRunner

from nfvo.cli.main import cli

PASSWORD = "pw-that-must-not-show"


def invoke(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, ["vim", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_add_list_show_default_remove(runner: CliRunner, tmp_path: Path) -> None:
    clouds = tmp_path / "clouds.yaml"
    entry = {"auth": {"auth_url": "http://keystone/v3", "username": "u", "password": PASSWORD}}
    clouds.write_text(yaml.safe_dump({"clouds": {"site-a": entry}}))
    assert "(default)" in invoke(
        runner, "add", "a", "--clouds-yaml", str(clouds), "--cloud", "site-a", "--no-verify"
    )
    invoke(
        runner, "add", "b", "--auth-url", "http://other/v3", "--username", "u",
        "--password", PASSWORD, "--project", "p", "--region", "R2", "--admin", "--no-verify",
    )  # fmt: skip
    listing = invoke(runner, "list")
    assert PASSWORD not in listing and "R2" in listing
    as_json = orjson.loads(invoke(runner, "list", "-o", "json"))
    assert [(v["name"], v["default"], v["admin"]) for v in as_json] == [
        ("a", True, False),
        ("b", False, True),
    ]
    shown = invoke(runner, "show", "b")
    assert PASSWORD not in shown and "******" in shown
    info = orjson.loads(invoke(runner, "show", "b", "--connection-info", "-o", "json"))
    assert info["accessInfo"]["region"] == "R2" and info["accessInfo"]["password"] == "******"
    invoke(runner, "set-default", "b")
    assert yaml.safe_load(invoke(runner, "show", "b", "-o", "yaml"))["default"] is True
    invoke(runner, "remove", "b")
    missing = runner.invoke(cli, ["vim", "show", "b"])
    assert missing.exit_code == 1 and "no VIM named 'b'" in missing.output
    assert (tmp_path / "data" / "secrets.key").stat().st_mode & 0o777 == 0o600


def test_add_needs_a_source(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["vim", "add", "x"])
    assert result.exit_code == 2 and "--auth-url" in result.output


def test_a_missing_password_is_prompted_for_not_echoed(runner: CliRunner) -> None:
    args = ["vim", "add", "p", "--auth-url", "http://k/v3", "--username", "u", "--no-verify"]
    result = runner.invoke(cli, args, input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    shown = invoke(runner, "show", "p", "--connection-info", "-o", "json")
    assert orjson.loads(shown)["accessInfo"]["password"] == "******"


def test_add_checks_the_cloud_before_registering(runner: CliRunner, cloud: Path) -> None:
    added = runner.invoke(
        cli, ["vim", "add", "lab", "--clouds-yaml", str(cloud), "--cloud", "sim", "--admin"]
    )
    assert added.exit_code == 0, added.output
    assert "authenticated as admin in project admin (roles admin, member, reader)" in added.output
    assert "admin rights; services: compute, network, image, block_storage, placement" in (
        added.output
    )
    again = runner.invoke(cli, ["vim", "add", "lab", "--clouds-yaml", str(cloud), "--cloud", "sim"])
    assert again.exit_code == 1
    assert "VIM lab is already registered" in again.output and "--replace" in again.output
    tenant = ["vim", "add", "tenant", "--clouds-yaml", str(cloud), "--cloud", "sim-member"]
    not_admin = runner.invoke(cli, [*tenant, "--admin"])
    assert not_admin.exit_code == 1, not_admin.output
    assert "--admin, but operator-a may not list hypervisors there" in not_admin.output
    assert "register without --admin" in not_admin.output
    assert runner.invoke(cli, ["vim", "show", "tenant"]).exit_code == 1  # nothing registered
    as_tenant = runner.invoke(cli, tenant)
    assert as_tenant.exit_code == 0, as_tenant.output
    assert "no admin rights" in as_tenant.output
    listed = orjson.loads(invoke(runner, "list", "-o", "json"))
    assert [(v["name"], v["admin"]) for v in listed] == [("lab", True), ("tenant", False)]


def test_a_wrong_password_or_an_unreachable_cloud_is_refused(
    runner: CliRunner, cloud: Path
) -> None:
    entry = yaml.safe_load(cloud.read_text())["clouds"]["sim"]
    auth = entry["auth"]
    flags = ["--username", auth["username"], "--project", auth["project_name"],
             "--user-domain", "Default", "--project-domain", "Default"]  # fmt: skip
    wrong = runner.invoke(
        cli, ["vim", "add", "w", "--auth-url", auth["auth_url"], *flags, "--password", "nope"]
    )
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output
    assert "VIM w: connect failed (401)" in wrong.output and "credentials" in wrong.output
    away = runner.invoke(
        cli, ["vim", "add", "x", "--auth-url", "http://127.0.0.1:1/v3", *flags, "--password", "p"]
    )
    assert away.exit_code == 1 and "Traceback" not in away.output
    assert "VIM x: connect failed" in away.output and "reachable from here" in away.output
    assert orjson.loads(invoke(runner, "list", "-o", "json")) == []
