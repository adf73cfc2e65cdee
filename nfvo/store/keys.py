"""Every Redis key the project writes, named in one place.

One global keyspace: ``{prefix}:{kind}:{id}`` for a record, with the owner (tenant)
stored as an indexed attribute of the record rather than as part of the key, so an
admin query spans tenants and a record never moves when ownership changes.

=========================================  ============================================
``{prefix}:doc:{kind}:{id}``               a document (JSON) of ``kind``
``{prefix}:idx:{kind}:{attribute}:{value}`` a set of ids whose ``attribute`` is ``value``
``{prefix}:ord:{kind}``                    a sorted set of every id of ``kind`` (paging)
``{prefix}:stream:{name}``                 an event or job stream
``{prefix}:lock:{kind}:{id}``              the one-operation-per-instance lock
``{prefix}:lease:{name}:{id}``             a worker's lease on a job
``{prefix}:job:{id}``                      a durable job's record (a hash)
``{prefix}:steps:{id}``                    a job's step records (a hash, one field a step)
``{prefix}:idem:{scope}:{digest}``         an idempotency key, holding the id it created
``{prefix}:seq:{name}``                    a counter (creation order, fencing tokens)
``{prefix}:queue:{name}:{id}``             a work queue (a list), e.g. one subscription's
``{prefix}:queues:{name}``                 the set of ``{name}`` queues holding work
``{prefix}:throttle:{scope}:{digest}``     a subject's failure count or block (rate limits)
=========================================  ============================================

Ids and kinds are validated so that no value can reach into another kind's keys.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_PART = re.compile(r"^[A-Za-z0-9_.@+=-]{1,200}$")


def is_valid_id(id_: str) -> bool:
    """Whether ``id_`` can name a key (an id we never issued may not: it cannot exist)."""
    return bool(_PART.match(id_))


def _check(part: str, what: str) -> str:
    if not is_valid_id(part):
        raise ValueError(f"{what} {part!r} may hold only letters, digits and _.@+=- ")
    return part


@dataclass(frozen=True)
class Keyspace:
    """The key names under one prefix (``nfvo`` in production, one per test)."""

    prefix: str = "nfvo"

    def __post_init__(self) -> None:
        _check(self.prefix, "key prefix")

    def document(self, kind: str, id_: str) -> str:
        return f"{self.document_prefix(kind)}{_check(id_, 'id')}"

    def document_prefix(self, kind: str) -> str:
        """What every document key of ``kind`` starts with (a script makes them from ids)."""
        return f"{self.prefix}:doc:{_check(kind, 'kind')}:"

    def index(self, kind: str, attribute: str, value: str) -> str:
        # Values are free text (names, states): keep them, but never let ':' split a key.
        safe_value = value.replace("\\", "\\\\").replace(":", "\\:")
        kind, attribute = _check(kind, "kind"), _check(attribute, "attribute")
        return f"{self.prefix}:idx:{kind}:{attribute}:{safe_value}"

    def ordering(self, kind: str) -> str:
        return f"{self.prefix}:ord:{_check(kind, 'kind')}"

    def stream(self, name: str) -> str:
        return f"{self.prefix}:stream:{_check(name, 'stream name')}"

    def lock(self, kind: str, id_: str) -> str:
        return f"{self.prefix}:lock:{_check(kind, 'kind')}:{_check(id_, 'id')}"

    def lease(self, name: str, id_: str) -> str:
        return f"{self.prefix}:lease:{_check(name, 'lease name')}:{_check(id_, 'id')}"

    def job(self, id_: str) -> str:
        return f"{self.prefix}:job:{_check(id_, 'id')}"

    def steps(self, job_id: str) -> str:
        return f"{self.prefix}:steps:{_check(job_id, 'id')}"

    def idempotency(self, scope: str, key: str) -> str:
        # Keys are free text chosen by clients: a digest keeps them short and inert.
        digest = hashlib.sha256(key.encode()).hexdigest()
        return f"{self.prefix}:idem:{_check(scope, 'scope')}:{digest}"

    def counter(self, name: str) -> str:
        return f"{self.prefix}:seq:{_check(name, 'counter name')}"

    def queue(self, name: str, id_: str) -> str:
        return f"{self.prefix}:queue:{_check(name, 'queue name')}:{_check(id_, 'id')}"

    def queues(self, name: str) -> str:
        return f"{self.prefix}:queues:{_check(name, 'queue name')}"

    def throttle(self, scope: str, subject: str) -> str:
        # Subjects are client-chosen text (a claimed client id): a digest keeps them inert.
        digest = hashlib.sha256(subject.encode()).hexdigest()
        return f"{self.prefix}:throttle:{_check(scope, 'scope')}:{digest}"

    def pattern(self) -> str:
        """A SCAN pattern matching every key of this keyspace."""
        return f"{self.prefix}:*"
