"""Notification delivery: at least once, in order per subscription, never blocked by
a dead subscriber, surviving a restart.

Each subscription has a queue in Redis (``Keyspace.queue("notifications", ...)``),
bounded by ``queue_length``: one more notification is recorded as a dead letter
instead, so a dead subscriber holds bounded memory and costs a publisher nothing.
The set ``Keyspace.queues("notifications")`` names the queues holding work; both are
written in one script, so a queue never holds work without being named there.

One task per subscription delivers its queue's head, retries it with exponential
backoff up to ``max_attempts``, and only then removes it (delivered, or recorded as a
dead letter): a crash between the POST and the removal means the subscriber gets it
twice, never not at all. A task holds a lease on its subscription, so several
delivering processes never deliver one queue out of order. Publishers in other
processes (workers) are noticed by polling the set every ``poll_interval``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import redis.asyncio as aioredis
from pydantic import BaseModel
from redis.exceptions import RedisError

from nfvo.config import Settings
from nfvo.log import redact_text
from nfvo.sol.callbacks import CallbackClient, CallbackError, SubscriptionAuthentication
from nfvo.store.errors import StoreUnavailable
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository
from nfvo.store.resources import ResourceKey
from nfvo.store.secrets import SecretBox
from nfvo.store.tasks import cancel_and_wait, sleep_unless, until_stopped

log = logging.getLogger("nfvo.sol.notifications")

QUEUE = "notifications"
DEAD_LETTERS = "notification-dead-letter"
Matches = Callable[[Mapping[str, Any]], bool]

_ENQUEUE = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
"""
_IDLE = """
if redis.call('LLEN', KEYS[1]) > 0 then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
return 1
"""
_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
"""


@dataclass(frozen=True)
class SubscriptionApi:
    """The subscriptions of one API: ``name`` (``vnfpkgm``), where it is mounted, the
    filter model and the notification types its subscribers may ask for."""

    name: str
    api_root: str  # "/vnfpkgm/v2": the prefix of every _links href
    notification_types: frozenset[str]
    filter_model: type[BaseModel] | None = None
    read_scope: str = ""
    write_scope: str = ""

    @property
    def kind(self) -> str:
        return f"subscription-{self.name}"


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    base: float = 0.5  # seconds before the second attempt; doubles each time
    cap: float = 60.0
    queue_length: int = 1000
    lease_seconds: float = 15.0
    poll_interval: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(
            max_attempts=settings.notification_max_attempts,
            queue_length=settings.notification_queue_length,
        )

    def backoff(self, attempt: int) -> float:
        delay = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return float(delay * random.uniform(0.75, 1.0))  # jitter, so retries do not align


@dataclass
class _Member:
    kind: str
    id: str

    @classmethod
    def parse(cls, text: str) -> _Member:
        kind, _, id_ = text.partition("/")
        return cls(kind, id_)

    def __str__(self) -> str:
        return f"{self.kind}/{self.id}"


@dataclass
class Notifier:
    """Publishes notifications into subscription queues and delivers them."""

    redis: aioredis.Redis
    keyspace: Keyspace
    client: CallbackClient
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    # Seals subscribers' credentials at rest; a notifier that only publishes (a job's)
    # never reads or writes them and has none.
    box: SecretBox | None = field(default=None, kw_only=True)
    _repositories: dict[str, Repository] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _supervisor: asyncio.Task[None] | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _holder: str = field(default_factory=lambda: uuid.uuid4().hex)

    def __post_init__(self) -> None:
        self._enqueue = self.redis.register_script(_ENQUEUE)
        self._idle = self.redis.register_script(_IDLE)
        self._renew = self.redis.register_script(_RENEW)
        self.dead_letters = Repository(
            self.redis, self.keyspace, DEAD_LETTERS, indexed=("subscriptionId", "owner")
        )

    def seal_authentication(self, auth: SubscriptionAuthentication | None) -> str | None:
        """What a subscription document stores of ``auth``: sealed, never in clear."""
        if auth is None:
            return None
        return self._box().seal(auth.model_dump_json(by_alias=True))

    def open_authentication(
        self, subscription: Mapping[str, Any]
    ) -> SubscriptionAuthentication | None:
        sealed = subscription.get("authentication")
        if not sealed:
            return None
        return SubscriptionAuthentication.model_validate_json(self._box().open(sealed))

    def _box(self) -> SecretBox:
        if self.box is None:
            raise RuntimeError("this notifier only publishes: it has no SecretBox")
        return self.box

    def repository(self, kind: str) -> Repository:
        if kind not in self._repositories:
            self._repositories[kind] = Repository(
                self.redis, self.keyspace, kind, indexed=("owner", "identity")
            )
        return self._repositories[kind]

    # -- publishing ---------------------------------------------------------------

    async def publish_notification(
        self,
        api: SubscriptionApi,
        notification_type: str,
        body: Mapping[str, Any],
        *,
        matches: Matches | None = None,
        owner: str | None = None,
    ) -> int:
        """Queue ``body`` for every subscription of ``api`` that wants it; how many.

        ``matches(filter)`` decides on the API's own filter attributes (the
        ``notificationTypes`` attribute is checked here); ``owner`` limits delivery
        to the project the notified resource belongs to.
        """
        repository, cursor, queued = self.repository(api.kind), None, 0
        while True:
            where = ("owner", owner) if owner is not None else None
            page = await repository.list(where=where, limit=500, cursor=cursor)
            for item in page.items:
                if _wanted(item.document.get("filter"), notification_type, matches):
                    queued += await self._queue(api, item.document, notification_type, body)
            if page.cursor is None:
                break
            cursor = page.cursor
        self._wake.set()
        return queued

    async def _queue(
        self,
        api: SubscriptionApi,
        subscription: Mapping[str, Any],
        notification_type: str,
        body: Mapping[str, Any],
    ) -> int:
        href = f"{api.api_root}/subscriptions/{subscription['id']}"
        links = {**body.get("_links", {}), "subscription": {"href": href}}
        notification = {**body, "subscriptionId": subscription["id"], "_links": links}
        entry = orjson.dumps({"type": notification_type, "body": notification})
        member = _Member(api.kind, subscription["id"])
        keys = [self.keyspace.queue(QUEUE, subscription["id"]), self.keyspace.queues(QUEUE)]
        added = await self._enqueue(keys=keys, args=[self.policy.queue_length, entry, str(member)])
        if not added:
            await self._dead_letter(subscription, entry, 0, "the subscription's queue is full")
        return int(added)

    # -- delivering ---------------------------------------------------------------

    async def start(self) -> None:
        if self._supervisor is None:
            self._stopping.clear()
            self._supervisor = asyncio.create_task(self._supervise(), name="notifications")

    async def stop(self) -> None:
        """Stop delivering, in bounded time; what is queued stays queued for the next start."""
        self._stopping.set()  # the supervisor ends even if a cancellation were lost
        self._wake.set()
        await cancel_and_wait([self._supervisor, *self._tasks.values()])
        self._supervisor = None
        self._tasks.clear()
        await self.client.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set: a service for the runtime's supervisor."""
        await self.start()
        try:
            await until_stopped(stop, self._supervisor)
        finally:
            await self.stop()

    async def forget(self, subscription_id: str) -> None:
        """A deleted subscription's queue goes too (its task ends on its next look)."""
        await self.redis.delete(self.keyspace.queue(QUEUE, subscription_id))

    async def _supervise(self) -> None:
        while not self._stopping.is_set():
            try:
                members = await self.redis.smembers(self.keyspace.queues(QUEUE))
            except RedisError as error:
                log.warning("notification queues unreadable", extra={"error": str(error)})
                members = set()
            for raw in members:
                text = raw.decode() if isinstance(raw, bytes) else str(raw)
                task = self._tasks.get(text)
                if task is None or task.done():
                    self._tasks[text] = asyncio.create_task(self._drain(_Member.parse(text)))
            await sleep_unless(self._wake, self.policy.poll_interval)
            self._wake.clear()

    async def _lease(self, member: _Member, milliseconds: int) -> bool:
        key = self.keyspace.lease(QUEUE, member.id)
        if milliseconds and await self.redis.set(key, self._holder, nx=True, px=milliseconds):
            return True
        return bool(await self._renew(keys=[key], args=[self._holder, milliseconds]))

    async def _drain(self, member: _Member) -> None:
        """Deliver one subscription's queue, head first, until it is empty."""
        lease_ms = int(self.policy.lease_seconds * 1000)
        if not await self._lease(member, lease_ms):
            return  # another process delivers this subscription
        queue = self.keyspace.queue(QUEUE, member.id)
        try:
            while await self._lease(member, lease_ms):
                head = await self.redis.lindex(queue, 0)
                if head is None:
                    if await self._idle(
                        keys=[queue, self.keyspace.queues(QUEUE)], args=[str(member)]
                    ):
                        return
                    continue
                subscription = await self.repository(member.kind).find(member.id)
                if subscription is None:
                    await self.forget(member.id)  # deleted meanwhile: nothing to deliver to
                    continue
                entry = head if isinstance(head, bytes) else str(head).encode()
                await self._deliver(subscription.document, entry, member, lease_ms)
                await self.redis.lpop(queue)
        except (RedisError, StoreUnavailable) as error:
            log.warning("notification delivery paused", extra={"error": str(error)})
        except Exception:
            # The task's boundary: a bug here must be seen, and must not end delivery
            # for good (the supervisor starts the queue's task again on its next look).
            log.exception("notification delivery failed", extra={"subscription": member.id})
        finally:
            # Shielded, so a stop does not cut the release short; bounded, so a Redis
            # that does not answer cannot hold the stop (the lease then lapses by itself).
            with contextlib.suppress(RedisError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await asyncio.shield(self._lease(member, 0))

    async def _deliver(
        self, subscription: Mapping[str, Any], entry: bytes, member: _Member, lease_ms: int
    ) -> None:
        body = orjson.dumps(orjson.loads(entry)["body"])
        auth = self.open_authentication(subscription)
        reason = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                await self.client.post(subscription["callbackUri"], body, auth)
                return
            except CallbackError as error:
                reason = error.reason
            if attempt < self.policy.max_attempts:
                await self._wait_holding(member, self.policy.backoff(attempt), lease_ms)
                if await self.repository(member.kind).find(member.id) is None:
                    return  # unsubscribed while we waited: nobody to retry for
        await self._dead_letter(subscription, entry, self.policy.max_attempts, reason)

    async def _wait_holding(self, member: _Member, delay: float, lease_ms: int) -> None:
        """Sleep ``delay`` while renewing the lease, so a long backoff keeps the queue."""
        loop = asyncio.get_running_loop()
        until = loop.time() + delay
        while (left := until - loop.time()) > 0:
            await asyncio.sleep(min(left, lease_ms / 3000))
            await self._lease(member, lease_ms)

    async def _dead_letter(
        self, subscription: Mapping[str, Any], entry: bytes, attempts: int, reason: str
    ) -> None:
        record = {
            "id": uuid.uuid4().hex,
            "subscriptionId": subscription["id"],
            "owner": subscription.get("owner"),
            "callbackUri": redact_text(subscription["callbackUri"]),
            "notification": orjson.loads(entry),
            "attempts": attempts,
            "reason": reason,
            "time": datetime.now(UTC).isoformat(),
        }
        await self.dead_letters.create(record["id"], record)
        log.warning(
            "notification dead-lettered",
            extra={"subscription": subscription["id"], "reason": reason, "attempts": attempts},
        )


def _wanted(flt: Any, notification_type: str, matches: Matches | None) -> bool:
    if not isinstance(flt, Mapping):
        return True  # no filter: every notification
    types = flt.get("notificationTypes")
    if types and notification_type not in types:
        return False
    return matches is None or matches(flt)


NOTIFIER: ResourceKey[Notifier] = ResourceKey("notifier", Notifier)
