"""Every failure of every command said in one or two lines: what failed, where, what to do.

The root command runs each command inside :func:`reported`, the one place a failure
becomes what the operator reads; commands raise and let it be. A :class:`CliError` is
already said (the shared clients raise it where they know the address: ``nfvo serve``'s
URL, the Redis they used); anything else is looked up by its class, walking its bases,
in :data:`EXPLAINERS`, keyed by qualified name so that nothing (redis, aiohttp,
openstacksdk) is imported to recognise its errors. What nobody explained is an internal
error: one line naming it, the traceback only with ``-vv``.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

INTERNAL_EXIT = 70  # EX_SOFTWARE: a bug of ours, not the operator's mistake
INTERRUPTED_EXIT = 130


class CliError(click.ClickException):
    """A failure said for an operator: ``message`` (what and where) and an optional
    ``hint`` (what to do), printed on a second line."""

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.hint = hint
        self.exit_code = exit_code  # type: ignore[misc]  # click's default is a class attribute

    def format_message(self) -> str:
        return f"{self.message}\n  {self.hint}" if self.hint else self.message

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _os_error(exc: BaseException) -> CliError:
    assert isinstance(exc, OSError)
    where = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or _first_line(exc)
    hints = {
        "FileNotFoundError": "check the path (relative paths start from the current directory)",
        "PermissionError": "check who owns it and its mode",
        "IsADirectoryError": "give a file, not a directory",
        "NotADirectoryError": "give a directory, not a file",
    }
    hint = hints.get(type(exc).__name__)
    return CliError(f"{where}: {reason}" if where else reason, hint)


def _redis_unreachable(exc: BaseException) -> CliError:
    return CliError(
        f"cannot reach Redis: {_first_line(exc)}",
        "is `nfvo serve` running? Without redis_url the CLI uses the Redis it publishes in "
        "its data directory; otherwise check redis_url (NFVO_REDIS_URL)",
    )


def _redis_refused(exc: BaseException) -> CliError:
    return CliError(
        f"Redis refused the credentials: {_first_line(exc)}",
        "check the password in redis_url (NFVO_REDIS_URL)",
    )


def _http_unreachable(exc: BaseException) -> CliError:
    host, port = getattr(exc, "host", "?"), getattr(exc, "port", "?")
    reason = getattr(exc, "strerror", None) or _first_line(exc)
    return CliError(
        f"cannot connect to {host}:{port}: {reason}",
        f"is `nfvo serve` running at {host}:{port}? (nfvo_url, NFVO_NFVO_URL)",
    )


def _descriptor(exc: BaseException) -> CliError:
    problems = [str(problem) for problem in getattr(exc, "problems", [])]
    shown = "\n  ".join(problems[:10]) + (
        f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else ""
    )
    return CliError(f"invalid package:\n  {shown}" if problems else _first_line(exc))


def _yaml(exc: BaseException) -> CliError:
    """Where the YAML went wrong: the start of what was being read, else the point."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    where = ""
    if mark is not None and not str(mark.name).startswith("<"):  # a file, not a string
        where = f"{mark.name}:{mark.line + 1}: "
    context = getattr(exc, "context", None)
    problem = getattr(exc, "problem", None) or _first_line(exc)
    return CliError(f"{where}not valid YAML: {context + ': ' if context else ''}{problem}")


def _said(exc: BaseException) -> CliError:
    """Errors of our own whose text already names what and where."""
    return CliError(_first_line(exc) if "\n" not in str(exc) else str(exc).strip())


def _vim(exc: BaseException) -> CliError:
    name = getattr(exc, "vim", "")
    status = getattr(exc, "status", None)
    if status in (401, 403):
        hint = f"check VIM {name}'s credentials and rights (nfvo vim show {name})"
    else:
        hint = f"is VIM {name} reachable from here? (nfvo vim show {name})"
    return CliError(_first_line(exc), hint)


def _timeout(exc: BaseException) -> CliError:
    text = str(exc).strip()
    return CliError(
        f"timed out{': ' + text if text else ''}", "raise --timeout, or check the server's log"
    )


Explainer = Callable[[BaseException], CliError]

#: Qualified class name -> how to say it; a class not listed is looked up by its bases.
EXPLAINERS: dict[str, Explainer] = {
    "redis.exceptions.AuthenticationError": _redis_refused,
    "redis.exceptions.AuthenticationWrongNumberOfArgsError": _redis_refused,
    "redis.exceptions.ConnectionError": _redis_unreachable,
    "redis.exceptions.TimeoutError": _redis_unreachable,
    "aiohttp.client_exceptions.ClientConnectorError": _http_unreachable,
    "aiohttp.client_exceptions.ClientError": _said,
    "nfvo.store.errors.StoreError": _said,
    "nfvo.sol.problems.ApiError": _said,
    "nfvo.store.embedded.EmbeddedRedisError": _said,
    "nfvo.vim.errors.VimError": _vim,
    "nfvo.vim.inventory.InventoryError": _said,
    "nfvo.placement.requests.RequestError": _said,
    "descriptors.problems.DescriptorError": _descriptor,
    "yaml.error.YAMLError": _yaml,
    "builtins.OSError": _os_error,
    "builtins.TimeoutError": _timeout,
}


def explain(exc: BaseException) -> CliError | None:
    """What to tell the operator about ``exc``, or None if nobody knows (a bug)."""
    if isinstance(exc, CliError):
        return exc
    if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        return explain(exc.exceptions[0])
    for cls in type(exc).__mro__:
        explainer = EXPLAINERS.get(f"{cls.__module__}.{cls.__qualname__}")
        if explainer is not None:
            return explainer(exc)
    return None


@contextmanager
def reported(verbosity: Callable[[], int]) -> Iterator[None]:
    """Run a command; any failure leaves as a :class:`click.ClickException` (one or two
    lines, non-zero exit). ``verbosity()`` of 2 or more (``-vv``) also prints the
    traceback of an internal error."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
        raise
    except KeyboardInterrupt:
        raise CliError("interrupted", exit_code=INTERRUPTED_EXIT) from None
    except BrokenPipeError:
        # The reader went away (``| head``): nothing more to say, and nobody to say it
        # to; stdout goes to /dev/null so that closing it at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None
    except Exception as exc:
        said = explain(exc)
        if said is not None:
            raise said from None
        if verbosity() >= 2:
            traceback.print_exc()
        raise CliError(
            f"internal error: {type(exc).__name__}: {_first_line(exc)}",
            "this is a bug of nfvo: run again with -vv for where it happened, and report it",
            exit_code=INTERNAL_EXIT,
        ) from None
