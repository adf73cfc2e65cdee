"""``nfvo vnfm``: register the VNF managers the NFVO drives over SOL003 (offline, on the
shared Redis, like ``nfvo vim``).

``add NAME --url ... --client-id ... --client-secret ...`` registers one reached with
OAuth 2.0 client credentials (the secret prompted for when omitted, sealed with the
secret key, never printed); the first one, or one added ``--default``, drives every
VNF an NS does not assign to another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
import orjson
import redis.asyncio as aioredis

from nfvo.cli.catalog_client import render
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.offline import on_store
from nfvo.lcm.vnfms import VnfmRecord, VnfmRegistry
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox

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
    """Register the VNF managers the NFVO drives (SOL003 VNF LCM): add, list, show, remove."""


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
@click.option("-o", "--output", type=click.Choice(["table", "json", "yaml"]), default="table")
@pass_cli
def list_(cli: CliContext, output: str) -> None:
    """The registered VNFMs (secrets masked)."""
    records = with_registry(cli, lambda r: r.list())
    render([r.masked() for r in records], COLUMNS, output)


@COMMAND.command("show")
@click.argument("name")
@pass_cli
def show(cli: CliContext, name: str) -> None:
    """One VNFM, its secret masked."""
    record = with_registry(cli, lambda r: r.get(name))
    click.echo(orjson.dumps(record.masked(), option=orjson.OPT_INDENT_2).decode())


@COMMAND.command("remove")
@click.argument("name")
@pass_cli
def remove(cli: CliContext, name: str) -> None:
    """Forget VNFM NAME (its VNFs stay where they are)."""
    with_registry(cli, lambda r: r.remove(name))
    click.echo(f"VNFM {name} removed")
