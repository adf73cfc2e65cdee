"""What the root command hands to every subcommand."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from nfvo.config import Settings


@dataclass
class CliContext:
    config_file: Path | None = None
    verbosity: int = 0

    @cached_property
    def settings(self) -> Settings:
        """The effective settings, loaded once; a bad file or variable is a usage error."""
        # Imported here: pydantic-settings costs ~0.2 s that `nfvo --help` need not pay.
        from nfvo.config import load_settings, unknown_variables
        from nfvo.log import configure_logging

        for warning in unknown_variables():
            click.echo(f"warning: {warning}", err=True)
        try:
            settings = load_settings(self.config_file)
        except ValueError as exc:
            raise click.UsageError(f"configuration: {exc}") from exc
        level = {0: settings.log_level, 1: "INFO"}.get(self.verbosity, "DEBUG")
        configure_logging(level=level, fmt=settings.log_format)
        return settings


pass_cli = click.make_pass_decorator(CliContext)
