"""The crash-test helper itself: a child that is SIGKILLed and restarted."""

import signal

from tests.support.processes import ManagedProcess, port_open, python_argv


def test_kill_and_restart(process_factory: type[ManagedProcess], free_port: int) -> None:
    server = process_factory(
        python_argv("-m", "http.server", str(free_port), "--bind", "127.0.0.1"),
        ready=port_open(free_port),
    )
    server.start()
    first_pid = server.pid
    assert server.kill() == -signal.SIGKILL
    assert not port_open(free_port)() or not server.running
    server.restart()
    assert server.running and server.pid != first_pid and server.starts == 2
