"""One output convention for every command that prints data.

``-o/--output table|json|yaml`` (:data:`OUTPUT`): a table for people, JSON or YAML (both
indented, every attribute) for machines; data on stdout, progress and warnings on
stderr, so ``-o json | jq`` always reads clean JSON. :func:`render` prints a list of
records as rows under ``columns``, one record as a two-column table of its attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import click

FORMATS = ("table", "json", "yaml")

OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people; json or yaml (every attribute) for machines.",
)


@dataclass(frozen=True)
class Column:
    """A table column: its heading, and the record's key (dotted for nested values) or a
    function of the record."""

    heading: str
    value: str | Callable[[Mapping[str, Any]], Any]

    def of(self, record: Mapping[str, Any]) -> str:
        if callable(self.value):
            return cell(self.value(record))
        found: Any = record
        for part in self.value.split("."):
            found = found.get(part) if isinstance(found, Mapping) else None
        return cell(found)


def cell(value: Any) -> str:
    """A value as a table shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, Mapping):
        return dumps_json(value, indent=False)
    return str(value)


def dumps_json(data: Any, *, indent: bool = True) -> str:
    import orjson  # here: a table-only command need not load it

    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(data, option=option, default=str).decode()


def dumps_yaml(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip()


def table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned lines: the headings, then each row."""
    lines = [tuple(headings), *(tuple(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headings))]
    return [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]


def render(data: Any, columns: Sequence[str | Column], output: str) -> None:
    """Print ``data`` (records, or one record) as ``output`` says."""
    if output == "json":
        click.echo(dumps_json(data))
    elif output == "yaml":
        click.echo(dumps_yaml(data))
    elif isinstance(data, Mapping) and not columns:
        pairs = [(str(key), cell(value)) for key, value in data.items()]
        click.echo("\n".join(table(("FIELD", "VALUE"), pairs)))
    else:
        records = [data] if isinstance(data, Mapping) else list(data)
        spec = [c if isinstance(c, Column) else Column(c, c) for c in columns]
        rows = [[column.of(record) for column in spec] for record in records]
        click.echo("\n".join(table([c.heading for c in spec], rows)))
