"""One output convention: records as a table, JSON or YAML; progress on stderr."""

from __future__ import annotations

import orjson
import pytest
import yaml

from nfvo.cli.output import Column, render
from nfvo.cli.progress import Status, human_bytes

RECORDS = [
    {"name": "lab", "admin": True, "cloud": {"auth": {"auth_url": "http://k/v3"}}},
    {"name": "edge", "admin": False, "cloud": {"auth": {"auth_url": "http://e/v3"}}},
]
COLUMNS = [Column("NAME", "name"), Column("ADMIN", "admin"), Column("URL", "cloud.auth.auth_url")]


def test_records_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    render(RECORDS, COLUMNS, "table")
    assert capsys.readouterr().out.splitlines() == [
        "NAME  ADMIN  URL",
        "lab   yes    http://k/v3",
        "edge  no     http://e/v3",
    ]


def test_one_record_as_a_table_of_its_attributes(capsys: pytest.CaptureFixture[str]) -> None:
    render(RECORDS[0], (), "table")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["FIELD", "VALUE"] and lines[1].split() == ["name", "lab"]
    assert lines[3].split(maxsplit=1) == ["cloud", '{"auth":{"auth_url":"http://k/v3"}}']


@pytest.mark.parametrize(("output", "parse"), [("json", orjson.loads), ("yaml", yaml.safe_load)])
def test_machines_get_every_attribute(
    output: str, parse: object, capsys: pytest.CaptureFixture[str]
) -> None:
    render(RECORDS, COLUMNS, output)
    assert parse(capsys.readouterr().out) == RECORDS  # type: ignore[operator]


def test_a_wait_off_a_terminal_says_each_step_once(capsys: pytest.CaptureFixture[str]) -> None:
    status = Status("amf.csar")
    for step in ("PROCESSING", "PROCESSING", "ONBOARDED"):
        status.show(step)
    status.done()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == ["amf.csar: PROCESSING", "amf.csar: ONBOARDED"]
    assert human_bytes(512) == "512 B" and human_bytes(3 * 2**30) == "3.0 GiB"
