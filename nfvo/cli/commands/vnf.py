"""``nfvo vnf``: VNF instances and their lifecycle, as an HTTP client of ``/vnflcm/v2``.

``create|instantiate|scale|heal|operate|terminate|delete|list|show`` and ``op
list|show|retry|rollback|fail|cancel|watch``, against ``nfvo_url`` (``nfvo serve``
mounts the VNF manager there; a manager served alone is reached the same way). Task
commands print the occurrence's id; ``--wait`` follows it (state changes on stderr)
and exits non-zero with the error's detail when it does not complete.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
import orjson

from nfvo.cli.catalog_client import Access, ApiFailure, CatalogClient, Face
from nfvo.cli.catalog_client import _checked as checked
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.options import TIMEOUT, WAIT
from nfvo.cli.output import OUTPUT, render

LCM = Face("/vnflcm/v2", "", "2.3.0", "instantiationState", "", ())
INSTANCE_COLUMNS = ("id", "vnfInstanceName", "vnfProductName", "instantiationState")
OP_COLUMNS = ("id", "operation", "operationState", "vnfInstanceId", "stateEnteredTime")
ACTIVE = ("STARTING", "PROCESSING", "ROLLING_BACK")


async def _call(cli: CliContext, method: str, path: str, *expected: int, **kw: Any) -> Any:
    async with CatalogClient(cli.settings.nfvo_url, Access.from_settings(cli.settings), LCM) as c:
        return await c.request(method, path, *expected, **kw)


async def _task(cli: CliContext, path: str, body: dict[str, Any]) -> str:
    """POST a task resource; the occurrence id from its Location."""
    async with CatalogClient(cli.settings.nfvo_url, Access.from_settings(cli.settings), LCM) as c:
        headers = {"Version": LCM.version}
        if c.token:
            headers["Authorization"] = f"Bearer {c.token}"
        url = f"{c.base_url}{LCM.container}{path}"
        try:
            async with c.session.post(url, json=body, headers=headers) as response:
                await checked(response, 202)
                return response.headers["Location"].rsplit("/", 1)[-1]
        except OSError as exc:
            raise ApiFailure(f"cannot reach {c.base_url}: {exc}") from None


async def _watch(cli: CliContext, occurrence_id: str, within: float) -> dict[str, Any]:
    """Poll the occurrence until it is no longer running; each new state on stderr."""
    seen = None
    async with asyncio.timeout(within):
        while True:
            body: dict[str, Any] = await _call(cli, "GET", f"/vnf_lcm_op_occs/{occurrence_id}")
            state = body["operationState"]
            if state != seen:
                click.echo(f"{body['operation']} {occurrence_id}: {state}", err=True)
                seen = state
            if state not in ACTIVE:
                return body
            await asyncio.sleep(0.5)


def _start(cli: CliContext, path: str, body: dict[str, Any], wait: bool, within: float) -> None:
    occurrence_id = asyncio.run(_task(cli, path, body))
    click.echo(occurrence_id)
    if wait:
        _report(asyncio.run(_watch(cli, occurrence_id, within)))


def _report(body: dict[str, Any]) -> None:
    if body["operationState"] != "COMPLETED":
        detail = (body.get("error") or {}).get("detail", "")
        raise ApiFailure(
            f"{body['operation']} {body['id']} ended {body['operationState']}: {detail}"
        )


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    found = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise click.UsageError(f"{what} {value!r}: write NAME=VALUE")
        found[name] = rest
    return found


@click.group("vnf")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """VNF instances and their lifecycle (SOL003 /vnflcm/v2 at nfvo_url)."""


@COMMAND.command("create")
@click.argument("vnfd_id")
@click.option("--name", default=None, help="vnfInstanceName.")
@click.option("--description", default=None, help="vnfInstanceDescription.")
@OUTPUT
@pass_cli
def create(
    cli: CliContext, vnfd_id: str, name: str | None, description: str | None, output: str
) -> None:
    """Create a VNF instance of an onboarded VNFD."""
    body = {"vnfdId": vnfd_id, "vnfInstanceName": name, "vnfInstanceDescription": description}
    created = asyncio.run(
        _call(cli, "POST", "/vnf_instances", 201, json={k: v for k, v in body.items() if v})
    )
    render([created], INSTANCE_COLUMNS, output)


@COMMAND.command("instantiate")
@click.argument("instance_id")
@click.option("--flavour", default="default", show_default=True, help="The VNF deployment flavour.")
@click.option("--level", default=None, help="instantiationLevelId.")
@click.option(
    "--ext",
    multiple=True,
    metavar="CPD=NETWORK",
    help="Attach an external CP to an existing network (name or id); repeatable.",
)
@click.option(
    "--param",
    multiple=True,
    metavar="NAME=VALUE",
    help="additionalParams (day-1 variables); repeatable.",
)
@click.option(
    "--request",
    "request_file",
    type=click.Path(exists=True, path_type=Path),
    help="A whole InstantiateVnfRequest as JSON (the options above add to it).",
)
@WAIT
@TIMEOUT
@pass_cli
def instantiate(
    cli: CliContext, instance_id: str, flavour: str, level: str | None, ext: tuple[str, ...],
    param: tuple[str, ...], request_file: Path | None, wait: bool, within: float,
) -> None:  # fmt: skip
    """Instantiate a VNF instance."""
    body: dict[str, Any] = orjson.loads(request_file.read_bytes()) if request_file else {}
    body.setdefault("flavourId", flavour)
    if level:
        body["instantiationLevelId"] = level
    links = body.setdefault("extVirtualLinks", [])
    for cpd, network in _pairs(ext, "--ext").items():
        links.append({"id": f"ext-{cpd}", "resourceId": network, "extCps": [{"cpdId": cpd}]})
    if param:
        body["additionalParams"] = {**body.get("additionalParams", {}), **_pairs(param, "--param")}
    _start(cli, f"/vnf_instances/{instance_id}/instantiate", body, wait, within)


@COMMAND.command("scale")
@click.argument("instance_id")
@click.option("--aspect", required=True, help="aspectId.")
@click.option("--in", "inward", is_flag=True, help="SCALE_IN (default SCALE_OUT).")
@click.option("--steps", type=click.IntRange(min=1), default=1, show_default=True,
              help="Scaling steps.")  # fmt: skip
@WAIT
@TIMEOUT
@pass_cli
def scale(cli: CliContext, instance_id: str, aspect: str, inward: bool, steps: int, wait: bool,
          within: float) -> None:  # fmt: skip
    """Scale out (or in) by an aspect's steps."""
    kind = "SCALE_IN" if inward else "SCALE_OUT"
    body = {"type": kind, "aspectId": aspect, "numberOfSteps": steps}
    _start(cli, f"/vnf_instances/{instance_id}/scale", body, wait, within)


