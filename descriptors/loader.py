"""A package in, a typed VNFD or NSD out: open, parse with tosca-parser, build, normalise.

:func:`load_package` is the one entry point the catalogue, the CLI and the tests use.
:func:`read_descriptor` does the TOSCA half on an already opened tree (the entry
definitions file and the package root), which is what the corpus and differential
tests call on unpacked directories.

A VNFD comes in one of two shapes: a single template holding the VNF node and its VDUs,
or a top-level template whose VNF node is substituted by one imported template per
deployment flavour (``substitution_mappings`` with a ``flavour_id``). Each flavour
template is parsed on its own, given the top-level VNF node's properties as inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from descriptors.imports import ImportSession, TypeLibrary
from descriptors.model import (
    AdditionalCapability,
    BootData,
    Checksum,
    ExtCp,
    Flavour,
    InstantiationLevel,
    Nsd,
    NsFlavour,
    NsInstantiationLevel,
    NsScalingAspect,
    NsVirtualLink,
    PlacementKind,
    PlacementRule,
    Sap,
    ScalingAspect,
    SoftwareImage,
    Vdu,
    VduCp,
    VirtualLink,
    VirtualStorage,
    Vnfd,
    VnfDependency,
    VnfProfile,
    check_nsd,
    check_vnfd,
)
from descriptors.normalise import normalise_flavour
from descriptors.package_files import PackageFiles, open_package
from descriptors.problems import DescriptorError, Problem, Severity
from descriptors.requirements import VduRequirement
from descriptors.tosca import (
    nodes_of,
    parse_template,
    plain,
    policies_of,
    policy_targets,
    properties,
    requirements,
    size_in,
)

VNF = "tosca.nodes.nfv.VNF"
NS = "tosca.nodes.nfv.NS"
VDU = "tosca.nodes.nfv.Vdu.Compute"
VDU_CP = "tosca.nodes.nfv.VduCp"
VNF_VL = "tosca.nodes.nfv.VnfVirtualLink"
VNF_EXT_CP = "tosca.nodes.nfv.VnfExtCp"
STORAGE = "tosca.nodes.nfv.Vdu.VirtualBlockStorage"
NS_VL = "tosca.nodes.nfv.NsVirtualLink"
SAP = "tosca.nodes.nfv.Sap"


@dataclass(frozen=True)
class Descriptor:
    """What the TOSCA half found in one entry definitions file."""

    vnfd: Vnfd | None
    nsd: Nsd | None
    problems: tuple[Problem, ...]
    entry: str = ""
    node_files: dict[str, str] = field(default_factory=dict)
    """node template name -> the package file defining it (flavours may be apart)."""

    def locate(self, problem: Problem) -> Problem:
        """The problem with its file: the one defining the node its path names."""
        if problem.file is not None:
            return problem
        parts = (problem.path or "").split(".")
        node = parts[2] if parts[:2] == ["topology_template", "node_templates"] else ""
        return problem.model_copy(update={"file": self.node_files.get(node, self.entry)})


@dataclass(frozen=True)
class LoadedPackage:
    files: PackageFiles
    vnfd: Vnfd | None
    nsd: Nsd | None
    warnings: tuple[Problem, ...] = ()
    requirements: dict[str, dict[str, VduRequirement]] = field(default_factory=dict)
    """flavour id -> VDU id -> what placement needs (VNF packages only)."""


def load_package(source: Path, workdir: Path, *, strict: bool = False) -> LoadedPackage:
    """Open, verify, parse and normalise a package; DescriptorError lists every problem."""
    files = open_package(source, workdir, strict=strict, keep_going=True)
    descriptor = read_descriptor(files.entry_definitions, files.root)
    required, found = normalise_descriptor(descriptor)
    problems = [*files.problems, *descriptor.problems, *found]
    if files.kind.value == "vnf" and descriptor.vnfd is None and not _has_errors(problems):
        problems.append(Problem(message="a VNF package whose descriptor has no VNF node"))
    if files.kind.value == "nsd" and descriptor.nsd is None and not _has_errors(problems):
        problems.append(Problem(message="an NSD archive whose descriptor has no NS node"))
    if _has_errors(problems) or (strict and problems):
        raise DescriptorError(problems)
    return LoadedPackage(files, descriptor.vnfd, descriptor.nsd, tuple(problems), required)


def normalise_descriptor(
    descriptor: Descriptor,
) -> tuple[dict[str, dict[str, VduRequirement]], list[Problem]]:
    """Every VDU's requirement per flavour, and what the cross-checks and normalisation
    found, each problem in the file that holds the node it names."""
    required: dict[str, dict[str, VduRequirement]] = {}
    problems: list[Problem] = []
    if descriptor.nsd is not None:
        problems += check_nsd(descriptor.nsd)
    if descriptor.vnfd is not None:
        problems += check_vnfd(descriptor.vnfd)
        for flavour in descriptor.vnfd.flavours:
            required[flavour.flavour_id], flavour_problems = normalise_flavour(flavour)
            problems += flavour_problems
    return required, [descriptor.locate(p) for p in problems]


def _has_errors(problems: list[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def read_descriptor(entry: Path, root: Path, library: TypeLibrary | None = None) -> Descriptor:
    """Parse ``entry`` (inside ``root``) and build its VNFD or NSD."""
    session = ImportSession(library or TypeLibrary.project(), root)
    top = parse_template(entry, session)
    vnfd = nsd = None
    node_files: dict[str, str] = {}
    if top is not None:
        node_files = {node.name: session.relative(entry) for node in top.nodetemplates or []}
        if nodes_of(top, NS):
            nsd = read_nsd(top, session)
        elif nodes_of(top, VNF):
            vnfd = _read_vnfd(top, session, node_files)
    if top is not None and vnfd is None and nsd is None and not _has_errors(session.problems):
        session.add(
            Problem(
                message="the descriptor has neither a VNF nor an NS node template",
                file=session.relative(entry),
                path="topology_template.node_templates",
            )
        )
    return Descriptor(vnfd, nsd, tuple(session.problems), session.relative(entry), node_files)


def _read_vnfd(top: Any, session: ImportSession, node_files: dict[str, str]) -> Vnfd | None:
    vnf_node = nodes_of(top, VNF)[0]
    vnf = properties(vnf_node)
    own_mapping = top.topology_template.substitution_mappings
    if own_mapping is not None and not isinstance(vnf.get("flavour_id"), str):
        # an unresolved get_input: the template's own mappings name its flavour
        vnf["flavour_id"] = (own_mapping.sub_mapping_def.get("properties") or {}).get("flavour_id")
    flavour_templates = [(top, vnf)] if nodes_of(top, VDU) else []
    params = {k: v for k, v in vnf.items() if isinstance(v, str | int | float | bool | list)}
    for file_name, document in top.nested_tosca_tpls_with_topology.items():
        mapping = (document.get("topology_template") or {}).get("substitution_mappings") or {}
        flavour_id = (mapping.get("properties") or {}).get("flavour_id")
        if flavour_id is None:
            continue
        template = parse_template(Path(file_name), session, {**params, "flavour_id": flavour_id})
        if template is not None:
            for node in template.nodetemplates or []:
                node_files[node.name] = session.relative(file_name)
            flavour_node = nodes_of(template, VNF)
            flavour_props = properties(flavour_node[0]) if flavour_node else {}
            flavour_templates.append((template, {**vnf, **flavour_props, "flavour_id": flavour_id}))
    if _has_errors(session.problems):
        return None
    flavours = [_flavour(t, props) for t, props in flavour_templates]
    return Vnfd(
        descriptor_id=str(vnf.get("descriptor_id")),
        descriptor_version=str(vnf.get("descriptor_version")),
        provider=str(vnf.get("provider")),
        product_name=str(vnf.get("product_name")),
        software_version=str(vnf.get("software_version")),
        product_info_name=vnf.get("product_info_name"),
        vnfm_info=[str(v) for v in vnf.get("vnfm_info") or []],
        node_type=vnf_node.type,
        flavours=sorted(flavours, key=lambda f: f.flavour_id),
    )


def _flavour(template: Any, vnf: dict[str, Any]) -> Flavour:
    storages = {n.name: _storage(n) for n in nodes_of(template, STORAGE)}
    aspects, deltas, levels = _scaling(template)
    return Flavour(
        flavour_id=str(vnf.get("flavour_id")),
        description=str(vnf.get("flavour_description") or ""),
        vdus=[_vdu(n) for n in nodes_of(template, VDU)],
        cps=[_cp(n) for n in nodes_of(template, VDU_CP)],
        virtual_links=[_virtual_link(n) for n in nodes_of(template, VNF_VL)],
        ext_cps=_ext_cps(template),
        storages=list(storages.values()),
        scaling_aspects=aspects,
        initial_deltas=deltas,
        instantiation_levels=levels,
        default_level=_default_level(template),
        placement_rules=placement_rules(template, "tosca.policies.nfv"),
    )


def _image(data: dict[str, Any] | None, node: Any) -> SoftwareImage | None:
    """The VDU's image: SOL001 2.x/3.x ``sw_image_data``, or 4.x's artifact properties."""
    artifacts = (node.entity_tpl or {}).get("artifacts") or {}
    artifact = artifacts.get("sw_image")
    file = artifact.get("file") if isinstance(artifact, dict) else artifact
    if not data and isinstance(artifact, dict):
        data = plain(artifact.get("properties"))
    if not data:
        return None
    checksum = data.get("checksum") or {}
    return SoftwareImage(
        name=str(data.get("name")),
        version=str(data.get("version")),
        checksum=Checksum(algorithm=str(checksum.get("algorithm")), hash=str(checksum.get("hash"))),
        container_format=str(data.get("container_format")),
        disk_format=str(data.get("disk_format")),
        min_disk_bytes=size_in(data.get("min_disk"), "B"),
        min_ram_bytes=size_in(data["min_ram"], "B") if data.get("min_ram") else None,
        size_bytes=size_in(data.get("size"), "B"),
        provider=data.get("provider"),
        operating_system=data.get("operating_system"),
        file=file if isinstance(file, str) else None,
    )


def _boot_data(value: Any) -> BootData | None:
    if value is None:
        return None
    if isinstance(value, str):  # SOL001 2.x
        return BootData(content=value)
    content = value.get("content_or_file_data") or {}
    vim = value.get("vim_specific_properties") or {}
    return BootData(
        content=content.get("content"),
        data=_strings(content.get("data")),
        kvp_data=_strings((value.get("kvp_data") or {}).get("data")),
        source_path=content.get("source_path"),
        destination_path=content.get("destination_path"),
        vim_type=vim.get("vim_type"),
        vim_properties=_strings(vim.get("properties")),
    )


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def _vdu(node: Any) -> Vdu:
    props = properties(node)
    capability = node.get_capability("virtual_compute")
    compute = properties(capability) if capability is not None else {}
    cpu = compute.get("virtual_cpu") or {}
    memory = compute.get("virtual_memory") or {}
    pinning = cpu.get("virtual_cpu_pinning") or {}
    profile = props.get("vdu_profile") or {}
    extra = compute.get("requested_additional_capabilities") or {}
    return Vdu(
        vdu_id=node.name,
        name=str(props.get("name") or node.name),
        description=str(props.get("description") or ""),
        min_instances=int(profile.get("min_number_of_instances", 1)),
        max_instances=int(profile.get("max_number_of_instances", 1)),
        vcpus=int(cpu.get("num_virtual_cpu", 0)),
        memory_mb=size_in(memory.get("virtual_mem_size"), "MiB"),
        local_storage_gb=[
            size_in(s.get("size_of_storage"), "GiB")
            for s in compute.get("virtual_local_storage") or []
        ],
        cpu_requirements=_strings(cpu.get("vdu_cpu_requirements")),
        memory_requirements=_strings(memory.get("vdu_mem_requirements")),
        cpu_pinning_policy=pinning.get("virtual_cpu_pinning_policy"),
        cpu_pinning_rules=[str(r) for r in pinning.get("virtual_cpu_pinning_rule") or []],
        numa_enabled=memory.get("numa_enabled"),
        additional_capabilities=[
            _additional_capability(name, item)
            for name, item in extra.items()
            if isinstance(item, dict)
        ],
        compute_requirements=_strings(compute.get("compute_requirements")),
        image=_image(props.get("sw_image_data"), node),
        storages=[target for name, target in requirements(node) if name == "virtual_storage"],
        boot_data=_boot_data(props.get("boot_data")),
    )


def _additional_capability(key: str, item: dict[str, Any]) -> AdditionalCapability:
    return AdditionalCapability(
        name=str(item.get("requested_additional_capability_name") or key),
        support_mandatory=bool(item.get("support_mandatory", False)),
        target_performance_parameters=_strings(item.get("target_performance_parameters")),
    )


def _cp(node: Any) -> VduCp:
    props = properties(node)
    reqs = dict(requirements(node))
    interface: dict[str, str] = {}
    for item in props.get("virtual_network_interface_requirements") or []:
        interface.update(_strings(item.get("network_interface_requirements")))
    return VduCp(
        cp_id=node.name,
        vdu_id=reqs.get("virtual_binding", ""),
        layer_protocols=[str(p) for p in props.get("layer_protocols") or []],
        vnic_type=props.get("vnic_type"),
        order=props.get("order"),
        virtual_link=reqs.get("virtual_link"),
        interface_requirements=interface,
    )


def _virtual_link(node: Any) -> VirtualLink:
    props = properties(node)
    profile = props.get("vl_profile") or {}
    protocol = (profile.get("virtual_link_protocol_data") or [{}])[0] or {}
    l2 = protocol.get("l2_protocol_data") or {}
    l3 = protocol.get("l3_protocol_data") or {}
    return VirtualLink(
        vl_id=node.name,
        layer_protocols=[
            str(p) for p in (props.get("connectivity_type") or {}).get("layer_protocols", [])
        ],
        description=str(props.get("description") or ""),
        network_type=l2.get("network_type"),
        mtu=l2.get("mtu"),
        ip_version=l3.get("ip_version"),
        cidr=l3.get("cidr"),
        max_bitrate=(profile.get("max_bitrate_requirements") or {}).get("root"),
        min_bitrate=(profile.get("min_bitrate_requirements") or {}).get("root"),
    )


def _ext_cps(template: Any) -> list[ExtCp]:
    """The VNF's external CPs: what its substitution mappings expose, by requirement."""
    mapping = template.topology_template.substitution_mappings
    exposed = (mapping.sub_mapping_def.get("requirements") if mapping else None) or {}
    by_name = {n.name: n for n in template.nodetemplates or []}
    found: list[ExtCp] = []
    for requirement, target in exposed.items():
        node_name = target[0] if isinstance(target, list) and target else str(target)
        node = by_name.get(node_name)
        reqs = dict(requirements(node)) if node is not None else {}
        props = properties(node) if node is not None else {}
        found.append(
            ExtCp(
                cp_id=requirement,
                maps_to=node_name,
                layer_protocols=[str(p) for p in props.get("layer_protocols") or []],
                internal_virtual_link=reqs.get("internal_virtual_link") or reqs.get("virtual_link"),
            )
        )
    return found


