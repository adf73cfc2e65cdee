"""Documents and their secondary indexes: one small repository per kind of record.

A document is JSON (orjson) stored in a hash at ``Keyspace.document(kind, id)`` with
its ``version``, its creation sequence number and the index keys it is listed in.
Every write is one Lua script, so the document, its indexes, the creation ordering,
any guards (a fenced lease, an instance lock taken or released) and an event appended
to a stream commit together or not at all. Index entries are sorted sets scored by
creation order, so listing by index and listing everything page the same way.

Optimistic concurrency: ``put`` names the version it read; if the stored one moved
on, the write is refused with :class:`ConcurrencyConflict` and nothing changes.

Refusals are the store's own errors (``nfvo.store.errors``); Redis not answering
(a connection or a timeout error) is one of them, :class:`StoreUnavailable`, naming
what was being read or written.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, TypeVar

import orjson
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from nfvo.store.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    LeaseLost,
    ResourceLocked,
    StoreNotFound,
    StoreUnavailable,
)
from nfvo.store.guards import Guard, guard_operation
from nfvo.store.keys import Keyspace

IndexValue = str | int | bool | None | Iterable[str]
Extract = Callable[[Mapping[str, Any]], Mapping[str, IndexValue]]

EVENT_MAX_LENGTH: Final = 100_000

# KEYS: sorted sets scored by creation; ARGV: the exclusive lower score ("-inf" or
# "(N"), how many ids at most, the prefix of the kind's document keys. The ids in every
# set, in creation order (walking the smallest set in batches, membership in the
# others), past the first ARGV[2] - 1 only counted: a flag saying whether more follow,
# then each id with its document's version, creation order and body (nils when the
# document went meanwhile). One call for a page: no round trip for the ids alone, and
# no key per document sent (the documents' keys are made here, from the ids the sets
# hold, so this needs one Redis, not a cluster).
_PAGE = """
local smallest, size = 1, redis.call('ZCARD', KEYS[1])
for k = 2, #KEYS do
  local n = redis.call('ZCARD', KEYS[k])
  if n < size then smallest, size = k, n end
