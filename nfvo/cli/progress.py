"""Progress of long phases, on stderr so that stdout stays the data.

:func:`byte_bar` for work measured in bytes (building a CSAR, uploading): a bar with the
bytes done, the total and the time left, drawn only on a terminal and for work
that takes more than a blink. :class:`Status` for
waits (onboarding, an operation): a spinner with the current step and the time spent on
a terminal; elsewhere (a pipe, CI's log) one line per change of step, nothing redrawn.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

SPINNER = "|/-\\"
#: Work smaller than this ends in a blink: no bar for it.
MIN_BAR_BYTES = 4 * 1024 * 1024


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def on_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def byte_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A function to tell of each chunk done, drawing a bar while it is used."""
    if not on_terminal() or total < MIN_BAR_BYTES:
        yield lambda _count: None
        return
    done = 0

    def shown(_item: object) -> str:
        return f"{human_bytes(done)} of {human_bytes(total)}"

    bar = click.progressbar(
        length=max(total, 1),
        label=label,
        file=sys.stderr,
        show_eta=True,
        show_percent=True,
        item_show_func=shown,
    )
    with bar:

        def advance(count: int) -> None:
            nonlocal done
            done += count
            bar.update(count, done)

        yield advance


class Status:
    """The step a wait is at: redrawn in place on a terminal, a line per change elsewhere."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.monotonic()
        self.step = ""
        self._frame = 0
        self._terminal = on_terminal()

    def show(self, step: str) -> None:
        if self._terminal:
            self._frame += 1
            spent = time.monotonic() - self.started
            spinner = SPINNER[self._frame % len(SPINNER)]
            line = f"{spinner} {self.label}: {step} ({spent:.0f}s)"
            click.echo(f"\r\x1b[K{line}", nl=False, err=True)
        elif step != self.step:
            click.echo(f"{self.label}: {step}", err=True)
        self.step = step

    def done(self) -> None:
        if self._terminal:
            click.echo("\r\x1b[K", nl=False, err=True)