def _storage(node: Any) -> VirtualStorage:
    props = properties(node)
    data = props.get("virtual_block_storage_data") or {}
    return VirtualStorage(
        storage_id=node.name,
        size_bytes=size_in(data.get("size_of_storage"), "B"),
        rdma_enabled=bool(data.get("rdma_enabled") or False),
        image=_image(props.get("sw_image_data"), node),
    )


def _scaling(template: Any) -> tuple[list[ScalingAspect], dict[str, int], list[InstantiationLevel]]:
    deltas: dict[str, dict[str, dict[str, int]]] = {}
    for policy in policies_of(template, "tosca.policies.nfv.VduScalingAspectDeltas"):
        props = plain(policy.properties)
        per_delta = {k: int(v.get("number_of_instances", 0)) for k, v in props["deltas"].items()}
        for vdu in policy_targets(template, policy):
            deltas.setdefault(props["aspect"], {})[vdu] = per_delta
    aspects = [
        ScalingAspect(
            aspect_id=aspect_id,
            name=str(a.get("name", aspect_id)),
            description=str(a.get("description", "")),
            max_scale_level=int(a.get("max_scale_level", 0)),
            step_deltas=[str(s) for s in a.get("step_deltas") or []],
            vdu_deltas=deltas.get(aspect_id, {}),
        )
        for policy in policies_of(template, "tosca.policies.nfv.ScalingAspects")
        for aspect_id, a in (plain(policy.properties).get("aspects") or {}).items()
    ]
    initial = {
        vdu: int(plain(policy.properties)["initial_delta"].get("number_of_instances", 0))
        for policy in policies_of(template, "tosca.policies.nfv.VduInitialDelta")
        for vdu in policy_targets(template, policy)
    }
    return aspects, initial, _levels(template)