end
local ids, low, want = {}, ARGV[1], tonumber(ARGV[2])
local batch_size = #KEYS == 1 and want or 500
while #ids < want do
  local batch = redis.call(
    'ZRANGEBYSCORE', KEYS[smallest], low, '+inf', 'WITHSCORES', 'LIMIT', 0, batch_size)
  if #batch == 0 then break end
  for i = 1, #batch, 2 do
    local keep = true
    for k = 1, #KEYS do
      if k ~= smallest and not redis.call('ZSCORE', KEYS[k], batch[i]) then
        keep = false
        break
      end
    end
    if keep then
      ids[#ids + 1] = batch[i]
      if #ids >= want then break end
    end
    low = '(' .. batch[i + 1]
  end
end
local out = {#ids >= want and 1 or 0}
for i = 1, math.min(#ids, want - 1) do
  local row = redis.call('HMGET', ARGV[3] .. ids[i], 'version', 'created', 'body')
  out[#out + 1] = {ids[i], row[1], row[2], row[3]}
end
return out
"""

# KEYS: document, ordering, creation counter, event stream, then one key per guard.
# ARGV: mode, expected version ('' = any), id, body, index keys (JSON), event payload
# ('' = none), event field, event max length, guard count, then (operation, value) pairs.
_WRITE = """
local doc, ord, seq, stream = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local mode, expected, id = ARGV[1], ARGV[2], ARGV[3]
local guards = tonumber(ARGV[9])
for i = 1, guards do
  local key, op, value = KEYS[4 + i], ARGV[8 + 2 * i], ARGV[9 + 2 * i]
  local held = redis.call('GET', key)
  if op == 'fence' and held ~= value then return {'LEASE_LOST', key} end
  if op == 'claim' and held and held ~= value then return {'LOCKED', held} end
end
local current = redis.call('HGET', doc, 'version')
if mode == 'create' then
  if current then return {'EXISTS', current} end
elseif not current then
  return {'MISSING', ''}
elseif expected ~= '' and current ~= expected then
  return {'STALE', current}
end
local created
if current then
  created = redis.call('HGET', doc, 'created')
  for _, key in ipairs(cjson.decode(redis.call('HGET', doc, 'indexes'))) do
    redis.call('ZREM', key, id)
  end
else
  created = redis.call('INCR', seq)
end
local version = (tonumber(current) or 0) + 1
if mode == 'delete' then
  redis.call('DEL', doc)
  redis.call('ZREM', ord, id)
else
  redis.call('HSET', doc, 'version', version, 'created', created, 'body', ARGV[4],
             'indexes', ARGV[5])
  redis.call('ZADD', ord, created, id)
  for _, key in ipairs(cjson.decode(ARGV[5])) do redis.call('ZADD', key, created, id) end
end
for i = 1, guards do
  local key, op, value = KEYS[4 + i], ARGV[8 + 2 * i], ARGV[9 + 2 * i]
  if op == 'claim' then
    redis.call('SET', key, value)
  elseif op == 'release' and redis.call('GET', key) == value then
    redis.call('DEL', key)
  end
end
if ARGV[6] ~= '' then
  redis.call('XADD', stream, 'MAXLEN', '~', ARGV[8], '*', ARGV[7], ARGV[6])
end
return {'OK', tostring(version), tostring(created)}
"""

T = TypeVar("T")


@dataclass(frozen=True)
class Versioned:
    """A stored document with its version (the ETag) and its creation sequence.

    ``(id, created, version)`` names one stored body for good (every write makes a new
    version), so a reader may keep what it derived from a body under that name.
    """

    id: str
    version: int
    created: int
    body: bytes = field(repr=False)  # the document as stored (JSON)

    @cached_property
    def document(self) -> dict[str, Any]:
        """The body decoded, on first use: a reader that kept what it derived from this
        version (a page's renderings) never pays for it."""
        document: dict[str, Any] = orjson.loads(self.body)
        return document


@dataclass(frozen=True)
class Page:
    """One page of a listing; ``cursor`` fetches the next one, ``None`` at the end."""

    items: list[Versioned]
    cursor: str | None


@dataclass(frozen=True)
class Outbox:
    """An event appended to a stream in the same transaction as the write."""

    stream_key: str
    field: str
    payload: bytes


class Repository:
    """Documents of one ``kind``, indexed on the attributes named in ``indexed``."""

    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        kind: str,
        *,
        indexed: Sequence[str] = (),
        extract: Extract | None = None,
    ) -> None:
        self._redis = redis
        self._keyspace = keyspace
        self.kind = kind
        self.indexed = tuple(indexed)
        self._extract = extract or (lambda doc: {name: doc.get(name) for name in self.indexed})
        self._write = redis.register_script(_WRITE)
        self._page = redis.register_script(_PAGE)
        keyspace.ordering(kind)  # validates the kind now rather than at the first write

    async def find(self, id_: str) -> Versioned | None:
        key = self._keyspace.document(self.kind, id_)
        row = await _read(
            f"reading {self.kind} {id_}",
            lambda: self._redis.hmget(key, ["version", "created", "body"]),
        )
        return _versioned(id_, row)

    async def get(self, id_: str) -> Versioned:
        found = await self.find(id_)
        if found is None:
            raise StoreNotFound(f"{self.kind} {id_} does not exist")
        return found

    async def create(
        self,
        id_: str,
        document: Mapping[str, Any],
        *,
        guards: Sequence[Guard] = (),
        outbox: Outbox | None = None,
    ) -> Versioned:
        """Store a new document (version 1); AlreadyExists if ``id_`` is taken."""
        return await self._run("create", id_, document, None, guards, outbox)

    async def put(
        self,
        id_: str,
        document: Mapping[str, Any],
        *,
        version: int | None,
        guards: Sequence[Guard] = (),
        outbox: Outbox | None = None,
    ) -> Versioned:
        """Replace the document if it is still at ``version`` (``None``: at any version)."""
        return await self._run("update", id_, document, version, guards, outbox)

    async def delete(
        self, id_: str, *, version: int | None = None, guards: Sequence[Guard] = ()
    ) -> None:
        await self._run("delete", id_, {}, version, guards, None)

    async def list(
        self,
        *,
        where: tuple[str, str] | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page:
        """Documents in creation order, all of them or those whose attribute equals a value."""
        return await self.list_where_all([where] if where else [], limit=limit, cursor=cursor)

    async def list_where_all(
        self, conditions: Sequence[tuple[str, str]], *, limit: int = 100, cursor: str | None = None
    ) -> Page:
        """Like :meth:`list`, of the documents meeting every ``(attribute, value)``: Redis
        walks the smallest index set in creation order and keeps the ids in all the others,
        so only the page's bodies are read, in one call."""
        if limit < 1:
            raise ValueError("a page holds at least one document")
        keys = [self._ordering_key(condition) for condition in conditions] or [
            self._ordering_key(None)
        ]
        low = f"({int(cursor)}" if cursor else "-inf"
        prefix = self._keyspace.document_prefix(self.kind)
        more, *rows = await _read(
            f"listing {self.kind}", lambda: self._page(keys=keys, args=[low, limit + 1, prefix])
        )
        # A document deleted between the index read and its own is simply skipped.
        items = [
            Versioned(_text(id_), int(version), int(created), body)
            for id_, version, created, body in rows
            if version is not None
        ]
        return Page(items, str(items[-1].created) if more and items else None)

    def _ordering_key(self, where: tuple[str, str] | None) -> str:
        """The sorted set (scored by creation) of all ids, or of one index value's."""
        if where is None:
            return self._keyspace.ordering(self.kind)
        attribute, value = where
        if attribute not in self.indexed:
            raise ValueError(f"{self.kind} has no index on {attribute!r}")
        return self._keyspace.index(self.kind, attribute, value)

    def index_keys(self, document: Mapping[str, Any]) -> builtins.list[str]:
        """The index keys ``document`` belongs in."""
        values = self._extract(document)
        unknown = set(values) - set(self.indexed)
        if unknown:
            raise ValueError(f"{self.kind} indexes no {sorted(unknown)}")
        return [
            self._keyspace.index(self.kind, attribute, text)
            for attribute, value in values.items()
            for text in _index_texts(value)
        ]

    async def _run(
        self,
        mode: str,
        id_: str,
        document: Mapping[str, Any],
        version: int | None,
        guards: Sequence[Guard],
        outbox: Outbox | None,
    ) -> Versioned:
        doc_key = self._keyspace.document(self.kind, id_)
        keys = [
            doc_key,
            self._keyspace.ordering(self.kind),
            self._keyspace.counter(f"created.{self.kind}"),
            outbox.stream_key if outbox else doc_key,
            *(guard.key for guard in guards),
        ]
        body = orjson.dumps(document)
        indexes = orjson.dumps(self.index_keys(document) if mode != "delete" else [])
        args: builtins.list[str | bytes | int] = [
            mode,
            "" if version is None else str(version),
            id_,
            body,
            indexes,
            outbox.payload if outbox else b"",
            outbox.field if outbox else "",
            EVENT_MAX_LENGTH,
            len(guards),
        ]
        for guard in guards:
            args += [guard_operation(guard), guard.value]
        with _answered(f"writing {self.kind} {id_}"):
            reply = await self._write(keys=keys, args=args)
        status, detail, created = _decoded(reply)
        if status != "OK":
            raise self._refusal(status, id_, detail, version)
        return Versioned(id_, int(detail), int(created), body)

    def _refusal(self, status: str, id_: str, detail: str, version: int | None) -> Exception:
        what = f"{self.kind} {id_}"
        if status == "EXISTS":
            return AlreadyExists(f"{what} already exists")
        if status == "MISSING":
            return StoreNotFound(f"{what} does not exist")
        if status == "STALE":
            return ConcurrencyConflict(
                f"{what} is at version {detail}, not {version}: it changed since it was read"
            )
        if status == "LOCKED":
            return ResourceLocked(f"{what}: the lock is held by {detail}", holder=detail)
        return LeaseLost(f"{what} was not written: the lease {detail} is no longer ours")


@contextmanager
def _answered(what: str) -> Iterator[None]:
    """Redis not answering becomes the store's refusal, saying what it was asked."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError) as exc:
        raise StoreUnavailable(f"the store is busy or unreachable ({what}); retry shortly") from exc


async def _read(what: str, read: Callable[[], Awaitable[T]]) -> T:
    """A read, tried once more on a fresh connection when the first one is found dead (a
    pooled connection outlives a Redis restart; the client replaces it after the error).
    Only reads: a write whose connection dropped may have been applied."""
    try:
        return await read()
    except RedisConnectionError:
        pass
    with _answered(what):
        return await read()


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _versioned(id_: str, row: Sequence[Any]) -> Versioned | None:
    version, created, body = row
    if version is None:
        return None
    return Versioned(id_, int(version), int(created), body)


def _decoded(reply: list[bytes]) -> tuple[str, str, str]:
    parts = [_text(item) for item in reply]
    return parts[0], parts[1], parts[2] if len(parts) > 2 else ""


def _index_texts(value: IndexValue) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str | int):
        return [str(value)]
    return [str(item) for item in value]
