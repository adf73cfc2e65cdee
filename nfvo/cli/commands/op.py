"""``nfvo op``: NS LCM operation occurrences (SOL005 6.4.9 to 6.4.14) at ``nfvo_url``:
``list``, ``show``, ``retry``, ``rollback``, ``continue``, ``fail``, ``cancel``, ``watch``."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from nfvo.cli.catalog_client import CatalogClient
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.ns_client import Watch, call
from nfvo.cli.options import TIMEOUT
from nfvo.cli.output import OUTPUT, render

COLUMNS = ("id", "lcmOperationType", "operationState", "nsInstanceId", "startTime")


@click.group("op")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """NS LCM operation occurrences: list, show, retry, rollback, continue, fail, cancel, watch."""


@COMMAND.command("list")
@click.option("--filter", "flt", help="A SOL013 filter, e.g. (eq,operationState,FAILED_TEMP).")
@OUTPUT
@pass_cli
def list_(cli: CliContext, flt: str | None, output: str) -> None:
    """List operation occurrences."""
    params = {"filter": flt} if flt else {}
    rows = asyncio.run(call(cli, lambda api: api.request("GET", "/ns_lcm_op_occs", params=params)))
    render(rows, COLUMNS, output)


@COMMAND.command("show")
@click.argument("occurrence_id")
@OUTPUT
@pass_cli
def show(cli: CliContext, occurrence_id: str, output: str) -> None:
    """One occurrence with every attribute (its error, its resource changes)."""
    path = f"/ns_lcm_op_occs/{occurrence_id}?all_fields"
    render(asyncio.run(call(cli, lambda api: api.request("GET", path))), (), output)


def _task(name: str, status: int, summary: str) -> None:
    @COMMAND.command(name, help=summary)
    @click.argument("occurrence_id")
    @click.option("--wait", is_flag=True, help="Follow the operation to its end.")
    @TIMEOUT
    @OUTPUT
    @pass_cli
    def run_task(
        cli: CliContext, occurrence_id: str, wait: bool, within: float, output: str
    ) -> None:
        async def run(api: CatalogClient) -> dict[str, Any]:
            await api.request("POST", f"/ns_lcm_op_occs/{occurrence_id}/{name}", status)
            occurrence: dict[str, Any] = await api.request(
                "GET", f"/ns_lcm_op_occs/{occurrence_id}"
            )
            if wait:
                return await Watch(api, occurrence_id, occurrence["nsInstanceId"]).run(within)
            return occurrence

        occurrence = asyncio.run(call(cli, run))
        render([occurrence] if output == "table" else occurrence, COLUMNS, output)
        _exit_unless_done(occurrence, wait)


def _exit_unless_done(occurrence: dict[str, Any], wait: bool) -> None:
    if wait and occurrence["operationState"] not in ("COMPLETED", "ROLLED_BACK"):
        detail = (occurrence.get("error") or {}).get("detail", "no error given")
        click.echo(f"{occurrence['id']} ended {occurrence['operationState']}: {detail}", err=True)
        raise SystemExit(1)


_task("retry", 202, "Run the failed operation again from its failed steps.")
_task("rollback", 202, "Undo what the failed operation did.")
_task("continue", 202, "Go on past the failed steps.")
_task("fail", 200, "End the operation FAILED (what is left on the VIM is listed).")


@COMMAND.command("cancel")
@click.argument("occurrence_id")
@click.option(
    "--forceful", is_flag=True, help="Stop running steps at once (default: let them end)."
)
@pass_cli
def cancel(cli: CliContext, occurrence_id: str, forceful: bool) -> None:
    """Cancel a running operation; it ends FAILED_TEMP."""
    body = {"cancelMode": "FORCEFUL" if forceful else "GRACEFUL"}
    path = f"/ns_lcm_op_occs/{occurrence_id}/cancel"
    asyncio.run(call(cli, lambda api: api.request("POST", path, 202, json=body)))
    click.echo(f"{occurrence_id} cancelled ({body['cancelMode']})")


@COMMAND.command("watch")
@click.argument("occurrence_id")
@TIMEOUT
@OUTPUT
@pass_cli
def watch(cli: CliContext, occurrence_id: str, within: float, output: str) -> None:
    """Follow an occurrence to its end, one line per VNF; exit 1 unless it completes."""

    async def run(api: CatalogClient) -> dict[str, Any]:
        occurrence: dict[str, Any] = await api.request("GET", f"/ns_lcm_op_occs/{occurrence_id}")
        return await Watch(api, occurrence_id, occurrence["nsInstanceId"]).run(within)

    occurrence = asyncio.run(call(cli, run))
    render([occurrence] if output == "table" else occurrence, COLUMNS, output)
    _exit_unless_done(occurrence, True)