@COMMAND.command("heal")
@click.argument("instance_id")
@click.option("--vnfc", multiple=True, help="A VNFC id (default: all); repeatable.")
@click.option(
    "--type",
    "heal_type",
    type=click.Choice(["reboot", "rebuild", "recreate"]),
    default=None,
    help="Default: recreate when the host is down or in ERROR, else reboot.",
)
@click.option("--cause", default=None, help="Why, as the occurrence records it.")
@WAIT
@TIMEOUT
@pass_cli
def heal(cli: CliContext, instance_id: str, vnfc: tuple[str, ...], heal_type: str | None,
         cause: str | None, wait: bool, within: float) -> None:  # fmt: skip
    """Heal VNFCs."""
    body: dict[str, Any] = {"vnfcInstanceId": list(vnfc)} if vnfc else {}
    if heal_type:
        body["additionalParams"] = {"healType": heal_type}
    if cause:
        body["cause"] = cause
    _start(cli, f"/vnf_instances/{instance_id}/heal", body, wait, within)


@COMMAND.command("operate")
@click.argument("instance_id")
@click.option("--start/--stop", "start", required=True, help="Start the VNF, or stop it.")
@click.option("--graceful-timeout", type=int, default=None, help="Stop gracefully within N s.")
@WAIT
@TIMEOUT
@pass_cli
def operate(cli: CliContext, instance_id: str, start: bool, graceful_timeout: int | None,
            wait: bool, within: float) -> None:  # fmt: skip
    """Start or stop a VNF's VNFCs."""
    body: dict[str, Any] = {"changeStateTo": "STARTED" if start else "STOPPED"}
    if not start:
        body["stopType"] = "GRACEFUL" if graceful_timeout is not None else "FORCEFUL"
        if graceful_timeout is not None:
            body["gracefulStopTimeout"] = graceful_timeout
    _start(cli, f"/vnf_instances/{instance_id}/operate", body, wait, within)


