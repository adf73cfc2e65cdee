"""``nfvo config``: what the orchestrator would run with."""

from __future__ import annotations

import click

from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.output import FORMATS, render


@click.group("config")
def COMMAND() -> None:  # noqa: N802 (the name every command module exports)
    """Inspect the configuration."""


@COMMAND.command("show")
@click.option(
    "-o",
    "--output",
    type=click.Choice(FORMATS),
    default="yaml",
    show_default=True,
    help="yaml (what a configuration file holds), json, or a table.",
)
@pass_cli
def show(cli: CliContext, output: str) -> None:
    """Print the effective settings (secrets masked)."""
    render(dict(sorted(cli.settings.redacted().items())), (), output)
