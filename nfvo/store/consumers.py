"""Stream readers: every stream is read by one of two kinds.

- :class:`ConsumerGroup`, one consumer of a Redis consumer group: each entry goes to
  one consumer of the group, is handed to a handler and acknowledged only after the
  handler's effect is stored; entries a dead consumer left pending are taken over once
  idle for ``claim_idle_seconds``. Job workers and the VIM notification bridge read
  this way, and so will monitoring.
- :class:`Follower`, a fan-out tail from a position (plain XREAD): every follower sees
  every entry and nothing is acknowledged. Waits and live views read this way.

**Order.** A consumer reads up to ``count`` entries ahead and hands them on in stream
order, one at a time per key (``key(entry)``; without a key function, one at a time),
keys in parallel. Several consumers of one group split a stream between them, so
across consumers only the once-only contract below holds, not the order.

**Once only.** Delivery is at least once: a consumer that dies after its handler's
effect and before the acknowledgement has the entry handled again by another. A
handler that must have its effect happen once returns it as :class:`Write` commands
instead of writing itself: the reader applies them and acknowledges the entry in one
script, and only if the entry is still pending in the group, so a second handling of
the same entry (after a takeover, or by a consumer that was paused and wakes up) writes
nothing. What a handler writes itself is written at least once. A handler may instead
acknowledge the entry itself inside its own script (``acknowledged_by_handler``, as the
worker pool ends a job, acknowledges and drops its lease in one fenced write).

**Outages.** A dropped connection, a Redis restart or a Redis that does not answer
(within a read's own blocking time plus ``ANSWER_SECONDS``) is retried with a bounded,
jittered backoff; the outage is logged once when it starts and once when it ends, and
the reader carries on where it was. A group lost with Redis's data is created again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from nfvo.store.errors import TransientError
from nfvo.store.steps import Backoff
from nfvo.store.tasks import cancel_and_wait, sleep_unless

log = logging.getLogger(__name__)

ANSWER_SECONDS: Final = 5.0  # beyond a read's blocking time, before Redis counts as hung
# One blocking read blocks this long at most, well within the connections' socket timeout
# (nfvo.store.connection): a longer wait is several reads, not one that times out.
MAX_BLOCK_SECONDS: Final = 4.0
START: Final = "0-0"  # before every entry
NOW: Final = "$"  # after the newest entry, resolved to its id at the next read
OUTAGE_BACKOFF: Final = Backoff(base=0.1, cap=5.0, jitter=0.5)
FAULT_SECONDS: Final = 5.0  # after an unexpected error, before the loop tries again
# Redis unreachable, a dropped connection, a Redis that did not answer in time.
UNREACHABLE: Final = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)

# KEYS: the stream, then the key each write names. ARGV: group, entry id, then for each
# write its argument count, command name and arguments. The writes and the XACK happen
# only while the entry is pending: a second handling of it writes nothing.
_COMMIT = """
local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if type(pending) ~= 'table' or pending.err or #pending == 0 then return 0 end
local at = 3
for k = 2, #KEYS do
  local n = tonumber(ARGV[at])
  redis.call(ARGV[at + 1], KEYS[k], unpack(ARGV, at + 2, at + 1 + n))
  at = at + 2 + n
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


@dataclass(frozen=True)
class Entry:
    stream: str  # the stream's key
    id: str
    fields: Mapping[bytes, bytes]

    def text(self, name: str) -> str | None:
        value = self.fields.get(name.encode())
        return None if value is None else value.decode()


@dataclass(frozen=True, init=False)
class Write:
    """A Redis write, ``name key *arguments``, applied with an entry's acknowledgement."""

    name: str
    key: str
    arguments: tuple[str | bytes | int | float, ...]

    def __init__(self, name: str, key: str, *arguments: str | bytes | int | float) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "arguments", arguments)

    async def apply(self, redis: aioredis.Redis) -> Any:
        """The write alone, now (for a writer that reads no stream)."""
        return await redis.execute_command(  # type: ignore[no-untyped-call]
            self.name, self.key, *self.arguments
        )


Handler = Callable[[Entry], Awaitable[Sequence[Write] | None]]


