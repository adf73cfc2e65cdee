import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nfvo.store.blobs import BlobNotFound, BlobTooLarge, LocalBlobStore, check_key
from nfvo.store.errors import StoreRangeNotSatisfiable


async def stream(data: bytes, chunk: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]


DATA = os.urandom(10_000)


async def test_put_get_stat_delete(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    info = await store.put("packages/p1/content.zip", stream(DATA), max_size=20_000)
    assert info.size == len(DATA)
    assert info.sha256 == hashlib.sha256(DATA).hexdigest()
    assert await store.stat("packages/p1/content.zip") == info
    assert await store.read("packages/p1/content.zip") == DATA
    assert await store.delete("packages/p1/content.zip")
    assert not await store.delete("packages/p1/content.zip")
    with pytest.raises(BlobNotFound):
        await store.stat("packages/p1/content.zip")


async def test_range_reads(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("b", stream(DATA), max_size=len(DATA))
    assert await store.read("b", 100, 2600) == DATA[100:2600]
    assert await store.read("b", 9_990) == DATA[9_990:]
    with pytest.raises(StoreRangeNotSatisfiable, match="holds 10000 bytes"):
        await store.read("b", 5, 10_001)


async def test_too_large_keeps_nothing_and_leaves_the_old_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    await store.put("b", stream(b"old"), max_size=10)
    with pytest.raises(BlobTooLarge, match="exceeds the limit of 5000 bytes"):
        await store.put("b", stream(DATA), max_size=5_000)
    assert await store.read("b") == b"old"
    assert not [p for p in tmp_path.rglob("*.part")]


async def test_content_addressing_stores_the_same_bytes_once(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    first = await store.put_content(stream(DATA), max_size=len(DATA))
    second = await store.put_content(stream(DATA, chunk=333), max_size=len(DATA))
    assert first == second
    assert first.key == f"sha256/{hashlib.sha256(DATA).hexdigest()}"
    assert len([p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith(".")]) == 1


@pytest.mark.parametrize("key", ["../x", "/abs", "a/../../b", "", "a//b", ".hidden"])
def test_keys_cannot_leave_the_store(key: str) -> None:
    with pytest.raises(ValueError, match="invalid blob key"):
        check_key(key)
