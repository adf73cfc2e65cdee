"""With authentication on: the VNF manager reads packages and asks for grants with its
own client-credentials token; operators see only their project's VNF instances."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.e2e.vnfm.conftest import StackFactory
from tests.e2e.vnfm.test_failures import instantiate_nrf

LCM_SCOPES = ["vnflcm:read", "vnflcm:write", "vnfpkgm:read", "vnfpkgm:write"]


def client(client_id: str, scopes: list[str], project: str) -> dict[str, Any]:
    secret = f"{client_id}-s3cret-9-for-tests"
    return {"client_id": client_id, "client_secret": secret, "scopes": scopes, "project": project}


async def test_the_manager_uses_its_own_token_and_tenants_stay_apart(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(
        operator=("red", "red-s3cret-9-for-tests"),
        auth_enabled=True,
        auth_clients=[
            client("vnfm", ["vnfpkgm:read-onboarded", "grant:write"], "vnfm"),
            client("red", LCM_SCOPES, "red"),
            client("blue", LCM_SCOPES, "blue"),
        ],
        vnfm_client_id="vnfm",
        vnfm_client_secret="vnfm-s3cret-9-for-tests",
    )
    instance = await stack.create("nrf")  # the manager read red's package with its token
    occurrence = await stack.wait(await instantiate_nrf(stack, instance["id"]))
    assert occurrence["operationState"] == "COMPLETED", occurrence
    assert stack.grants.requests  # the grant API let the manager's token in
    issued = await stack.client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=aiohttp.BasicAuth("blue", "blue-s3cret-9-for-tests"),
    )
    blue = {"Version": "2.3.0", "Authorization": f"Bearer {(await issued.json())['access_token']}"}
    seen = await stack.client.get(f"/vnflcm/v2/vnf_instances/{instance['id']}", headers=blue)
    assert seen.status == 404
    listed = await stack.client.get("/vnflcm/v2/vnf_lcm_op_occs", headers=blue)
    assert await listed.json() == []
    anonymous = await stack.client.get("/vnflcm/v2/vnf_instances", headers={"Version": "2.3.0"})
    assert anonymous.status == 401
