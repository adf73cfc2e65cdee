"""``nfvo up``: everything on one machine, from nothing, and back to nothing on Ctrl-C.

An embedded Redis keeping its data in the data directory (a second ``up`` finds the
catalogue and the NS records again), the simulated OpenStack on the lab inventory (its
own process, its notifications on that Redis) registered as the default VIM with its
site inventory, and ``nfvo serve`` (the APIs and the workers) over them. It prints
the endpoints and writes the credentials file (the admin client, the URLs) in the data
directory; Ctrl-C or SIGTERM stops everything it started, and nothing is left running.
The simulated cloud starts empty each time (it keeps no state of its own).
"""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
import yaml

from nfvo.cli.commands.serve import serve
from nfvo.cli.context import CliContext, pass_cli
from nfvo.config import Settings, load_settings
from nfvo.log import mask_url_password
from nfvo.platform import Background
from nfvo.store.connection import connect
from nfvo.store.embedded import EmbeddedRedis, free_port
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox
from nfvo.vim.inventory import load_inventory
from nfvo.vim.registry import VimRecord, VimRegistry

LAB = Path(__file__).resolve().parents[3] / "simulators/openstack/inventories/lab.yaml"
CREDENTIALS = "credentials.yaml"
STREAM_PREFIX = "openstack"


def admin_password(settings: Settings) -> str:
    """The admin client's secret: configured, or made once and kept in the data dir."""
    if settings.admin_password is not None:
        return settings.admin_password.get_secret_value()
    path = settings.data_dir / CREDENTIALS
    if path.exists():
        stored = yaml.safe_load(path.read_text()) or {}
        if stored.get("client_secret"):
            return str(stored["client_secret"])
    return secrets.token_urlsafe(18)


def write_credentials(settings: Settings, password: str, cloud: Path) -> Path:
    path = settings.data_dir / CREDENTIALS
    document = {
        "nfvo_url": settings.nfvo_url,
        "client_id": "admin",
        "client_secret": password,
        "token_url": f"{settings.nfvo_url}/oauth2/token",
        "clouds_yaml": str(cloud),
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    path.chmod(0o600)
    return path


def start_cloud(
    inventory: Path, redis_url: str, clouds: Path, log: Path, time_scale: float = 1.0
) -> subprocess.Popen[bytes]:
    """The simulated OpenStack as its own process; returns once it answers."""
    argv = [
        sys.executable,
        "-m",
        "simulators.openstack",
        "--inventory",
        str(inventory),
        "--port",
        str(free_port()),
        "--clouds-yaml",
        str(clouds),
        "--redis-url",
        redis_url,
        "--stream-prefix",
        STREAM_PREFIX,
        "--time-scale",
        str(time_scale),
    ]
    with log.open("ab") as errors:
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors)
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("READY"):
        process.kill()
        raise click.ClickException(f"the simulated OpenStack did not start: see {log}")
    return process


def cloud_record(clouds: Path, inventory: Path) -> VimRecord:
    """The simulated cloud as the default VIM, with its site inventory."""
    entry = yaml.safe_load(clouds.read_text())["clouds"]["sim"]
    site = load_inventory(inventory).document
    return VimRecord(
        "lab", dict(entry), admin=True, is_default=True, notifications=STREAM_PREFIX, site=site
    )


async def register(settings: Settings, record: VimRecord) -> None:
    """Registered again each time: the simulator's address changes."""
    redis = connect(str(settings.redis_url))
    box = SecretBox.from_settings(settings)
    registry = VimRegistry(redis, Keyspace(settings.key_prefix), box)
    try:
        await registry.add(record, replace_existing=True)
    finally:
        await registry.close()
        await redis.aclose()


@click.command("up")
@click.option("--host", default=None, help="Address to listen on (default: api_host).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (api_port).")
@click.option(
    "--inventory",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=LAB,
    show_default=True,
    help="The simulated cloud's site inventory.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Jobs this process runs at once.",
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds running jobs and in-flight requests get on Ctrl-C.",
)
@click.option(
    "--time-scale",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Multiplies the simulated cloud's delays (boots, deletes); 0 makes them instant.",
)
@click.option("--no-auth", is_flag=True, help="Serve without tokens (local development only).")
@pass_cli
def COMMAND(  # noqa: N802 - the name the root command looks for
    cli: CliContext,
    host: str | None,
    port: int | None,
    inventory: Path,
    concurrency: int,
    grace: float,
    time_scale: float,
    no_auth: bool,
) -> None:
    """Everything on this machine: Redis, a simulated OpenStack, the NFVO."""
    base = cli.settings
    base.data_dir.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, Any] = {
        "api_host": host or base.api_host,
        "api_port": port or base.api_port,
    }
    if no_auth:
        overrides["auth_enabled"] = False
    if not base.callback_allowed_networks:
        # One machine: its subscribers (the CLI's --wait, the VNF manager telling the
        # NFVO) listen on loopback, which a shared deployment refuses (docs/security.md).
        overrides["callback_allowed_networks"] = ["127.0.0.0/8", "::1/128"]
    password = admin_password(base)
    overrides["admin_password"] = password
    with ExitStack() as stack:
        redis_url = base.redis_url
        if redis_url is None:
            embedded = EmbeddedRedis(base.data_dir, binary=base.redis_server_binary)
            redis_url = embedded.start()
            stack.callback(embedded.stop)
        overrides["redis_url"] = redis_url
        url = f"http://{overrides['api_host']}:{overrides['api_port']}"
        overrides["nfvo_url"] = url
        try:
            settings = load_settings(cli.config_file, **overrides)
        except ValueError as exc:
            raise click.UsageError(f"configuration: {exc}") from exc
        clouds = settings.data_dir / "clouds.yaml"
        log = settings.data_dir / "simulator.log"
        cloud = start_cloud(inventory, redis_url, clouds, log, time_scale)
        stack.callback(_stop, cloud)
        asyncio.run(register(settings, cloud_record(clouds, inventory)))
        credentials = write_credentials(settings, password, clouds)
        click.echo(f"NFVO      {url}  (/nsd/v2 /vnfpkgm/v2 /nslcm/v2 /grant/v1, /vnflcm/v2)")
        click.echo(f"OpenStack {clouds} (cloud 'sim'; registered as the default VIM 'lab')")
        click.echo(f"Redis     {mask_url_password(redis_url)}  (data in {settings.data_dir})")
        click.echo(f"Credentials {credentials}  (client 'admin'; nfvo CLI: NFVO_ADMIN_PASSWORD)")
        if settings.vnfm_enabled:
            click.echo("VNFM      builtin: /vnflcm/v2 here (the default VNFM unless another is)")
        click.echo("Ctrl-C stops everything.")
        asyncio.run(serve(settings, Background(workers=concurrency, grace=grace)))


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
