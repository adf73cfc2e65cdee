"""``nfvo serve`` as a subprocess (READY line, SIGTERM), the online CLI against it with
``--wait``, and :func:`onboard_shipped` as ``make demo`` uses it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nfvo.cli.catalog_client import Access, onboard_shipped
from nfvo.store.keys import Keyspace
from tests.integration.catalog.conftest import SHIPPED, VNF_NAMES

NFVO = [str(Path(sys.executable).parent / "nfvo")]


@pytest.fixture
def served(
    redis_url: str, keyspace: Keyspace, tmp_path: Path, free_port: int
) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "NFVO_REDIS_URL": redis_url,
        "NFVO_KEY_PREFIX": keyspace.prefix,
        "NFVO_DATA_DIR": str(tmp_path / "data"),
        "NFVO_NFVO_URL": f"http://127.0.0.1:{free_port}",
        "NFVO_ADMIN_PASSWORD": "demo-secret-persimmon",  # the CLI fetches its token with it
    }
    process = subprocess.Popen(
        [*NFVO, "serve", "--port", str(free_port)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == f"READY http://127.0.0.1:{free_port}", line
    yield env
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


def nfvo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NFVO, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_cli_onboards_with_wait_and_manages_packages(
    served: dict[str, str], tmp_path: Path
) -> None:
    access = Access(client=("admin", served["NFVO_ADMIN_PASSWORD"]))
    rows = await onboard_shipped(served["NFVO_NFVO_URL"], SHIPPED, access)
    states = {row.get("vnfProductName") or row.get("nsdName"): row for row in rows}
    assert len(rows) == len(VNF_NAMES) + 1
    assert {row.get("onboardingState") or row.get("nsdOnboardingState") for row in rows} == {
        "ONBOARDED"
    }
    assert "5gc-sa" in states
    listed = nfvo(served, "package", "list", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == len(VNF_NAMES)
    table = nfvo(served, "nsd", "list")
    assert "5gc-sa" in table.stdout and "ONBOARDED" in table.stdout
    nsd_id = states["5gc-sa"]["id"]
    assert nfvo(served, "nsd", "delete", nsd_id).returncode != 0  # still ENABLED
    assert nfvo(served, "nsd", "disable", nsd_id).returncode == 0
    assert nfvo(served, "nsd", "delete", nsd_id).returncode == 0
    amf = states["nfvo-5gc-amf"]["id"]
    target = tmp_path / "amf.zip"
    assert nfvo(served, "package", "download", amf, "-f", str(target)).returncode == 0
    assert target.read_bytes()[:2] == b"PK"
    shown = nfvo(served, "package", "show", amf, "-o", "json")
    assert json.loads(shown.stdout)["id"] == amf


def test_cli_wait_exits_non_zero_with_failure_details(
    served: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip at all")
    result = nfvo(served, "package", "onboard", str(broken), "--wait", "-o", "json")
    assert result.returncode == 1
    assert json.loads(result.stdout)[0]["onboardingState"] == "ERROR"
    assert "onboarding failed" in result.stderr
    built = nfvo(served, "package", "onboard", str(SHIPPED / "nrf"), "--wait")
    assert built.returncode == 0, built.stderr
    assert "ONBOARDED" in built.stdout


def test_serve_refuses_to_start_with_no_way_to_a_token(
    redis_url: str, keyspace: Keyspace, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NFVO_")},
        "NFVO_REDIS_URL": redis_url,
        "NFVO_KEY_PREFIX": keyspace.prefix,
        "NFVO_DATA_DIR": str(tmp_path),
    }
    refused = nfvo(env, "serve", "--port", "1")
    assert refused.returncode == 2
    assert "--no-auth" in refused.stderr and "admin_password" in refused.stderr
