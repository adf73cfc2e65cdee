"""Two tenants on one API: neither sees nor changes the other's records; all is audited."""

from __future__ import annotations

import logging

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient

from nfvo.sol.problems import NotFound
from nfvo.sol.tenancy import READ_ONBOARDED_SCOPE, OwnedRecords, can_read_package
from nfvo.sol.tokens import Principal
from nfvo.store.events import EventStream, read_all
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository
from tests.integration.sol.secured import SECRETS, bearer, token_for

Client = TestClient[web.Request, web.Application]


@pytest.fixture
def client(secured_client: Client) -> Client:
    return secured_client


async def test_a_second_tenant_sees_and_changes_nothing_of_the_first(client: Client) -> None:
    red, blue = bearer(await token_for(client, "alice")), bearer(await token_for(client, "bob"))
    created = await client.post("/gizmos/v1/gizmos", json={"name": "amf"}, headers=red)
    assert created.status == 201
    gizmo = await created.json()
    assert "owner" not in gizmo  # bookkeeping, not wire data
    path = f"/gizmos/v1/gizmos/{gizmo['id']}"

    assert await (await client.get("/gizmos/v1/gizmos", headers=blue)).json() == []
    foreign = await client.get(path, headers=blue)
    missing = await client.get("/gizmos/v1/gizmos/0123456789abcdef", headers=blue)
    assert foreign.status == missing.status == 404  # not 403: existence does not leak
    assert "there is no gizmo" in (await foreign.json())["detail"]
    patch_headers = {**blue, "Content-Type": "application/merge-patch+json"}
    patched = await client.patch(path, data=b'{"name": "mine"}', headers=patch_headers)
    assert patched.status == 404
    assert (await client.delete(path, headers=blue)).status == 404

    mine = await (await client.get(path, headers=red)).json()
    assert mine["name"] == "amf"
    listed = await (await client.get("/gizmos/v1/gizmos", headers=red)).json()
    assert [item["id"] for item in listed] == [gizmo["id"]]


async def test_an_admin_sees_every_tenant(client: Client) -> None:
    for name in ("alice", "bob"):
        headers = bearer(await token_for(client, name))
        assert (await client.post("/gizmos/v1/gizmos", json={"name": name}, headers=headers)).ok
    admin = bearer(await token_for(client, "admin"))
    listed = await (await client.get("/gizmos/v1/gizmos", headers=admin)).json()
    assert sorted(item["name"] for item in listed) == ["alice", "bob"]
    red = bearer(await token_for(client, "alice"))
    own = await (await client.get("/gizmos/v1/gizmos", headers=red)).json()
    assert [item["name"] for item in own] == ["alice"]


async def test_the_owner_survives_a_patch(client: Client) -> None:
    red = bearer(await token_for(client, "alice"))
    gizmo = await (await client.post("/gizmos/v1/gizmos", json={"name": "a"}, headers=red)).json()
    headers = {**red, "Content-Type": "application/merge-patch+json"}
    path = f"/gizmos/v1/gizmos/{gizmo['id']}"
    # A client trying to hand its record to another project: the owner is kept.
    response = await client.patch(path, data=b'{"owner": "blue", "name": "b"}', headers=headers)
    assert response.status == 200
    blue = bearer(await token_for(client, "bob"))
    assert (await client.get(path, headers=blue)).status == 404


async def test_the_audit_stream_records_both_tenants_and_no_secret(
    client: Client,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    red_token, blue_token = await token_for(client, "alice"), await token_for(client, "bob")
    red, blue = bearer(red_token), bearer(blue_token)
    gizmo = await (await client.post("/gizmos/v1/gizmos", json={"name": "a"}, headers=red)).json()
    await client.delete(f"/gizmos/v1/gizmos/{gizmo['id']}", headers=blue)
    await client.post("/gizmos/v1/gizmos", json={"name": "b"}, headers=blue)
    no_token = {"Version": "1.0.0"}
    await client.post("/gizmos/v1/gizmos", json={"name": "c"}, headers=no_token)
    await client.get("/gizmos/v1/gizmos", headers=red)  # reads are not audited

    events = await read_all(redis, keyspace, EventStream.AUDIT)
    api_events = [event.data for event in events if event.data["path"].startswith("/gizmos")]
    seen = [(e["subject"], e["project"], e["method"], e["status"]) for e in api_events]
    assert seen == [
        ("alice", "red", "POST", 201),
        ("bob", "blue", "DELETE", 404),
        ("bob", "blue", "POST", 201),
        (None, None, "POST", 401),
    ]
    first = api_events[0]
    assert first["requestId"] and first["durationMs"] >= 0
    assert first["path"] == "/gizmos/v1/gizmos"
    token_requests = [event for event in events if event.data["path"] == "/oauth2/token"]
    assert len(token_requests) == 2 and all(e.data["status"] == 200 for e in token_requests)

    raw = str(await redis.xrange(keyspace.stream(EventStream.AUDIT.value)))
    for secret in [*SECRETS.values(), red_token, blue_token]:
        assert secret not in raw
        assert secret not in caplog.text


def test_the_vnfm_reads_onboarded_packages_of_every_tenant() -> None:
    vnfm = Principal("vnfm", "vnfm", frozenset({READ_ONBOARDED_SCOPE}))
    tenant = Principal("alice", "red", frozenset({"vnfpkgm:read"}))
    onboarded = {"owner": "red", "onboardingState": "ONBOARDED"}
    uploading = {"owner": "red", "onboardingState": "UPLOADING"}
    assert can_read_package(vnfm, onboarded) and not can_read_package(vnfm, uploading)
    assert can_read_package(tenant, uploading)
    assert not can_read_package(Principal("bob", "blue", frozenset()), onboarded)


async def test_owned_records_let_the_vnfm_read_onboarded_packages(
    redis: aioredis.Redis, keyspace: Keyspace
) -> None:
    packages = Repository(redis, keyspace, "vnf-package", indexed=("owner",))
    tenant = Principal("alice", "red", frozenset({"vnfpkgm:write"}))
    await OwnedRecords(packages, tenant).create("p1", {"onboardingState": "ONBOARDED"})
    await OwnedRecords(packages, tenant).create("p2", {"onboardingState": "CREATED"})
    vnfm = OwnedRecords(packages, Principal("vnfm", "ops", frozenset({READ_ONBOARDED_SCOPE})))
    assert (await vnfm.get_package("p1")).document["owner"] == "red"
    with pytest.raises(NotFound):
        await vnfm.get_package("p2")
    with pytest.raises(NotFound):
        await vnfm.get("p1")  # only packages cross projects, and only for reading
    assert (await vnfm.list()).items == []
    with pytest.raises(ValueError, match="does not index 'owner'"):
        OwnedRecords(Repository(redis, keyspace, "unowned"), tenant)
