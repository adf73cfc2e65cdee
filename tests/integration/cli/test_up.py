"""``nfvo up``: Redis, the simulated cloud and the NFVO from nothing; its state kept
across a restart; Ctrl-C leaves nothing running."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from nfvo.store.embedded import free_port

NFVO = [str(Path(sys.executable).parent / "nfvo")]
pytestmark = pytest.mark.timeout(300)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def up(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [*NFVO, "up", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    lines = []
    while not (line := process.stdout.readline()).startswith("READY"):
        assert line, f"nfvo up ended early: {lines}"
        lines.append(line)
    return process, lines


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0


def test_up_serves_everything_keeps_its_state_and_stops_everything(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "NFVO_REDIS_URL")}
    env.update(NFVO_DATA_DIR=str(tmp_path), NFVO_KEY_PREFIX="up")
    port = free_port()
    process, lines = up(env, port)
    try:
        printed = "".join(lines)
        credentials = yaml.safe_load((tmp_path / "credentials.yaml").read_text())
        assert credentials["nfvo_url"] == f"http://127.0.0.1:{port}"
        form = {"grant_type": "client_credentials"}
        auth = (credentials["client_id"], credentials["client_secret"])
        token = requests.post(credentials["token_url"], data=form, auth=auth, timeout=10).json()
        headers = {"Authorization": f"Bearer {token['access_token']}", "Version": "2.3.0"}
        base = f"http://127.0.0.1:{port}/nslcm/v2/ns_instances"
        assert requests.get(base, headers=headers, timeout=10).json() == []
        packages = f"http://127.0.0.1:{port}/vnfpkgm/v2/vnf_packages"
        created = requests.post(
            packages, json={}, headers={**headers, "Version": "2.4.0"}, timeout=10
        )
        assert created.status_code == 201, created.text
        redis_url = re.search(r"Redis\s+(\S+)", printed).group(1)  # type: ignore[union-attr]
        cloud = yaml.safe_load((tmp_path / "clouds.yaml").read_text())["clouds"]["sim"]
        cloud_port = int(cloud["auth"]["auth_url"].rsplit(":", 1)[1].split("/")[0])
        assert ":***@" in redis_url  # its password is not printed
        # The CLI beside it finds its Redis through the data directory.
        listed = [*NFVO, "vim", "list", "-o", "json"]
        vims = subprocess.run(listed, capture_output=True, text=True, timeout=60, env=env)
        assert '"lab"' in vims.stdout, vims.stderr
    finally:
        stop(process)
    assert not listening(port) and not listening(cloud_port)
    redis_port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    assert not listening(redis_port)

    again, _ = up(env, port)  # the same data directory: the same admin, the same records
    try:
        kept = yaml.safe_load((tmp_path / "credentials.yaml").read_text())
        assert kept["client_secret"] == credentials["client_secret"]
        token = requests.post(kept["token_url"], data=form, auth=auth, timeout=10).json()
        headers["Authorization"] = f"Bearer {token['access_token']}"
        listed = requests.get(packages, headers={**headers, "Version": "2.4.0"}, timeout=10).json()
        assert [p["id"] for p in listed] == [created.json()["id"]]
    finally:
        stop(again)
