"""``nfvo config``: what the orchestrator would run with."""

from __future__ import annotations

import click
import yaml

from nfvo.cli.context import CliContext, pass_cli


@click.group("config")
def COMMAND() -> None:  # noqa: N802 (the name every command module exports)
    """Inspect the configuration."""


@COMMAND.command("show")
@click.option("-o", "--output", type=click.Choice(["yaml", "json"]), default="yaml")
@pass_cli
def show(cli: CliContext, output: str) -> None:
    """Print the effective settings (secrets masked)."""
    values = cli.settings.redacted()
    if output == "json":
        import orjson

        click.echo(orjson.dumps(values, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(yaml.safe_dump(values, sort_keys=True).rstrip())
