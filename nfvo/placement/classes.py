"""Equivalence classes of hosts: equal profile and equal free capacity fit alike.

A cloud of 1,000 hosts built from a handful of templates holds a handful of classes
while they are untouched, so asking "does this VNFC fit a fresh host in az-1" costs
one fit per class, not one per host, and the answer is remembered per
(demand, class signature). A host leaves its class when the engine first uses it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import Any

from nfvo.vim.infrastructure import Host
from nfvo.vim.usage import Claim, HostState

Signature = tuple[int, tuple[object, ...]]


class Profiles:
    """Interns host profiles to small integers so signatures hash fast."""

    def __init__(self) -> None:
        self._ids: dict[tuple[Any, ...], int] = {}

    def of(self, host: Host) -> int:
        return self._ids.setdefault(host.profile(), len(self._ids))


class HostClasses:
    """Unused hosts of one zone grouped by signature, in inventory order."""

    def __init__(
        self,
        hosts: Sequence[Host],
        states: Sequence[HostState],
        indices: Iterable[int],
        profiles: Profiles,
    ) -> None:
        self._members: dict[Signature, list[int]] = {}
        for index in indices:
            signature = (profiles.of(hosts[index]), states[index].key())
            self._members.setdefault(signature, []).append(index)
        for members in self._members.values():
            members.reverse()  # pop() then yields inventory order

    def __iter__(self) -> Iterator[tuple[Signature, int]]:
        """(signature, representative host) per non-empty class."""
        for signature, members in list(self._members.items()):
            if members:
                yield signature, members[-1]

    def members(self, signature: Signature) -> list[int]:
        return list(reversed(self._members.get(signature, [])))

    def take(self, signature: Signature, index: int) -> None:
        """Remove host ``index`` (it is about to be used)."""
        members = self._members[signature]
        members.remove(index)
        if not members:
            del self._members[signature]

    def __len__(self) -> int:
        return len(self._members)


class FitMemo:
    """Fit answers per (demand key, signature); None answers are remembered too."""

    def __init__(self) -> None:
        self._answers: dict[tuple[Hashable, Signature], list[Claim] | None] = {}

    def get(self, key: Hashable, signature: Signature) -> tuple[bool, list[Claim] | None]:
        entry = (key, signature)
        if entry in self._answers:
            return True, self._answers[entry]
        return False, None

    def put(self, key: Hashable, signature: Signature, answer: list[Claim] | None) -> None:
        self._answers[(key, signature)] = answer
