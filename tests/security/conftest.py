"""The security tier (docs/security.md): each module sends one family of attacks as a
client would, over real HTTP to a real server (real Redis, real workers, the real
composition of ``nfvo.api.app.build_app``), and checks the refusal and that nothing
leaked: no file content, no other tenant's id, no detail of what is reachable inside.

``tenants`` serves the catalogue behind its own token endpoint with two projects,
``red`` and ``blue``, the VNFM's client and the administrator.
"""

from __future__ import annotations

from typing import Any

import pytest

from nfvo.sol.callbacks import basic_header
from tests.integration.catalog.conftest import (  # noqa: F401 - fixtures of this tier too
    VERSIONS,
    Client,
    ServeFactory,
    serve_catalogue,
    shipped,
)

SECRETS = {name: f"{name}-s3cret-persimmon-7" for name in ("red", "blue", "vnfm", "admin")}
WRITE = ["vnfpkgm:read", "vnfpkgm:write", "nsd:read", "nsd:write"]
CLIENTS = [
    {"client_id": "red", "client_secret": SECRETS["red"], "project": "red", "scopes": WRITE},
    {"client_id": "blue", "client_secret": SECRETS["blue"], "project": "blue", "scopes": WRITE},
    {"client_id": "vnfm", "client_secret": SECRETS["vnfm"], "project": "vnfm",
     "scopes": ["vnfpkgm:read-onboarded"]},
]  # fmt: skip
PACKAGES = "/vnfpkgm/v2/vnf_packages"
NSDS = "/nsd/v2/ns_descriptors"
PNFDS = "/nsd/v2/pnf_descriptors"


async def token(client: Client, name: str) -> str:
    response = await client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic_header(name, SECRETS[name])},
    )
    assert response.status == 200, await response.text()
    access: str = (await response.json())["access_token"]
    return access


class Tenant:
    """One client's headers for either API."""

    def __init__(self, access_token: str) -> None:
        self.authorization = {"Authorization": f"Bearer {access_token}"}

    def __call__(self, api: str = "vnfpkgm", **extra: str) -> dict[str, str]:
        return {**VERSIONS[api], **self.authorization, **extra}


Tenants = tuple[Client, dict[str, Tenant]]


@pytest.fixture
async def tenants(serve_catalogue: ServeFactory) -> Tenants:  # noqa: F811 - the fixture
    client: Client = await serve_catalogue(
        auth_enabled=True, auth_clients=CLIENTS, admin_password=SECRETS["admin"]
    )
    names = [*(entry["client_id"] for entry in CLIENTS), "admin"]
    return client, {name: Tenant(await token(client, name)) for name in names}


def text_of(*bodies: Any) -> str:
    """Everything a client was answered, as one text to search for leaks."""
    return " ".join(repr(body) for body in bodies)
