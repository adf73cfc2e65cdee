from datetime import UTC, datetime

from nfvo.vim.events import convert, from_host_monitor, from_nova
from nfvo.vim.notifications import HostNotification, NovaNotification


def nova(event_type: str, data: dict[str, object], message_id: str = "m-1") -> NovaNotification:
    return NovaNotification(
        message_id=message_id,
        publisher_id="nova-compute:compute-01",
        event_type=event_type,
        priority="INFO",
        timestamp="2026-11-28 03:27:36.123456",
        payload={
            "nova_object.name": "InstanceUpdatePayload",
            "nova_object.namespace": "nova",
            "nova_object.version": "2.0",
            "nova_object.data": data,
        },
    )


def test_instance_update_carries_old_and_new_state() -> None:
    event = from_nova(
        "lab",
        nova(
            "instance.update",
            {
                "uuid": "s1",
                "state": "active",
                "host": "compute-01",
                "tags": ["nfvo"],
                "state_update": {"nova_object.data": {"old_state": "building", "state": "active"}},
            },
        ),
    )
    assert event is not None
    assert (event.type, event.subject, event.source) == (
        "vim.server.updated",
        "servers/s1",
        "vim/lab/nova",
    )
    assert event.data["old_state"] == "building" and event.data["new_state"] == "active"
    assert event.data["tags"] == ["nfvo"]
    assert event.time == datetime(2026, 11, 28, 3, 27, 36, 123456, tzinfo=UTC)


def test_the_same_notification_gives_the_same_event_id() -> None:
    first = from_nova("lab", nova("instance.create.end", {"uuid": "s1"}))
    again = from_nova("lab", nova("instance.create.end", {"uuid": "s1"}))
    other = from_nova("lab", nova("instance.create.end", {"uuid": "s1"}, message_id="m-2"))
    assert first is not None and again is not None and other is not None
    assert first.id == again.id != other.id


def test_compute_service_updates_and_ignored_types() -> None:
    event = from_nova(
        "lab",
        nova(
            "service.update", {"binary": "nova-compute", "host": "compute-02", "forced_down": True}
        ),
    )
    assert event is not None and event.type == "vim.service.changed"
    assert event.data["forced_down"] is True
    assert from_nova("lab", nova("service.update", {"binary": "nova-scheduler"})) is None
    assert from_nova("lab", nova("aggregate.create.end", {"uuid": "a"})) is None


def test_host_monitor_failure_and_recovery() -> None:
    stopped = HostNotification(
        type="COMPUTE_HOST",
        hostname="compute-03",
        generated_time="2026-11-28T03:30:00.000000",
        payload={"event": "STOPPED", "cluster_status": "OFFLINE", "host_status": "NORMAL"},
    )
    event = convert("lab", stopped)
    assert event is not None
    assert (event.type, event.subject) == ("vim.host.failed", "hosts/compute-03")
    started = stopped.model_copy(
        update={"payload": {"event": "STARTED", "cluster_status": "ONLINE"}}
    )
    recovered = from_host_monitor("lab", started)
    assert recovered is not None and recovered.type == "vim.host.recovered"
    assert from_host_monitor("lab", stopped.model_copy(update={"type": "VM"})) is None
