"""Keystone v3 through the real openstacksdk and raw HTTP."""

from __future__ import annotations

import aiohttp
import openstack.exceptions
import pytest

from simulators.openstack.simulator import Simulator
from tests.integration.simulators.conftest import Http, connect, in_thread


async def test_version_documents(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sim.url}/identity") as response:
            body = await response.json()
            assert response.status == 300
            assert body["versions"]["values"][0]["id"].startswith("v3")
        async with http.get(f"{sim.url}/identity/v3") as response:
            assert (await response.json())["version"]["status"] == "stable"


async def test_password_token_with_catalogue(sim: Simulator, admin_http: Http) -> None:
    status, body, headers = await admin_http.call(
        "GET", "/identity/v3/auth/tokens", headers={"X-Subject-Token": admin_http.token}
    )
    assert status == 200
    assert headers["X-Subject-Token"] == admin_http.token
    token = body["token"]
    assert {r["name"] for r in token["roles"]} >= {"admin", "member"}
    types = {entry["type"]: entry for entry in token["catalog"]}
    assert {"identity", "compute", "network", "image", "block-storage", "placement"} <= set(types)
    interfaces = {e["interface"] for e in types["compute"]["endpoints"]}
    assert interfaces == {"public", "internal", "admin"}
    assert all(e["region_id"] == "RegionOne" for e in types["compute"]["endpoints"])


async def test_bad_password_is_401_with_keystone_body(sim: Simulator) -> None:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": "admin", "domain": {"name": "Default"}, "password": "wrong"}
                },
            }
        }
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sim.url}/identity/v3/auth/tokens", json=body) as response,
    ):
        assert response.status == 401
        error = (await response.json())["error"]
        assert error == {
            "code": 401,
            "title": "Unauthorized",
            "message": "The request you have made requires authentication.",
        }


async def test_no_token_is_401_everywhere(sim: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        for path in (
            "/compute/v2.1/servers",
            "/network/v2.0/ports",
            "/image/v2/images",
            "/placement/resource_providers",
        ):
            async with http.get(sim.url + path) as response:
                assert response.status == 401, path


async def test_admin_only_calls_refuse_members(member_http: Http) -> None:
    status, body, _ = await member_http.call("GET", "/identity/v3/users")
    assert status == 403
    assert body["error"]["code"] == 403
    status, body, _ = await member_http.call("GET", "/identity/v3/projects")
    assert status == 403


async def test_sdk_sees_projects_and_users_as_admin(sim: Simulator) -> None:
    def work() -> tuple[list[str], list[str]]:
        conn = connect(sim.clouds_yaml_path)
        return ([p.name for p in conn.identity.projects()], [u.name for u in conn.identity.users()])

    projects, users = await in_thread(work)
    assert {"admin", "tenant-a"} <= set(projects)
    assert {"admin", "operator-a"} <= set(users)


async def test_sdk_member_is_refused_admin_reads(sim: Simulator) -> None:
    def work() -> None:
        conn = connect(sim.clouds_yaml_path, "sim-member")
        list(conn.identity.users())

    with pytest.raises(openstack.exceptions.ForbiddenException):
        await in_thread(work)


async def test_application_credential_token(sim: Simulator, member_http: Http) -> None:
    _, token, _ = await member_http.call(
        "GET", "/identity/v3/auth/tokens", headers={"X-Subject-Token": member_http.token}
    )
    user_id = token["token"]["user"]["id"]
    status, body, _ = await member_http.call(
        "POST",
        f"/identity/v3/users/{user_id}/application_credentials",
        {"application_credential": {"name": "nfvo"}},
    )
    assert status == 201
    credential = body["application_credential"]
    auth = {
        "auth": {
            "identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": credential["id"], "secret": credential["secret"]},
            }
        }
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sim.url}/identity/v3/auth/tokens", json=auth) as response,
    ):
        assert response.status == 201
        body = await response.json()
        assert body["token"]["methods"] == ["application_credential"]
        assert body["token"]["project"]["name"] == "tenant-a"


async def test_sdk_with_application_credential(sim: Simulator, member_http: Http) -> None:
    _, token, _ = await member_http.call(
        "GET", "/identity/v3/auth/tokens", headers={"X-Subject-Token": member_http.token}
    )
    user_id = token["token"]["user"]["id"]
    _, body, _ = await member_http.call(
        "POST",
        f"/identity/v3/users/{user_id}/application_credentials",
        {"application_credential": {"name": "sdk"}},
    )
    credential = body["application_credential"]

    def work() -> list[str]:
        conn = openstack.connect(
            auth_type="v3applicationcredential",
            auth={
                "auth_url": f"{sim.url}/identity/v3",
                "application_credential_id": credential["id"],
                "application_credential_secret": credential["secret"],
            },
            region_name="RegionOne",
            load_yaml_config=False,
            load_envvars=False,
        )
        return [f.name for f in conn.compute.flavors()]

    assert "m1.small" in await in_thread(work)


async def test_revoked_token_is_refused(sim: Simulator, admin_http: Http) -> None:
    status, _, _ = await admin_http.call(
        "DELETE", "/identity/v3/auth/tokens", headers={"X-Subject-Token": admin_http.token}
    )
    assert status == 204
    status, _, _ = await admin_http.call("GET", "/compute/v2.1/servers")
    assert status == 401


async def test_auth_projects_and_catalog(member_http: Http) -> None:
    status, body, _ = await member_http.call("GET", "/identity/v3/auth/projects")
    assert status == 200
    (project,) = body["projects"]
    assert project["name"] == "tenant-a"
    status, body, _ = await member_http.call("GET", "/identity/v3/auth/catalog")
    assert status == 200
    volume = next(e for e in body["catalog"] if e["type"] == "block-storage")
    assert volume["endpoints"][0]["url"].endswith(f"/volume/v3/{project['id']}")


async def test_member_cannot_validate_someone_elses_token(
    admin_http: Http, member_http: Http
) -> None:
    status, _, _ = await member_http.call(
        "GET", "/identity/v3/auth/tokens", headers={"X-Subject-Token": admin_http.token}
    )
    assert status == 403