def _levels(template: Any) -> list[InstantiationLevel]:
    vdu_counts: dict[str, dict[str, int]] = {}
    for policy in policies_of(template, "tosca.policies.nfv.VduInstantiationLevels"):
        for level_id, level in (plain(policy.properties).get("levels") or {}).items():
            for vdu in policy_targets(template, policy):
                vdu_counts.setdefault(level_id, {})[vdu] = int(level.get("number_of_instances", 0))
    return [
        InstantiationLevel(
            level_id=level_id,
            description=str(level.get("description") or ""),
            scale_info={
                k: int(v.get("scale_level", 0)) for k, v in (level.get("scale_info") or {}).items()
            },
            vdu_instances=vdu_counts.get(level_id, {}),
        )
        for policy in policies_of(template, "tosca.policies.nfv.InstantiationLevels")
        for level_id, level in (plain(policy.properties).get("levels") or {}).items()
    ]


def _default_level(template: Any) -> str | None:
    for type_name in (
        "tosca.policies.nfv.InstantiationLevels",
        "tosca.policies.nfv.NsInstantiationLevels",
    ):
        for policy in policies_of(template, type_name):
            level = plain(policy.properties).get("default_level")
            if level:
                return str(level)
    return None


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


def read_nsd(template: Any, session: ImportSession) -> Nsd | None:
    """The NSD of a template holding one NS node (one flavour: the NS node's)."""
    if _has_errors(session.problems):
        return None
    ns = properties(nodes_of(template, NS)[0])
    vnf_nodes = nodes_of(template, VNF)
    vnf_names = {n.name for n in vnf_nodes}
    levels, default_level = _ns_levels(template)
    flavour = NsFlavour(
        flavour_id=str(ns.get("flavour_id")),
        vnf_profiles=[_vnf_profile(n, vnf_names) for n in vnf_nodes],
        virtual_links=[_ns_virtual_link(n) for n in nodes_of(template, NS_VL)],
        saps=[_sap(n) for n in nodes_of(template, SAP)],
        dependencies=[
            VnfDependency(vnf=n.name, depends_on=target)
            for n in vnf_nodes
            for name, target in requirements(n)
            if name == "dependency" and target in vnf_names
        ],
        instantiation_levels=levels,
        default_level=default_level,
        scaling_aspects=_ns_aspects(template),
        placement_rules=placement_rules(template, "tosca.policies.nfv"),
    )
    return Nsd(
        descriptor_id=str(ns.get("descriptor_id")),
        designer=str(ns.get("designer")),
        version=str(ns.get("version")),
        name=str(ns.get("name")),
        invariant_id=str(ns.get("invariant_id")),
        flavours=[flavour],
    )


