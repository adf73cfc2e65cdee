"""``nfvo vim``: register the VIMs the orchestrator deploys to (offline, on the shared Redis).

Like ``nfvo worker`` it needs ``redis_url``; records go under ``key_prefix``. Secrets are
encrypted with ``secret_key`` or the key file in the data directory (docs/vim.md) and
never printed: ``list`` and ``show`` mask them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson
import redis.asyncio as aioredis
import yaml

from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.offline import on_store
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox
from nfvo.vim.inventory import load_inventory
from nfvo.vim.registry import VimRecord, VimRegistry, from_connection_info, to_connection_info

T = TypeVar("T")


def with_registry(cli: CliContext, action: Callable[[VimRegistry], Awaitable[T]]) -> T:
    """Run ``action`` on the registry in the shared Redis; its errors become CLI errors."""

    async def run(redis: aioredis.Redis, keyspace: Keyspace, box: SecretBox) -> T:
        registry = VimRegistry(redis, keyspace, box)
        try:
            return await action(registry)
        finally:
            await registry.close()

    return on_store(cli, "nfvo vim", run)


@click.group("vim")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """Register VIMs (OpenStack clouds): add, list, show, remove, set-default."""


def _cloud_from_flags(options: dict[str, Any]) -> dict[str, Any]:
    if options["clouds_yaml"] is not None:
        if not options["cloud"]:
            raise click.UsageError("--clouds-yaml needs --cloud NAME")
        clouds = yaml.safe_load(options["clouds_yaml"].read_text()).get("clouds") or {}
        if options["cloud"] not in clouds:
            raise click.UsageError(f"{options['clouds_yaml']} has no cloud {options['cloud']!r}")
        return dict(clouds[options["cloud"]])
    if options["connection_info"] is not None:
        return from_connection_info(orjson.loads(options["connection_info"].read_bytes()))[1]
    if not options["auth_url"]:
        raise click.UsageError("give --clouds-yaml and --cloud, --connection-info, or --auth-url")
    names = {
        "auth_url": "auth_url",
        "username": "username",
        "password": "password",
        "project": "project_name",
        "project_domain": "project_domain_name",
        "user_domain": "user_domain_name",
        "application_credential_id": "application_credential_id",
        "application_credential_secret": "application_credential_secret",
    }
    auth = {key: options[flag] for flag, key in names.items() if options[flag]}
    if "username" in auth and "password" not in auth:
        # Asked for rather than required as a flag: a flag lands in shell history and ps.
        auth["password"] = click.prompt("Password", hide_input=True)
    cloud: dict[str, Any] = {"auth": auth}
    if options["application_credential_id"]:
        cloud["auth_type"] = "v3applicationcredential"
    return cloud


@COMMAND.command("add")
@click.argument("name")
@click.option("--clouds-yaml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cloud", help="The entry of --clouds-yaml to register.")
@click.option(
    "--connection-info",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A SOL003 vimConnectionInfo as JSON.",
)
@click.option("--auth-url")
@click.option("--username")
@click.option("--password", help="Prompted for (not echoed) when omitted with --username.")
@click.option("--project")
@click.option("--project-domain", default=None)
@click.option("--user-domain", default=None)
@click.option("--application-credential-id")
@click.option("--application-credential-secret")
@click.option("--region", help="Region name (overrides the entry's).")
@click.option("--admin", is_flag=True, help="We hold admin rights there (flavors, hosts).")
@click.option("--max-concurrency", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--default", "make_default", is_flag=True, help="Make it the default VIM.")
@click.option("--replace", is_flag=True, help="Replace a VIM registered under NAME.")
@click.option(
    "--notifications",
    metavar="PREFIX",
    help="The prefix of the cloud's notification streams on our Redis (docs/events.md).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=1),
    help="Without notifications: poll the cloud for changes every this many seconds.",
)
@click.option(
    "--inventory",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The site inventory (YAML) of this cloud, for placement on it.",
)
@pass_cli
def add(cli: CliContext, /, name: str, **options: Any) -> None:
    """Register VIM NAME."""
    cloud = _cloud_from_flags(options)
    if options["region"]:
        cloud["region_name"] = options["region"]
    try:
        site = load_inventory(options["inventory"]).document if options["inventory"] else None
        record = VimRecord(
            name,
            cloud,
            admin=options["admin"],
            max_concurrency=options["max_concurrency"],
            is_default=options["make_default"],
            notifications=options["notifications"],
            poll_interval=options["poll_interval"],
            site=site,
        )
    except ValueError as exc:  # InventoryError included: it names the file and place
        raise click.UsageError(str(exc)) from exc
    added = with_registry(cli, lambda r: r.add(record, replace_existing=options["replace"]))
    suffix = " (default)" if added.is_default else ""
    click.echo(f"VIM {added.name} registered{suffix}")


@COMMAND.command("list")
@click.option("-o", "--output", type=click.Choice(["table", "json"]), default="table")
@pass_cli
def list_vims(cli: CliContext, output: str) -> None:
    """The registered VIMs, secrets masked."""
    records = with_registry(cli, lambda r: r.list())
    if output == "json":
        click.echo(orjson.dumps([r.masked() for r in records]).decode())
        return
    rows = [("NAME", "REGION", "ADMIN", "DEFAULT", "EVENTS", "SITE", "AUTH URL")]
    rows += [
        (
            r.name,
            r.region or "-",
            "yes" if r.admin else "no",
            "*" if r.is_default else "",
            _events(r),
            str(r.site.get("name", "?")) if r.site else "-",
            str(r.cloud["auth"]["auth_url"]),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  ".join(cells).rstrip())


def _events(record: VimRecord) -> str:
    if record.notifications:
        return f"notifications ({record.notifications})"
    return f"poll {record.poll_interval:g}s" if record.poll_interval else "-"


@COMMAND.command("show")
@click.argument("name")
@click.option("--connection-info", is_flag=True, help="As SOL003 vimConnectionInfo.")
@pass_cli
def show(cli: CliContext, name: str, connection_info: bool) -> None:
    """One VIM as JSON, secrets masked."""
    record = with_registry(cli, lambda r: r.get(name))
    view = to_connection_info(record) if connection_info else record.masked()
    click.echo(orjson.dumps(view, option=orjson.OPT_INDENT_2).decode())


@COMMAND.command("remove")
@click.argument("name")
@pass_cli
def remove(cli: CliContext, name: str) -> None:
    """Forget VIM NAME (its resources on the cloud are left alone)."""
    with_registry(cli, lambda r: r.remove(name))
    click.echo(f"VIM {name} removed")


@COMMAND.command("set-default")
@click.argument("name")
@pass_cli
def set_default(cli: CliContext, name: str) -> None:
    """Make NAME the VIM used when none is named."""
    with_registry(cli, lambda r: r.set_default(name))
    click.echo(f"VIM {name} is the default")
