"""Wire bodies of stored record versions, kept for the next read of the same version.

Decoding a stored record, validating it and rendering its SOL005 body took about 90 %
of the CPU of a page of 100 (25 us a record; docs/benchmarks.md). A stored version
never changes (every write makes a new one, ``nfvo.store.repository.Versioned``), so
its rendering as one attribute selection asks for is kept under (kind, selection, id,
creation, version): a list polled every few seconds renders each record once per
change, not once per poll, and an entry can never be stale. Bodies are kept as bytes,
so no caller can change what another one is served. The least recently used go first
once the bodies pass ``capacity`` bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from nfvo.catalog.records import CatalogRecord, Kind
from nfvo.catalog.views import wire_document
from nfvo.sol.selectors import Selection
from nfvo.sol.wire import dumps
from nfvo.store.repository import Versioned

DEFAULT_CAPACITY = 16 * 1024 * 1024  # bytes of bodies: ~20,000 records as listed

_Key = tuple[str, str, int, int]  # (kind and selection, id, creation, version)


class Renderings:
    """The JSON body of each stored version as selected, least recently used dropped."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._bodies: OrderedDict[_Key, bytes] = OrderedDict()
        self._size = 0

    def bodies(self, kind: Kind, items: Sequence[Versioned], selection: Selection) -> list[bytes]:
        """Each of ``items`` as its wire document with ``selection`` applied, as JSON."""
        scope = f"{kind.value} {selection.key}"  # one string: its hash is computed once
        return [self._body(kind, (scope, i.id, i.created, i.version), i, selection) for i in items]

    def _body(self, kind: Kind, key: _Key, item: Versioned, selection: Selection) -> bytes:
        found = self._bodies.get(key)
        if found is not None:
            self._bodies.move_to_end(key)
            return found
        body = dumps(selection.apply(wire_document(CatalogRecord.from_document(item.document))))
        self._bodies[key] = body
        self._size += len(body)
        while self._size > self.capacity:
            _, dropped = self._bodies.popitem(last=False)
            self._size -= len(dropped)
        return body

    def __len__(self) -> int:
        return len(self._bodies)
