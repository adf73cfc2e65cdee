"""Typed keys for the services a process hands to its job steps (like aiohttp's AppKey).

A runtime fills one :class:`Resources` at start (``resources[BLOBS] = blob_store``);
a step reads ``ctx[BLOBS]`` and gets a ``BlobStore``, typed. Each job type declares
the keys its steps need, so a process that lacks one refuses to start
(:class:`MissingResource`) instead of failing the job when a worker picks it up.
Keys live beside the type they carry (``BLOBS`` in ``nfvo.store.blobs``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


class ResourceKey(Generic[T]):
    """The name and type of one resource; compared by identity, as AppKey is."""

    __slots__ = ("name", "type")

    # ``type[Any]``: an abstract class (BlobStore) is a fine key type; declare keys with
    # their type, ``BLOBS: ResourceKey[BlobStore] = ResourceKey("blob store", BlobStore)``.
    def __init__(self, name: str, type_: type[Any]) -> None:
        self.name = name
        self.type = type_

    def __repr__(self) -> str:
        return f"<ResourceKey {self.name}: {self.type.__name__}>"


class MissingResource(LookupError):
    """A wiring error: something needs a resource this process was not given."""


class Resources:
    """The resources of one runtime; set while it is built, then frozen."""

    def __init__(self) -> None:
        self._values: dict[ResourceKey[Any], Any] = {}
        self._frozen = False

    def __setitem__(self, key: ResourceKey[T], value: T) -> None:
        if self._frozen:
            raise RuntimeError(f"the resources are frozen: {key.name} cannot be set now")
        if not isinstance(value, key.type):
            raise TypeError(f"{key.name} must be a {key.type.__name__}, not {type(value)}")
        self._values[key] = value

    def __getitem__(self, key: ResourceKey[T]) -> T:
        try:
            return cast(T, self._values[key])
        except KeyError:
            raise MissingResource(f"this process provides no {key.name}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self) -> Iterator[ResourceKey[Any]]:
        return iter(self._values)

    def freeze(self) -> Resources:
        self._frozen = True
        return self

    def require(self, keys: Iterable[ResourceKey[Any]], *, who: str) -> None:
        """Raise MissingResource naming ``who`` and every key of ``keys`` not provided."""
        missing = sorted({key.name for key in keys if key not in self._values})
        if missing:
            raise MissingResource(f"{who} needs {', '.join(missing)}, which this process lacks")
