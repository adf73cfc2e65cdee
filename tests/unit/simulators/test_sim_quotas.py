"""Quota limits and what goes over them, read from an inventory, without HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from simulators.openstack import quotas
from simulators.openstack.config import SimConfig
from simulators.openstack.inventory import (
    INVENTORY_DIR,
    SCHEMA_FILE,
    InventoryError,
    parse_inventory,
)
from simulators.openstack.model import Volume
from simulators.openstack.state import build_cloud


def lab(**quota_sets: Any) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((INVENTORY_DIR / "lab.yaml").read_text())
    document["quotas"] = quota_sets
    return document


def test_the_schema_names_every_quota_the_services_have() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())["$defs"]["quota_sets"]["properties"]
    for service, defaults in quotas.DEFAULTS.items():
        assert sorted(schema[service]["propertyNames"]["enum"]) == sorted(defaults)


def test_limits_layer_defaults_inventory_and_what_an_admin_sets() -> None:
    document = lab(
        defaults={"compute": {"cores": 64}},
        projects={"tenant-a": {"compute": {"instances": 2}, "volume": {"volumes": -1}}},
    )
    cloud = build_cloud(parse_inventory(document), SimConfig(time_scale=0))
    tenant = cloud.project_by_name("tenant-a")
    assert tenant is not None
    limits = quotas.limits(cloud, quotas.COMPUTE, tenant.id)
    assert (limits["instances"], limits["cores"], limits["ram"]) == (2, 64, 51200)
    quotas.set_limits(cloud, quotas.COMPUTE, tenant.id, {"ram": 1024})
    assert quotas.limits(cloud, quotas.COMPUTE, tenant.id)["ram"] == 1024
    quotas.revert(cloud, quotas.COMPUTE, tenant.id)
    assert quotas.limits(cloud, quotas.COMPUTE, tenant.id)["instances"] == 10
    assert quotas.limits(cloud, quotas.VOLUME, tenant.id)["volumes"] == -1  # untouched


def test_over_names_each_resource_past_its_limit_unless_unlimited() -> None:
    cloud = build_cloud(
        parse_inventory(lab(defaults={"volume": {"volumes": 1, "gigabytes": -1}})),
        SimConfig(time_scale=0),
    )
    tenant = cloud.project_by_name("tenant-a")
    assert tenant is not None
    assert quotas.over(cloud, quotas.VOLUME, tenant.id, {"volumes": 1, "gigabytes": 5000}) == []
    cloud.volumes["v"] = Volume("v", "v", 3, tenant.id, "u", "az-1")
    assert quotas.usage(cloud, quotas.VOLUME, tenant.id)["gigabytes"] == 3
    assert quotas.over(cloud, quotas.VOLUME, tenant.id, {"volumes": 1, "gigabytes": 1}) == [
        quotas.Over("volumes", 1, 1, 1)
    ]
    assert quotas.over(cloud, quotas.VOLUME, tenant.id, {"volumes": 0}) == []


def test_an_inventory_naming_an_unknown_project_or_quota_is_refused() -> None:
    with pytest.raises(InventoryError, match="quotas/projects/nobody"):
        parse_inventory(lab(projects={"nobody": {"compute": {"cores": 1}}}))
    with pytest.raises(InventoryError, match="cpus"):
        parse_inventory(lab(defaults={"compute": {"cpus": 1}}))
