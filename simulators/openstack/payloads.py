"""The payloads of Nova's versioned notifications, built from the simulator's records."""

from __future__ import annotations

from typing import Any

from simulators.openstack.hosts import HostState
from simulators.openstack.model import Server, iso
from simulators.openstack.notifications import nova_object
from simulators.openstack.state import Cloud

POWER_STATES = {
    0: "pending",
    1: "running",
    3: "paused",
    4: "shutdown",
    6: "crashed",
    7: "suspended",
}


def _flavor(server: Server) -> dict[str, Any]:
    return _flavor_payload(server.flavor)


def _flavor_payload(flavor: dict[str, Any]) -> dict[str, Any]:
    data = {
        "flavorid": flavor["id"],
        "name": flavor["name"],
        "memory_mb": flavor["ram"],
        "vcpus": flavor["vcpus"],
        "root_gb": flavor["disk"],
        "ephemeral_gb": flavor["ephemeral"],
        "swap": flavor["swap"],
        "rxtx_factor": 1.0,
        "is_public": True,
        "disabled": False,
        "description": None,
        "extra_specs": flavor["extra_specs"],
        "projects": None,
    }
    return nova_object("FlavorPayload", "1.4", data)


def _ips(cloud: Cloud, server: Server) -> list[dict[str, Any]]:
    result = []
    for port_id in server.port_ids:
        port = cloud.ports.get(port_id)
        if port is None:
            continue
        for ip in port.fixed_ips:
            network = cloud.networks[port.network_id]
            result.append(
                nova_object(
                    "IpPayload",
                    "1.0",
                    {
                        "label": network.name,
                        "mac": port.mac_address,
                        "meta": {},
                        "port_uuid": port.id,
                        "version": 4,
                        "address": ip["ip_address"],
                        "device_name": f"tap{port.id[:11]}",
                    },
                )
            )
    return result


def instance_data(cloud: Cloud, server: Server) -> dict[str, Any]:
    host = cloud.host_of(server)
    return {
        "uuid": server.id,
        "user_id": server.user_id,
        "tenant_id": server.project_id,
        "reservation_id": server.reservation_id,
        "display_name": server.name,
        "display_description": server.description,
        "host_name": server.name,
        "host": server.host,
        "node": server.host,
        "os_type": None,
        "architecture": None,
        "availability_zone": host.spec.zone if host else server.zone,
        "flavor": _flavor(server),
        "image_uuid": server.image_id,
        "key_name": server.key_name,
        "kernel_id": "",
        "ramdisk_id": "",
        "created_at": iso(server.created_at),
        "launched_at": iso(server.launched_at),
        "terminated_at": None,
        "deleted_at": None,
        "updated_at": iso(server.updated_at),
        "state": server.vm_state,
        "power_state": POWER_STATES.get(server.power_state, "nostate"),
        "task_state": server.task_state,
        "progress": 0,
        "ip_addresses": _ips(cloud, server),
        "block_devices": [],
        "metadata": dict(server.metadata),
        "locked": False,
        "locked_reason": None,
        "auto_disk_config": "MANUAL",
        "action_initiator_user": server.user_id,
        "action_initiator_project": server.project_id,
        "request_id": None,
    }


def fault_payload(message: str, exception: str) -> dict[str, Any]:
    return nova_object(
        "ExceptionPayload",
        "1.1",
        {
            "module_name": "nova.exception",
            "function_name": "_build_and_run_instance",
            "exception": exception,
            "exception_message": message,
            "traceback": "",
        },
    )


def action_payload(
    cloud: Cloud, server: Server, fault: dict[str, Any] | None = None, create: bool = False
) -> dict[str, Any]:
    data = instance_data(cloud, server)
    data["fault"] = fault
    if create:
        data.update(
            {
                "keypairs": [],
                "tags": list(server.tags),
                "trusted_image_certificates": None,
                "instance_name": f"instance-{server.id[:8]}",
            }
        )
        return nova_object("InstanceCreatePayload", "1.12", data)
    return nova_object("InstanceActionPayload", "1.8", data)


def update_payload(
    cloud: Cloud, server: Server, old_state: str, old_task_state: str | None
) -> dict[str, Any]:
    data = instance_data(cloud, server)
    data.update(
        {
            "state_update": nova_object(
                "InstanceStateUpdatePayload",
                "1.0",
                {
                    "old_state": old_state,
                    "state": server.vm_state,
                    "old_task_state": old_task_state,
                    "new_task_state": server.task_state,
                },
            ),
            "audit_period": nova_object(
                "AuditPeriodPayload",
                "1.0",
                {
                    "audit_period_beginning": iso(server.created_at),
                    "audit_period_ending": iso(server.updated_at),
                },
            ),
            "bandwidth": [],
            "old_display_name": None,
            "tags": list(server.tags),
            "updated_at": iso(server.updated_at),
        }
    )
    data.pop("request_id", None)
    return nova_object("InstanceUpdatePayload", "2.0", data)


def service_payload(host: HostState) -> dict[str, Any]:
    service = host.service
    return nova_object(
        "ServiceStatusPayload",
        "1.1",
        {
            "host": host.name,
            "binary": "nova-compute",
            "topic": "compute",
            "report_count": 1,
            "disabled": service.disabled,
            "disabled_reason": service.disabled_reason,
            "availability_zone": host.spec.zone,
            "last_seen_up": service.updated_at or None,
            "forced_down": service.forced_down,
            "version": 66,
            "uuid": service.id,
        },
    )


def resize_prep_payload(cloud: Cloud, server: Server, flavor: dict[str, Any]) -> dict[str, Any]:
    """instance.resize_prep: the action payload with the flavor asked for."""
    data = instance_data(cloud, server)
    data["fault"] = None
    data["new_flavor"] = _flavor_payload(flavor)
    return nova_object("InstanceActionResizePrepPayload", "1.3", data)


def build_error_payload(
    server: Server, reason: str, function: str = "build_instances"
) -> dict[str, Any]:
    return nova_object(
        "ComputeTaskPayload",
        "1.0",
        {
            "instance_uuid": server.id,
            "state": "error",
            "request_spec": None,
            "reason": nova_object(
                "ExceptionPayload",
                "1.1",
                {
                    "module_name": "nova.conductor.manager",
                    "function_name": function,
                    "exception": "NoValidHost",
                    "exception_message": reason,
                    "traceback": "",
                },
            ),
        },
    )
