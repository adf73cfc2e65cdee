"""Policies both readers share: placement rules and the default instantiation level."""

from __future__ import annotations

from typing import Any

from descriptors.model import PlacementKind, PlacementRule
from descriptors.tosca import plain, policies_of, policy_targets


def placement_rules(template: Any, prefix: str) -> list[PlacementRule]:
    """Affinity and anti-affinity rules (``prefix`` + ``AffinityRule`` and the NS ones)."""
    kinds = {
        f"{prefix}.AffinityRule": PlacementKind.AFFINITY,
        f"{prefix}.AntiAffinityRule": PlacementKind.ANTI_AFFINITY,
        f"{prefix}.NsAffinityRule": PlacementKind.AFFINITY,
        f"{prefix}.NsAntiAffinityRule": PlacementKind.ANTI_AFFINITY,
    }
    return [
        PlacementRule(
            rule_id=policy.name,
            kind=kind,
            scope=str(plain(policy.properties).get("scope")),
            targets=policy_targets(template, policy),
        )
        for type_name, kind in kinds.items()
        for policy in policies_of(template, type_name)
    ]


def default_level(template: Any) -> str | None:
    for type_name in (
        "tosca.policies.nfv.InstantiationLevels",
        "tosca.policies.nfv.NsInstantiationLevels",
    ):
        for policy in policies_of(template, type_name):
            level = plain(policy.properties).get("default_level")
            if level:
                return str(level)
    return None
