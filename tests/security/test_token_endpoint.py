"""Item 11: the token endpoint resists floods and guessing, and says who was guessed.

- A form of megabytes is refused unread beyond a few KiB (it used to be read up to
  16 MiB before any credential was looked at).
- Guessing a client's secret is throttled per client id and per source address, with
  waits that double; while blocked even the right secret is refused (no oracle).
- A weak ``admin_password`` or client secret stops the server at start, unquoted.
- Refusals are audited with the client id named, in a stream of their own, so a
  flood of guesses cannot push the record of real changes out of the audit.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from nfvo.sol.auth import MAX_FORM_BYTES
from nfvo.sol.callbacks import basic_header
from nfvo.store.events import EventStream, read_all
from nfvo.store.keys import Keyspace
from tests.security.conftest import PACKAGES, SECRETS, Client, Tenants

TOKEN = "/oauth2/token"
FORM = {"grant_type": "client_credentials"}


async def _ask(
    client: Client, client_id: str, secret: str, session: aiohttp.ClientSession | None = None
) -> aiohttp.ClientResponse:
    headers = {"Authorization": basic_header(client_id, secret)}
    if session is None:
        return await client.post(TOKEN, data=FORM, headers=headers)
    return await session.post(client.make_url(TOKEN), data=FORM, headers=headers)


async def test_a_huge_form_is_refused_before_the_credentials(tenants: Tenants) -> None:
    client, _ = tenants
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    padding = "x" * (1024 * 1024)
    form = f"grant_type=client_credentials&client_id=red&client_secret=wrong&pad={padding}"
    response = await client.post(TOKEN, data=form.encode(), headers=headers)
    assert response.status == 413
    assert str(MAX_FORM_BYTES) in (await response.json())["error_description"]

    async def chunked() -> object:  # no Content-Length: the cap holds while streaming
        yield b"grant_type=client_credentials&pad="
        for _ in range(64):
            yield b"y" * 16384

    response = await client.post(TOKEN, data=chunked(), headers=headers)
    assert response.status == 413


async def test_guessing_is_throttled_per_client_and_per_address(tenants: Tenants) -> None:
    client, _ = tenants
    answers = [(await _ask(client, "red", f"guess-{n}")).status for n in range(7)]
    assert answers == [401] * 6 + [429]  # five free failures; the sixth costs a second
    blocked = await _ask(client, "red", SECRETS["red"])  # the right secret, too early
    assert blocked.status == 429
    assert blocked.headers["Retry-After"] == "1"
    assert "access_token" not in await blocked.text()

    # The client id stays blocked from another address...
    local = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=local) as elsewhere:
        assert (await _ask(client, "red", SECRETS["red"], elsewhere)).status == 429
        # ...and an address spraying client ids is blocked whatever id it names.
        sprayed = [(await _ask(client, f"id-{n}", "x", elsewhere)).status for n in range(7)]
        assert sprayed == [401] * 6 + [429]
        assert (await _ask(client, "blue", SECRETS["blue"], elsewhere)).status == 429

    # The wait doubles with each failure past the free ones, and success clears it.
    await asyncio.sleep(1.1)
    assert (await _ask(client, "blue", SECRETS["blue"])).status == 200
    assert (await _ask(client, "red", "guess-again")).status == 401
    again = await _ask(client, "red", SECRETS["red"])
    assert again.status == 429 and again.headers["Retry-After"] == "2"
    await asyncio.sleep(2.1)
    assert (await _ask(client, "red", SECRETS["red"])).status == 200


async def test_refusals_are_audited_apart_with_the_client_id(
    tenants: Tenants, redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    client, who = tenants
    created = await client.post(PACKAGES, json={}, headers=who["red"]())
    assert created.status == 201
    for n in range(8):
        await _ask(client, "mallory", f"guess-{n}")
    refused = [event.data for event in await read_all(redis, keyspace, EventStream.AUTH_FAILURES)]
    assert {entry["clientId"] for entry in refused} == {"mallory"}
    assert [entry["status"] for entry in refused] == [401] * 6 + [429] * 2
    assert all("guess" not in str(entry) for entry in refused)  # secrets never recorded
    audited = [event.data for event in await read_all(redis, keyspace, EventStream.AUDIT)]
    issued = [entry for entry in audited if entry["path"] == TOKEN]
    assert {(entry["clientId"], entry["status"]) for entry in issued} == {
        (name, 200) for name in ("red", "blue", "vnfm", "admin")
    }
    assert any(entry["path"] == PACKAGES and entry["status"] == 201 for entry in audited)


def test_a_weak_secret_stops_the_server_at_start(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "NFVO_ADMIN_PASSWORD": "hunter2",
        "NFVO_DATA_DIR": str(tmp_path),
        "NFVO_API_PORT": "1",
    }
    started = subprocess.run(
        [str(Path(sys.executable).parent / "nfvo"), "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert started.returncode != 0
    assert "admin_password" in started.stderr and "16 characters" in started.stderr
    assert "hunter2" not in started.stderr + started.stdout
