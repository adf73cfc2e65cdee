"""The 5G core onboarded on a served NFVO, driven through a third-party VNFM
(``tests.support.vnfm``) that knows the shipped VNFs from their stored descriptors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from descriptors.stored import StoredVnfd
from nfvo.catalog.records import Kind
from nfvo.lcm.vnfms import VnfmRecord
from nfvo.placement.requests import vdu_counts
from tests.integration.catalog.conftest import onboard
from tests.integration.lcm.conftest import Nfvo, StartNfvo
from tests.support.vnfm import MiniVnfm, VduSpec, VnfSpec

NSLCM = {"Version": "2.3.0"}
VNF_NAMES = ("nrf", "amf", "smf", "upf", "ausf", "udm", "udr", "pcf", "nssf")
NSD_ID = "f6e54203-1e91-57f6-bba5-d214d2d4eaa0"
VNFM_CLIENT = ("vnfm", "vnfm-s3cret-tamarind")
CLIENTS = [
    {
        "client_id": VNFM_CLIENT[0],
        "client_secret": VNFM_CLIENT[1],
        "project": "vnfm",
        "scopes": ["grant:write", "vnfpkgm:read-onboarded"],
    },
]


def spec_of(vnf: StoredVnfd, level: str = "lab") -> VnfSpec:
    """What the test VNFM knows of one VNF, from its stored descriptor."""
    flavour = vnf.vnfd.flavours[0]
    counts = vdu_counts(flavour, level)
    exposed = {ext.maps_to: ext.cp_id for ext in flavour.ext_cps}
    apart = {
        t
        for rule in flavour.placement_rules
        if rule.kind.value == "anti-affinity"
        for t in rule.targets
    }
    vdus = tuple(
        VduSpec(
            vdu.vdu_id,
            counts.get(vdu.vdu_id, 1),
            tuple(
                (cp.cp_id, exposed.get(cp.cp_id, cp.cp_id), cp.vnic_type or "normal")
                for cp in sorted(
                    (c for c in flavour.cps if c.vdu_id == vdu.vdu_id), key=lambda c: c.order or 0
                )
            ),
            anti_affinity=vdu.vdu_id in apart,
        )
        for vdu in flavour.vdus
    )
    aspects = {
        a.aspect_id: {vdu: d[a.step_deltas[0]] for vdu, d in a.vdu_deltas.items()}
        for a in flavour.scaling_aspects
    }
    return VnfSpec(vnf.vnfd.descriptor_id, vnf.vnfd.product_name, vdus, aspects)


@dataclass
class FiveGc:
    nfvo: Nfvo
    vnfm: MiniVnfm
    admin: dict[str, str]

    async def call(
        self, method: str, path: str, body: Any = None, status: int | None = None
    ) -> Any:
        headers = {**NSLCM, **self.admin}
        response = await self.nfvo.client.request(method, path, json=body, headers=headers)
        text = await response.text()
        if status is not None:
            assert response.status == status, f"{method} {path}: {response.status} {text}"
        return response

    async def create_ns(self, name: str = "core") -> dict[str, Any]:
        response = await self.call(
            "POST",
            "/nslcm/v2/ns_instances",
            {"nsdId": NSD_ID, "nsName": name, "nsDescription": "a 5G core"},
            201,
        )
        return dict(await response.json())

    async def task(self, ns_id: str, task: str, body: Any, status: int = 202) -> str:
        response = await self.call("POST", f"/nslcm/v2/ns_instances/{ns_id}/{task}", body, status)
        return response.headers.get("Location", "")

    async def occurrence(self, location: str) -> dict[str, Any]:
        response = await self.call("GET", location, status=200)
        return dict(await response.json())

    async def settle(self, location: str, within: float = 120.0) -> dict[str, Any]:
        """The occurrence once it stops moving (COMPLETED, FAILED_TEMP, ROLLED_BACK...)."""
        async with asyncio.timeout(within):
            while True:
                occurrence = await self.occurrence(location)
                if occurrence["operationState"] not in ("PROCESSING", "ROLLING_BACK"):
                    return occurrence
                await asyncio.sleep(0.1)

    async def ns(self, ns_id: str) -> dict[str, Any]:
        response = await self.call("GET", f"/nslcm/v2/ns_instances/{ns_id}?all_fields", status=200)
        return dict(await response.json())


@asynccontextmanager
async def five_gc(
    start_nfvo: StartNfvo, shipped: dict[str, Path], *, register: bool = True
) -> AsyncIterator[FiveGc]:
    """The 5G core onboarded and a test VNFM serving; registered as ``mini`` unless
    ``register`` is False (a test registers it as an operator would)."""
    nfvo: Nfvo = await start_nfvo(
        auth_enabled=True, auth_clients=CLIENTS, admin_password="admin-s3cret-loquat"
    )
    response = await nfvo.client.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "admin",
            "client_secret": "admin-s3cret-loquat",
        },
    )
    admin = {"Authorization": f"Bearer {(await response.json())['access_token']}"}
    nfvo.client.session.headers.update(admin)
    for name in VNF_NAMES:
        await nfvo.onboard(shipped[name])
    info = await onboard(nfvo.client, shipped["5gc-sa"], "nsd")
    assert info["nsdOnboardingState"] == "ONBOARDED", info
    del nfvo.client.session.headers["Authorization"]
    store = nfvo.runtime.catalogue.store
    specs = []
    for name in VNF_NAMES:
        (package,) = await store.where(Kind.VNF_PACKAGE, "vnfProductName", f"nfvo-5gc-{name}")
        stored = await store.descriptor(package.id)
        assert isinstance(stored, StoredVnfd)
        specs.append(spec_of(stored))
    base = str(nfvo.client.make_url("")).rstrip("/")
    vnfm = MiniVnfm(specs, base, VNFM_CLIENT)
    runner = await vnfm.serve()
    if register:
        await nfvo.runtime.vnfms.add(
            VnfmRecord("mini", vnfm.url, client_id=vnfm.client[0], client_secret=vnfm.client[1])
        )
    try:
        yield FiveGc(nfvo, vnfm, admin)
    finally:
        await vnfm.close()
        await runner.cleanup()
