"""How much of an operator's first hour with the real ``openstack`` CLI the simulator
answers as a real cloud would: the scripted session of ``benchmarks/_operator_session``
(python-openstackclient and osc-placement, every command's exit code and key fields)
against the simulator serving the lab inventory on loopback. Prints one JSON line
(benchmarks.report)."""

from __future__ import annotations

import asyncio
import sys
import time

from benchmarks._operator_session import EVERYDAY, ISSUE, Outcome, run_session
from benchmarks.report import report
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator


async def session() -> tuple[list[Outcome], float]:
    async with Simulator(INVENTORY_DIR / "lab.yaml", config=SimConfig(time_scale=0)) as sim:
        started = time.monotonic()
        outcomes = await asyncio.to_thread(run_session, sim.clouds_yaml_path)
        return outcomes, time.monotonic() - started


def main() -> bool:
    outcomes, seconds = asyncio.run(session())
    for outcome in outcomes:
        if not outcome.passed:
            print(f"not as on a real cloud: {outcome.command}: {outcome.reason}", flush=True)

    def count(kind: str, passed: bool | None = None) -> int:
        return sum(1 for o in outcomes if o.step.kind == kind and passed in (None, o.passed))

    figures = {
        "commands": len(outcomes),
        "as_on_a_real_cloud": sum(o.passed for o in outcomes),
        "everyday_commands": count(EVERYDAY),
        "everyday_as_on_a_real_cloud": count(EVERYDAY, True),
        "issue_commands": count(ISSUE),
        "issue_as_on_a_real_cloud": count(ISSUE, True),
        "session_s": round(seconds, 1),
    }
    goals = {
        "as_on_a_real_cloud": {"min": len(outcomes)},
        "session_s": {"max": 90},
    }
    return report("openstack_cli", figures, goals)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
