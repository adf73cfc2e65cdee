import io
import logging

import orjson
import pytest

from nfvo.log import MASK, configure_logging, redact, redact_text


@pytest.fixture
def captured() -> io.StringIO:
    return io.StringIO()


def logger_to(stream: io.StringIO, fmt: str) -> logging.Logger:
    configure_logging("DEBUG", fmt, stream=stream)  # type: ignore[arg-type]
    return logging.getLogger("nfvo.test")


def test_json_lines_with_extras_and_secrets_masked(captured: io.StringIO) -> None:
    log = logger_to(captured, "json")
    log.info(
        "vim %s added with password=%s",
        "lab",
        "s3cret",
        extra={"vim": "lab", "auth": {"username": "admin", "password": "s3cret"}, "token": "t0k"},
    )
    entry = orjson.loads(captured.getvalue().splitlines()[-1])
    assert entry["message"].startswith("vim lab added with password=")
    assert entry["auth"] == {"username": "admin", "password": MASK}
    assert entry["token"] == MASK
    assert "s3cret" not in captured.getvalue() and "t0k" not in captured.getvalue()


def test_text_format_masks_too(captured: io.StringIO) -> None:
    log = logger_to(captured, "text")
    log.warning("calling with Authorization: Bearer abc.def.ghi", extra={"client_secret": "x1"})
    line = captured.getvalue()
    assert "abc.def.ghi" not in line and "x1" not in line
    assert f"Bearer {MASK}" in line


def test_exceptions_are_masked(captured: io.StringIO) -> None:
    log = logger_to(captured, "json")
    try:
        raise RuntimeError('auth failed: {"password": "p4ss"}')
    except RuntimeError:
        log.exception("boom")
    assert "p4ss" not in captured.getvalue()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("password=abc", "abc"),
        ('"client_secret": "zz9"', "zz9"),
        ("os_password: pw1 next", "pw1"),
        ("api_key=K&x=1", "K"),
        ("Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ],
)
def test_redact_text(text: str, secret: str) -> None:
    assert secret not in redact_text(text)


def test_redact_leaves_ordinary_values() -> None:
    value = {"name": "upf", "ports": [{"vnic_type": "direct"}], "auth_url": "http://k/v3"}
    assert redact(value) == value
