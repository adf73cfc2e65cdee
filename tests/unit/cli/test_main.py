"""The root command: every module of nfvo.cli.commands is a command named after it,
listed with its summary, and nothing heavy is imported until a command runs."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from nfvo.cli.main import LazyGroup, _modules, cli


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
