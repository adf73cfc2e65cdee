"""The VNFD half of the reader: a parsed TOSCA template in, a :class:`Vnfd` out.

A VNFD comes in one of two shapes: a single template holding the VNF node and its
VDUs, or a top-level template whose VNF node is substituted by one imported template
per deployment flavour; each flavour template is parsed on its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from descriptors.images import SW_IMAGE
from descriptors.imports import ImportSession
from descriptors.model import (
    AdditionalCapability,
    BootData,
    Checksum,
    ExtCp,
    Flavour,
    InstantiationLevel,
    ScalingAspect,
    SoftwareImage,
    Vdu,
    VduCp,
    VirtualLink,
    VirtualStorage,
    Vnfd,
)
from descriptors.node_types import STORAGE, VDU, VDU_CP, VNF, VNF_VL
from descriptors.policies import default_level, placement_rules
from descriptors.problems import has_errors
from descriptors.tosca import (
    layer_protocols,
    nodes_of,
    parse_template,
    plain,
    policies_of,
    policy_targets,
    properties,
    requirements,
    size_in,
)


def read_vnfd(
    top: Any, session: ImportSession, node_files: dict[str, str], flavour_files: dict[str, str]
) -> Vnfd | None:
    """The VNFD of ``top``; ``node_files`` and ``flavour_files`` learn which package file
    defines each node template and each deployment flavour."""
    vnf_node = nodes_of(top, VNF)[0]
    vnf = properties(vnf_node)
    own_mapping = top.topology_template.substitution_mappings
    if own_mapping is not None and not isinstance(vnf.get("flavour_id"), str):
        # an unresolved get_input: the template's own mappings name its flavour
        vnf["flavour_id"] = (own_mapping.sub_mapping_def.get("properties") or {}).get("flavour_id")
    flavour_templates = [(top, vnf)] if nodes_of(top, VDU) else []
    if flavour_templates:
        flavour_files[str(vnf.get("flavour_id"))] = session.relative(top.path)
    params = {k: v for k, v in vnf.items() if isinstance(v, str | int | float | bool | list)}
    for file_name, document in top.nested_tosca_tpls_with_topology.items():
        mapping = (document.get("topology_template") or {}).get("substitution_mappings") or {}
        flavour_id = (mapping.get("properties") or {}).get("flavour_id")
        if flavour_id is None:
            continue
        template = parse_template(Path(file_name), session, {**params, "flavour_id": flavour_id})
        if template is not None:
            flavour_files[str(flavour_id)] = session.relative(file_name)
            for node in template.nodetemplates or []:
                node_files[node.name] = session.relative(file_name)
            flavour_node = nodes_of(template, VNF)
            flavour_props = properties(flavour_node[0]) if flavour_node else {}
            flavour_templates.append((template, {**vnf, **flavour_props, "flavour_id": flavour_id}))
    if has_errors(session.problems):
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
        default_level=default_level(template),
        placement_rules=placement_rules(template, "tosca.policies.nfv"),
    )


def _image(data: dict[str, Any] | None, node: Any) -> SoftwareImage | None:
    """The VDU's image: SOL001 2.x/3.x ``sw_image_data``, or 4.x's artifact properties."""
    artifacts = (node.entity_tpl or {}).get("artifacts") or {}
    typed = [a for a in artifacts.values() if isinstance(a, dict) and a.get("type") == SW_IMAGE]
    artifact = typed[0] if typed else artifacts.get("sw_image")  # found by type, whatever its name
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
        layer_protocols=layer_protocols(props),
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
