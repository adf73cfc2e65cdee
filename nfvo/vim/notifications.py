"""The VIM notification streams: what a cloud publishes, as it publishes it.

The OpenStack simulator (or, on a real cloud, a small bridge from its message bus)
writes each notification to a Redis stream as one entry with a single field
``message``. The simulator shares no code with us, so this layout is fixed in
``docs/events.md`` and ``docs/schemas/vim-notifications.v1.schema.json``, and both
sides are tested against that schema.

Streams, under a prefix (``openstack`` by default):

- ``{prefix}:versioned_notifications.info`` and ``...error``: Nova versioned
  notifications wrapped in oslo.messaging's 2.0 envelope
  (``{"oslo.version": "2.0", "oslo.message": "<json>"}``), as on the bus.
- ``{prefix}:host_notifications``: Masakari host-monitor notifications, the body it
  POSTs to Masakari's API (``{"notification": {"type": "COMPUTE_HOST", ...}}``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict

DEFAULT_PREFIX = "openstack"
MESSAGE_FIELD = "message"


class VimTopic(StrEnum):
    """The stream suffixes: an oslo.messaging topic with its priority, or the host monitor."""

    NOVA_INFO = "versioned_notifications.info"
    NOVA_ERROR = "versioned_notifications.error"
    HOST_MONITOR = "host_notifications"


def stream_key(topic: VimTopic, prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}:{topic.value}"


class NotificationFormatError(ValueError):
    """A stream entry that is not laid out as docs/events.md says."""


class NovaNotification(BaseModel):
    """A Nova versioned notification (the inner oslo message)."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    publisher_id: str
    event_type: str
    priority: str
    timestamp: str
    payload: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        """The payload's ``nova_object.data``."""
        data = self.payload.get("nova_object.data", {})
        return data if isinstance(data, dict) else {}


class HostNotification(BaseModel):
    """A Masakari host-monitor notification."""

    model_config = ConfigDict(frozen=True)

    type: str
    hostname: str
    generated_time: str
    payload: dict[str, Any]


def encode_nova(notification: NovaNotification) -> dict[str, bytes]:
    """The stream entry for a Nova notification, wrapped as oslo.messaging does."""
    inner = orjson.dumps(notification.model_dump()).decode()
    return {MESSAGE_FIELD: orjson.dumps({"oslo.version": "2.0", "oslo.message": inner})}


def encode_host(notification: HostNotification) -> dict[str, bytes]:
    return {MESSAGE_FIELD: orjson.dumps({"notification": notification.model_dump()})}


def decode_entry(
    topic: VimTopic, fields: dict[bytes, bytes] | dict[str, str]
) -> NovaNotification | HostNotification:
    """Parse one stream entry of ``topic``; raises NotificationFormatError if malformed."""
    raw = fields.get(MESSAGE_FIELD) or fields.get(MESSAGE_FIELD.encode())  # type: ignore[call-overload]
    if raw is None:
        raise NotificationFormatError(f"entry has no {MESSAGE_FIELD!r} field")
    try:
        body = orjson.loads(raw)
        if topic is VimTopic.HOST_MONITOR:
            return HostNotification.model_validate(body["notification"])
        if body.get("oslo.version") != "2.0":
            raise NotificationFormatError("not an oslo.messaging 2.0 envelope")
        return NovaNotification.model_validate(orjson.loads(body["oslo.message"]))
    except NotificationFormatError:
        raise
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise NotificationFormatError(f"malformed {topic.value} entry: {exc}") from exc
