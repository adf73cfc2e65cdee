"""The one place failures are said: known errors by their class (walking the bases),
anything else an internal error in one line, its traceback only with -vv."""

from __future__ import annotations

import click
import pytest
import yaml
from click.testing import CliRunner

from descriptors.problems import DescriptorError, Problem
from nfvo.cli.errors import INTERNAL_EXIT, CliError, explain, reported
from nfvo.cli.main import LazyGroup
from nfvo.store.errors import StoreNotFound


def test_errors_are_known_by_their_class_or_its_bases() -> None:
    missing = explain(FileNotFoundError(2, "No such file or directory", "/no/where"))
    assert missing is not None and missing.message == "/no/where: No such file or directory"
    assert missing.hint is not None and "check the path" in missing.hint
    stored = explain(StoreNotFound("no VIM named 'x' is registered"))  # a StoreError
    assert stored is not None and stored.message == "no VIM named 'x' is registered"
    problems = [Problem(message="bad", file="a.yaml", line=3)]
    package = explain(DescriptorError(problems))
    assert package is not None and "a.yaml:3: bad" in package.message
    assert explain(ValueError("who knows")) is None
    grouped = explain(ExceptionGroup("many", [PermissionError(13, "Permission denied", "/x")]))
    assert grouped is not None and grouped.message == "/x: Permission denied"


def test_yaml_errors_say_what_was_being_read() -> None:
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.safe_load("a: [1\nb: 2\n")
    said = explain(caught.value)
    assert said is not None and said.message.startswith("not valid YAML: while parsing")


def group_raising(exc: BaseException) -> click.Group:
    @click.group(cls=LazyGroup)
    @click.option("-v", "verbose", count=True)
    @click.pass_context
    def root(ctx: click.Context, verbose: int) -> None:
        from nfvo.cli.context import CliContext

        ctx.obj = CliContext(verbosity=verbose)

    @root.command("boom")
    def boom() -> None:
        raise exc

    root.list_commands = lambda ctx: ["boom"]  # type: ignore[method-assign]
    root.get_command = lambda ctx, name: boom if name == "boom" else None  # type: ignore[method-assign]
    return root


def test_an_unexpected_error_is_one_line_and_its_traceback_only_with_vv() -> None:
    root = group_raising(KeyError("surprise"))
    quiet = CliRunner().invoke(root, ["boom"])
    assert quiet.exit_code == INTERNAL_EXIT
    assert "Error: internal error: KeyError: 'surprise'" in quiet.output
    assert "run again with -vv" in quiet.output and "Traceback" not in quiet.output
    loud = CliRunner().invoke(root, ["-vv", "boom"])
    assert loud.exit_code == INTERNAL_EXIT and "Traceback" in loud.output


def test_known_errors_keep_their_exit_and_hint() -> None:
    said = CliRunner().invoke(group_raising(CliError("what failed", "what to do")), ["boom"])
    assert said.exit_code == 1
    assert said.output == "Error: what failed\n  what to do\n"
    interrupted = CliRunner().invoke(group_raising(KeyboardInterrupt()), ["boom"])
    assert interrupted.exit_code == 130 and "interrupted" in interrupted.output


def test_reported_lets_click_exits_through() -> None:
    with pytest.raises(click.exceptions.Exit), reported(lambda: 0):
        raise click.exceptions.Exit(0)
