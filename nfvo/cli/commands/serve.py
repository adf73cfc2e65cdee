"""``nfvo serve``: the REST API over one runtime, with its background work in-process.

The runtime (``nfvo.runtime``) owns Redis (embedded and owned when no ``redis_url`` is
set: its append-only file in the data directory, so a killed orchestrator restarts
with its state), the blob store, the job workers (``--no-workers`` leaves jobs to
``nfvo worker`` processes), notification delivery and the VIM event sources. Prints
``READY http://host:port`` once the listening socket is bound, so a supervisor or
``make demo`` can wait for that line. SIGTERM or SIGINT stops it gracefully: no new
connections or jobs; running jobs and in-flight requests share ``--grace`` seconds.

For the CLI of the same user it publishes, in the data directory, its URL (and its
Redis, when it owns one); with no way to a token configured it generates the built-in
``admin`` client's password into ``admin.password`` there (0600) and says so on stderr
(``nfvo.cli.discovery``).
"""

from __future__ import annotations

import asyncio
import gc
import secrets
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import click
import redis.asyncio as aioredis
from aiohttp import web

from nfvo.api.app import build_app
from nfvo.cli.colocated import colocated, register_builtin
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.discovery import (
    ADMIN_CLIENT,
    ADMIN_PASSWORD_FILE,
    local_url,
    publish_server,
    withdraw_server,
)
from nfvo.cli.errors import CliError
from nfvo.config import Settings, load_settings
from nfvo.platform import Background
from nfvo.runtime import open_runtime
from nfvo.sol.auth import can_authenticate
from nfvo.store.embedded import EmbeddedRedisError
from nfvo.store.secrets import key_file
from nfvo.store.tasks import first_of
from vnfm.runtime import VnfmRuntime, api_app, compose, running


async def serve(settings: Settings, background: Background) -> str | None:
    """Serve until SIGTERM/SIGINT (or cancellation); why it must exit non-zero, if so."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    settings = colocated(settings)
    async with (
        open_runtime(settings, background) as runtime,
        vnf_manager(settings, runtime.redis, background) as managers,
    ):
        if managers:
            await register_builtin(settings, runtime.vnfms)
        # In-flight requests get the same grace as running jobs, then are cut; aiohttp
        # spends its timeout twice (waiting, then cancelling), hence half.
        runner = web.AppRunner(
            build_app(runtime, [api_app(manager) for manager in managers]),
            handle_signals=False,
            access_log=None,
            shutdown_timeout=background.grace / 2,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.api_host, settings.api_port)
            await site.start()
            gc.freeze()  # what start-up allocated is never garbage: keep it out of collections
            click.echo(f"READY http://{settings.api_host}:{settings.api_port}", nl=True)
            published = publish_server(
                settings.data_dir, local_url(settings.api_host, settings.api_port)
            )
            click.echo(f"the CLI of this user finds this server through {published}", err=True)
            await first_of(stop, runtime.platform.fatal)
            click.echo("stopping")
        finally:
            withdraw_server(settings.data_dir)
            # Jobs and in-flight requests share one grace period rather than one each.
            stops = [manager.platform.stop() for manager in managers]
            await asyncio.gather(runtime.platform.stop(), *stops, runner.cleanup())
        return runtime.platform.fatal_reason or None


@asynccontextmanager
async def vnf_manager(
    settings: Settings, redis: aioredis.Redis, background: Background
) -> AsyncIterator[list[VnfmRuntime]]:
    """The VNF manager beside the NFVO (unless ``vnfm_enabled`` is false): its own keys
    and jobs on the same Redis, asking this very server for grants and packages
    (``nfvo.cli.colocated``)."""
    if not settings.vnfm_enabled:
        yield []
        return
    async with running(compose(settings, redis), background) as manager:
        yield [manager]


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: api_host).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (api_port).")
@click.option(
    "--env",
    "env_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A KEY=VALUE file of NFVO_* settings applied before the configuration is read.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Jobs this process runs at once.",
)
@click.option(
    "--no-workers",
    is_flag=True,
    help="Run no jobs here: leave them to `nfvo worker` processes on the same Redis.",
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds running jobs and in-flight requests get to finish on SIGTERM.",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Serve without tokens, every caller an administrator (local development only).",
)
@pass_cli
def COMMAND(  # noqa: N802 - the name the root command looks for
    cli: CliContext,
    host: str | None,
    port: int | None,
    env_file: Path | None,
    concurrency: int,
    no_workers: bool,
    grace: float,
    no_auth: bool,
) -> None:
    """Serve the SOL005 REST API (/vnfpkgm/v2, /nsd/v2) and the VNF manager's SOL003
    /vnflcm/v2 (unless vnfm_enabled is false), with in-process job workers."""
    overrides: dict[str, object] = {}
    if host:
        overrides["api_host"] = host
    if port:
        overrides["api_port"] = port
    if no_auth:
        overrides["auth_enabled"] = False
    given = {**_env_values(env_file), **overrides}
    settings = cli.settings  # read first: its warnings (unknown NFVO_* variables) are said
    if given:
        settings = _settings(cli, given)
    if not can_authenticate(settings):
        # Nothing configured: a generated admin password, where the CLI looks for it.
        password_file = settings.data_dir / ADMIN_PASSWORD_FILE
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        password = key_file(password_file, lambda: secrets.token_urlsafe(24).encode()).decode()
        settings = _settings(cli, {**given, "admin_password": password})
        click.echo(
            f"no api client is configured: client '{ADMIN_CLIENT}' has the password in "
            f"{password_file} (the CLI of this user uses it; set admin_password, auth_clients "
            "or auth_jwks to choose)",
            err=True,
        )
    background = Background(workers=0 if no_workers else concurrency, grace=grace)
    try:
        fatal = asyncio.run(serve(settings, background))
    except EmbeddedRedisError as exc:  # the data directory's Redis: not startable, or owned
        raise click.ClickException(str(exc)) from None
    if fatal:
        raise CliError(f"{fatal}; stopped", "see the log above; a supervisor may restart it")


def _settings(cli: CliContext, overrides: dict[str, object]) -> Settings:
    try:
        return load_settings(cli.config_file, **overrides)
    except ValueError as exc:
        raise click.UsageError(f"configuration: {exc}") from exc


def _env_values(path: Path | None) -> dict[str, str]:
    """``NFVO_X=v`` lines as setting overrides (weaker than --host/--port given after)."""
    if path is None:
        return {}
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name.startswith("NFVO_") and not name.startswith("#"):
            values[name.removeprefix("NFVO_").lower()] = value.strip()
    return values
