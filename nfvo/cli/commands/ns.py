"""``nfvo ns``: NS instances through the SOL005 NS lifecycle API at ``nfvo_url``.

``create``, ``instantiate``, ``scale``, ``heal``, ``terminate``, ``delete``, ``list``,
``show``. Task commands print the operation occurrence's id, or with ``--wait`` follow
it to its end, one line per VNF as its VNFM reports, and exit 1 with the error's
detail when it does not complete. ``-o json`` everywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import click

from nfvo.cli.catalog_client import CatalogClient
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.ns_client import Watch, call, task
from nfvo.cli.options import TIMEOUT, WAIT
from nfvo.cli.output import OUTPUT, render

COLUMNS = ("id", "nsInstanceName", "nsState", "nsdId")


@click.group("ns")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """NS instances: create, instantiate, scale, heal, terminate, delete, list, show."""


def pairs(values: Sequence[str], option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        name, sep, target = value.partition("=")
        if not sep or not name or not target:
            raise click.UsageError(f"{option} {value!r}: write NAME=VALUE")
        found[name] = target
    return found


def start(
    cli: CliContext,
    ns_id: str,
    name: str,
    body: dict[str, Any],
    wait: bool,
    within: float,
    output: str,
) -> None:
    """POST the task; print the occurrence, or follow it and exit 1 unless COMPLETED."""

    async def run(api: CatalogClient) -> dict[str, Any]:
        occurrence_id = await task(api, ns_id, name, body)
        if not wait:
            return {"id": occurrence_id, "operationState": "PROCESSING"}
        return await Watch(api, occurrence_id, ns_id).run(within)

    occurrence = asyncio.run(call(cli, run))
    render(occurrence if output != "table" else [occurrence], ("id", "operationState"), output)
    if wait and occurrence["operationState"] != "COMPLETED":
        detail = (occurrence.get("error") or {}).get("detail", "no error given")
        click.echo(f"{name} ended {occurrence['operationState']}: {detail}", err=True)
        raise SystemExit(1)


@COMMAND.command("create")
@click.option("--nsd-id", required=True, help="The nsdId of an onboarded, enabled NSD.")
@click.option("--name", required=True, help="nsInstanceName.")
@click.option("--description", default="", help="nsInstanceDescription.")
@OUTPUT
@pass_cli
def create(cli: CliContext, nsd_id: str, name: str, description: str, output: str) -> None:
    """Create an NS instance (NOT_INSTANTIATED)."""
    body = {"nsdId": nsd_id, "nsName": name, "nsDescription": description}
    created = asyncio.run(
        call(cli, lambda api: api.request("POST", "/ns_instances", 201, json=body))
    )
    render(created if output != "table" else [created], COLUMNS, output)


@COMMAND.command("instantiate")
@click.argument("ns_id")
@click.option("--flavour", default="default", show_default=True, help="The NS deployment flavour.")
@click.option("--level", help="The NS instantiation level (default: the flavour's).")
@click.option(
    "--bind",
    multiple=True,
    metavar="LINK=PHYSNET|net:NETWORK",
    help="Bind an NS virtual link or SAP (repeatable); unbound ones take the site's.",
)
@click.option(
    "--vnfm", "vnfms", multiple=True, metavar="PROFILE=VNFM", help="A VNF profile's VNFM."
)
@click.option(
    "--zone", "zones", multiple=True, metavar="PROFILE=ZONE", help="Where a profile's VNFs go."
)
@click.option("--vim", help="The VIM (default: the default VIM).")
@WAIT
@TIMEOUT
@OUTPUT
@pass_cli
def instantiate(
    cli: CliContext,
    ns_id: str,
    flavour: str,
    level: str | None,
    bind: tuple[str, ...],
    vnfms: tuple[str, ...],
    zones: tuple[str, ...],
    vim: str | None,
    wait: bool,
    within: float,
    output: str,
) -> None:
    """Instantiate NS_ID: its links, then each VNF as soon as its predecessors are up."""
    extra: dict[str, Any] = {}
    if bind:
        extra["networkBindings"] = pairs(bind, "--bind")
    if vnfms:
        extra["vnfms"] = pairs(vnfms, "--vnfm")
    if vim:
        extra["vim"] = vim
    body: dict[str, Any] = {"nsFlavourId": flavour}
    if level:
        body["nsInstantiationLevelId"] = level
    if extra:
        body["additionalParamsForNs"] = extra
    if zones:
        body["locationConstraints"] = [
            {
                "vnfProfileId": profile,
                "locationConstraints": {"civicAddressElement": [{"caType": 22, "caValue": zone}]},
            }
            for profile, zone in pairs(zones, "--zone").items()
        ]
    start(cli, ns_id, "instantiate", body, wait, within, output)


@COMMAND.command("scale")
@click.argument("ns_id")
@click.option("--aspect", help="An NS scaling aspect (SCALE_NS) or, with --vnf, the VNF's aspect.")
@click.option("--steps", type=click.IntRange(min=1), default=1, show_default=True,
              help="Scaling steps.")  # fmt: skip
@click.option("--in", "scale_in", is_flag=True, help="Scale in (default: out).")
@click.option("--vnf", "vnf_id", help="Scale this VNF instance of the NS (SCALE_VNF).")
@WAIT
@TIMEOUT
@OUTPUT
@pass_cli
def scale(
    cli: CliContext,
    ns_id: str,
    aspect: str | None,
    steps: int,
    scale_in: bool,
    vnf_id: str | None,
    wait: bool,
    within: float,
    output: str,
) -> None:
    """Scale NS_ID by an aspect's steps, or one of its VNFs."""
    if not aspect:
        raise click.UsageError("name the scaling aspect with --aspect")
    direction = "SCALE_IN" if scale_in else "SCALE_OUT"
    if vnf_id:
        body: dict[str, Any] = {
            "scaleType": "SCALE_VNF",
            "scaleVnfData": [
                {
                    "vnfInstanceId": vnf_id,
                    "scaleVnfType": direction,
                    "scaleByStepData": {"aspectId": aspect, "numberOfSteps": steps},
                }
            ],
        }
    else:
        body = {
            "scaleType": "SCALE_NS",
            "scaleNsData": {
                "scaleNsByStepsData": {
                    "scalingDirection": direction,
                    "aspectId": aspect,
                    "numberOfSteps": steps,
                }
            },
        }
    start(cli, ns_id, "scale", body, wait, within, output)


