"""``nfvo vim``: register the VIMs the orchestrator deploys to (offline, on its Redis).

Records go into the orchestrator's Redis (``redis_url``, else the one a local ``nfvo
serve`` publishes: ``nfvo.cli.offline``) under ``key_prefix``. Secrets are encrypted with
``secret_key`` or the key file in the data directory (docs/vim.md) and never printed:
``list`` and ``show`` mask them. ``add`` checks the cloud before registering it: the
credentials (a token), the service catalogue, and whether ``--admin`` is true there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click
import redis.asyncio as aioredis
import yaml

from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.errors import CliError
from nfvo.cli.offline import on_store
from nfvo.cli.output import OUTPUT, Column, render
from nfvo.store.errors import AlreadyExists, StoreNotFound
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox
from nfvo.vim.inventory import load_inventory
from nfvo.vim.probe import NEEDED_SERVICES, USEFUL_SERVICES, CloudCheck, check_cloud
from nfvo.vim.registry import VimRecord, VimRegistry, from_connection_info, to_connection_info

T = TypeVar("T")


def with_registry(cli: CliContext, action: Callable[[VimRegistry], Awaitable[T]]) -> T:
    """Run ``action`` on the VIM registry in the orchestrator's Redis."""

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
        with options["clouds_yaml"].open(encoding="utf-8") as file:  # errors name the file
            clouds = yaml.safe_load(file) or {}
        entries = clouds.get("clouds") if isinstance(clouds, dict) else None
        if not isinstance(entries, dict) or options["cloud"] not in entries:
            known = ", ".join(sorted(entries)) if isinstance(entries, dict) else "none"
            raise click.UsageError(
                f"{options['clouds_yaml']} has no cloud {options['cloud']!r} (it has: {known})"
            )
        return dict(entries[options["cloud"]])
    if options["connection_info"] is not None:
        import orjson

        try:
            info = orjson.loads(options["connection_info"].read_bytes())
            return from_connection_info(info)[1]
        except (orjson.JSONDecodeError, ValueError, AttributeError) as exc:
            raise click.UsageError(
                f"--connection-info {options['connection_info']}: {exc}"
            ) from None
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


def _verified(record: VimRecord, check: CloudCheck) -> None:
    """Refuse a cloud that lacks what we need, or an --admin that is not true there."""
    if check.missing:
        needed = ", ".join(f"{s} ({NEEDED_SERVICES[s]})" for s in check.missing)
        raise CliError(
            f"VIM {record.name}: the service catalogue lacks {needed}; not registered",
            "check the region (--region) and the cloud's catalogue (openstack catalog list)",
        )
    if record.admin and not check.admin:
        raise CliError(
            f"VIM {record.name}: --admin, but {check.user} may not list hypervisors there "
            f"(roles: {', '.join(check.roles) or 'none'}); not registered",
            "register without --admin, or with an administrator's credentials",
        )
    click.echo(f"VIM {record.name}: {check.summary()}", err=True)
    if check.absent:
        useful = ", ".join(f"{s} ({USEFUL_SERVICES[s]})" for s in check.absent)
        click.echo(f"VIM {record.name}: note: no {useful} there", err=True)
    if check.admin and not record.admin:
        click.echo(
            f"VIM {record.name}: note: these credentials have admin rights; --admin lets the "
            "orchestrator create flavors and name hosts",
            err=True,
        )


@COMMAND.command("add")
@click.argument("name")
@click.option(
    "--clouds-yaml",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A clouds.yaml holding the VIM's entry (with --cloud).",
)
@click.option("--cloud", help="The entry of --clouds-yaml to register.")
@click.option(
    "--connection-info",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A SOL003 vimConnectionInfo as JSON.",
)
@click.option("--auth-url", help="Keystone's URL (without --clouds-yaml).")
@click.option("--username", help="The user to authenticate as.")
@click.option("--password", help="Prompted for (not echoed) when omitted with --username.")
@click.option("--project", help="The project (tenant) to work in.")
@click.option("--project-domain", default=None, help="The project's domain name.")
@click.option("--user-domain", default=None, help="The user's domain name.")
@click.option("--application-credential-id", help="An application credential's id.")
@click.option("--application-credential-secret", help="That application credential's secret.")
@click.option("--region", help="Region name (overrides the entry's).")
@click.option("--admin", is_flag=True, help="We hold admin rights there (flavors, hosts); checked.")
@click.option(
    "--max-concurrency",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Calls to this VIM at once.",
)
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
@click.option(
    "--no-verify",
    is_flag=True,
    help="Register without checking the cloud (one not reachable from here yet).",
)
@pass_cli
def add(cli: CliContext, /, name: str, **options: Any) -> None:
    """Register VIM NAME after checking its credentials, service catalogue and rights."""
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

    async def register(registry: VimRegistry) -> VimRecord:
        replace = options["replace"]
        if not replace and await _registered(registry, name):
            raise CliError(
                f"VIM {name} is already registered",
                f"add --replace to replace it (nfvo vim show {name} shows it)",
            )
        if not options["no_verify"]:
            _verified(record, await check_cloud(record.spec()))
        try:
            return await registry.add(record, replace_existing=replace)
        except AlreadyExists:
            raise CliError(f"VIM {name} is already registered", "add --replace") from None

    added = with_registry(cli, register)
    suffix = " (default)" if added.is_default else ""
    click.echo(f"VIM {added.name} registered{suffix}")


async def _registered(registry: VimRegistry, name: str) -> bool:
    try:
        await registry.get(name)
    except StoreNotFound:
        return False
    return True


def _events(record: Mapping[str, Any]) -> str:
    if record.get("notifications"):
        return f"notifications ({record['notifications']})"
    return f"poll {record['pollInterval']:g}s" if record.get("pollInterval") else "-"


_COLUMNS = (
    Column("NAME", "name"),
    Column("REGION", lambda r: r.get("region") or "-"),
    Column("ADMIN", "admin"),
    Column("DEFAULT", lambda r: "*" if r.get("default") else ""),
    Column("EVENTS", _events),
    Column("SITE", lambda r: r.get("site") or "-"),
    Column("AUTH URL", "cloud.auth.auth_url"),
)


@COMMAND.command("list")
@OUTPUT
@pass_cli
def list_vims(cli: CliContext, output: str) -> None:
    """The registered VIMs, secrets masked."""
    records = with_registry(cli, lambda r: r.list())
    render([record.masked() for record in records], _COLUMNS, output)


@COMMAND.command("show")
@click.argument("name")
@click.option("--connection-info", is_flag=True, help="As SOL003 vimConnectionInfo.")
@OUTPUT
@pass_cli
def show(cli: CliContext, name: str, connection_info: bool, output: str) -> None:
    """One VIM, secrets masked."""
    record = with_registry(cli, lambda r: r.get(name))
    render(to_connection_info(record) if connection_info else record.masked(), (), output)


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
