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
from dataclasses import dataclass
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

# KEYS: documents. Each one's version, creation order and body (nils when absent).
_READ_MANY = """
local rows = {}
for i, key in ipairs(KEYS) do rows[i] = redis.call('HMGET', key, 'version', 'created', 'body') end
return rows
"""

# KEYS: sorted sets scored by creation; ARGV: the exclusive lower score ("-inf" or
# "(N"), how many ids at most. The ids in every set, in creation order, walking the
# smallest set in batches.
_PAGE_OF_INTERSECTION = """
local smallest, size = 1, redis.call('ZCARD', KEYS[1])
for k = 2, #KEYS do
  local n = redis.call('ZCARD', KEYS[k])
  if n < size then smallest, size = k, n end
end
local out, low, want = {}, ARGV[1], tonumber(ARGV[2])
while #out < want do
  local batch = redis.call(
    'ZRANGEBYSCORE', KEYS[smallest], low, '+inf', 'WITHSCORES', 'LIMIT', 0, 500)
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
      out[#out + 1] = batch[i]
      if #out >= want then break end
    end
    low = '(' .. batch[i + 1]
  end
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
    """A stored document with its version (the ETag) and its creation sequence."""

    id: str
    version: int
    created: int
    document: dict[str, Any]


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
        self._read_many = redis.register_script(_READ_MANY)
        self._page_of_intersection = redis.register_script(_PAGE_OF_INTERSECTION)
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
        if limit < 1:
            raise ValueError("a page holds at least one document")
        key = self._ordering_key(where)
        low = f"({int(cursor)}" if cursor else "-inf"

        async def page() -> tuple[builtins.list[Any], builtins.list[Versioned]]:
            ids = await self._redis.zrangebyscore(key, low, "+inf", start=0, num=limit + 1)
            return ids, await self._load([_text(raw) for raw in ids[:limit]])

        ids, items = await _read(f"listing {self.kind}", page)
        next_cursor = str(items[-1].created) if len(ids) > limit and items else None
        return Page(items, next_cursor)

    async def list_where_all(
        self, conditions: Sequence[tuple[str, str]], *, limit: int = 100, cursor: str | None = None
    ) -> Page:
        """Like :meth:`list`, of the documents meeting every ``(attribute, value)``: Redis
        walks the smallest index set in creation order and keeps the ids in all the others,
        so only the page's bodies are read."""
        if len(conditions) <= 1:
            return await self.list(
                where=conditions[0] if conditions else None, limit=limit, cursor=cursor
            )
        if limit < 1:
            raise ValueError("a page holds at least one document")
        keys = [self._ordering_key(condition) for condition in conditions]
        low = f"({int(cursor)}" if cursor else "-inf"

        async def page() -> tuple[builtins.list[Any], builtins.list[Versioned]]:
            ids = await self._page_of_intersection(keys=keys, args=[low, limit + 1])
            return ids, await self._load([_text(raw) for raw in ids[:limit]])

        ids, items = await _read(f"listing {self.kind}", page)
        next_cursor = str(items[-1].created) if len(ids) > limit and items else None
        return Page(items, next_cursor)

    def _ordering_key(self, where: tuple[str, str] | None) -> str:
        """The sorted set (scored by creation) of all ids, or of one index value's."""
        if where is None:
            return self._keyspace.ordering(self.kind)
        attribute, value = where
        if attribute not in self.indexed:
            raise ValueError(f"{self.kind} has no index on {attribute!r}")
        return self._keyspace.index(self.kind, attribute, value)

    async def _load(self, ids: Sequence[str]) -> builtins.list[Versioned]:
        if not ids:
            return []
        # One script call, not a pipeline of HMGETs: redis-py's per-command packing and
        # parsing was most of the CPU of a page of 100.
        keys = [self._keyspace.document(self.kind, id_) for id_ in ids]
        rows = await self._read_many(keys=keys)
        # A document deleted between the index read and this one is simply skipped.
        found = (_versioned(id_, row) for id_, row in zip(ids, rows, strict=True))
        return [item for item in found if item is not None]

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
        return Versioned(id_, int(detail), int(created), dict(document))

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
    return Versioned(id_, int(version), int(created), orjson.loads(body))


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
