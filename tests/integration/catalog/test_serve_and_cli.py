"""``nfvo serve`` as a subprocess (READY line, SIGTERM), the online CLI against it with
``--wait``, and :func:`onboard_shipped` as ``make demo`` uses it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from nfvo.cli.catalog_client import Access, onboard_shipped
from nfvo.store.keys import Keyspace
from tests.integration.catalog.conftest import SHIPPED, VNF_NAMES
from tests.support.nfvo_processes import NFVO, nfvo


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


def test_an_invalid_package_is_refused_here_and_nothing_is_created(
    served: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"not a zip at all")
    result = nfvo(served, "package", "onboard", str(broken), "--wait", "-o", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "not a zip archive" in result.stderr and "nothing onboarded" in result.stderr
    nsd = nfvo(served, "package", "onboard", str(SHIPPED / "5gc-sa"))
    assert nsd.returncode == 1 and "onboard it with nfvo nsd onboard" in nsd.stderr
    assert json.loads(nfvo(served, "package", "list", "-o", "json").stdout) == []
    built = nfvo(served, "package", "onboard", str(SHIPPED / "nrf"), "--wait")
    assert built.returncode == 0, built.stderr
    assert "ONBOARDED" in built.stdout


def test_a_refused_upload_deletes_the_entry_it_made(served: dict[str, str]) -> None:
    assert nfvo(served, "package", "onboard", str(SHIPPED / "nrf"), "--wait").returncode == 0
    again = nfvo(served, "package", "onboard", str(SHIPPED / "nrf"), "--wait")
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "is already onboarded as VNF package" in again.stderr
    assert "is deleted again" in again.stderr
    [only] = json.loads(nfvo(served, "package", "list", "-o", "json").stdout)
    assert only["onboardingState"] == "ONBOARDED"


def test_an_nsd_before_its_vnfs_names_them_and_is_named_itself(served: dict[str, str]) -> None:
    failed = nfvo(served, "nsd", "onboard", str(SHIPPED / "5gc-sa"), "--wait")
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "whose packages are not onboarded: nfvo-5gc-" in failed.stderr
    assert "nfvo-5gc-upf (vnfdId " in failed.stderr
    table = nfvo(served, "nsd", "list")
    [row] = [line.split() for line in table.stdout.splitlines()[1:]]
    assert row[1:] == ["5gc-sa", "(read)", "1.0", "(read)", "ERROR", "DISABLED"]
    assert nfvo(served, "nsd", "show", "5gc-sa").returncode == 0
    assert nfvo(served, "nsd", "delete", "5gc-sa").returncode == 0
    assert json.loads(nfvo(served, "nsd", "list", "-o", "json").stdout) == []


def test_serve_publishes_itself_and_credentials_for_a_fresh_shell(
    keyspace: Keyspace, tmp_path: Path, free_port: int
) -> None:
    data = tmp_path / "data"
    fresh = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "NFVO_DATA_DIR": str(data)}
    server = subprocess.Popen(
        [*NFVO, "serve", "--port", str(free_port)],
        env={**fresh, "NFVO_KEY_PREFIX": keyspace.prefix},  # its own Redis, no password set
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stderr is not None
    try:
        assert server.stdout.readline().startswith("READY ")
        told = server.stderr.readline() + server.stderr.readline()
        assert f"password in {data / 'admin.password'}" in told
        assert str(data / "server.json") in told
        for name in ("admin.password", "redis.url"):
            assert (data / name).stat().st_mode & 0o777 == 0o600
        listed = nfvo({**fresh, "NFVO_KEY_PREFIX": keyspace.prefix}, "package", "list")
        assert listed.returncode == 0, listed.stderr
        vims = nfvo({**fresh, "NFVO_KEY_PREFIX": keyspace.prefix}, "vim", "list", "-o", "json")
        assert vims.returncode == 0 and json.loads(vims.stdout) == [], vims.stderr
        wrong = nfvo({**fresh, "NFVO_ADMIN_PASSWORD": "not-the-password-1234"}, "package", "list")
        assert wrong.returncode == 1 and "refused the credentials (admin_password)" in wrong.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    assert not (data / "server.json").exists() and not (data / "redis.url").exists()
    down = nfvo({**fresh, "NFVO_NFVO_URL": "http://127.0.0.1:1"}, "package", "list")
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert "is `nfvo serve` running at http://127.0.0.1:1?" in down.stderr
    no_redis = nfvo(fresh, "vim", "list")
    assert no_redis.returncode == 1 and "start `nfvo serve`" in no_redis.stderr
