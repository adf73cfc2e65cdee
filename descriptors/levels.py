"""How many VNFCs of each VDU one VNF instance has at an instantiation level.

Shared by placement (a request's VNFCs) and the VNF manager (the VNFCs it builds), so
both count alike: the level's explicit VDU counts, else the initial deltas plus the
level's scaling steps (SOL001 ``step_deltas``: step s uses the s-th delta, the last one
repeats).
"""

from __future__ import annotations

from descriptors.model import Flavour


class LevelError(ValueError):
    """The flavour has no such level; the message names the ones it has."""


def scaled_counts(
    flavour: Flavour, base: dict[str, int], aspect_id: str, steps: int
) -> dict[str, int]:
    """``base`` with ``steps`` more steps of ``aspect_id`` (negative steps remove)."""
    aspect = next(a for a in flavour.scaling_aspects if a.aspect_id == aspect_id)
    counts = dict(base)
    for vdu_id, deltas in aspect.vdu_deltas.items():
        delta = deltas.get(aspect.step_deltas[-1], 0) if aspect.step_deltas else 0
        counts[vdu_id] = counts.get(vdu_id, 0) + delta * steps
    return counts


def level_counts(flavour: Flavour, level: str | None) -> dict[str, int]:
    """VNFCs per VDU of one VNF instance at ``level`` (default: the flavour's default)."""
    chosen = level or flavour.default_level
    counts = {
        vdu.vdu_id: flavour.initial_deltas.get(vdu.vdu_id, vdu.min_instances)
        for vdu in flavour.vdus
    }
    if chosen is None:
        return counts
    found = next((lv for lv in flavour.instantiation_levels if lv.level_id == chosen), None)
    if found is None:
        known = ", ".join(lv.level_id for lv in flavour.instantiation_levels) or "none"
        raise LevelError(
            f"VNF flavour {flavour.flavour_id} has no level {chosen!r} (it has {known})"
        )
    # Without explicit VDU counts a level is the initial deltas plus its scaling steps.
    for aspect in flavour.scaling_aspects:
        steps = found.scale_info.get(aspect.aspect_id, 0)
        # Step s uses the s-th delta; the last one repeats (SOL001 step_deltas).
        taken = [aspect.step_deltas[min(s, len(aspect.step_deltas) - 1)] for s in range(steps)]
        for vdu_id, deltas in aspect.vdu_deltas.items():
            added = sum(deltas.get(delta, 0) for delta in taken)
            counts[vdu_id] = counts.get(vdu_id, 0) + added
    counts.update(found.vdu_instances)
    return counts
