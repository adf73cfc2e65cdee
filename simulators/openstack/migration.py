"""Cold migration and resize, as Nova does them, with their confirm and revert.

The scheduler picks a destination other than the source (Nova's default
``allow_resize_to_same_host=False``) for the server's kept request spec, or for the
new flavor's. From then until the move is confirmed or reverted the source's claim is
held by the migration record (Placement shows it as the migration's allocation, as
Nova moves it there) and the server's new claim is on the destination. The server goes
RESIZE (task states resize_prep, resize_migrating, resize_migrated, resize_finish),
then VERIFY_RESIZE on the destination with its ports rebound; confirming frees the
source, reverting moves everything back. Each step sends Nova's notifications
(instance.resize_prep, instance.resize, instance.resize_finish, instance.resize_confirm,
instance.resize_revert; compute_task.migrate_server.error when no host fits).
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from simulators.openstack import payloads
from simulators.openstack.binding import bind_ports
from simulators.openstack.compute import Lifecycle
from simulators.openstack.model import Migration, Server, utc_now
from simulators.openstack.scheduler.claims import apply_claim, release_claim
from simulators.openstack.scheduler.filters import NoValidHost, SchedulingContext, select_host
from simulators.openstack.scheduler.request import RequestSpec, build_request


def resize_spec(server: Server, flavor: dict[str, Any]) -> RequestSpec:
    """The request spec of the new flavor, with the server's zone, group and devices.
    Raises InvalidRequest for extra specs Nova refuses."""
    assert server.request_spec is not None
    kept = server.request_spec
    spec = build_request(flavor)
    spec.zone, spec.group_id = kept.zone, kept.group_id
    spec.pci, spec.virtio_forwarder = kept.pci, kept.virtio_forwarder
    return spec


def current(lifecycle: Lifecycle, server: Server) -> Migration | None:
    return lifecycle.cloud.migrations.get(server.migration_id or "")


async def _notify(lifecycle: Lifecycle, server: Server, event: str, host: str) -> None:
    payload = payloads.action_payload(lifecycle.cloud, server)
    await lifecycle.publisher.nova(event, payload, f"nova-compute:{host}")


async def start(
    lifecycle: Lifecycle,
    server: Server,
    flavor: dict[str, Any],
    spec: RequestSpec,
    target: str | None,
) -> None:
    """Resize (a new flavor) or migrate (the same one), after the API's checks."""
    cloud = lifecycle.cloud
    source = server.host or ""
    kind = "resize" if flavor["id"] != server.flavor["id"] else "migration"
    migration = Migration(
        id=len(cloud.migrations) + 1,
        uuid=str(uuid.uuid4()),
        server_id=server.id,
        project_id=server.project_id,
        user_id=server.user_id,
        kind=kind,
        source=source,
        dest=None,
        old_flavor=dict(server.flavor),
        new_flavor=dict(flavor),
        was_running=server.power_state == 1,
    )
    cloud.migrations[migration.uuid] = migration
    server.migration_id = migration.uuid
    lifecycle.record_action(server, "resize" if kind == "resize" else "migrate")
    await lifecycle.set_state(server, "RESIZE", server.vm_state, "resize_prep")
    this_time = dataclasses.replace(spec, forced_host=target, ignore_hosts=frozenset({source}))
    ctx = SchedulingContext(
        this_time, cloud.config.scaled_service_down_time, lifecycle.group_context(server)
    )
    result = select_host(list(cloud.hosts.values()), ctx)
    if isinstance(result, NoValidHost):
        await _no_valid_host(lifecycle, server, migration, result)
        return
    await lifecycle.publisher.nova(
        "instance.resize_prep.start",
        payloads.resize_prep_payload(cloud, server, flavor),
        f"nova-compute:{result.host}",
    )
    dest = cloud.hosts[result.host]
    apply_claim(dest, result)
    held = cloud.hosts[source]
    held.servers.discard(server.id)
    if server.claim is not None:  # the source's allocation passes to the migration
        held.held[migration.uuid] = server.claim
        held.generation += 1
    dest.servers.add(server.id)
    migration.dest, migration.source_claim = dest.name, server.claim
    migration.source_spec = server.request_spec
    server.host, server.claim, server.request_spec = dest.name, result, spec
    server.consumer_generation += 1
    await lifecycle.publisher.nova(
        "instance.resize_prep.end",
        payloads.resize_prep_payload(cloud, server, flavor),
        f"nova-compute:{dest.name}",
    )
    await lifecycle.later("action", lambda: _finish(lifecycle, server, migration))


