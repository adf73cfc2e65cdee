"""A client that keeps onboarding the shipped packages, as an OSS would, and what it saw.

:class:`Onboarder` goes round the packages one after another: it creates an entry,
streams the package into it in small chunks (slowly enough that a crash can land in
the middle of an upload), waits for onboarding to end, and before it uploads a package
again it deletes the entry it made for it last time (disabling it first), so an upload
is never a duplicate of one it still holds. Anything an outage makes a client meet
(a 503, a connection refused or cut, a timeout) makes it move on to the next package
after a short pause, as a client that retries later would; every status it was
answered is counted, so a test can assert that none was a 500.

:func:`settled` and :func:`leftovers` are the checks a crash test ends with: every
entry in a final state, and nothing on disk that a dead process left.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from nfvo.store.scratch import owner_name

VERSIONS = {"vnfpkgm": {"Version": "2.4.0"}, "nsd": {"Version": "2.3.0"}}
NSD_NAME = "5gc-sa"
FINAL = ("ONBOARDED", "ERROR")
# Where an abandoned upload is recovered to (nfvo.catalog.uploads): a final state too.
RECOVERED = "CREATED"
CHUNK = 256
CHUNK_PAUSE = 0.02  # a 4 KiB package takes about a third of a second to send
FAILURES = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError)


def api_of(name: str) -> tuple[str, str, str]:
    """(api, container path, content resource) of a shipped package by its name."""
    if name == NSD_NAME:
        return "nsd", "/nsd/v2/ns_descriptors", "nsd_content"
    return "vnfpkgm", "/vnfpkgm/v2/vnf_packages", "package_content"


def state_of(body: dict[str, Any]) -> str:
    return str(body.get("onboardingState") or body.get("nsdOnboardingState"))


class Refused(Exception):
    """An answer a client in an outage meets; the request may or may not have landed."""


@dataclass
class Onboarder:
    api: str
    packages: dict[str, bytes]  # name -> CSAR
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    onboarded: int = 0
    current: str | None = None  # the href of the entry being onboarded
    uploading: asyncio.Event = field(default_factory=asyncio.Event)  # its body is being sent
    submitted: asyncio.Event = field(default_factory=asyncio.Event)  # its upload was accepted
    _latest: dict[str, str] = field(default_factory=dict)  # name -> href of its last entry

    async def run(self, stop: asyncio.Event) -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while not stop.is_set():
                for name, content in self.packages.items():
                    if stop.is_set():
                        return
                    try:
                        await self._one(http, name, content)
                    except (Refused, *FAILURES) as exc:
                        self.failures[type(exc).__name__] += 1
                        await asyncio.sleep(0.2)
                    finally:
                        self.uploading.clear()
                        self.submitted.clear()

    async def _request(
        self, http: aiohttp.ClientSession, method: str, url: str, **options: Any
    ) -> dict[str, Any]:
        async with http.request(method, url, **options) as response:
            self.statuses[response.status] += 1
            text = await response.text()
            if response.status >= 400:
                raise Refused(f"{method} {url}: {response.status} {text[:200]}")
            return dict(await response.json()) if text and response.status != 204 else {}

    async def _one(self, http: aiohttp.ClientSession, name: str, content: bytes) -> None:
        kind, container, resource = api_of(name)
        headers = VERSIONS[kind]
        previous = self._latest.pop(name, None)
        if previous is not None:
            await self._delete(http, previous, kind)
        created = await self._request(http, "POST", self.api + container, json={}, headers=headers)
        href = self.api + created["_links"]["self"]["href"]
        self._latest[name] = self.current = href
        await self._request(
            http,
            "PUT",
            f"{href}/{resource}",
            data=self._slowly(content),
            headers={**headers, "Content-Type": "application/zip"},
        )
        self.submitted.set()
        async with asyncio.timeout(30):  # polling another process: no event to wait on
            while True:
                if state_of(await self._request(http, "GET", href, headers=headers)) in FINAL:
                    break
                await asyncio.sleep(0.05)
        self.onboarded += 1

    async def _delete(self, http: aiohttp.ClientSession, href: str, kind: str) -> None:
        headers = VERSIONS[kind]
        body = await self._request(http, "GET", href, headers=headers)
        if state_of(body) == "ONBOARDED":
            state = "nsdOperationalState" if kind == "nsd" else "operationalState"
            patch = {**headers, "Content-Type": "application/merge-patch+json"}
            await self._request(http, "PATCH", href, json={state: "DISABLED"}, headers=patch)
        await self._request(http, "DELETE", href, headers=headers)

    async def _slowly(self, content: bytes) -> AsyncIterator[bytes]:
        self.uploading.set()
        for start in range(0, len(content), CHUNK):
            yield content[start : start + CHUNK]
            await asyncio.sleep(CHUNK_PAUSE)
        self.uploading.clear()


async def entries(api: str) -> list[dict[str, Any]]:
    """Every VNF package and NSD the catalogue holds (all pages, every attribute)."""
    found: list[dict[str, Any]] = []
    async with aiohttp.ClientSession() as http:
        for kind, container in (("vnfpkgm", "/vnfpkgm/v2/vnf_packages"),
                                ("nsd", "/nsd/v2/ns_descriptors")):  # fmt: skip
            url: str | None = f"{api}{container}?all_fields"
            while url is not None:
                async with http.get(url, headers=VERSIONS[kind]) as response:
                    assert response.status == 200, await response.text()
                    found += await response.json()
                    link = response.headers.get("Link")
                url = re.sub(r"^<(.*)>.*$", r"\1", link) if link else None
    return found


async def settled(api: str, within: float = 90.0) -> list[dict[str, Any]]:
    """Every entry once none is UPLOADING or PROCESSING (recovery runs in the background:
    leases lapse, the upload janitor sweeps); what is still on its way after ``within``
    seconds is returned as it is, for the assertion to name."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        listed = await entries(api)
        pending = [entry for entry in listed if state_of(entry) not in (*FINAL, RECOVERED)]
        if not pending or asyncio.get_running_loop().time() > deadline:
            return listed
        await asyncio.sleep(0.5)


def unsettled(listed: list[dict[str, Any]]) -> list[str]:
    """What breaks the rule: an entry in an intermediate state, or in ERROR without a
    reason; each as ``id: state (reason)``."""
    wrong = []
    for entry in listed:
        state = state_of(entry)
        reason = (entry.get("onboardingFailureDetails") or {}).get("detail")
        if state not in (*FINAL, RECOVERED) or (state == "ERROR" and not reason):
            wrong.append(f"{entry['id']}: {state} ({reason})")
    return wrong


def leftovers(data_dir: Path, live_pids: tuple[int, ...] = ()) -> list[Path]:
    """What a killed process may leave on disk that nobody will ever clear: partial blob
    writes, staged blobs, scratch folders of processes that no longer run."""
    blobs, scratch = data_dir / "blobs", data_dir / "scratch"
    left = [path for path in blobs.rglob("*.part")] if blobs.is_dir() else []
    if (blobs / "staging").is_dir():
        left += list((blobs / "staging").iterdir())
    live = {owner_name(pid) for pid in live_pids}
    if scratch.is_dir():
        left += [folder for folder in scratch.iterdir() if folder.name not in live]
    return left
