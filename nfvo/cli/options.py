"""The options every lifecycle command shares (``nfvo ns``, ``nfvo op``, ``nfvo vnf``)."""

from __future__ import annotations

import click

WAIT = click.option("--wait", is_flag=True, help="Follow the operation until it ends.")
TIMEOUT = click.option(
    "--timeout",
    "within",
    type=float,
    default=1800.0,
    show_default=True,
    help="Seconds to follow the operation before giving up (it goes on at the server).",
)
