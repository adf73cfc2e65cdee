"""``nfvo vim`` against a shared Redis: add from clouds.yaml or flags, list masked,
show, set-default, remove."""

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
        runner, "add", "a", "--clouds-yaml", str(clouds), "--cloud", "site-a"
    )
    invoke(
        runner, "add", "b", "--auth-url", "http://other/v3", "--username", "u",
        "--password", PASSWORD, "--project", "p", "--region", "R2", "--admin",
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
    info = orjson.loads(invoke(runner, "show", "b", "--connection-info"))
    assert info["accessInfo"]["region"] == "R2" and info["accessInfo"]["password"] == "******"
    invoke(runner, "set-default", "b")
    assert orjson.loads(invoke(runner, "show", "b"))["default"] is True
    invoke(runner, "remove", "b")
    missing = runner.invoke(cli, ["vim", "show", "b"])
    assert missing.exit_code == 1 and "no VIM named 'b'" in missing.output
    assert (tmp_path / "data" / "secrets.key").stat().st_mode & 0o777 == 0o600


def test_add_needs_a_source(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["vim", "add", "x"])
    assert result.exit_code == 2 and "--auth-url" in result.output


def test_a_missing_password_is_prompted_for_not_echoed(runner: CliRunner) -> None:
    args = ["vim", "add", "p", "--auth-url", "http://k/v3", "--username", "u"]
    result = runner.invoke(cli, args, input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    shown = invoke(runner, "show", "p", "--connection-info")
    assert orjson.loads(shown)["accessInfo"]["password"] == "******"
