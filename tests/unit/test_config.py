import re
from pathlib import Path

import pytest

from nfvo.config import Settings, load_settings, unknown_variables

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ["REDIS_URL", "NFVO_REDIS_URL", "NFVO_CONFIG", "NFVO_API_PORT", "NFVO_LOG_LEVEL"]:
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert settings.redis_url is None
    assert settings.effective_blob_dir == settings.data_dir / "blobs"


def test_redis_url_answers_to_both_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://plain:1/0")
    assert load_settings().redis_url == "redis://plain:1/0"
    monkeypatch.setenv("NFVO_REDIS_URL", "redis://ours:1/0")
    assert load_settings().redis_url == "redis://ours:1/0"


def test_file_then_environment_then_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "nfvo.yaml"
    config.write_text("api_port: 8001\nlog_level: INFO\nredis_url: redis://file:1/0\n")
    settings = load_settings(config)
    assert (settings.api_port, settings.log_level, settings.redis_url) == (
        8001,
        "INFO",
        "redis://file:1/0",
    )
    monkeypatch.setenv("NFVO_API_PORT", "8002")
    assert load_settings(config).api_port == 8002
    assert load_settings(config, api_port=8003).api_port == 8003
    monkeypatch.setenv("NFVO_CONFIG", str(config))
    assert load_settings().log_level == "INFO"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("api_port: 0\n", "api_port"),
        ("colour: blue\n", "unknown settings colour"),
        ("- a\n", "must hold a mapping"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "nfvo.yaml"
    config.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_settings(config)


def test_bad_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NFVO_API_PORT", "many")
    with pytest.raises(ValueError, match="api_port"):
        load_settings()


def test_secrets_are_masked_for_display() -> None:
    shown = load_settings(admin_password="hunter2-hunter2-hunter2").redacted()
    assert shown["admin_password"] == "**********"
    assert "hunter2" not in str(shown)


def test_docs_list_every_setting() -> None:
    documented = set(
        re.findall(r"^\| `(\w+)` \|", (REPO / "docs/configuration.md").read_text(), re.M)
    )
    assert documented == set(Settings.model_fields)


def test_unknown_variables_are_named_with_the_nearest_setting() -> None:
    environ = {"NFVO_API_PROT": "1", "NFVO_API_PORT": "2", "NFVO_CONFIG": "x", "NFVO_ZZZ": "3"}
    assert unknown_variables(environ) == [
        "NFVO_API_PROT is not a setting and is ignored; did you mean NFVO_API_PORT?",
        "NFVO_ZZZ is not a setting and is ignored",
    ]
