"""The catalogue behind real tokens: scopes, projects and the VNFM's cross-project reads.

Tokens come from the built-in endpoint of the same server; every record's owner is
the creating token's project, another project's entries answer exactly as missing
ones, and an audit event is written per state-changing request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from nfvo.sol.callbacks import basic_header
from nfvo.store.events import EventStream, read_all
from nfvo.store.keys import Keyspace
from tests.integration.catalog.conftest import VERSIONS, Client, ServeFactory, wait_state

V = VERSIONS["vnfpkgm"]
PACKAGES = "/vnfpkgm/v2/vnf_packages"
CLIENTS = [
    {"client_id": "red", "client_secret": "red-secret-persimmon-7", "project": "red",
     "scopes": ["vnfpkgm:read", "vnfpkgm:write"]},
    {"client_id": "blue", "client_secret": "blue-secret-persimmon-7", "project": "blue",
     "scopes": ["vnfpkgm:read", "vnfpkgm:write"]},
    {"client_id": "reader", "client_secret": "reader-secret-persimmon-7", "project": "blue",
     "scopes": ["vnfpkgm:read"]},
    {"client_id": "vnfm", "client_secret": "vnfm-secret-persimmon-7", "project": "vnfm",
     "scopes": ["vnfpkgm:read-onboarded"]},
]  # fmt: skip


async def token(client: Client, name: str) -> dict[str, str]:
    response = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic_header(name, f"{name}-secret-persimmon-7")},
    )
    assert response.status == 200, await response.text()
    return {**V, "Authorization": f"Bearer {(await response.json())['access_token']}"}


@pytest.fixture
async def tenants(serve_catalogue: ServeFactory) -> tuple[Client, dict[str, dict[str, str]]]:
    client = await serve_catalogue(auth_enabled=True, auth_clients=CLIENTS)
    return client, {
        entry["client_id"]: await token(client, entry["client_id"]) for entry in CLIENTS
    }


async def onboard_as(client: Client, headers: dict[str, str], archive: Path) -> dict[str, Any]:
    created = await client.post(PACKAGES, json={}, headers=headers)
    assert created.status == 201, await created.text()
    href = (await created.json())["_links"]["self"]["href"]
    upload = {**headers, "Content-Type": "application/zip"}
    response = await client.put(
        f"{href}/package_content", data=archive.read_bytes(), headers=upload
    )
    assert response.status == 202, await response.text()
    return await wait_state(client, href, headers=headers)


async def test_no_token_is_401_and_a_missing_scope_403(
    tenants: tuple[Client, dict[str, dict[str, str]]],
) -> None:
    client, headers = tenants
    bare = await client.get(PACKAGES, headers=V)
    assert bare.status == 401
    assert bare.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await bare.json())["status"] == 401
    refused = await client.post(PACKAGES, json={}, headers=headers["reader"])
    assert refused.status == 403
    assert "vnfpkgm:write" in (await refused.json())["detail"]
    vnfm_list = await client.get(PACKAGES, headers=headers["vnfm"])
    assert vnfm_list.status == 403  # the VNFM reads the SOL003 face only


async def test_projects_see_only_their_own_entries(
    tenants: tuple[Client, dict[str, dict[str, str]]],
) -> None:
    client, headers = tenants
    red = await (await client.post(PACKAGES, json={}, headers=headers["red"])).json()
    blue = await (await client.post(PACKAGES, json={}, headers=headers["blue"])).json()
    assert "owner" not in red

    async def listed(who: str, flt: str | None = None) -> set[str]:
        params = {"filter": flt} if flt else {}
        response = await client.get(PACKAGES, params=params, headers=headers[who])
        return {item["id"] for item in await response.json()}

    assert await listed("red") == {red["id"]}
    # the owner index and the filter's, intersected in Redis
    assert await listed("red", "(eq,onboardingState,CREATED)") == {red["id"]}
    assert await listed("red", "(eq,onboardingState,ONBOARDED)") == set()
    assert await listed("blue") == await listed("reader") == {blue["id"]}
    other = await client.get(f"{PACKAGES}/{blue['id']}", headers=headers["red"])
    missing = await client.get(f"{PACKAGES}/not-there", headers=headers["red"])
    assert other.status == missing.status == 404
    assert (await other.json())["detail"] == f"there is no VNF package {blue['id']!r}"
    patched = await client.patch(
        f"{PACKAGES}/{blue['id']}",
        data=b'{"userDefinedData": {"a": "b"}}',
        headers={**headers["red"], "Content-Type": "application/merge-patch+json"},
    )
    assert patched.status == 404
    deleted = await client.delete(f"{PACKAGES}/{blue['id']}", headers=headers["red"])
    assert deleted.status == 404
    assert (await client.delete(f"{PACKAGES}/{blue['id']}", headers=headers["blue"])).status == 204


async def test_the_vnfm_reads_every_projects_onboarded_packages(
    tenants: tuple[Client, dict[str, dict[str, str]]], shipped: dict[str, Path]
) -> None:
    client, headers = tenants
    body = await onboard_as(client, headers["red"], shipped["nrf"])
    assert body["onboardingState"] == "ONBOARDED"
    face = f"/vnfpkgm/v2/onboarded_vnf_packages/{body['vnfdId']}"
    seen = await client.get(face, headers=headers["vnfm"])
    assert seen.status == 200 and (await seen.json())["id"] == body["id"]
    vnfd = await client.get(
        f"{face}/vnfd", headers={**headers["vnfm"], "Accept": "application/zip"}
    )
    assert vnfd.status == 200
    assert (await client.get(face, headers=headers["blue"])).status == 403
    # An entry not yet onboarded is nobody else's business, the VNFM's included.
    pending = await (await client.post(PACKAGES, json={}, headers=headers["red"])).json()
    hidden = await client.get(f"{PACKAGES}/{pending['id']}", headers=headers["blue"])
    assert hidden.status == 404


async def test_state_changes_are_audited_with_who_and_what(
    tenants: tuple[Client, dict[str, dict[str, str]]],
    redis: aioredis.Redis,
    keyspace: Keyspace,
) -> None:
    client, headers = tenants
    await client.post(PACKAGES, json={}, headers=headers["blue"])
    await client.post(PACKAGES, json={}, headers=headers["reader"])
    await client.get(PACKAGES, headers=headers["blue"])  # reads are not audited
    events = await read_all(redis, keyspace, EventStream.AUDIT)
    records = [event.data for event in events if event.data["path"].startswith(PACKAGES)]
    assert [(r["subject"], r["project"], r["method"], r["status"]) for r in records] == [
        ("blue", "blue", "POST", 201),
        ("reader", "blue", "POST", 403),
    ]
