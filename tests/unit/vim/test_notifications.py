"""The notification stream layout, checked against the schema the simulator also uses."""

import json
from pathlib import Path

import jsonschema
import orjson
import pytest
from referencing import Registry, Resource

from nfvo.vim.notifications import (
    HostNotification,
    NotificationFormatError,
    NovaNotification,
    VimTopic,
    decode_entry,
    encode_host,
    encode_nova,
    stream_key,
)

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[3] / "docs/schemas/vim-notifications.v1.schema.json"
    ).read_text()
)


def validate(document: object, definition: str | None = None) -> None:
    schema = SCHEMA if definition is None else {"$ref": f"{SCHEMA['$id']}#/$defs/{definition}"}
    registry = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))
    jsonschema.Draft202012Validator(schema, registry=registry).validate(document)


NOVA = NovaNotification(
    message_id="m1",
    publisher_id="nova-compute:compute-01",
    event_type="instance.create.end",
    priority="INFO",
    timestamp="2026-11-28 03:27:36.123456",
    payload={
        "nova_object.name": "InstanceCreatePayload",
        "nova_object.namespace": "nova",
        "nova_object.version": "1.12",
        "nova_object.data": {"uuid": "s1", "state": "active", "host": "compute-01"},
    },
)
HOST = HostNotification(
    type="COMPUTE_HOST",
    hostname="compute-01",
    generated_time="2026-11-28T03:27:36.123456",
    payload={"event": "STOPPED", "cluster_status": "OFFLINE", "host_status": "NORMAL"},
)


def test_stream_keys() -> None:
    assert stream_key(VimTopic.NOVA_INFO) == "openstack:versioned_notifications.info"
    assert stream_key(VimTopic.HOST_MONITOR, "lab") == "lab:host_notifications"


def test_nova_entry_is_an_oslo_envelope_matching_the_schema() -> None:
    entry = encode_nova(NOVA)
    validate({k: v.decode() for k, v in entry.items()})
    envelope = orjson.loads(entry["message"])
    validate(envelope, "oslo_envelope")
    validate(orjson.loads(envelope["oslo.message"]), "nova_notification")
    decoded = decode_entry(VimTopic.NOVA_INFO, {b"message": entry["message"]})
    assert decoded == NOVA
    assert isinstance(decoded, NovaNotification) and decoded.data["host"] == "compute-01"


def test_host_entry_is_masakari_shaped() -> None:
    entry = encode_host(HOST)
    validate(orjson.loads(entry["message"]), "masakari_notification")
    assert decode_entry(VimTopic.HOST_MONITOR, {"message": entry["message"].decode()}) == HOST


@pytest.mark.parametrize(
    ("topic", "fields", "message"),
    [
        (VimTopic.NOVA_INFO, {}, "no 'message' field"),
        (VimTopic.NOVA_INFO, {b"message": b"{"}, "malformed"),
        (VimTopic.NOVA_INFO, {b"message": b'{"oslo.version": "1.0"}'}, "oslo.messaging 2.0"),
        (
            VimTopic.NOVA_INFO,
            {b"message": b'{"oslo.version": "2.0", "oslo.message": "{}"}'},
            "malformed",
        ),
        (VimTopic.HOST_MONITOR, {b"message": b"{}"}, "malformed"),
    ],
)
def test_malformed_entries_are_refused(
    topic: VimTopic, fields: dict[bytes, bytes], message: str
) -> None:
    with pytest.raises(NotificationFormatError, match=message):
        decode_entry(topic, fields)
