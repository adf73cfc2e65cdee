"""How fast the CLI starts: ``nfvo --help`` and ``nfvo package validate`` of one package,
side by side with ``python -c pass`` (the interpreter's own start), in one run.

Each command runs ``--runs`` times as its own process, the three interleaved so that the
machine's load falls on all alike; bytecode is written and warmed first (as in an
installed package), so what is measured is imports and work, not compilation. Figures
are medians (and the fastest run) in milliseconds, and the medians less the
interpreter's; wall time and CPU time (user and system), the latter less disturbed by
other work on the machine. ``--source DIR`` runs another checkout's ``nfvo`` (for a
before/after).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.report import report

REPO = Path(__file__).resolve().parents[1]
ENTRY = "import sys; from nfvo.cli.main import main; sys.argv[0] = 'nfvo'; main()"


def _environment(source: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(source)  # ahead of the editable install's finder
    env.pop("NFVO_CONFIG", None)
    return env


def _once(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one run."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{argv} exited {child.returncode}")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="Runs of each command.")
    parser.add_argument("--source", type=Path, default=REPO, help="The checkout to time.")
    parser.add_argument("--package", default="amf", help="The shipped package validated.")
    options = parser.parse_args()
    env = _environment(options.source)
    package = str(REPO / "descriptors" / "packages" / options.package)
    commands = {
        "pass": [sys.executable, "-c", "pass"],
        "help": [sys.executable, "-c", ENTRY, "--help"],
        "validate": [sys.executable, "-c", ENTRY, "package", "validate", package],
    }
    for argv in commands.values():  # bytecode written once, files in the page cache
        _once(argv, env, options.source)
    wall: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for run in range(options.runs):
        names = list(commands)
        names = names[run % len(names) :] + names[: run % len(names)]  # rotate the order
        for name in names:
            took, used = _once(commands[name], env, options.source)
            wall[name].append(took)
            cpu[name].append(used)
    figures: dict[str, float] = {"runs": options.runs}
    for name in commands:
        figures[f"{name}_wall_median_ms"] = _ms(statistics.median(wall[name]))
        figures[f"{name}_wall_fastest_ms"] = _ms(min(wall[name]))
        figures[f"{name}_cpu_median_ms"] = _ms(statistics.median(cpu[name]))
    for name in ("help", "validate"):
        for kind in ("wall", "cpu"):
            over = figures[f"{name}_{kind}_median_ms"] - figures[f"pass_{kind}_median_ms"]
            figures[f"{name}_{kind}_over_pass_ms"] = round(over, 1)
    goals = {
        "help_wall_over_pass_ms": {"max": 150.0},
        "validate_wall_over_pass_ms": {"max": 300.0},
    }
    report("cli_start", figures, goals)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


if __name__ == "__main__":
    main()
