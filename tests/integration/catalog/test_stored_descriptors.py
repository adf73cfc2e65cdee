"""The lifecycle's input: every shipped package onboarded through the served catalogue
(real Redis, real workers), its descriptor read back from Redis, plans exactly as a
fresh parse of the same package does, and so does the 5G-core NSD with its VNFs."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import redis.asyncio as aioredis

from descriptors.loader import LoadedPackage, load_package
from descriptors.stored import StoredNsd, StoredVnfd
from nfvo.catalog.store import CatalogStore
from nfvo.placement.engine import plan
from nfvo.placement.requests import (
    BuiltRequest,
    build_ns_request,
    build_vnf_request,
    parse_binding,
)
from nfvo.sol.problems import Conflict, NotFound
from nfvo.store.blobs import LocalBlobStore
from nfvo.store.keys import Keyspace
from nfvo.vim.infrastructure import CapacityView, build_graph
from nfvo.vim.inventory import load_inventory
from tests.integration.catalog.conftest import (
    REPO,
    SHIPPED,
    VNF_NAMES,
    Client,
    ServeFactory,
    onboard,
)

LAB = REPO / "simulators/openstack/inventories/lab.yaml"
LEVELS = ("lab", "site")
PROJECT = "default"  # the project of every entry these tests onboard (no tokens)
NS_BINDINGS = [
    parse_binding(text)
    for text in (
        "sbi_vl=net:mgmt",
        "n2_vl=net:mgmt",
        "n4_vl=net:mgmt",
        "n3_vl=sriov-n3",
        "n6_vl=sriov-n6",
    )
]
# A lone VNF binds its own logical networks; only SR-IOV ports need one.
VNF_BINDINGS = {
    "upf": [parse_binding("virtual_link_n3=sriov-n3"), parse_binding("virtual_link_n6=sriov-n6")]
}


def catalogue_store(redis: aioredis.Redis, keyspace: Keyspace, tmp_path: Path) -> CatalogStore:
    # Descriptors are read from Redis alone; the blob store is never touched here.
    return CatalogStore(redis, keyspace, LocalBlobStore(tmp_path / "unused-blobs"))


def parsed(name: str, work: Path) -> LoadedPackage:
    return load_package(SHIPPED / name, work / name)


def assert_same_plan(stored: BuiltRequest, fresh: BuiltRequest, view: CapacityView) -> None:
    assert stored == fresh
    stored_plan, fresh_plan = plan(stored.request, view), plan(fresh.request, view)
    # Everything but the view's age, which is a clock reading.
    ageless = {"graph_age_seconds": None}
    assert stored_plan.decision.model_copy(update=ageless) == fresh_plan.decision.model_copy(
        update=ageless
    )
    assert stored_plan.usages == fresh_plan.usages


async def test_planned_from_the_stored_model_as_from_a_fresh_parse(
    client: Client,
    shipped: dict[str, Path],
    redis: aioredis.Redis,
    keyspace: Keyspace,
    tmp_path: Path,
) -> None:
    ids: dict[str, str] = {}
    for name in VNF_NAMES:
        body = await onboard(client, shipped[name])
        assert body["onboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
        ids[name] = body["id"]
    body = await onboard(client, shipped["5gc-sa"], "nsd")
    assert body["nsdOnboardingState"] == "ONBOARDED", body.get("onboardingFailureDetails")
    store = catalogue_store(redis, keyspace, tmp_path)
    view = build_graph(load_inventory(LAB)).capacity_view()

    fresh: dict[str, StoredVnfd] = {}
    for name in VNF_NAMES:
        loaded = parsed(name, tmp_path / "fresh")
        assert loaded.vnfd is not None
        fresh[name] = StoredVnfd(vnfd=loaded.vnfd, requirements=loaded.requirements)
        stored = await store.descriptor(ids[name])
        assert stored == fresh[name], name
        assert await store.vnf_descriptor(loaded.vnfd.descriptor_id, project=PROJECT) == stored
        bindings = VNF_BINDINGS.get(name, [])
        for level in LEVELS:
            assert_same_plan(
                build_vnf_request(stored, bindings, level=level),
                build_vnf_request(fresh[name], bindings, level=level),
                view,
            )

    nsd = await store.descriptor(body["id"])
    assert isinstance(nsd, StoredNsd)
    assert nsd.nsd == parsed("5gc-sa", tmp_path / "fresh").nsd
    vnfs = await store.constituents(nsd, project=PROJECT)
    assert sorted(vnf.vnfd.product_name for vnf in vnfs) == sorted(
        vnf.vnfd.product_name for vnf in fresh.values()
    )
    for level in LEVELS:
        from_store = build_ns_request(nsd.nsd, vnfs, NS_BINDINGS, level=level)
        from_parse = build_ns_request(nsd.nsd, list(fresh.values()), NS_BINDINGS, level=level)
        assert_same_plan(from_store, from_parse, view)
    lab = plan(build_ns_request(nsd.nsd, vnfs, NS_BINDINGS, level="lab").request, view)
    assert lab.decision.feasible, lab.decision.explanation
    assert len(lab.decision.placements) == len(VNF_NAMES)


async def test_an_nsd_whose_vnfds_are_missing_is_named(
    serve_catalogue: ServeFactory,
    shipped: dict[str, Path],
    redis: aioredis.Redis,
    keyspace: Keyspace,
    tmp_path: Path,
) -> None:
    client = await serve_catalogue(nsd_late_binding=True)
    nrf = await onboard(client, shipped["nrf"])
    body = await onboard(client, shipped["5gc-sa"], "nsd")
    assert body["nsdOnboardingState"] == "ONBOARDED"
    store = catalogue_store(redis, keyspace, tmp_path)
    nsd = await store.descriptor(body["id"])
    assert isinstance(nsd, StoredNsd)
    with pytest.raises(Conflict, match="names VNFDs that are not onboarded") as refused:
        await store.constituents(nsd, project=PROJECT)
    assert nrf["vnfdId"] not in str(refused.value)
    assert str(refused.value).count(",") == len(VNF_NAMES) - 2  # eight ids, not the NRF's
    with pytest.raises(NotFound, match="no VNF package with vnfdId 'nope' is onboarded"):
        await store.vnf_descriptor("nope", project=PROJECT)
    with pytest.raises(NotFound, match="no onboarded VNF package or NSD 'nope'"):
        await store.descriptor("nope")


async def test_a_version_1_document_in_redis_reads_back_migrated(
    redis: aioredis.Redis, keyspace: Keyspace, tmp_path: Path
) -> None:
    # What onboarding stored before documents had a version of their own.
    version_1 = REPO / "tests/unit/descriptors/data/stored-v1/upf.json"
    store = catalogue_store(redis, keyspace, tmp_path)
    await store.put_model("old-upf", orjson.loads(version_1.read_bytes()), guards=[])
    stored = await store.descriptor("old-upf")
    loaded = parsed("upf", tmp_path / "fresh")
    assert stored == StoredVnfd(vnfd=loaded.vnfd, requirements=loaded.requirements)
