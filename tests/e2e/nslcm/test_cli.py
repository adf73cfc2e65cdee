"""The operator's CLI: a third-party VNFM registered with ``nfvo vnfm add``, then an NS
created, instantiated with ``--wait``, failed and retried with ``nfvo op``, and
terminated; every command a real ``nfvo`` process speaking HTTP to the served NFVO."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nfvo.store.keys import Keyspace
from tests.integration.lcm.conftest import StartNfvo
from tests.integration.lcm.fivegc import NSD_ID, FiveGc, five_gc

pytestmark = pytest.mark.timeout(600)
NFVO = [str(Path(sys.executable).parent / "nfvo")]


@pytest.fixture
async def unregistered(start_nfvo: StartNfvo, shipped: dict[str, Path]) -> AsyncIterator[FiveGc]:
    async with five_gc(start_nfvo, shipped, register=False) as ready:
        yield ready


async def nfvo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, [*NFVO, *args], env=env, capture_output=True, text=True, timeout=300
    )


async def test_an_operator_deploys_through_a_third_party_vnfm(
    unregistered: FiveGc, redis_url: str, keyspace: Keyspace, tmp_path: Path
) -> None:
    core = unregistered
    env = {
        **os.environ,
        "NFVO_REDIS_URL": redis_url,
        "NFVO_KEY_PREFIX": keyspace.prefix,
        "NFVO_DATA_DIR": str(tmp_path),  # the served NFVO's: the same secret key
        "NFVO_NFVO_URL": core.nfvo.runtime.settings.nfvo_url,
        "NFVO_ADMIN_PASSWORD": "admin-s3cret-loquat",
    }
    client_id, secret = core.vnfm.client
    added = await nfvo(
        env,
        "vnfm",
        "add",
        "third-party",
        "--url",
        core.vnfm.url,
        "--client-id",
        client_id,
        "--client-secret",
        secret,
    )
    assert added.returncode == 0, added.stderr
    listed = await nfvo(env, "vnfm", "list", "-o", "json")
    (vnfm,) = json.loads(listed.stdout)
    assert vnfm["clientSecret"] == "******" and vnfm["default"] is True

    created = await nfvo(
        env, "ns", "create", "--nsd-id", NSD_ID, "--name", "cli-core", "-o", "json"
    )
    assert created.returncode == 0, created.stderr
    ns_id = json.loads(created.stdout)["id"]

    core.vnfm.fail["INSTANTIATE"] = "an image the VNFM cannot boot"
    failed = await nfvo(env, "ns", "instantiate", ns_id, "--wait", "-o", "json")
    assert failed.returncode == 1
    assert "an image the VNFM cannot boot" in failed.stderr
    occurrence_id = json.loads(failed.stdout)["id"]
    retried = await nfvo(env, "op", "retry", occurrence_id, "--wait", "-o", "json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["operationState"] == "COMPLETED"
    assert ("POST", "/vnflcm/v2/vnf_instances") in core.vnfm.calls  # driven over SOL003

    shown = await nfvo(env, "ns", "show", ns_id, "-o", "json")
    assert len(json.loads(shown.stdout)["vnfInstance"]) == 9
    ended = await nfvo(env, "ns", "terminate", ns_id, "--wait", "-o", "json")
    assert ended.returncode == 0, ended.stderr
    ops = await nfvo(env, "op", "list", "-o", "json")
    assert [o["operationState"] for o in json.loads(ops.stdout)] == ["COMPLETED", "COMPLETED"]
    deleted = await nfvo(env, "ns", "delete", ns_id)
    assert deleted.returncode == 0, deleted.stderr
