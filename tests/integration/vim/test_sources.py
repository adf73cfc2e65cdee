"""VIM event sources outlive a registry they cannot read (the store not answering)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from nfvo.store.connection import connect
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox, key_file
from nfvo.vim.registry import VimRegistry
from nfvo.vim.sources import VimEventSources


async def test_an_unreadable_registry_is_logged_and_read_again(
    keyspace: Keyspace, tmp_path: Path, free_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = connect(f"redis://127.0.0.1:{free_port}")  # nothing listens there
    registry = VimRegistry(nowhere, keyspace, SecretBox(key_file(tmp_path / "key")))
    sources = VimEventSources(registry, nowhere, keyspace, rescan=0.05)
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING, logger="nfvo.vim.sources"):
        running = asyncio.create_task(sources.run(stop))
        await asyncio.sleep(0.5)
        assert not running.done()  # still rescanning, not ended by the outage
        stop.set()
        await asyncio.wait_for(running, 5)
    await nowhere.aclose()
    unread = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert len(unread) >= 2 and "(reading vim_default default)" in unread[0].getMessage()
    assert sources.following == {}
