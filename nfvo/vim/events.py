"""VIM notifications -> the project's event envelope.

Converters take what a cloud says (Nova versioned notifications, the host monitor's
notifications) and give one :class:`~nfvo.store.events.Event`, or None for what the
orchestrator does not care about. The event id derives from the notification's own
id, so converting a redelivered notification yields the same event id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from nfvo.store.events import Event
from nfvo.vim.notifications import HostNotification, NovaNotification

_NAMESPACE = uuid.UUID("6f1f4f0e-3c1b-4f7e-9a52-8c1d2b7e4a10")

# Nova event types -> ours. instance.update carries state changes of every kind.
SERVER_EVENTS = {
    "instance.create.start": "vim.server.creating",
    "instance.create.end": "vim.server.created",
    "instance.create.error": "vim.server.create_failed",
    "instance.update": "vim.server.updated",
    "instance.delete.start": "vim.server.deleting",
    "instance.delete.end": "vim.server.deleted",
    "instance.reboot.start": "vim.server.rebooting",
    "instance.reboot.end": "vim.server.rebooted",
    "instance.power_off.start": "vim.server.powering_off",
    "instance.power_off.end": "vim.server.powered_off",
    "instance.power_on.start": "vim.server.powering_on",
    "instance.power_on.end": "vim.server.powered_on",
    "instance.shutdown.end": "vim.server.shut_down",
    "instance.rebuild.end": "vim.server.rebuilt",
}


def _event_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def _oslo_time(text: str) -> datetime:
    # oslo writes "2026-11-28 03:27:36.123456" (UTC, no zone); ISO forms also occur.
    parsed = datetime.fromisoformat(text.replace(" ", "T").removesuffix("Z"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _server_data(data: dict[str, Any]) -> dict[str, Any]:
    fields = ("state", "task_state", "power_state", "host", "node", "availability_zone")
    result = {key: data.get(key) for key in fields if key in data}
    result["tags"] = list(data.get("tags") or [])
    fault = data.get("fault")
    if isinstance(fault, dict):
        result["fault"] = (fault.get("nova_object.data") or {}).get("exception_message")
    state_update = data.get("state_update")
    if isinstance(state_update, dict):
        update = state_update.get("nova_object.data") or {}
        result["old_state"] = update.get("old_state")
        result["new_state"] = update.get("state")
    return result


def from_nova(vim: str, notification: NovaNotification) -> Event | None:
    data = notification.data
    common = {
        "id": _event_id(vim, notification.message_id),
        "time": _oslo_time(notification.timestamp),
    }
    if notification.event_type in SERVER_EVENTS and "uuid" in data:
        return Event(
            source=f"vim/{vim}/nova",
            type=SERVER_EVENTS[notification.event_type],
            subject=f"servers/{data['uuid']}",
            data=_server_data(data),
            **common,
        )
    if notification.event_type == "service.update" and data.get("binary") == "nova-compute":
        return Event(
            source=f"vim/{vim}/nova",
            type="vim.service.changed",
            subject=f"hosts/{data.get('host')}",
            data={
                key: data.get(key)
                for key in ("host", "disabled", "disabled_reason", "forced_down", "last_seen_up")
            },
            **common,
        )
    return None


def from_host_monitor(vim: str, notification: HostNotification) -> Event | None:
    if notification.type != "COMPUTE_HOST":
        return None
    event = str(notification.payload.get("event", "")).upper()
    kind = {"STOPPED": "vim.host.failed", "STARTED": "vim.host.recovered"}.get(event)
    if kind is None:
        return None
    return Event(
        id=_event_id(vim, notification.hostname, notification.generated_time, event),
        source=f"vim/{vim}/hostmonitor",
        type=kind,
        time=_oslo_time(notification.generated_time),
        subject=f"hosts/{notification.hostname}",
        data={
            "host": notification.hostname,
            "cluster_status": notification.payload.get("cluster_status"),
            "host_status": notification.payload.get("host_status"),
        },
    )


def convert(vim: str, notification: NovaNotification | HostNotification) -> Event | None:
    if isinstance(notification, NovaNotification):
        return from_nova(vim, notification)
    return from_host_monitor(vim, notification)
