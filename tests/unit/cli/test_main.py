"""The root command: every module of nfvo.cli.commands is a command named after it,
listed with its summary, and nothing heavy is imported until a command runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import click
from click.testing import CliRunner

from nfvo.cli.main import LazyGroup, _modules, cli
from nfvo.cli.output import FORMATS


def test_each_module_is_the_command_of_its_name() -> None:
    assert isinstance(cli, LazyGroup)
    for name in _modules():
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.name == name


def test_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in _modules():
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None
        first_line = (command.help or "").strip().split("\n")[0]
        assert name in result.output
        assert first_line.split()[0] in result.output


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code == 2 and "No such command" in result.output


def test_help_imports_nothing_heavy() -> None:
    probe = (
        "import sys; from nfvo.cli.main import main; sys.argv = ['nfvo', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('aiohttp', 'openstack', 'matplotlib', 'pydantic_settings', 'redis',"
        " 'toscaparser')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def leaves(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every runnable command under ``group`` with its full name."""
    for name in group.list_commands(None):  # type: ignore[arg-type]
        command = group.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None
        if isinstance(command, click.Group):
            yield from leaves(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


#: Commands that print no data (a line saying what they did, or a server's log): no -o.
NO_DATA = {
    "demo", "serve", "worker", "package build", "package enable", "package disable",
    "package delete", "package download", "nsd enable", "nsd disable", "nsd delete",
    "nsd download", "vim add", "vim remove", "vim set-default", "up", "vnfm serve",
    "vnfm add", "vnfm remove", "ns delete", "op cancel", "vnf delete",
    # The VNF tasks print their progress, one line per change; `vnf op show -o` the data.
    "vnf instantiate", "vnf scale", "vnf heal", "vnf operate", "vnf terminate",
    "vnf op cancel", "vnf op fail", "vnf op retry", "vnf op rollback", "vnf op watch",
}  # fmt: skip


def test_every_option_says_what_it_is_for() -> None:
    for name, command in leaves(cli):
        for parameter in command.params:
            if isinstance(parameter, click.Option):
                assert parameter.help, f"nfvo {name} {parameter.opts[-1]} has no help text"
        assert command.help or command.callback.__doc__, f"nfvo {name} has no help text"  # type: ignore[union-attr]


def test_every_command_that_prints_data_answers_in_every_format() -> None:
    for name, command in leaves(cli):
        outputs = [p for p in command.params if p.name == "output"]
        if name in NO_DATA:
            assert not outputs or "-o" not in outputs[0].opts, f"nfvo {name}: -o is a format"
            continue
        assert outputs, f"nfvo {name} prints data but has no -o/--output"
        [option] = outputs
        assert option.opts == ["-o", "--output"], name
        assert isinstance(option.type, click.Choice), name
        assert sorted(option.type.choices) == sorted(FORMATS), name


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"], prog_name="nfvo")
    assert result.exit_code == 0 and result.output.startswith("nfvo ")
