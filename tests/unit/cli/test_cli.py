from pathlib import Path

import orjson
import pytest
import redis as redis_lib
from click.testing import CliRunner

from nfvo.cli.main import cli
from nfvo.config import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NFVO_CONFIG", raising=False)


def test_subcommands_are_discovered() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "config" in result.output and "demo" in result.output


def test_config_show_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NFVO_API_PORT", "9191")
    result = CliRunner().invoke(cli, ["config", "show", "-o", "json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["api_port"] == 9191


def test_bad_configuration_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NFVO_API_PORT", "x")
    result = CliRunner().invoke(cli, ["config", "show"])
    assert result.exit_code == 2
    assert "configuration: api_port" in result.output
    assert "Traceback" not in result.output


def upf_row(output: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.startswith("upf-0 "))


def test_demo_runs_on_embedded_defaults(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, tmp_path: Path
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    result = CliRunner().invoke(cli, ["demo", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "answers PING: True" in result.output
    assert "read back" in result.output
    assert "vfs_per_physnet" in result.output
    assert "5gc-sa         nsd   1.0.0    9 VNF profiles  valid" in result.output
    assert "VDU upf: 8 vCPU, 16 GiB, 20 GB disk, dedicated CPUs" in result.output
    offline, live = result.output.split("around what already runs there")
    # The pinned CPUs another team's server holds on cell 0 send the UPF to cell 1.
    assert "another team's workload booted: 20 pinned vCPUs, 32 GiB on compute-01" in live
    assert "1 server(s) counted" in live
    assert upf_row(offline)[3:6] == ["compute-01", "az-1", "0"]
    assert upf_row(live)[3:6] == ["compute-01", "az-1", "1"]
    assert (tmp_path / "placement-lab-live.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "placement-lab.png").read_bytes().startswith(b"\x89PNG")
    onboarded = [line for line in result.output.splitlines() if "ONBOARDED" in line]
    assert len(onboarded) == 20  # as each ends, then listed through the API
    assert any(line.split()[0] == "5gc-sa" for line in onboarded)
    vendor = "signed by CN=nfvo demo 5G-core vendor,O=nfvo demo"
    assert sum(line.endswith(vendor) for line in onboarded) == 10  # as each ends
    assert f"{vendor} (option 2)" in offline and f"{vendor} (option 1)" in offline
    assert "GET /vnfpkgm/v2/vnf_packages: 9 entries" in result.output
    leftovers = redis_lib.Redis.from_url(redis_url).keys(f"{Settings().key_prefix}-demo-*")
    assert leftovers == []  # the demo's server left a shared Redis as it found it
