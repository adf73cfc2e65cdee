"""The real ``openstack`` CLI (python-openstackclient with osc-placement) against the
simulator: an operator's scripted first hour, every command's exit code and key fields
as a real cloud gives them (benchmarks/_operator_session.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from benchmarks._operator_session import ISSUE, run_session
from simulators.openstack.config import SimConfig
from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import LAB

OPENSTACK = Path(sys.executable).with_name("openstack")


@pytest.fixture
async def cli_sim(redis_url: str, stream_prefix: str) -> Simulator:
    config = SimConfig(time_scale=0.0, redis_url=redis_url, stream_prefix=stream_prefix)
    simulator = Simulator(LAB, config=config)
    await simulator.start()
    yield simulator  # type: ignore[misc]
    await simulator.stop()


async def test_an_operators_session_behaves_as_on_a_real_cloud(cli_sim: Simulator) -> None:
    outcomes = await asyncio.to_thread(run_session, cli_sim.clouds_yaml_path)
    failed = [f"{o.command}\n    {o.reason}" for o in outcomes if not o.passed]
    assert not failed, f"{len(failed)} of {len(outcomes)} commands:\n" + "\n".join(failed)
    assert len(outcomes) >= 100
    assert sum(o.step.kind == ISSUE for o in outcomes) >= 40


@pytest.mark.skipif(not OPENSTACK.exists() and not shutil.which("openstack"), reason="no CLI")
async def test_the_openstack_executable_exits_as_the_batches_report(cli_sim: Simulator) -> None:
    """The batches run each command as the executable does, and it exits as they say
    (one run of the executable: each takes one and a half seconds to start)."""
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(cli_sim.clouds_yaml_path)}

    async def openstack(*argv: str) -> tuple[int, str, str]:  # code, stdout, stderr
        process = await asyncio.create_subprocess_exec(
            str(OPENSTACK),
            "--os-cloud",
            "sim",
            *argv,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, out.decode(), err.decode()

    code, _, err = await openstack("server", "show", "no-such-server")
    assert code == 1
    assert "No Server found for no-such-server" in err
