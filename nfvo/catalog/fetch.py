"""``upload_from_uri`` (SOL005 clauses 9.4.5a, 5.4.4a): fetch a package over http(s).

The NFVO fetches what a client names, so the fetch is bounded in size and time and
refuses loopback, link-local, private and other non-global addresses (server-side
request forgery, ``nfvo.sol.addresses``) unless the ``upload_allow_private`` setting
allows them: once when the request arrives (a 400), and again on the connection the
job makes, which connects only to the addresses it checked. Redirects are not
followed: a public address could otherwise redirect to a private one. No refusal
says what a name resolves to, so a client cannot map the operator's network with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import orjson

from descriptors.problems import Problem
from nfvo.catalog.records import CatalogRecord, Kind, StoredProblem
from nfvo.catalog.store import CatalogStore, duplicate_text
from nfvo.catalog.wire import OnboardingState
from nfvo.sol.addresses import AddressPolicy, AddressRefused
from nfvo.sol.callbacks import basic_header
from nfvo.sol.problems import InvalidRequest
from nfvo.store.blobs import BLOBS, BlobTooLarge
from nfvo.store.guards import Fence
from nfvo.store.secrets import SECRETS, SecretBox
from nfvo.store.steps import StepContext


class FetchRefused(InvalidRequest):
    """The URI may not or cannot be fetched; the detail says why."""


def _refuse(uri: str, why: str) -> FetchRefused:
    return FetchRefused(f"addressInformation {uri[:200]!r}: {why}")


async def check_uri(uri: str, *, allow_private: bool) -> None:
    """400 unless ``uri`` is http(s) to a host whose every address may be fetched."""
    try:
        await AddressPolicy(allow_private=allow_private).resolve(uri)
    except AddressRefused:
        raise _refuse(
            uri,
            "only http(s) URIs whose host resolves to public addresses are fetched "
            "(loopback, link-local and private ones only when the upload_allow_private "
            "setting allows them)",
        ) from None


async def _body(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    async for chunk in response.content.iter_chunked(1 << 20):
        yield chunk


async def fetch_into(
    store: CatalogStore,
    key: str,
    uri: str,
    *,
    max_bytes: int,
    time_limit: float,
    allow_private: bool,
    auth: tuple[str, str] | None = None,
) -> tuple[int, str]:
    """Stream ``uri`` into the blob ``key``; (size, sha256) or FetchRefused/BlobTooLarge."""
    await check_uri(uri, allow_private=allow_private)
    headers = {"Authorization": basic_header(*auth)} if auth else {}
    bounds = aiohttp.ClientTimeout(total=time_limit)
    connector = AddressPolicy(allow_private=allow_private).connector()
    try:
        async with (
            aiohttp.ClientSession(timeout=bounds, connector=connector) as session,
            session.get(uri, allow_redirects=False, headers=headers) as response,
        ):
            if response.status != 200:
                raise _refuse(uri, f"the server answered {response.status}, not 200")
            info = await store.blobs.put(key, _body(response), max_bytes)
    except (aiohttp.ClientError, TimeoutError) as exc:
        # The exception's type only: its text names addresses and ports.
        raise _refuse(uri, f"the fetch failed ({type(exc).__name__})") from None
    return info.size, info.sha256


async def _fail(store: CatalogStore, record: CatalogRecord, problem: Problem, fence: Fence) -> None:
    failed = record.but(
        onboarding_state=OnboardingState.ERROR,
        failure=[StoredProblem(**problem.model_dump(mode="json"))],
    )
    await store.save(failed, version=None, guards=[fence])


def seal_credentials(box: SecretBox, auth: tuple[str, str]) -> str:
    """What a job's parameters hold of the fetch's credentials: never them in clear."""
    return box.seal(orjson.dumps(list(auth)).decode())


def open_credentials(box: SecretBox, sealed: str | None) -> tuple[str, str] | None:
    if not sealed:
        return None
    user, password = orjson.loads(box.open(sealed))
    return str(user), str(password)


async def fetch_step(ctx: StepContext) -> Mapping[str, Any]:
    """The job's first step for a from-URI upload: fetch, then hand over to onboarding."""
    store = CatalogStore(ctx.redis, ctx.keyspace, ctx[BLOBS])
    kind = Kind(ctx.params["kind"])
    record = await store.find(kind, ctx.params["id"])
    if record is None or record.onboarding_state is not OnboardingState.UPLOADING:
        return {"skipped": True}
    key = f"{kind.value}/{record.id}/content"
    try:
        size, sha256 = await fetch_into(
            store,
            key,
            ctx.params["uri"],
            max_bytes=int(ctx.params["maxBytes"]),
            time_limit=float(ctx.params["timeout"]),
            allow_private=bool(ctx.params.get("allowPrivate")),
            auth=open_credentials(ctx[SECRETS], ctx.params.get("auth")),
        )
    except (FetchRefused, BlobTooLarge) as exc:
        await _fail(store, record, Problem(message=exc.detail, code="fetch"), ctx.fence)
        return {"fetched": False}
    duplicate = await store.duplicate_of(record, sha256)
    if duplicate is not None:  # as an upload would be refused (409), so is a fetch
        await store.blobs.discard(key)
        text = duplicate_text(duplicate, sha256)
        await _fail(store, record, Problem(message=text, code="duplicate"), ctx.fence)
        return {"fetched": False, "duplicateOf": duplicate.id}
    fetched = record.but(
        onboarding_state=OnboardingState.PROCESSING,
        content_key=key,
        content_sha256=sha256,
        content_size=size,
        content_type="application/zip",
    )
    await store.save(fetched, version=None, guards=[ctx.fence])
    return {"fetched": True, "size": size}