def _vnf_profile(node: Any, vnf_names: set[str]) -> VnfProfile:
    props = properties(node)
    profile = props.get("vnf_profile") or {}
    return VnfProfile(
        profile_id=node.name,
        vnfd_id=str(props.get("descriptor_id")),
        flavour_id=str(props.get("flavour_id")),
        product_name=str(props.get("product_name") or ""),
        provider=str(props.get("provider") or ""),
        node_type=node.type,
        min_instances=int(profile.get("min_number_of_instances", 1)),
        max_instances=int(profile.get("max_number_of_instances", 1)),
        instantiation_level=profile.get("instantiation_level"),
        virtual_links={
            name: target
            for name, target in requirements(node)
            if name != "dependency" and target not in vnf_names
        },
    )


def _ns_virtual_link(node: Any) -> NsVirtualLink:
    props = properties(node)
    profile = props.get("vl_profile") or {}
    return NsVirtualLink(
        vl_id=node.name,
        layer_protocols=[
            str(p) for p in (props.get("connectivity_type") or {}).get("layer_protocols", [])
        ],
        description=str(props.get("description") or ""),
        max_bitrate=(profile.get("max_bitrate_requirements") or {}).get("root"),
        min_bitrate=(profile.get("min_bitrate_requirements") or {}).get("root"),
    )


