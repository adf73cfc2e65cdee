"""The clouds.yaml entries that let openstacksdk find the simulator.

``sim`` and ``sim-admin``: the admin user of the admin project; ``sim-member``: the
first non-admin user; ``sim-<user>``: every user. Other entries in the file are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulators.openstack.state import Cloud


def _entry(cloud: Cloud, url: str, user_id: str) -> dict[str, Any]:
    user = cloud.users[user_id]
    project = cloud.projects[user.project_id]
    return {
        "auth": {
            "auth_url": f"{url}/identity/v3",
            "username": user.name,
            "password": user.password,
            "project_name": project.name,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": cloud.region,
        "identity_api_version": 3,
        "interface": "public",
    }


def cloud_entries(cloud: Cloud, url: str) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    admin = next((u for u in cloud.users.values() if "admin" in u.roles), None)
    member = next((u for u in cloud.users.values() if "admin" not in u.roles), None)
    if admin is not None:
        entries["sim"] = _entry(cloud, url, admin.id)
        entries["sim-admin"] = _entry(cloud, url, admin.id)
    if member is not None:
        entries["sim-member"] = _entry(cloud, url, member.id)
    for user in cloud.users.values():
        entries[f"sim-{user.name}"] = _entry(cloud, url, user.id)
    return entries


def write_clouds_yaml(path: Path, cloud: Cloud, url: str) -> None:
    existing: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text()) or {}
        existing = loaded if isinstance(loaded, dict) else {}
    clouds = {k: v for k, v in (existing.get("clouds") or {}).items() if not k.startswith("sim")}
    clouds.update(cloud_entries(cloud, url))
    existing["clouds"] = clouds
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(existing, sort_keys=False))