class Outage:
    """Whether a reader's Redis answers: logged once as it stops, once as it answers
    again; the retries in between are paced by a bounded, jittered backoff."""

    def __init__(self, redis: aioredis.Redis, reader: str) -> None:
        self.reader = reader
        self.failures = 0
        self._redis = redis
        self._since = 0.0

    async def failed(self, error: BaseException) -> float:
        """Record a failed call; the seconds to wait before the next."""
        self.failures += 1
        if self.failures == 1:
            self._since = time.monotonic()
            log.warning(
                "%s: Redis unreachable (%s), retrying",
                self.reader,
                str(error) or type(error).__name__,
            )
            # The pool's idle connections went down with this one, and the client would
            # find that out one failed call at a time: they are opened afresh instead.
            with contextlib.suppress(*UNREACHABLE):
                async with asyncio.timeout(ANSWER_SECONDS):
                    await self._redis.connection_pool.disconnect(inuse_connections=False)
        return OUTAGE_BACKOFF.delay(self.failures)

    def ended(self) -> None:
        if self.failures:
            took = time.monotonic() - self._since
            log.warning("%s: Redis answers again after %.1fs", self.reader, took)
            self.failures = 0


class ConsumerGroup:
    """One consumer (``consumer``) of ``group`` over one or more streams."""

    def __init__(
        self,
        redis: aioredis.Redis,
        streams: str | Sequence[str],
        group: str,
        consumer: str,
        handler: Handler,
        *,
        key: Callable[[Entry], Hashable] | None = None,
        count: int = 100,
        block_seconds: float = 1.0,
        claim_idle_seconds: float = 30.0,
        acknowledged_by_handler: bool = False,
    ) -> None:
        if count < 1 or block_seconds <= 0 or claim_idle_seconds < 0:
            raise ValueError("a consumer holds at least one entry and blocks a positive time")
        self.streams = [streams] if isinstance(streams, str) else list(streams)
        self.group, self.consumer = group, consumer
        self.count, self.block_seconds = count, block_seconds
        self.claim_idle_seconds = claim_idle_seconds
        self.acknowledged_by_handler = acknowledged_by_handler
        self._redis, self._handler, self._key = redis, handler, key
        self._commit = redis.register_script(_COMMIT)
        self._outage = Outage(redis, f"consumer {consumer} of {group}")
        self._stopping = asyncio.Event()
        self._room = asyncio.Event()  # an entry was let go, or the reader stops
        self._held: set[tuple[str, str]] = set()  # read, not yet let go
        self._queues: dict[Hashable, deque[Entry]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._fetcher: asyncio.Task[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self._cursors = dict.fromkeys(self.streams, START)
        self._next_claim = 0.0
        # This consumer's own pending entries are read first: delivered before a
        # restart under the same name, or in a reply lost with its connection.
        self._recover = True
        self._group_missing = False

    @property
    def held(self) -> int:
        """Entries read and not yet let go (being handled or waiting behind their key)."""
        return len(self._held)

    async def ensure(self) -> None:
        """Create the group on every stream (and the stream), from its first entry."""
        for stream in self.streams:
            try:
                await self._redis.xgroup_create(stream, self.group, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def start(self) -> None:
        if self._fetcher is None:
            await self.ensure()
            self._reset()
            self._stopping.clear()
            self._fetcher = asyncio.create_task(self._fetch_forever(), name=self._outage.reader)

    async def stop(self, *, grace: float = 10.0) -> None:
        """Read nothing more; let what is being handled finish for ``grace`` seconds, then
        cancel it. Entries not acknowledged stay pending, for this consumer's next start
        or another's claim. A stop that is itself cancelled cancels everything at once."""
        self._stopping.set()
        self._room.set()
        try:
            if self._fetcher is not None:
                # A flag rather than a cancellation: a read cut off inside the Redis
                # client loses a reply whose entries Redis counts as delivered (they then
                # wait for a claim), so the fetcher finishes its short read and sees the
                # flag. Only a Redis that does not answer at all is cut off.
                await asyncio.wait([self._fetcher], timeout=self.block_seconds + 1.0)
                await cancel_and_wait([self._fetcher], within=2.0)
            if self._tasks and grace > 0:
                await asyncio.wait(self._tasks, timeout=grace)
            await cancel_and_wait(self._tasks, within=2.0)  # bounded under a hung Redis
        finally:
            for task in [self._fetcher, *self._tasks]:
                if task is not None:
                    task.cancel()  # a no-op for those that ended
            self._fetcher = None
            self._tasks.clear()
            self._queues.clear()
            self._held.clear()

    async def run(self, stop: asyncio.Event, *, grace: float = 10.0) -> None:
        """Consume until ``stop`` is set; cancelled, stop at once."""
        await self.start()
        try:
            await stop.wait()
        except asyncio.CancelledError:
            await self.stop(grace=0)
            raise
        await self.stop(grace=grace)

    async def pump(self) -> int:
        """Handle, in the caller's task, what is waiting now: this consumer's own pending
        entries, those idle past ``claim_idle_seconds``, then new ones (blocking up to
        ``block_seconds``); how many. Errors are raised, not retried."""
        handled = 0
        self._cursors = dict.fromkeys(self.streams, START)
        for take in (self._own_pending, self._claim, self._new):
            for entry in await take(self.count):
                await self._process(entry)
                handled += 1
        return handled

    async def acknowledge(self, entry: Entry) -> None:
        async with asyncio.timeout(ANSWER_SECONDS):
            await self._redis.xack(entry.stream, self.group, entry.id)

    # -- reading -----------------------------------------------------------------------

    async def _fetch_forever(self) -> None:
        while not self._stopping.is_set():
            room = self.count - len(self._held)
            if room <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            try:
                entries = await self._take(room)
            except Exception as error:  # the loop's boundary: it must outlive any error
                await sleep_unless(self._stopping, await self._failed(error))
                continue
            self._outage.ended()
            for entry in entries:
                self._hold(entry)

    async def _failed(self, error: Exception) -> float:
        """What a failed read says; the seconds to wait before the next."""
        self._recover = True  # a reply may have been lost with the connection
        if isinstance(error, ResponseError) and str(error).startswith("NOGROUP"):
            self._outage.ended()  # it answers, without the group
            log.warning("%s: the group is gone (Redis lost its data?): creating it again",
                        self._outage.reader)  # fmt: skip
            self._group_missing = True
            return 0.0
        if isinstance(error, UNREACHABLE):
            return await self._outage.failed(error)
        log.exception("%s: reading failed", self._outage.reader)
        return FAULT_SECONDS

    async def _take(self, room: int) -> list[Entry]:
        if self._group_missing:
            await self.ensure()
            self._group_missing = False
        if self._recover:
            entries = await self._own_pending(room)
            self._recover = len(entries) >= room  # a full page: there may be more
            if entries:
                return entries
        if time.monotonic() >= self._next_claim:
            entries = await self._claim(room)
            if entries:
                return entries
        return await self._new(room)

    async def _own_pending(self, room: int) -> list[Entry]:
        found: list[Entry] = []
        for stream in self.streams:
            after = START
            while len(found) < room:
                page = await self._read({stream: after}, room, None)
                if not page:
                    break
                after = page[-1].id
                found += [entry for entry in page if not self._holds(entry)]
        return found[:room]

    async def _claim(self, room: int) -> list[Entry]:
        """Entries of any consumer idle past ``claim_idle_seconds`` (theirs died or froze),
        scanning the pending list in steps; a full scan waits a third of that time."""
        found: list[Entry] = []
        for stream in self.streams:
            if len(found) >= room:
                break
            async with asyncio.timeout(ANSWER_SECONDS):
                reply: Any = await self._redis.xautoclaim(
                    stream,
                    self.group,
                    self.consumer,
                    min_idle_time=int(self.claim_idle_seconds * 1000),
                    start_id=self._cursors[stream],
                    count=room - len(found),
                )
            self._cursors[stream] = _text(reply[0])
            claimed = (Entry(stream, _text(i), fields or {}) for i, fields in reply[1])
            found += [entry for entry in claimed if not self._holds(entry)]
        if all(cursor == START for cursor in self._cursors.values()):
            self._next_claim = time.monotonic() + self.claim_idle_seconds / 3
        return found

    async def _new(self, room: int) -> list[Entry]:
        return await self._read(dict.fromkeys(self.streams, ">"), room, self.block_seconds)

    async def _read(self, streams: dict[str, str], count: int, block: float | None) -> list[Entry]:
        if block is not None:
            block = min(block, MAX_BLOCK_SECONDS)
        async with asyncio.timeout((block or 0) + ANSWER_SECONDS):
            replies = await self._redis.xreadgroup(
                self.group,
                self.consumer,
                streams,  # type: ignore[arg-type]
                count=count,
                block=None if block is None else max(1, int(block * 1000)),
            )
        return _entries(replies)

    # -- handling ----------------------------------------------------------------------

    def _holds(self, entry: Entry) -> bool:
        return (entry.stream, entry.id) in self._held

    def _hold(self, entry: Entry) -> None:
        self._held.add((entry.stream, entry.id))
        key = self._key(entry) if self._key is not None else None
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            task = asyncio.create_task(self._drain(key, queue))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        queue.append(entry)

    async def _drain(self, key: Hashable, queue: deque[Entry]) -> None:
        """Handle one key's entries in stream order."""
        try:
            while queue and await self._handle(queue[0]):
                self._held.discard((queue[0].stream, queue[0].id))
                queue.popleft()
                self._room.set()
        finally:
            if self._queues.get(key) is queue:
                del self._queues[key]

    async def _handle(self, entry: Entry) -> bool:
        """Handle ``entry``: retried in place while Redis is unreachable or the handler
        says try again (so later entries of its key wait); after any other error it is
        let go unacknowledged, to be claimed again after ``claim_idle_seconds``. False if
        the reader stopped first."""
        attempt = 0
        while True:
            try:
                await self._process(entry)
                self._outage.ended()
                return True
            except UNREACHABLE as error:
                delay = await self._outage.failed(error)
            except TransientError as error:
                attempt += 1
                log.warning("%s: entry %s: %s; trying again", self._outage.reader, entry.id, error)
                delay = OUTAGE_BACKOFF.delay(attempt, error.retry_after)
            except Exception:
                log.exception(
                    "%s: entry %s failed; it stays pending", self._outage.reader, entry.id
                )
                return True
            if await sleep_unless(self._stopping, delay):
                return False  # the entry stays pending, and its key's later ones wait

    async def _process(self, entry: Entry) -> None:
        if not entry.fields:  # deleted from the stream while pending: nothing to handle
            await self.acknowledge(entry)
            return
        writes = await self._handler(entry)
        if self.acknowledged_by_handler:
            if writes:
                raise ValueError("a handler that acknowledges itself returns no writes")
        elif writes:
            await self._acknowledge_with(entry, writes)
        else:
            await self.acknowledge(entry)

    async def _acknowledge_with(self, entry: Entry, writes: Sequence[Write]) -> None:
        arguments: list[str | bytes | int | float] = [self.group, entry.id]
        for write in writes:
            arguments += [len(write.arguments), write.name, *write.arguments]
        async with asyncio.timeout(ANSWER_SECONDS):
            applied = await self._commit(
                keys=[entry.stream, *(write.key for write in writes)], args=arguments
            )
        if not applied:
            log.info("%s: entry %s was handled elsewhere meanwhile: nothing written",
                     self._outage.reader, entry.id)  # fmt: skip


class Follower:
    """A fan-out tail of one stream: every follower sees every entry after its position;
    nothing is acknowledged. An outage reads as a stretch with nothing new."""

    def __init__(
        self, redis: aioredis.Redis, stream: str, *, count: int = 100, block_seconds: float = 1.0
    ) -> None:
        if count < 1 or block_seconds <= 0:
            raise ValueError("a follower reads at least one entry and blocks a positive time")
        self.stream, self.count, self.block_seconds = stream, count, block_seconds
        self._redis = redis
        self._outage = Outage(redis, f"follower of {stream}")

    async def position(self) -> str:
        """The newest entry's id (``START`` for an empty stream): reading after it sees
        what comes next. ``NOW`` while Redis does not answer."""
        try:
            newest = await self._newest()
        except UNREACHABLE as error:
            await self._outage.failed(error)
            return NOW
        self._outage.ended()
        return newest

    async def read(self, after: str, within: float) -> tuple[str, list[Entry]]:
        """The entries after ``after``, waiting at most ``within`` seconds for the first,
        and the position after them. An outage is retried until ``within`` has passed."""
        deadline = time.monotonic() + within
        while True:
            block = min(max(deadline - time.monotonic(), 0.0), MAX_BLOCK_SECONDS)
            try:
                if after == NOW:
                    after = await self._newest()
                async with asyncio.timeout(block + ANSWER_SECONDS):
                    replies = await self._redis.xread(
                        {self.stream: after}, count=self.count, block=max(1, int(block * 1000))
                    )
                self._outage.ended()
                entries = _entries(replies)
                if entries or time.monotonic() >= deadline:
                    return (entries[-1].id if entries else after), entries
                continue  # nothing yet: block again until ``within`` has passed
            except UNREACHABLE as error:
                delay = await self._outage.failed(error)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return after, []
            await asyncio.sleep(min(delay, remaining))

    async def follow(
        self,
        handler: Callable[[Entry], Awaitable[None]],
        stop: asyncio.Event,
        *,
        after: str = NOW,
    ) -> None:
        """Hand each entry after ``after`` to ``handler`` until ``stop`` is set; an entry
        whose handler fails is logged and passed over (a follower has no redelivery)."""
        while not stop.is_set():
            after, entries = await self.read(after, self.block_seconds)
            for entry in entries:
                try:
                    await handler(entry)
                except Exception:  # the loop's boundary: one bad entry must not end it
                    log.exception("%s: entry %s failed", self._outage.reader, entry.id)

    async def _newest(self) -> str:
        async with asyncio.timeout(ANSWER_SECONDS):
            newest: Any = await self._redis.xrevrange(self.stream, count=1)
        return _text(newest[0][0]) if newest else START


def _entries(replies: Any) -> list[Entry]:
    """XREAD/XREADGROUP replies (RESP2 lists or RESP3 maps) as entries, in order."""
    streams = replies.items() if isinstance(replies, dict) else (replies or [])
    return [
        Entry(_text(stream), _text(entry_id), fields or {})
        for stream, entries in streams
        for entry_id, fields in entries
    ]


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
