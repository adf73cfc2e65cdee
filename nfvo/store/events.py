"""The one event envelope every stream carries, and the streams that carry it.

Whatever produced it (a Nova notification converted by ``nfvo.vim``, an occurrence's
state transition, an alarm), an event is ``id, source, type, time, subject, data``,
close to CloudEvents so that it reads naturally to anyone who has seen one. On a
Redis stream it is one entry with one field ``event`` holding the envelope's JSON.
Consumers re-read the resource an event names, so duplicates and reordering are
harmless; the envelope's ``id`` lets them notice a duplicate cheaply.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self, cast

import orjson
import redis.asyncio as aioredis
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from nfvo.store.consumers import Write
from nfvo.store.keys import Keyspace

EVENT_FIELD = "event"


class EventStream(StrEnum):
    """The project's own streams (``Keyspace.stream(name)``)."""

    VIM = "vim-events"  # the cloud's view: servers, hosts, services
    LCM = "lcm-events"  # operation-occurrence transitions (NS and VNF)
    CATALOG = "catalog-events"  # package and descriptor onboarding
    ALARMS = "alarms"  # raised, changed and cleared alarms
    AUDIT = "audit"  # every state-changing request
    AUTH_FAILURES = "auth-failures"  # refused token requests, apart so floods stay there


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """The envelope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str = Field(description="Who says so: 'vim/<name>/nova', 'nfvo/lcm', ...")
    type: str = Field(description="Dotted and past tense: 'vim.server.state_changed'.")
    time: AwareDatetime = Field(default_factory=_now)
    subject: str = Field(description="What it is about: 'servers/<id>', 'ns_instances/<id>'.")
    data: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        return cls.model_validate(orjson.loads(raw))

    def to_entry(self) -> dict[str, bytes]:
        return {EVENT_FIELD: self.to_json()}

    @classmethod
    def from_entry(cls, fields: Mapping[bytes, bytes]) -> Self:
        raw = fields.get(EVENT_FIELD.encode())
        if raw is None:
            raise ValueError(f"stream entry has no {EVENT_FIELD!r} field")
        return cls.from_json(raw)


def publication(
    keyspace: Keyspace, stream: EventStream, event: Event, *, max_length: int = 100_000
) -> Write:
    """The write appending ``event``, the stream trimmed (approximately) to ``max_length``
    entries: a consumer group's handler returns it to publish once (``consumers``)."""
    key = keyspace.stream(stream.value)
    return Write("XADD", key, "MAXLEN", "~", max_length, "*", EVENT_FIELD, event.to_json())


async def publish(
    redis: aioredis.Redis,
    keyspace: Keyspace,
    stream: EventStream,
    event: Event,
    *,
    max_length: int = 100_000,
) -> str:
    """Append ``event`` now (see :func:`publication`); its entry id."""
    entry_id = await publication(keyspace, stream, event, max_length=max_length).apply(redis)
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


async def read_all(
    redis: aioredis.Redis, keyspace: Keyspace, stream: EventStream, count: int = 1000
) -> list[Event]:
    """The oldest ``count`` events of a stream (for tools and tests, not for consumers)."""
    entries = await redis.xrange(keyspace.stream(stream.value), count=count)
    return [
        Event.from_entry(cast(dict[bytes, bytes], fields)) for _entry_id, fields in entries or []
    ]
