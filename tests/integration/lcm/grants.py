"""Grant requests as a VNFM writes them, for the tests of the Grant API."""

from __future__ import annotations

import uuid
from typing import Any

GRANT = {"Version": "1.7.0"}
UPF_VNFD = "e3367af6-91d7-577b-8765-b2c68b09fe48"


def compute(vnfc_id: str, vdu_id: str, vnfd_id: str = UPF_VNFD) -> dict[str, Any]:
    return {
        "id": vnfc_id,
        "type": "COMPUTE",
        "vduId": vdu_id,
        "vnfdId": vnfd_id,
        "resourceTemplateId": [vdu_id],
    }


def grant_request(
    *resources: dict[str, Any],
    vnfd_id: str = UPF_VNFD,
    operation: str = "INSTANTIATE",
    constraints: list[dict[str, Any]] | None = None,
    instance_id: str | None = None,
    occurrence_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    instance_id = instance_id or str(uuid.uuid4())
    occurrence_id = occurrence_id or str(uuid.uuid4())
    return {
        "vnfInstanceId": instance_id,
        "vnfLcmOpOccId": occurrence_id,
        "vnfdId": vnfd_id,
        "flavourId": "default",
        "operation": operation,
        "isAutomaticInvocation": False,
        "addResources": list(resources),
        "placementConstraints": constraints or [],
        "_links": {
            "vnfLcmOpOcc": {"href": f"http://vnfm/vnflcm/v2/vnf_lcm_op_occs/{occurrence_id}"},
            "vnfInstance": {"href": f"http://vnfm/vnflcm/v2/vnf_instances/{instance_id}"},
        },
        **extra,
    }


def anti_affinity(*members: str, servers: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "affinityOrAntiAffinity": "ANTI_AFFINITY",
        "scope": "NFVI_NODE",
        "resource": [{"idType": "GRANT", "resourceId": m} for m in members]
        + [{"idType": "RES_MGMT", "resourceId": s} for s in servers],
    }
