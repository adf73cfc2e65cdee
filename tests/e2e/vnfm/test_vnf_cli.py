"""``nfvo vnf``: the operator's lifecycle as an HTTP client of the served /vnflcm/v2."""

from __future__ import annotations

import asyncio

import orjson
from click.testing import CliRunner, Result

from nfvo.cli.main import cli
from tests.e2e.vnfm.conftest import Stack
from tests.e2e.vnfm.test_instantiate_terminate import DAY1, leftovers


async def nfvo(stack: Stack, *args: str) -> Result:
    url = str(stack.client.make_url("")).rstrip("/")
    env: dict[str, str | None] = {
        "NFVO_NFVO_URL": url,
        "NFVO_API_TOKEN": None,
        "NFVO_ADMIN_PASSWORD": None,
    }
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)


async def test_the_cli_drives_a_vnf_through_its_life(stack: Stack) -> None:
    created = await nfvo(
        stack, "vnf", "create", stack.vnfds["nrf"], "--name", "nrf-cli", "-o", "json"
    )
    assert created.exit_code == 0, created.output
    instance_id = orjson.loads(created.output)[0]["id"]
    params = [arg for name, value in DAY1.items() for arg in ("--param", f"{name}={value}")]
    done = await nfvo(
        stack,
        "vnf",
        "instantiate",
        instance_id,
        "--ext",
        "virtual_link_sbi=mgmt",
        *params,
        "--wait",
    )
    assert done.exit_code == 0, done.output
    assert "COMPLETED" in done.output
    listed = await nfvo(stack, "vnf", "list")
    assert "nrf-cli" in listed.output and "INSTANTIATED" in listed.output
    ops = await nfvo(stack, "vnf", "op", "list", "-o", "json")
    assert [o["operationState"] for o in orjson.loads(ops.output)] == ["COMPLETED"]
    refused = await nfvo(stack, "vnf", "delete", instance_id)
    assert refused.exit_code != 0 and "terminate it before deleting it" in refused.output
    failed = await nfvo(stack, "vnf", "scale", instance_id, "--aspect", "nope", "--wait")
    assert failed.exit_code != 0 and "aspectId 'nope'" in failed.output
    gone = await nfvo(stack, "vnf", "terminate", instance_id, "--wait")
    assert gone.exit_code == 0, gone.output
    assert await leftovers(stack, instance_id) == {"servers": [], "ports": []}
    assert (await nfvo(stack, "vnf", "delete", instance_id)).exit_code == 0
