"""The typed model is frozen and strict, and its consistency checks name what does not fit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from descriptors.model import (
    Checksum,
    Flavour,
    Nsd,
    NsFlavour,
    SoftwareImage,
    Vdu,
    Vnfd,
    VnfDependency,
    VnfProfile,
)


def vnfd() -> Vnfd:
    image = SoftwareImage(
        name="img",
        version="1",
        checksum=Checksum(algorithm="sha-256", hash="ab" * 32),
        container_format="bare",
        disk_format="qcow2",
        size_bytes=4096,
    )
    vdu = Vdu(
        vdu_id="v", name="v", min_instances=1, max_instances=2, vcpus=2, memory_mb=4096, image=image
    )
    return Vnfd(
        descriptor_id="d",
        descriptor_version="1",
        provider="p",
        product_name="n",
        software_version="1",
        node_type="x.VNF",
        flavours=[Flavour(flavour_id="default", vdus=[vdu])],
    )


def test_records_are_frozen_and_strict() -> None:
    model = vnfd()
    with pytest.raises(ValidationError):
        model.provider = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Checksum(algorithm="sha-256", hash="x", extra="y")  # type: ignore[call-arg]


def test_consistency_checks_name_what_does_not_fit() -> None:
    from descriptors.consistency import check_nsd, check_vnfd
    from descriptors.model import InstantiationLevel, NsVirtualLink, ScalingAspect, VduCp

    base = vnfd()
    flavour = base.flavours[0].model_copy(
        update={
            "cps": [VduCp(cp_id="c", vdu_id="ghost", virtual_link="nowhere")],
            "scaling_aspects": [
                ScalingAspect(
                    aspect_id="a",
                    name="a",
                    max_scale_level=1,
                    step_deltas=["d1"],
                    vdu_deltas={"v": {"d2": 1}},
                )
            ],
            "instantiation_levels": [
                InstantiationLevel(
                    level_id="big", scale_info={"a": 3, "b": 0}, vdu_instances={"v": 5}
                )
            ],
            "default_level": "small",
        }
    )
    messages = [p.message for p in check_vnfd(base.model_copy(update={"flavours": [flavour]}))]
    assert len(messages) == 7
    assert all(m.startswith("flavour default: ") for m in messages)
    nsd = Nsd(
        descriptor_id="n",
        designer="d",
        version="1",
        name="ns",
        invariant_id="i",
        flavours=[
            NsFlavour(
                flavour_id="default",
                virtual_links=[NsVirtualLink(vl_id="sbi")],
                vnf_profiles=[
                    VnfProfile(
                        profile_id="a", vnfd_id="x", flavour_id="f", virtual_links={"l": "sbi"}
                    ),
                    VnfProfile(
                        profile_id="b", vnfd_id="y", flavour_id="f", virtual_links={"l": "n9"}
                    ),
                ],
                dependencies=[
                    VnfDependency(vnf="a", depends_on="b"),
                    VnfDependency(vnf="b", depends_on="a"),
                ],
            )
        ],
    )
    messages = [p.message for p in check_nsd(nsd)]
    assert any("n9" in m for m in messages)
    assert any("cycle (a -> b -> a)" in m for m in messages)
