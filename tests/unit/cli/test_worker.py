"""``nfvo worker`` refuses what it cannot run; the crash tests run it for real."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from nfvo.cli.main import cli


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NFVO_CONFIG", "NFVO_REDIS_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_a_worker_needs_a_shared_redis(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NFVO_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["worker"])
    assert result.exit_code == 1 and "needs the orchestrator's Redis" in result.output
    assert "start `nfvo serve`" in result.output and "redis_url" in result.output


def test_an_unimportable_plug_in_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NFVO_REDIS_URL", "redis://127.0.0.1:1")
    result = CliRunner().invoke(cli, ["worker", "--jobs", "no_such_module_here"])
    assert result.exit_code == 2 and "--jobs no_such_module_here" in result.output
    assert "Traceback" not in result.output


def test_a_plug_in_without_register_jobs_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NFVO_REDIS_URL", "redis://127.0.0.1:1")
    result = CliRunner().invoke(cli, ["worker", "--jobs", "json"])
    assert result.exit_code == 2 and "has no register_jobs(registry)" in result.output


def test_listed_in_help() -> None:
    result = CliRunner().invoke(cli, ["worker", "--help"])
    assert result.exit_code == 0 and "--lease-seconds" in result.output
