"""Conditions and side effects that commit in the same transaction as a document write.

A repository write may carry guards; the write's Lua script checks every condition
before it writes anything, so either the document, its indexes and every guard's
effect are stored together, or nothing is.

- :class:`Fence`: the key must hold exactly ``value`` (a job lease with its fencing
  token). A worker that lost its lease fails the check and writes nothing.
- :class:`Claim`: take the key (an instance lock) unless someone else holds it.
- :class:`Release`: delete the key if it still holds ``value``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fence:
    key: str
    value: str


@dataclass(frozen=True)
class Claim:
    key: str
    value: str


@dataclass(frozen=True)
class Release:
    key: str
    value: str


Guard = Fence | Claim | Release


def guard_operation(guard: Guard) -> str:
    """The name the Lua scripts use for the guard's kind."""
    return {Fence: "fence", Claim: "claim", Release: "release"}[type(guard)]