@COMMAND.command("heal")
@click.argument("ns_id")
@click.option(
    "--vnf", "vnf_ids", multiple=True, help="Heal this VNF instance (repeatable); none: every VNF."
)
@click.option("--cause", default="healed by an operator", show_default=True,
              help="Why, as the occurrence records it.")  # fmt: skip
@WAIT
@TIMEOUT
@OUTPUT
@pass_cli
def heal(
    cli: CliContext,
    ns_id: str,
    vnf_ids: tuple[str, ...],
    cause: str,
    wait: bool,
    within: float,
    output: str,
) -> None:
    """Heal NS_ID's VNFs through their VNFMs."""
    if vnf_ids:
        body: dict[str, Any] = {
            "healVnfData": [{"vnfInstanceId": v, "cause": cause} for v in vnf_ids]
        }
    else:
        body = {"healNsData": {"degreeHealing": "HEAL_RESTORE"}}
    start(cli, ns_id, "heal", body, wait, within, output)


@COMMAND.command("terminate")
@click.argument("ns_id")
@click.option("--at", "at", help="Terminate at this RFC 3339 time (default: now).")
@WAIT
@TIMEOUT
@OUTPUT
@pass_cli
def terminate(
    cli: CliContext, ns_id: str, at: str | None, wait: bool, within: float, output: str
) -> None:
    """Terminate NS_ID: its VNFs, SAPs and the links made for it."""
    start(cli, ns_id, "terminate", {"terminationTime": at} if at else {}, wait, within, output)


@COMMAND.command("delete")
@click.argument("ns_id")
@pass_cli
def delete(cli: CliContext, ns_id: str) -> None:
    """Delete a NOT_INSTANTIATED NS instance."""
    asyncio.run(call(cli, lambda api: api.request("DELETE", f"/ns_instances/{ns_id}", 204)))
    click.echo(f"{ns_id} deleted")


@COMMAND.command("list")
@click.option("--filter", "flt", help="A SOL013 filter, e.g. (eq,nsState,INSTANTIATED).")
@OUTPUT
@pass_cli
def list_(cli: CliContext, flt: str | None, output: str) -> None:
    """List NS instances."""
    params = {"filter": flt} if flt else {}
    rows = asyncio.run(call(cli, lambda api: api.request("GET", "/ns_instances", params=params)))
    render(rows, COLUMNS, output)


@COMMAND.command("show")
@click.argument("ns_id")
@OUTPUT
@pass_cli
def show(cli: CliContext, ns_id: str, output: str) -> None:
    """Show an NS instance with every attribute."""
    body = asyncio.run(
        call(cli, lambda api: api.request("GET", f"/ns_instances/{ns_id}?all_fields"))
    )
    render(body, (), output)
