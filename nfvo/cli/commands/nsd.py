"""``nfvo nsd``: onboard and manage NSDs through the SOL005 API (nfvo.cli.discovery)."""

from __future__ import annotations

import click

from nfvo.cli.catalog_commands import add_online_commands
from nfvo.cli.faces import NSDS


@click.group("nsd")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """Onboard, list, enable, disable and delete NSDs (SOL005 NSD management)."""


add_online_commands(COMMAND, NSDS, "NSD")
