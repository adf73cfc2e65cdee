"""Type definitions read as TOSCA means them: deprecated properties are properties, and
a property with a default need not be written (in ETSI's files as in ours)."""

from __future__ import annotations

from pathlib import Path

from descriptors.loader import normalise_descriptor, read_descriptor
from descriptors.type_dialect import tolerate

VNFD = """\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - https://forge.etsi.org/rep/nfv/SOL001/-/raw/v4.2.1/etsi_nfv_sol001_common_types.yaml
  - https://forge.etsi.org/rep/nfv/SOL001/-/raw/v4.2.1/etsi_nfv_sol001_vnfd_types.yaml
topology_template:
  node_templates:
    VNF:
      type: tosca.nodes.nfv.VNF
      properties:
        descriptor_id: 0d0c4ad6-0b8a-4a0e-9e0e-3b4cc1a55a01
        descriptor_version: "1.0"
        provider: Vendor
        product_name: Disk
        software_version: "1.0"
        vnfm_info: ["etsivnfm:v4.2.1"]
        flavour_id: simple
        flavour_description: one VDU, one disk
    VDU1:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: VDU1
        description: no numa_enabled written
        vdu_profile: {min_number_of_instances: 1, max_number_of_instances: 1}
      capabilities:
        virtual_compute:
          properties:
            virtual_memory: {virtual_mem_size: 1 GiB}
            virtual_cpu: {num_virtual_cpu: 1}
      requirements:
        - virtual_storage: disk
    disk:
      type: tosca.nodes.nfv.Vdu.VirtualBlockStorage
      properties:
        virtual_block_storage_data:
          size_of_storage: 1 GiB
"""


def test_defaults_need_not_be_written_with_our_types(tmp_path: Path) -> None:
    (tmp_path / "vnfd.yaml").write_text(VNFD)
    descriptor = read_descriptor(tmp_path / "vnfd.yaml", tmp_path)
    assert [p for p in descriptor.problems if p.severity == "error"] == []
    assert descriptor.vnfd is not None
    [flavour] = descriptor.vnfd.flavours
    assert flavour.storages[0].rdma_enabled is False
    requirements, problems = normalise_descriptor(descriptor)
    assert problems == [] and requirements["simple"]["VDU1"].numa_nodes is None


def test_tolerate_mends_only_property_definitions() -> None:
    document = {
        "data_types": {
            "x.Memory": {
                "properties": {
                    "numa_enabled": {"type": "boolean", "required": True, "default": False},
                    "size": {"type": "string", "required": True},
                    "old": {"type": "string", "required": False, "status": "deprecated"},
                }
            }
        },
        "topology_template": {"node_templates": {"n": {"properties": {"status": "deprecated"}}}},
    }
    mended = tolerate(document)
    properties = mended["data_types"]["x.Memory"]["properties"]
    assert properties["numa_enabled"] == {"type": "boolean", "required": False, "default": False}
    assert properties["size"]["required"] is True
    assert properties["old"]["status"] == "supported"
    assert (
        mended["topology_template"]["node_templates"]["n"]["properties"]["status"] == "deprecated"
    )
