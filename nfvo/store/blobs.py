"""Where package files live: a ``BlobStore`` interface and a local-directory store.

Uploads arrive as streams and may be large, so ``put`` consumes an async iterator of
chunks, refuses more than ``max_size`` bytes without keeping what came, and writes
atomically (a temporary file renamed into place), so a blob is either whole or
absent. Every blob's SHA-256 is computed on the way in; ``put_content`` stores a
blob under its own hash (content addressing: the same bytes are stored once).
An object store can implement the same interface later.

A writer killed mid-write leaves its temporary file. The local store writes them in a
folder of the writing process's own (``.partial/<pid>-<start time>/``, as
``nfvo.store.scratch`` names them), so :meth:`BlobStore.clean` removes what writers
that no longer run left, whichever blob they were writing; every process cleans at
start, and ``discard`` (an abandoned upload) does too.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nfvo.store.errors import StoreNotFound, StoreRangeNotSatisfiable, StoreTooLarge
from nfvo.store.resources import ResourceKey
from nfvo.store.scratch import Scratch

CHUNK = 1 << 20
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}$")


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    sha256: str


class BlobTooLarge(StoreTooLarge):
    def __init__(self, max_size: int) -> None:
        super().__init__(f"the content exceeds the limit of {max_size} bytes")


class BlobNotFound(StoreNotFound):
    def __init__(self, key: str) -> None:
        super().__init__(f"no stored content {key!r}")


def check_key(key: str) -> str:
    """Keys are relative, slash-separated names; nothing can climb out of the store."""
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid blob key {key!r}")
    return key


class BlobStore(ABC):
    @abstractmethod
    async def put(self, key: str, chunks: AsyncIterable[bytes], max_size: int) -> BlobInfo:
        """Store the stream under ``key`` (replacing it), or raise BlobTooLarge."""

    async def put_content(self, chunks: AsyncIterable[bytes], max_size: int) -> BlobInfo:
        """Store under ``sha256/<hex>``; the same content always lands on the same key."""
        staged = await self.put(f"staging/{uuid.uuid4().hex}", chunks, max_size)
        key = f"sha256/{staged.sha256}"
        await self.rename(staged.key, key)
        return BlobInfo(key=key, size=staged.size, sha256=staged.sha256)

    @abstractmethod
    async def rename(self, key: str, new_key: str) -> None: ...

    @abstractmethod
    async def stat(self, key: str) -> BlobInfo: ...

    @abstractmethod
    def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        """The bytes ``[start, end)`` (``end`` None: to the end) as chunks."""

    @abstractmethod
    async def delete(self, key: str) -> bool:
        """Remove ``key``; False if it was not there."""

    @abstractmethod
    async def discard(self, key: str) -> None:
        """Remove ``key`` and any partial write of it a killed writer left."""

    @abstractmethod
    def clean(self) -> int:
        """Remove the partial writes of writers that no longer run; how many writers'."""

    async def read(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        return b"".join([chunk async for chunk in self.get(key, start, end)])


class LocalBlobStore(BlobStore):
    """Blobs as files below one directory; the SHA-256 is kept beside each file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        # No key starts with '.', so no blob can land among the partial writes.
        self._partials = Scratch(root / ".partial")

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, chunks: AsyncIterable[bytes], max_size: int) -> BlobInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._partials.directory("put") as work:
            temporary = work / f"{path.name}.part"
            digest = hashlib.sha256()
            size = 0
            with await asyncio.to_thread(temporary.open, "wb") as handle:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_size:
                        raise BlobTooLarge(max_size)
                    digest.update(chunk)
                    await asyncio.to_thread(handle.write, chunk)
                await asyncio.to_thread(_flush, handle)
            sha256 = digest.hexdigest()
            await asyncio.to_thread(_commit, temporary, path, sha256)
        return BlobInfo(key=key, size=size, sha256=sha256)

    async def rename(self, key: str, new_key: str) -> None:
        source, target = self._path(key), self._path(new_key)
        if not source.exists():
            raise BlobNotFound(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(_digest_path(source), _digest_path(target))
        os.replace(source, target)

    async def stat(self, key: str) -> BlobInfo:
        path = self._path(key)
        try:
            size = path.stat().st_size
            sha256 = _digest_path(path).read_text().strip()
        except FileNotFoundError:
            raise BlobNotFound(key) from None
        return BlobInfo(key=key, size=size, sha256=sha256)

    async def get(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        info = await self.stat(key)
        stop = info.size if end is None else end
        if start < 0 or stop > info.size or start > stop:
            raise StoreRangeNotSatisfiable(
                f"range {start}-{stop} is outside {key!r}, which holds {info.size} bytes"
            )
        handle = await asyncio.to_thread(self._path(key).open, "rb")
        try:
            handle.seek(start)
            remaining = stop - start
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            handle.close()

    async def delete(self, key: str) -> bool:
        path = self._path(key)
        existed = path.exists()
        path.unlink(missing_ok=True)
        _digest_path(path).unlink(missing_ok=True)
        return existed

    async def discard(self, key: str) -> None:
        await self.delete(key)
        self.clean()  # its partial write is its dead writer's

    def clean(self) -> int:
        return len(self._partials.clean())


def _digest_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.sha256")


def _flush(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _commit(temporary: Path, path: Path, sha256: str) -> None:
    # Digest first: a crash between the two renames leaves an orphan digest, never a
    # blob without one.
    digest_temporary = temporary.with_name(temporary.name + ".sha256")
    digest_temporary.write_text(sha256)
    os.replace(digest_temporary, _digest_path(path))
    os.replace(temporary, path)


BLOBS: ResourceKey[BlobStore] = ResourceKey("blob store", BlobStore)
