"""An NS operation's steps as a DAG, from the NS's parts: pure, deterministic, JSON.

An NS is made of parts: its virtual links (each bound to a network or to be created),
its VNF instances (one per VNF profile and index, ``upf-0``), and its SAPs. Building
parts (instantiate, scale out, add VNF) creates the links first, then each VNF: its
instance is created on its VNFM at once, and it is instantiated as soon as the links it
connects to and every VNF instance of the profiles it depends on (the NSD's
``dependency``) are ready, not level by level; SAPs follow their link. Tearing parts
down (terminate, scale in, rollback) runs the same DAG backwards: a VNF is terminated
after those that depend on it, a link deleted after everything on it.

A step is a :class:`StepSpec`: a unique name, an action (a key of the action registry
in ``nfvo.lcm.ns_actions``) and the arguments the action needs, so the job's plan is
data stored with the job and a resumed job rebuilds exactly the same steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Self

FINISH = "finish"


@dataclass(frozen=True)
class StepSpec:
    name: str
    action: str
    args: dict[str, Any]
    after: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "action": self.action,
            "args": self.args,
            "after": list(self.after),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(data["name"], data["action"], dict(data["args"]), tuple(data["after"]))


@dataclass(frozen=True)
class LinkPart:
    """An NS virtual link: an existing ``network``, or one to create (on ``physnet``)."""

    link: str
    network: str | None = None
    physnet: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"link": self.link, "network": self.network, "physnet": self.physnet}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(data["link"], data.get("network"), data.get("physnet"))


@dataclass(frozen=True)
class VnfPart:
    """One VNF instance of the NS: ``key`` is ``<profile>-<index>``."""

    key: str
    profile_id: str
    vnfd_id: str
    vnfm: str
    flavour_id: str
    level_id: str | None
    ext_links: dict[str, str]  # the VNFD's external CP -> the NS virtual link
    params: dict[str, Any] = field(default_factory=dict)  # ParamsForVnf of its profile
    # The profiles it waits for (the NSD's dependencies): its day-1 data gets their
    # addresses as ``<profile>_address`` (ns_actions.py).
    after: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "profileId": self.profile_id,
            "vnfdId": self.vnfd_id,
            "vnfm": self.vnfm,
            "flavourId": self.flavour_id,
            "levelId": self.level_id,
            "extLinks": self.ext_links,
            "params": self.params,
            "after": list(self.after),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            key=data["key"],
            profile_id=data["profileId"],
            vnfd_id=data["vnfdId"],
            vnfm=data["vnfm"],
            flavour_id=data["flavourId"],
            level_id=data.get("levelId"),
            ext_links=dict(data["extLinks"]),
            params=dict(data.get("params") or {}),
            after=tuple(data.get("after") or ()),
        )


@dataclass(frozen=True)
class SapPart:
    sap: str
    link: str | None  # the NS virtual link it exposes
    network: str | None = None  # bound elsewhere than its link
    name: str = ""
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "sap": self.sap,
            "link": self.link,
            "network": self.network,
            "name": self.name,
            "description": self.description,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            data["sap"],
            data.get("link"),
            data.get("network"),
            data.get("name", ""),
            data.get("description", ""),
        )


@dataclass(frozen=True)
class Parts:
    links: tuple[LinkPart, ...] = ()
    vnfs: tuple[VnfPart, ...] = ()
    saps: tuple[SapPart, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "links": [p.to_json() for p in self.links],
            "vnfs": [p.to_json() for p in self.vnfs],
            "saps": [p.to_json() for p in self.saps],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Self:
        data = data or {}
        return cls(
            tuple(LinkPart.from_json(p) for p in data.get("links", [])),
            tuple(VnfPart.from_json(p) for p in data.get("vnfs", [])),
            tuple(SapPart.from_json(p) for p in data.get("saps", [])),
        )

    def plus(self, added: Parts) -> Parts:
        return Parts(
            (*self.links, *added.links), (*self.vnfs, *added.vnfs), (*self.saps, *added.saps)
        )

    def minus(self, removed: Parts) -> Parts:
        links = {p.link for p in removed.links}
        vnfs = {p.key for p in removed.vnfs}
        saps = {p.sap for p in removed.saps}
        return Parts(
            tuple(p for p in self.links if p.link not in links),
            tuple(p for p in self.vnfs if p.key not in vnfs),
            tuple(p for p in self.saps if p.sap not in saps),
        )


Dependencies = Mapping[str, Iterable[str]]  # VNF profile -> the profiles it depends on


def build_steps(
    parts: Parts, dependencies: Dependencies, finish: Mapping[str, Any]
) -> list[StepSpec]:
    """Create ``parts``: links, then each VNF once its links and predecessors are
    ready, SAPs after their link, then ``finish`` (its arguments)."""
    links = {p.link for p in parts.links}
    by_profile: dict[str, list[str]] = {}
    for vnf in parts.vnfs:
        by_profile.setdefault(vnf.profile_id, []).append(vnf.key)
    steps = [StepSpec(f"link {p.link}", "link.ensure", p.to_json()) for p in parts.links]
    for vnf in parts.vnfs:
        steps.append(StepSpec(f"create {vnf.key}", "vnf.create", vnf.to_json()))
        after = [f"create {vnf.key}"]
        after += [f"link {vl}" for vl in sorted(set(vnf.ext_links.values())) if vl in links]
        after += [
            f"instantiate {key}"
            for profile in sorted(set(dependencies.get(vnf.profile_id, ())))
            for key in by_profile.get(profile, [])
        ]
        steps.append(
            StepSpec(f"instantiate {vnf.key}", "vnf.instantiate", vnf.to_json(), tuple(after))
        )
    for sap in parts.saps:
        on_link = sap.link in links and sap.network is None
        steps.append(
            StepSpec(
                f"sap {sap.sap}",
                "sap.ensure",
                sap.to_json(),
                (f"link {sap.link}",) if on_link else (),
            )
        )
    return _finished(steps, finish)


def teardown_steps(
    parts: Parts, dependencies: Dependencies, finish: Mapping[str, Any]
) -> list[StepSpec]:
    """Remove ``parts``, the build's DAG backwards: a VNF after the VNFs of the plan
    that depend on it, a link after the VNFs and SAPs on it."""
    by_profile: dict[str, list[str]] = {}
    for vnf in parts.vnfs:
        by_profile.setdefault(vnf.profile_id, []).append(vnf.key)
    dependents: dict[str, list[str]] = {}  # profile -> the keys depending on it
    for vnf in parts.vnfs:
        for profile in set(dependencies.get(vnf.profile_id, ())):
            dependents.setdefault(profile, []).append(vnf.key)
    steps: list[StepSpec] = []
    for vnf in parts.vnfs:
        after = tuple(f"terminate {key}" for key in sorted(dependents.get(vnf.profile_id, [])))
        steps.append(StepSpec(f"terminate {vnf.key}", "vnf.terminate", vnf.to_json(), after))
        steps.append(
            StepSpec(f"delete {vnf.key}", "vnf.delete", vnf.to_json(), (f"terminate {vnf.key}",))
        )
    for sap in parts.saps:
        steps.append(StepSpec(f"remove sap {sap.sap}", "sap.remove", sap.to_json()))
    for link in parts.links:
        on_it = [f"terminate {v.key}" for v in parts.vnfs if link.link in v.ext_links.values()]
        on_it += [f"remove sap {s.sap}" for s in parts.saps if s.link == link.link]
        steps.append(
            StepSpec(f"remove link {link.link}", "link.remove", link.to_json(), tuple(on_it))
        )
    return _finished(steps, finish)


def started_parts(parts: Parts, started: Iterable[str]) -> Parts:
    """The parts a build touched: those with a step that started (a failed or
    interrupted step may have left something behind)."""
    names = set(started)
    return Parts(
        tuple(p for p in parts.links if f"link {p.link}" in names),
        tuple(v for v in parts.vnfs if {f"create {v.key}", f"instantiate {v.key}"} & names),
        tuple(s for s in parts.saps if f"sap {s.sap}" in names),
    )


def action_steps(
    action: str, targets: Sequence[tuple[str, dict[str, Any]]], finish: Mapping[str, Any]
) -> list[StepSpec]:
    """One independent step per target (``scale upf-0``...), then ``finish``."""
    verb = action.split(".", 1)[1]
    steps = [StepSpec(f"{verb} {key}", action, args) for key, args in targets]
    return _finished(steps, finish)


def delayed(steps: Sequence[StepSpec], at: str | None) -> list[StepSpec]:
    """``steps`` held until ``at`` (an RFC 3339 time): every first step waits for it."""
    if at is None:
        return list(steps)
    wait = StepSpec("wait", "ns.wait", {"at": at})
    return [wait, *(replace(s, after=s.after or (wait.name,)) for s in steps)]


def _finished(steps: list[StepSpec], finish: Mapping[str, Any]) -> list[StepSpec]:
    return [*steps, StepSpec(FINISH, "ns.finish", dict(finish), tuple(s.name for s in steps))]
