"""``nfvo vnfm``: the VNF managers the NFVO drives over SOL003, and the generic one served.

``add NAME --url ... --client-id ... --client-secret ...`` registers one reached with
OAuth 2.0 client credentials (offline, on the shared Redis, like ``nfvo vim``; the secret
prompted for when omitted, sealed with the secret key, never printed); the first one, or
one added ``--default``, drives every VNF an NS does not assign to another.

``serve`` runs the generic VNF manager alone (``/vnflcm/v2``), with its workers: for a
manager apart from the NFVO (another host, another NFVO), it asks ``vnfm_nfvo_url`` for
grants and packages with its client credentials (``vnfm_client_id``/
``vnfm_client_secret``) and keeps its records, jobs and VIM registry under
``vnfm_key_prefix``; VIMs reach it in requests' and grants' ``vimConnectionInfo``, or
are registered there (``NFVO_KEY_PREFIX=<that prefix> nfvo vim add ...``). It prints
``READY http://host:port`` once listening; SIGTERM stops it gracefully.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import click
import redis.asyncio as aioredis

from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.offline import on_store
from nfvo.cli.output import OUTPUT, render
from nfvo.config import Settings, load_settings
from nfvo.lcm.vnfms import VnfmRecord, VnfmRegistry
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox
from nfvo.store.workers import DEFAULT_LEASE_SECONDS

if TYPE_CHECKING:
    from nfvo.platform import Background

T = TypeVar("T")
COLUMNS = ("name", "url", "clientId", "default")


def with_registry(cli: CliContext, action: Callable[[VnfmRegistry], Awaitable[T]]) -> T:
    async def run(redis: aioredis.Redis, keyspace: Keyspace, box: SecretBox) -> T:
        registry = VnfmRegistry(redis, keyspace, box)
        try:
            return await action(registry)
        finally:
            await registry.close()

    return on_store(cli, "nfvo vnfm", run)


@click.group("vnfm")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """VNF managers (SOL003 VNF LCM): register them (add, list, show, remove); serve ours."""


@COMMAND.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The VNFM's API root (its /vnflcm/v2 is below it).")
@click.option("--client-id", help="OAuth 2.0 client the NFVO logs in as.")
@click.option("--client-secret", help="Prompted for (not echoed) when omitted with --client-id.")
@click.option("--token-url", help="Its token endpoint (default: <url>/oauth2/token).")
@click.option("--default", "make_default", is_flag=True, help="Make it the default VNFM.")
@click.option("--replace", is_flag=True, help="Replace a VNFM registered under NAME.")
@pass_cli
def add(
    cli: CliContext,
    name: str,
    url: str,
    client_id: str | None,
    client_secret: str | None,
    token_url: str | None,
    make_default: bool,
    replace: bool,
) -> None:
    """Register VNFM NAME."""
    if client_id and not client_secret:
        # Asked for rather than required as a flag: a flag lands in shell history and ps.
        client_secret = click.prompt("Client secret", hide_input=True)
    try:
        record = VnfmRecord(name, url, client_id, client_secret, token_url, make_default)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    added = with_registry(cli, lambda r: r.add(record, replace_existing=replace))
    click.echo(f"VNFM {added.name} registered{' (default)' if added.is_default else ''}")


@COMMAND.command("list")
@OUTPUT
@pass_cli
def list_(cli: CliContext, output: str) -> None:
    """The registered VNFMs (secrets masked)."""
    records = with_registry(cli, lambda r: r.list())
    render([r.masked() for r in records], COLUMNS, output)


@COMMAND.command("show")
@click.argument("name")
@OUTPUT
@pass_cli
def show(cli: CliContext, name: str, output: str) -> None:
    """One VNFM, its secret masked."""
    record = with_registry(cli, lambda r: r.get(name))
    render(record.masked(), (), output)


@COMMAND.command("remove")
@click.argument("name")
@pass_cli
def remove(cli: CliContext, name: str) -> None:
    """Forget VNFM NAME (its VNFs stay where they are)."""
    with_registry(cli, lambda r: r.remove(name))
    click.echo(f"VNFM {name} removed")


async def serve_vnfm(settings: Settings, background: Background) -> None:
    from aiohttp import web  # here: the registry commands need none of the server

    from vnfm.runtime import build_app, open_vnfm

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
    from nfvo.platform import Background
    from nfvo.sol.auth import can_authenticate

    if not can_authenticate(settings):
        raise click.UsageError(
            "authentication is on but no token can be had: set admin_password, "
            "auth_clients or auth_jwks, or serve with --no-auth for local development"
        )
    background = Background(workers=concurrency, grace=grace, lease_seconds=lease_seconds)
    asyncio.run(serve_vnfm(settings, background))
