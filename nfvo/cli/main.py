"""The ``nfvo`` command: a root group that finds its subcommand groups by itself.

Each module in ``nfvo.cli.commands`` exposes ``COMMAND`` (a click command or group)
named after the module (``vnf_op.py`` -> ``vnf-op``); adding a module adds a command,
without touching this file or the others. Modules are imported only when their command
runs, and ``nfvo --help`` reads each command's summary from its module's source, so no
command pays for the imports of the others (openstacksdk, aiohttp, matplotlib...).

Every command runs inside :func:`nfvo.cli.errors.reported`: whatever fails is said in
one or two lines with a non-zero exit, never as a traceback.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import click

from nfvo.cli import commands
from nfvo.cli.context import CliContext
from nfvo.cli.errors import reported


def _modules() -> dict[str, str]:
    """Command name -> module name, for every command module."""
    found = pkgutil.iter_modules(commands.__path__)
    return {m.name.replace("_", "-"): m.name for m in found if not m.name.startswith("_")}


def _summary(module: str) -> str:
    """The first line of ``COMMAND``'s docstring, read from the source, not imported."""
    source = Path(commands.__path__[0], f"{module}.py").read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == "COMMAND":
            return (ast.get_docstring(node) or "").strip().split("\n")[0]
    return ""


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_modules())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _modules().get(cmd_name)
        if module is None:
            return None
        command: click.Command = importlib.import_module(f"{commands.__name__}.{module}").COMMAND
        return command

    def invoke(self, ctx: click.Context) -> object:
        def verbosity() -> int:
            return ctx.obj.verbosity if isinstance(ctx.obj, CliContext) else 0

        with reported(verbosity):
            return super().invoke(ctx)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _summary(module)) for name, module in sorted(_modules().items())]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML configuration file (default: $NFVO_CONFIG).",
)
@click.option(
    "-v", "--verbose", count=True, help="More log output (-vv: debug, and tracebacks of bugs)."
)
@click.version_option(package_name="nfvo", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, verbose: int) -> None:
    """nfvo: an ETSI NFV orchestrator for 5G cores on OpenStack."""
    ctx.obj = CliContext(config_file=config_file, verbosity=verbose)


def main() -> None:
    cli(prog_name="nfvo")
