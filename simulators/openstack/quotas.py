"""Quotas of Nova, Neutron and Cinder: each service's own defaults (which the inventory's
``quotas.defaults`` override), a project's limits (the inventory's ``quotas.projects``,
then what an admin sets through the APIs), what a project uses (counted from the
cloud at the moment of asking, as Nova has done since Pike), and the check a create
makes before it acts."""

from __future__ import annotations

from dataclasses import dataclass

from simulators.openstack.state import Cloud

COMPUTE, NETWORK, VOLUME = "compute", "network", "volume"
DEFAULTS: dict[str, dict[str, int]] = {
    COMPUTE: {  # nova.conf [quota]
        "instances": 10,
        "cores": 20,
        "ram": 51200,
        "metadata_items": 128,
        "key_pairs": 100,
        "server_groups": 10,
        "server_group_members": 10,
        "injected_files": 5,
        "injected_file_content_bytes": 10240,
        "injected_file_path_bytes": 255,
        # Nova's proxies of Neutron's quotas, shown before 2.36
        "floating_ips": 10,
        "fixed_ips": -1,
        "security_groups": 10,
        "security_group_rules": 20,
    },
    NETWORK: {  # neutron.conf [quotas]
        "network": 100,
        "subnet": 100,
        "subnetpool": -1,
        "port": 500,
        "router": 10,
        "floatingip": 50,
        "security_group": 10,
        "security_group_rule": 100,
        "rbac_policy": 10,
    },
    VOLUME: {  # cinder.conf, and the per-type limits of the one volume type
        "volumes": 10,
        "gigabytes": 1000,
        "snapshots": 10,
        "backups": 10,
        "backup_gigabytes": 1000,
        "groups": 10,
        "per_volume_gigabytes": -1,
        "volumes___DEFAULT__": -1,
        "gigabytes___DEFAULT__": -1,
        "snapshots___DEFAULT__": -1,
    },
}


@dataclass(frozen=True)
class Over:
    """A resource a request would take past its limit."""

    resource: str
    limit: int
    used: int
    requested: int


def defaults(cloud: Cloud, service: str) -> dict[str, int]:
    return {**DEFAULTS[service], **cloud.inventory.quotas.get("defaults", {}).get(service, {})}


def limits(cloud: Cloud, service: str, project_id: str) -> dict[str, int]:
    return {**defaults(cloud, service), **cloud.quota_limits.get((service, project_id), {})}


def set_limits(cloud: Cloud, service: str, project_id: str, values: dict[str, int]) -> None:
    cloud.quota_limits.setdefault((service, project_id), {}).update(values)


def revert(cloud: Cloud, service: str, project_id: str) -> None:
    cloud.quota_limits.pop((service, project_id), None)


def usage(
    cloud: Cloud, service: str, project_id: str, user_id: str | None = None
) -> dict[str, int]:
    """What the project holds now, per resource of the service (0 where nothing counts)."""
    used = dict.fromkeys(DEFAULTS[service], 0)
    if service == COMPUTE:
        servers = [s for s in cloud.servers.values() if s.project_id == project_id]
        used["instances"] = len(servers)
        used["cores"] = sum(s.flavor["vcpus"] for s in servers)
        used["ram"] = sum(s.flavor["ram"] for s in servers)
        used["server_groups"] = sum(
            1 for g in cloud.server_groups.values() if g.project_id == project_id
        )
        used["key_pairs"] = sum(1 for owner, _ in cloud.keypairs if owner == user_id)
    elif service == NETWORK:
        used["network"] = sum(1 for n in cloud.networks.values() if n.project_id == project_id)
        used["subnet"] = sum(1 for s in cloud.subnets.values() if s.project_id == project_id)
        used["port"] = sum(1 for p in cloud.ports.values() if p.project_id == project_id)
        groups = [g for g in cloud.security_groups.values() if g.project_id == project_id]
        used["security_group"] = len(groups)
        used["security_group_rule"] = sum(len(g.rules) for g in groups)
    else:
        volumes = [v for v in cloud.volumes.values() if v.project_id == project_id]
        used["volumes"] = used["volumes___DEFAULT__"] = len(volumes)
        used["gigabytes"] = used["gigabytes___DEFAULT__"] = sum(v.size for v in volumes)
    return used


def over(
    cloud: Cloud,
    service: str,
    project_id: str,
    deltas: dict[str, int],
    user_id: str | None = None,
) -> list[Over]:
    """The resources, by name, that ``deltas`` more would take past a limit (-1: none)."""
    allowed = limits(cloud, service, project_id)
    used = usage(cloud, service, project_id, user_id)
    return [
        Over(name, allowed[name], used[name], delta)
        for name, delta in sorted(deltas.items())
        if delta > 0 and allowed[name] >= 0 and used[name] + delta > allowed[name]
    ]