@COMMAND.command("terminate")
@click.argument("instance_id")
@click.option(
    "--graceful",
    type=int,
    default=None,
    metavar="SECONDS",
    help="GRACEFUL with this timeout (default FORCEFUL).",
)
@WAIT
@TIMEOUT
@pass_cli
def terminate(cli: CliContext, instance_id: str, graceful: int | None, wait: bool,
              within: float) -> None:  # fmt: skip
    """Terminate a VNF: everything it owns leaves the VIM."""
    body: dict[str, Any] = {"terminationType": "GRACEFUL" if graceful is not None else "FORCEFUL"}
    if graceful is not None:
        body["gracefulTerminationTimeout"] = graceful
    _start(cli, f"/vnf_instances/{instance_id}/terminate", body, wait, within)


@COMMAND.command("delete")
@click.argument("instance_id")
@pass_cli
def delete(cli: CliContext, instance_id: str) -> None:
    """Delete a NOT_INSTANTIATED VNF instance."""
    asyncio.run(_call(cli, "DELETE", f"/vnf_instances/{instance_id}", 204))
    click.echo(f"{instance_id} deleted")


@COMMAND.command("list")
@click.option("--filter", "flt", default=None, help="A SOL013 filter.")
@OUTPUT
@pass_cli
def list_(cli: CliContext, flt: str | None, output: str) -> None:
    """List VNF instances."""
    params = {"filter": flt} if flt else {}
    render(
        asyncio.run(_call(cli, "GET", "/vnf_instances", params=params)), INSTANCE_COLUMNS, output
    )


@COMMAND.command("show")
@click.argument("instance_id")
@OUTPUT
@pass_cli
def show(cli: CliContext, instance_id: str, output: str) -> None:
    """Show a VNF instance with every attribute."""
    render(asyncio.run(_call(cli, "GET", f"/vnf_instances/{instance_id}?all_fields")), (), output)


@COMMAND.group("op")
def op() -> None:
    """Lifecycle operation occurrences."""


@op.command("list")
@click.option("--filter", "flt", default=None, help="A SOL013 filter.")
@OUTPUT
@pass_cli
def op_list(cli: CliContext, flt: str | None, output: str) -> None:
    """The VNF lifecycle operation occurrences (filtered as asked)."""
    params = {"filter": flt} if flt else {}
    render(asyncio.run(_call(cli, "GET", "/vnf_lcm_op_occs", params=params)), OP_COLUMNS, output)


@op.command("show")
@click.argument("occurrence_id")
@OUTPUT
@pass_cli
def op_show(cli: CliContext, occurrence_id: str, output: str) -> None:
    """One VNF lifecycle operation occurrence."""
    body = asyncio.run(_call(cli, "GET", f"/vnf_lcm_op_occs/{occurrence_id}?all_fields"))
    render(body, (), output)


@op.command("watch")
@click.argument("occurrence_id")
@TIMEOUT
@pass_cli
def op_watch(cli: CliContext, occurrence_id: str, within: float) -> None:
    """Follow an occurrence until it ends; non-zero unless it COMPLETED."""
    _report(asyncio.run(_watch(cli, occurrence_id, within)))


def _occurrence_task(name: str, summary: str) -> None:
    @op.command(name, help=summary)
    @click.argument("occurrence_id")
    @WAIT
    @TIMEOUT
    @pass_cli
    def run(cli: CliContext, occurrence_id: str, wait: bool, within: float) -> None:
        body = {"cancelMode": "FORCEFUL"} if name == "cancel" else {}
        path = f"/vnf_lcm_op_occs/{occurrence_id}/{name}"
        if name == "fail":
            asyncio.run(_call(cli, "POST", path, 200, json=body))
        else:
            asyncio.run(_call(cli, "POST", path, 202, json=body))
        click.echo(f"{occurrence_id} {name}")
        if wait:
            _report(asyncio.run(_watch(cli, occurrence_id, within)))


_occurrence_task("retry", "Retry a FAILED_TEMP operation.")
_occurrence_task("rollback", "Roll a FAILED_TEMP operation back.")
_occurrence_task("fail", "Mark a FAILED_TEMP operation FAILED.")
_occurrence_task("cancel", "Cancel a running operation (it ends FAILED_TEMP or ROLLED_BACK).")
