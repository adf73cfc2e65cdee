"""The simulator in-process on loopback, and the real openstacksdk talking to it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import jsonschema
import openstack
import openstack.config
import pytest
import redis.asyncio as aioredis

from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import INVENTORY_DIR, SCHEMA_DIR
from simulators.openstack.simulator import Simulator

T = TypeVar("T")
LAB = INVENTORY_DIR / "lab.yaml"


def connect(clouds_yaml: Path, cloud: str = "sim") -> openstack.connection.Connection:
    config = openstack.config.OpenStackConfig(config_files=[str(clouds_yaml)])
    return openstack.connection.Connection(config=config.get_one(cloud))


async def in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(function, *args, **kwargs)


@pytest.fixture
def stream_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}:openstack"


async def token_for(sim: Simulator, user: str = "admin", password: str = "admin-secret") -> str:
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "domain": {"name": "Default"}, "password": password}
                },
            }
        }
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sim.url}/identity/v3/auth/tokens", json=body) as response,
    ):
        assert response.status == 201
        return response.headers["X-Subject-Token"]


class Http:
    """Raw HTTP with a token, to check what the SDK hides: headers, codes, error bodies."""

    def __init__(self, sim: Simulator, token: str) -> None:
        self.url, self.token = sim.url, token
        self.image_id = named(sim, "images", "cirros")

    async def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, Any]:
        all_headers = {"X-Auth-Token": self.token, **(headers or {})}
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.url + path, json=body, headers=all_headers) as response,
        ):
            text = await response.text()
            data = (
                json.loads(text) if text and response.content_type == "application/json" else text
            )
            return response.status, data, response.headers


@pytest.fixture
async def admin_http(sim: Simulator) -> Http:
    return Http(sim, await token_for(sim))


@pytest.fixture
async def member_http(sim: Simulator) -> Http:
    return Http(sim, await token_for(sim, "operator-a", "operator-a-secret"))


@pytest.fixture
async def sim(redis_url: str, stream_prefix: str) -> AsyncIterator[Simulator]:
    config = SimConfig(time_scale=0.0, redis_url=redis_url, stream_prefix=stream_prefix)
    async with Simulator(LAB, config=config) as simulator:
        yield simulator


@pytest.fixture
def admin(sim: Simulator) -> openstack.connection.Connection:
    return connect(sim.clouds_yaml_path, "sim")


@pytest.fixture
def member(sim: Simulator) -> openstack.connection.Connection:
    return connect(sim.clouds_yaml_path, "sim-member")


@pytest.fixture
def notification_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (SCHEMA_DIR / "vim-notifications.v1.schema.json").read_text()
    )
    return schema


class Streams:
    """Read what the simulator published, each entry checked against the schema."""

    def __init__(self, client: aioredis.Redis, prefix: str, schema: dict[str, Any]) -> None:
        self.client, self.prefix, self.schema = client, prefix, schema

    def _check(self, fields: dict[bytes, bytes], definition: str) -> dict[str, Any]:
        entry = {k.decode(): v.decode() for k, v in fields.items()}
        jsonschema.validate(entry, self.schema)
        body: dict[str, Any] = json.loads(entry["message"])
        sub = {**self.schema["$defs"][definition], "$defs": self.schema["$defs"]}
        jsonschema.validate(body, sub)
        return body

    async def nova(self, topic: str = "info") -> list[dict[str, Any]]:
        key = f"{self.prefix}:versioned_notifications.{topic}"
        result = []
        for _, fields in await self.client.xrange(key):
            envelope = self._check(fields, "oslo_envelope")
            inner: dict[str, Any] = json.loads(envelope["oslo.message"])
            sub = {**self.schema["$defs"]["nova_notification"], "$defs": self.schema["$defs"]}
            jsonschema.validate(inner, sub)
            result.append(inner)
        return result

    async def hosts(self) -> list[dict[str, Any]]:
        key = f"{self.prefix}:host_notifications"
        return [
            self._check(fields, "masakari_notification")
            for _, fields in await self.client.xrange(key)
        ]

    async def events(self, server_id: str | None = None) -> list[str]:
        return [
            n["event_type"]
            for n in await self.nova() + await self.nova("error")
            if server_id is None
            or n["payload"]["nova_object.data"].get("uuid") == server_id
            or n["payload"]["nova_object.data"].get("instance_uuid") == server_id
        ]


@pytest.fixture
async def streams(
    redis_url: str, stream_prefix: str, notification_schema: dict[str, Any]
) -> AsyncIterator[Streams]:
    client = aioredis.Redis.from_url(redis_url)
    yield Streams(client, stream_prefix, notification_schema)
    keys = [k async for k in client.scan_iter(match=f"{stream_prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def named(sim: Simulator, kind: str, name: str) -> str:
    """The id of a flavor, image or network of the simulated cloud, by name."""
    items = getattr(sim.cloud, kind)
    return next(item.id for item in items.values() if item.name == name)


LATEST = {"OpenStack-API-Version": "compute latest"}


async def boot(
    http: Http,
    name: str,
    flavor: str,
    *,
    network: str | None = None,
    ports: list[str] | None = None,
    version: str = "2.96",
    hints: dict[str, Any] | None = None,
    **extra: Any,
) -> tuple[int, Any]:
    networks: Any = [{"uuid": network}] if network else [{"port": p} for p in ports or []]
    server = {
        "name": name,
        "flavorRef": flavor,
        "imageRef": named_image(http),
        "networks": networks or "none",
        **extra,
    }
    body: dict[str, Any] = {"server": server}
    if hints:
        body["os:scheduler_hints"] = hints
    status, data, _ = await http.call(
        "POST", "/compute/v2.1/servers", body, {"OpenStack-API-Version": f"compute {version}"}
    )
    return status, data


def named_image(http: Http) -> str:
    return http.image_id


async def show(http: Http, server_id: str, version: str = "2.96") -> dict[str, Any]:
    status, body, _ = await http.call(
        "GET",
        f"/compute/v2.1/servers/{server_id}",
        headers={"OpenStack-API-Version": f"compute {version}"},
    )
    assert status == 200, body
    server: dict[str, Any] = body["server"]
    return server


async def sim_view(http: Http, path: str) -> Any:
    status, body, _ = await http.call("GET", "/_sim" + path)
    assert status == 200, body
    return body


async def make_flavor(
    http: Http, name: str, vcpus: int, ram: int, specs: dict[str, str] | None = None, disk: int = 1
) -> str:
    status, body, _ = await http.call(
        "POST",
        "/compute/v2.1/flavors",
        {"flavor": {"name": name, "vcpus": vcpus, "ram": ram, "disk": disk}},
    )
    assert status == 200, body
    flavor_id: str = body["flavor"]["id"]
    if specs:
        status, body, _ = await http.call(
            "POST", f"/compute/v2.1/flavors/{flavor_id}/os-extra_specs", {"extra_specs": specs}
        )
        assert status == 200, body
    return flavor_id


async def make_port(
    http: Http, sim: Simulator, network: str, vnic: str = "normal", **extra: Any
) -> str:
    body = {
        "port": {"network_id": named(sim, "networks", network), "binding:vnic_type": vnic, **extra}
    }
    status, data, _ = await http.call("POST", "/network/v2.0/ports", body)
    assert status == 201, data
    port_id: str = data["port"]["id"]
    return port_id