def _sap(node: Any) -> Sap:
    props = properties(node)
    reqs = dict(requirements(node))
    return Sap(
        sap_id=node.name,
        layer_protocols=[str(p) for p in props.get("layer_protocols") or []],
        virtual_link=reqs.get("internal_virtual_link") or reqs.get("external_virtual_link"),
    )


def _ns_levels(template: Any) -> tuple[list[NsInstantiationLevel], str | None]:
    counts: dict[str, dict[str, int]] = {}
    for policy in policies_of(template, "tosca.policies.nfv.VnfToInstantiationLevelMapping"):
        for level_id, number in (plain(policy.properties).get("number_of_instances") or {}).items():
            for vnf in policy_targets(template, policy):
                counts.setdefault(level_id, {})[vnf] = int(number)
    levels = [
        NsInstantiationLevel(
            level_id=level_id,
            description=str(level.get("description") or ""),
            vnf_instances=counts.get(level_id, {}),
        )
        for policy in policies_of(template, "tosca.policies.nfv.NsInstantiationLevels")
        for level_id, level in (plain(policy.properties).get("ns_levels") or {}).items()
    ]
    return levels, _default_level(template)


def _ns_aspects(template: Any) -> list[NsScalingAspect]:
    per_vnf: dict[str, dict[str, dict[int, int]]] = {}
    for policy in policies_of(template, "tosca.policies.nfv.VnfToLevelMapping"):
        props = plain(policy.properties)
        mapping = {int(k): int(v) for k, v in (props.get("number_of_instances") or {}).items()}
        for vnf in policy_targets(template, policy):
            per_vnf.setdefault(str(props.get("aspect")), {})[vnf] = mapping
    return [
        NsScalingAspect(
            aspect_id=aspect_id,
            name=str(a.get("name", aspect_id)),
            description=str(a.get("description", "")),
            levels={
                int(k): str((v or {}).get("description", ""))
                for k, v in (a.get("ns_scale_levels") or {}).items()
            },
            vnf_instances=per_vnf.get(aspect_id, {}),
        )
        for policy in policies_of(template, "tosca.policies.nfv.NsScalingAspects")
        for aspect_id, a in (plain(policy.properties).get("aspects") or {}).items()
    ]