async def _no_valid_host(
    lifecycle: Lifecycle, server: Server, migration: Migration, result: NoValidHost
) -> None:
    """The conductor gives up: the server is as it was, the migration in error."""
    migration.status, migration.updated_at = "error", utc_now()
    server.migration_id = None
    server.scheduling_reason = result.reason
    server.actions[-1].events[0]["result"] = "Error"
    await lifecycle.publisher.nova(
        "compute_task.migrate_server.error",
        payloads.build_error_payload(server, "No valid host was found. ", "migrate_server"),
        "nova-conductor:sim-api",
        "ERROR",
    )
    status, vm_state = _settled(migration)
    await lifecycle.set_state(server, status, vm_state, None)


async def _finish(lifecycle: Lifecycle, server: Server, migration: Migration) -> None:
    if server.deleted or server.migration_id != migration.uuid:
        return
    cloud = lifecycle.cloud
    dest = migration.dest or ""
    migration.status = "migrating"
    await lifecycle.set_state(server, "RESIZE", server.vm_state, "resize_migrating")
    await _notify(lifecycle, server, "instance.resize.start", migration.source)
    lifecycle.plug(server, running=False)
    await lifecycle.set_state(server, "RESIZE", server.vm_state, "resize_migrated")
    await _notify(lifecycle, server, "instance.resize.end", migration.source)
    migration.status = "post-migrating"
    await lifecycle.set_state(server, "RESIZE", server.vm_state, "resize_finish")
    await _notify(lifecycle, server, "instance.resize_finish.start", dest)
    server.flavor = dict(migration.new_flavor)
    if server.request_spec is not None and server.request_spec.zone is None:
        server.zone = cloud.hosts[dest].spec.zone
    bind_ports(cloud, server, cloud.hosts[dest], server.claim, active=migration.was_running)
    migration.status, migration.updated_at = "finished", utc_now()
    power = 1 if migration.was_running else 4
    await lifecycle.set_state(server, "VERIFY_RESIZE", "resized", None, power)
    await _notify(lifecycle, server, "instance.resize_finish.end", dest)


def _settled(migration: Migration) -> tuple[str, str]:
    return ("ACTIVE", "active") if migration.was_running else ("SHUTOFF", "stopped")


async def confirm(lifecycle: Lifecycle, server: Server, migration: Migration) -> None:
    """The source's claim is freed; the server stays where it is."""
    migration.status = "confirming"
    await _notify(lifecycle, server, "instance.resize_confirm.start", migration.source)

    async def finish() -> None:
        lifecycle.release_held(migration)
        migration.status, migration.updated_at = "confirmed", utc_now()
        server.migration_id = None
        status, vm_state = _settled(migration)
        await lifecycle.set_state(server, status, vm_state, None)
        await _notify(lifecycle, server, "instance.resize_confirm.end", migration.source)

    await lifecycle.later("action", finish)


async def revert(lifecycle: Lifecycle, server: Server, migration: Migration) -> None:
    """Back to the source, with the old flavor and the claim the migration held."""
    cloud = lifecycle.cloud
    migration.status = "reverting"
    await lifecycle.set_state(server, "REVERT_RESIZE", server.vm_state, "resize_reverting")
    await _notify(lifecycle, server, "instance.resize_revert.start", migration.dest or "")

    async def finish() -> None:
        dest, source = cloud.hosts[migration.dest or ""], cloud.hosts[migration.source]
        if server.claim is not None:
            release_claim(dest, server.claim)
        dest.servers.discard(server.id)
        source.held.pop(migration.uuid, None)
        source.servers.add(server.id)
        source.generation += 1  # and back to the server
        server.host, server.claim = source.name, migration.source_claim
        server.request_spec = migration.source_spec
        server.flavor = dict(migration.old_flavor)
        if server.request_spec is not None and server.request_spec.zone is None:
            server.zone = source.spec.zone
        server.consumer_generation += 1
        bind_ports(cloud, server, source, server.claim, active=migration.was_running)
        migration.status, migration.updated_at = "reverted", utc_now()
        server.migration_id = None
        status, vm_state = _settled(migration)
        await lifecycle.set_state(server, status, vm_state, None, 1 if migration.was_running else 4)
        await _notify(lifecycle, server, "instance.resize_revert.end", source.name)

    await lifecycle.later("action", finish)
