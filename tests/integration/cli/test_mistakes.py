"""Every command, given the mistakes operators make, answers in a line or two (what
failed, where, what to do) with a non-zero exit, and never with a traceback.

The mistakes: a wrong path, a server that is not running, a wrong password, a Redis
that does not answer, an unreachable VIM or one that refuses its credentials, a bad
package, bad YAML, bad flags, a bad setting. The server, the Redis and the cloud are
real (``nfvo serve``, redis-server, the simulated OpenStack).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from descriptors.summary import SHIPPED
from nfvo.cli.main import cli
from nfvo.store.embedded import EmbeddedRedis
from tests.integration.cli.conftest import LAB

NETWORKS = ["--network", "n3_vl=sriov-n3"]
DOWN = "http://127.0.0.1:1"


@dataclass(frozen=True)
class Mistake:
    args: list[str]
    said: tuple[str, ...]  # fragments the answer must hold
    exit_code: int = 1
    env: dict[str, str | None] = field(default_factory=dict)
    lines: int = 2  # the error's lines at most (message and hint)


def check(runner: CliRunner, mistake: Mistake) -> Result:
    result = runner.invoke(cli, mistake.args, env=mistake.env)
    shown = f"{mistake.args}: {result.output}"
    assert isinstance(result.exception, SystemExit), f"{shown} {result.exception!r}"
    assert result.exit_code == mistake.exit_code, shown
    assert "Traceback" not in result.output, shown
    for fragment in mistake.said:
        assert fragment in result.output, f"{fragment!r} not in {shown}"
    error = result.output[result.output.index("Error:") :] if "Error:" in result.output else ""
    assert len(error.strip().splitlines()) <= mistake.lines, shown
    return result


@pytest.fixture
def broken(tmp_path: Path) -> dict[str, Path]:
    """Packages and files with the usual mistakes in them."""
    eight = tmp_path / "eight"
    shutil.copytree(SHIPPED / "amf", eight)
    vnfd = eight / "Definitions" / "amf_vnfd.yaml"
    vnfd.write_text(vnfd.read_text().replace("num_virtual_cpu: 4", "num_virtual_cpu: eight"))
    tabs = tmp_path / "tabs"
    shutil.copytree(SHIPPED / "amf", tabs)
    (tabs / "Definitions" / "amf_vnfd.yaml").write_text("topology_template:\n\t- broken: [\n")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("clouds:\n  lab: [unclosed\n")
    return {"eight": eight, "tabs": tabs, "bad_yaml": bad_yaml}


def test_offline_mistakes(runner: CliRunner, broken: dict[str, Path], tmp_path: Path) -> None:
    eight, tabs, bad_yaml = str(broken["eight"]), str(broken["tabs"]), str(broken["bad_yaml"])
    down = {"NFVO_NFVO_URL": DOWN}
    mistakes = [
        # a wrong path
        Mistake(["package", "validate", "/no/such/package"], ("does not exist",), 2, lines=3),
        Mistake(["package", "onboard", "/no/such.csar"], ("does not exist",), 2, lines=3),
        Mistake(
            ["--config", "/no/such.yaml", "config", "show"],
            ("cannot read /no/such.yaml",),
            2,
            lines=3,
        ),
        Mistake(
            ["placement", "plan", "--vnf", eight, "--inventory", "/no/inv.yaml"],
            ("does not exist",),
            2,
            lines=3,
        ),
        # no server there
        Mistake(
            ["package", "list"],
            (f"cannot connect to {DOWN} (nfvo_url)", f"is `nfvo serve` running at {DOWN}?"),
            env=down,
        ),
        Mistake(["nsd", "show", "5gc-sa"], ("cannot connect",), env=down),
        Mistake(["package", "delete", "nfvo-5gc-amf"], ("cannot connect",), env=down),
        Mistake(["package", "onboard", str(SHIPPED / "nrf")], ("cannot connect",), env=down),
        # no Redis there, or none at all
        Mistake(
            ["vim", "list"],
            ("cannot reach Redis at redis://127.0.0.1:1/0 (redis_url)", "is `nfvo serve` running?"),
            env={"NFVO_REDIS_URL": "redis://127.0.0.1:1/0"},
        ),
        Mistake(
            ["vim", "add", "x", "--auth-url", "http://k/v3", "--no-verify"],
            ("cannot reach Redis",),
            env={"NFVO_REDIS_URL": "redis://127.0.0.1:1/0"},
        ),
        Mistake(
            ["vim", "list"],
            ("no `nfvo serve` publishes one", "start `nfvo serve`"),
            env={"NFVO_REDIS_URL": None},
        ),
        Mistake(
            [
                "placement",
                "plan",
                "--vnf",
                str(SHIPPED / "upf"),
                "--inventory",
                str(LAB),
                *NETWORKS,
                "--vim",
                "nowhere",
            ],
            ("no VIM named 'nowhere'",),
        ),
        # bad packages
        Mistake(["package", "validate", eight], ('"eight" is not an integer',), lines=99),
        Mistake(
            ["package", "build", eight, "-d", str(tmp_path / "out")],
            ('"eight" is not an integer', "nothing written"),
            lines=99,
        ),
        Mistake(["package", "validate", tabs], ("amf_vnfd.yaml", "invalid"), lines=99),
        Mistake(["package", "onboard", eight], ("nothing onboarded", "is invalid"), env=down),
        Mistake(
            ["placement", "plan", "--vnf", eight, "--inventory", str(LAB)],
            ("is not a valid package", "is not an integer"),
            1,
            lines=99,
        ),
        # bad YAML
        Mistake(
            ["--config", bad_yaml, "config", "show"], ("bad.yaml:2: not valid YAML",), 2, lines=9
        ),
        Mistake(
            ["vim", "add", "x", "--clouds-yaml", bad_yaml, "--cloud", "lab"],
            ("bad.yaml:2: not valid YAML",),
            lines=9,
        ),
        Mistake(
            ["placement", "plan", "--vnf", str(SHIPPED / "upf"), "--inventory", bad_yaml],
            ("bad.yaml",),
            2,
            lines=9,
        ),
        # bad flags and settings
        Mistake(["package", "validate", "--nope", eight], ("No such option",), 2, lines=3),
        Mistake(["package", "list", "-o", "xml"], ("'xml' is not one of",), 2, lines=3),
        Mistake(["vim", "add", "x"], ("--auth-url",), 2, lines=3),
        Mistake(["serve", "--port", "0"], ("0 is not in the range",), 2, lines=3),
        Mistake(["worker", "--concurrency", "0"], ("0 is not in the range",), 2, lines=3),
        Mistake(["config", "show"], ("configuration: api_port",), 2, {"NFVO_API_PORT": "x"}, 3),
    ]
    for mistake in mistakes:
        check(runner, mistake)


def test_an_unknown_variable_is_warned_of(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["config", "show"], env={"NFVO_API_PROT": "9191"})
    assert result.exit_code == 0
    assert "NFVO_API_PROT is not a setting and is ignored; did you mean NFVO_API_PORT?" in (
        result.output
    )


def test_wrong_credentials_for_the_server(runner: CliRunner, served: dict[str, str]) -> None:
    url = served["NFVO_NFVO_URL"]
    for env, credentials in (
        ({"NFVO_ADMIN_PASSWORD": "a-wrong-password-of-length"}, "admin_password"),
        ({"NFVO_API_TOKEN": "not.a.token"}, "api_token"),
    ):
        check(
            runner,
            Mistake(
                ["package", "list"],
                (f"{url} refused the credentials ({credentials})", "NFVO_ADMIN_PASSWORD"),
                env={"NFVO_NFVO_URL": url, **env},
            ),
        )
    password = served["NFVO_ADMIN_PASSWORD"]
    unknown = Mistake(
        ["nsd", "show", "no-such-nsd"],
        ("nothing here is named 'no-such-nsd'", "nfvo nsd list shows them"),
        env={"NFVO_NFVO_URL": url, "NFVO_ADMIN_PASSWORD": password},
    )
    check(runner, unknown)
    anonymous = Mistake(
        ["package", "list"],
        ("refused the credentials (none: neither api_token nor admin_password is set)",),
        env={"NFVO_NFVO_URL": url},
    )
    check(runner, anonymous)


def test_a_wrong_redis_password(runner: CliRunner) -> None:
    with EmbeddedRedis() as redis:
        wrong = redis.url.replace(redis.url.split("@")[0], "redis://:wrong-password")
        check(
            runner,
            Mistake(
                ["vim", "list"],
                ("refused the password", "redis_url"),
                env={"NFVO_REDIS_URL": wrong},
            ),
        )


def test_vim_mistakes(runner: CliRunner, cloud: Path, tmp_path: Path) -> None:
    entry = cloud.read_text()
    assert "sim-member" in entry
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(entry.replace("password: admin-secret", "password: not-it"))
    assert wrong.read_text() != entry, "the simulator's admin password changed: fix the test"
    added = runner.invoke(
        cli, ["vim", "add", "lab", "--clouds-yaml", str(wrong), "--cloud", "sim", "--no-verify"]
    )
    assert added.exit_code == 0, added.output
    plan = ["placement", "plan", "--vnf", str(SHIPPED / "upf"), "--inventory", str(LAB)]
    mistakes = [
        Mistake(
            ["vim", "add", "w", "--clouds-yaml", str(wrong), "--cloud", "sim"],
            ("VIM w: connect failed (401)", "check VIM w's credentials"),
        ),
        Mistake(
            [
                "vim",
                "add",
                "u",
                "--auth-url",
                "http://127.0.0.1:1/v3",
                "--username",
                "u",
                "--password",
                "p",
                "--project",
                "p",
            ],
            ("VIM u: connect failed", "is VIM u reachable from here?"),
        ),
        Mistake(
            ["vim", "add", "lab", "--clouds-yaml", str(cloud), "--cloud", "sim"],
            ("VIM lab is already registered", "--replace"),
        ),
        Mistake(
            ["vim", "add", "m", "--clouds-yaml", str(cloud), "--cloud", "sim-member", "--admin"],
            ("may not list hypervisors",),
        ),
        Mistake(
            [*plan, *NETWORKS, "--vim", "lab"],
            ("VIM lab: connect failed (401)", "check VIM lab's credentials"),
        ),
        Mistake(
            ["vim", "add", "bad", "--clouds-yaml", str(cloud), "--cloud", "nope"],
            ("has no cloud 'nope' (it has: sim, sim-admin",),
            2,
            lines=3,
        ),
    ]
    for mistake in mistakes:
        check(runner, mistake)
