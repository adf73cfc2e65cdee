import asyncio
import hashlib
import os
import sys
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


WRITER = """
import asyncio, sys
from pathlib import Path
from nfvo.store.blobs import LocalBlobStore

async def endless():
    while True:
        yield b"x" * 1000
        await asyncio.sleep(0.01)

asyncio.run(LocalBlobStore(Path(sys.argv[1])).put("pkg/1/f/0", endless(), max_size=1 << 30))
"""


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


async def test_a_write_cut_by_a_kill_is_removed_by_the_next_clean(tmp_path: Path) -> None:
    """A process killed mid-write leaves its partial file; the next process's clean (at
    start, or discarding an abandoned upload) removes it, and never a live writer's."""
    writer = await asyncio.create_subprocess_exec(sys.executable, "-c", WRITER, str(tmp_path))
    try:
        for _ in range(500):
            if _files(tmp_path):
                break
            await asyncio.sleep(0.02)
    finally:
        writer.kill()
        await writer.wait()
    left = _files(tmp_path)
    assert left, "the writer never began"
    store = LocalBlobStore(tmp_path)
    sent = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"live"
        sent.set()
        await asyncio.sleep(0.5)
        yield b" writer"

    live = asyncio.create_task(store.put("pkg/2/f/0", slow(), max_size=100))
    await sent.wait()
    assert store.clean() == 1  # the dead writer's, not ours
    assert not any(path.exists() for path in left)
    await live
    assert await store.read("pkg/2/f/0") == b"live writer"
    await store.discard("pkg/2/f/0")
    assert _files(tmp_path) == []
