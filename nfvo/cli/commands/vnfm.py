"""``nfvo vnfm serve``: the VNF manager served alone (``/vnflcm/v2``), with its workers.

For a manager apart from the NFVO (another host, another NFVO): it asks
``vnfm_nfvo_url`` for grants and packages with its client credentials
(``vnfm_client_id``/``vnfm_client_secret``) and keeps its records, jobs and VIM
registry under ``vnfm_key_prefix``; VIMs reach it in requests' and grants'
``vimConnectionInfo``, or are registered there (``NFVO_KEY_PREFIX=<that prefix> nfvo
vim add ...``).
Prints ``READY http://host:port`` once listening; SIGTERM stops it gracefully.
"""

from __future__ import annotations

import asyncio
import signal

import click
from aiohttp import web

from nfvo.cli.context import CliContext, pass_cli
from nfvo.config import Settings, load_settings
from nfvo.platform import Background
from nfvo.sol.auth import can_authenticate
from nfvo.store.workers import DEFAULT_LEASE_SECONDS
from vnfm.runtime import build_app, open_vnfm


async def serve_vnfm(settings: Settings, background: Background) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    async with open_vnfm(settings, background) as runtime:
        runner = web.AppRunner(
            build_app(runtime), handle_signals=False, access_log=None,
            shutdown_timeout=background.grace / 2,
        )  # fmt: skip
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.api_host, settings.api_port).start()
            click.echo(f"READY http://{settings.api_host}:{settings.api_port}", nl=True)
            await stop.wait()
            click.echo("stopping")
        finally:
            await asyncio.gather(runtime.platform.stop(), runner.cleanup())


@click.group("vnfm")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """The generic VNF manager (SOL003 VNF lifecycle management)."""


@COMMAND.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: api_host).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (api_port).")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Jobs this process runs at once.")  # fmt: skip
@click.option("--grace", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds running jobs and in-flight requests get on SIGTERM.")  # fmt: skip
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_LEASE_SECONDS,
    show_default=True,
    help="Lease on a running job (lost by a dead process).",
)
@click.option("--no-auth", is_flag=True, help="Serve without tokens (local development only).")
@pass_cli
def serve(
    cli: CliContext, host: str | None, port: int | None, concurrency: int, grace: float,
    lease_seconds: float, no_auth: bool,
) -> None:  # fmt: skip
    """Serve /vnflcm/v2 alone, with in-process job workers."""
    overrides: dict[str, object] = {}
    if host:
        overrides["api_host"] = host
    if port:
        overrides["api_port"] = port
    if no_auth:
        overrides["auth_enabled"] = False
    settings = cli.settings
    if overrides:
        try:
            settings = load_settings(cli.config_file, **overrides)
        except ValueError as exc:
            raise click.UsageError(f"configuration: {exc}") from exc
    if not can_authenticate(settings):
        raise click.UsageError(
            "authentication is on but no token can be had: set admin_password, "
            "auth_clients or auth_jwks, or serve with --no-auth for local development"
        )
    background = Background(workers=concurrency, grace=grace, lease_seconds=lease_seconds)
    asyncio.run(serve_vnfm(settings, background))
