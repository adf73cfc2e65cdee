"""Run many ``openstack`` commands in one process, each exactly as the ``openstack``
executable runs it (``openstackclient.shell.main``: a fresh ``OpenStackShell`` per
command), reporting every command's exit code, stdout and stderr.

The CLI takes about a second and a half to start; run alone, a hundred commands would
take minutes. Its interactive mode batches them but throws the exit codes away, which a
test needs; this keeps them. One thing a one-command process never notices is undone
between commands: osc_lib caches each service's client on the ClientManager class
(``ClientCache``), so the next command would reuse the last one's cloud, token and
microversion.

Usage: ``python -m benchmarks._osc_batch < commands`` with one command per line
(shell quoting, without the leading ``openstack``); prints one JSON object per command:
``{"command", "exit_code", "stdout", "stderr", "seconds"}``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import shlex
import sys
import time
from typing import Any


def _forget_clients() -> None:
    from openstackclient.common.clientmanager import ClientManager
    from osc_lib.clientmanager import ClientCache

    for klass in ClientManager.__mro__:
        for value in vars(klass).values():
            if isinstance(value, ClientCache):
                value._handle = None


def run_one(line: str) -> dict[str, Any]:
    from openstackclient.shell import main

    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers = list(root.handlers)
    started = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(shlex.split(line))
        except SystemExit as exc:  # argparse's usage errors, as the executable exits
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            # Each run adds its console handler to the root logger: drop it, so the next
            # command's messages are not written twice (or into this command's buffer).
            for handler in root.handlers:
                if handler not in handlers:
                    root.removeHandler(handler)
            _forget_clients()
    return {
        "command": line,
        "exit_code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "seconds": round(time.monotonic() - started, 3),
    }


def main() -> None:
    for raw in sys.stdin:
        line = raw.strip()
        if line and not line.startswith("#"):
            print(json.dumps(run_one(line)), flush=True)


if __name__ == "__main__":
    main()
