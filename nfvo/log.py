"""Structured logging whose handler redacts secrets itself.

Callers log as usual (``log.info("vim added", extra={"vim": name, "auth": auth})``);
the filter installed here masks passwords, tokens, client secrets and VIM credentials
in the message, its arguments and every extra field before any handler formats them,
so no call site can forget to.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

MASK = "***"

# Keys whose values are secrets wherever they appear (dicts, extras, key=value text).
SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|credential|api[_-]?key|private[_-]?key|"
    r"authorization|auth[_-]?key|cookie)",
    re.IGNORECASE,
)
# key=value, key: value, "key": "value" and Authorization headers in free text.
_SECRET_IN_TEXT = re.compile(
    r"""(?P<key>["']?[\w.-]*(?:pass(?:word|wd)?|secret|token|credential|api[_-]?key)[\w.-]*["']?)"""
    r"""(?P<sep>\s*[:=]\s*)(?P<value>"[^"]*"|'[^']*'|[^\s,;&}]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# The password of a URL's userinfo: redis://:PASSWORD@host, https://user:PASSWORD@host.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)[^@/?#\s]+@", re.I)

# Attributes every LogRecord has; anything else came from ``extra``.
_STANDARD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def redact(value: Any) -> Any:
    """A copy of ``value`` with secrets masked: mappings by key, text by pattern."""
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and SECRET_KEY.search(key) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(item) for item in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    def _mask(match: re.Match[str]) -> str:
        value = match.group("value")
        quote = value[0] if value[:1] in {'"', "'"} else ""
        return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"

    text = mask_url_password(text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", _SECRET_IN_TEXT.sub(_mask, text))


def mask_url_password(text: str) -> str:
    """``text`` with the password of every URL in it masked (the user name stays)."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message, arguments and extra fields, in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Redact the rendered message: masking the template alone would misalign its args.
        record.msg = redact_text(record.getMessage())
        record.args = None
        for key in set(record.__dict__) - _STANDARD_ATTRIBUTES:
            value = record.__dict__[key]
            record.__dict__[key] = MASK if SECRET_KEY.search(key) else redact(value)
        return True


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRIBUTES}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **extra_fields(record),
        }
        if record.exc_info:
            entry["exception"] = redact_text(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """Human-readable lines with extras appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = extra_fields(record)
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in sorted(extras.items()))
        return line

    def formatException(self, ei: Any) -> str:  # noqa: N802 (logging's name)
        return redact_text(super().formatException(ei))


def configure_logging(
    level: str = "WARNING", fmt: Literal["text", "json"] = "text", stream: Any = None
) -> logging.Handler:
    """Install one redacting handler on the root logger (replacing any earlier one)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.set_name("nfvo")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "nfvo"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler
