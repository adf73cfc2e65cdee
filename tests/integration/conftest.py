"""Fixtures of the integration tests that run the orchestrator as its operator does."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nfvo.store.keys import Keyspace
from tests.support.nfvo_processes import NFVO


@pytest.fixture
def served(
    redis_url: str, keyspace: Keyspace, tmp_path: Path, free_port: int
) -> Iterator[dict[str, str]]:
    """``nfvo serve`` as a process with an admin password; the environment a CLI of the
    same operator runs in (the same Redis, key prefix, data directory and password)."""
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
