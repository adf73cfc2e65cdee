"""The ``nfvo`` command: a root group that finds its subcommand groups by itself.

Each module in ``nfvo.cli.commands`` exposes ``COMMAND`` (a click command or group);
adding a module adds a command, without touching this file or the others.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import click

from nfvo.cli import commands
from nfvo.cli.context import CliContext


def _load_commands(group: click.Group) -> None:
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        group.add_command(module.COMMAND)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="YAML configuration file (default: $NFVO_CONFIG).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None, verbose: int) -> None:
    """nfvo: an ETSI NFV orchestrator for 5G cores on OpenStack."""
    ctx.obj = CliContext(config_file=config_file, verbosity=verbose)


_load_commands(cli)


def main() -> None:
    cli(prog_name="nfvo")
