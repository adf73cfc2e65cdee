"""The life of a server: schedule, claim, bind ports, boot, act, delete; each step
announced with Nova's versioned notifications."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from simulators.openstack import payloads
from simulators.openstack.binding import bind_ports, release_ports, unplug_ports
from simulators.openstack.faults import FaultState
from simulators.openstack.model import InstanceAction, Migration, Server, new_id, utc_now
from simulators.openstack.notifications import Publisher
from simulators.openstack.scheduler.claims import apply_claim, release_claim
from simulators.openstack.scheduler.filters import (
    GroupContext,
    NoValidHost,
    SchedulingContext,
    select_host,
)
from simulators.openstack.scheduler.request import RequestSpec
from simulators.openstack.state import Cloud

LOG = logging.getLogger("simulators.openstack.compute")
NO_VALID_HOST = "No valid host was found. "


class Lifecycle:
    def __init__(self, cloud: Cloud, publisher: Publisher, faults: FaultState) -> None:
        self.cloud = cloud
        self.publisher = publisher
        self.faults = faults
        self.tasks: set[asyncio.Task[None]] = set()
        self.stalled: dict[str, list[Server]] = {}

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def _delay(self, kind: str) -> float:
        config = self.cloud.config
        delay = {"boot": config.boot_time, "delete": config.delete_time}.get(
            kind, config.action_time
        )
        return config.scaled(delay.sample(self.cloud.rng))

    async def later(self, kind: str, step: Callable[[], Awaitable[None]]) -> None:
        delay = self._delay(kind)
        if delay <= 0:
            await step()
            return

        async def run() -> None:
            await asyncio.sleep(delay)
            try:
                await step()
            except Exception:  # a bug here must show in the log, not vanish with the task
                LOG.exception("a delayed %s step failed", kind)

        task = asyncio.create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _publisher_id(self, server: Server) -> str:
        """The compute of the server's host; the API for a server that never had one."""
        return f"nova-compute:{server.host}" if server.host else "nova-api:sim-api"

    async def notify(
        self,
        server: Server,
        event: str,
        priority: str = "INFO",
        fault: dict[str, Any] | None = None,
        create: bool = False,
    ) -> None:
        payload = payloads.action_payload(self.cloud, server, fault, create)
        await self.publisher.nova(event, payload, self._publisher_id(server), priority)

    async def set_state(
        self,
        server: Server,
        status: str,
        vm_state: str,
        task_state: str | None,
        power_state: int | None = None,
    ) -> None:
        old_state, old_task = server.vm_state, server.task_state
        server.status, server.vm_state, server.task_state = status, vm_state, task_state
        if power_state is not None:
            server.power_state = power_state
        server.updated_at = utc_now()
        payload = payloads.update_payload(self.cloud, server, old_state, old_task)
        await self.publisher.nova("instance.update", payload, self._publisher_id(server))

    def record_action(self, server: Server, action: str, result: str = "Success") -> None:
        now = utc_now()
        event = {
            "event": f"compute_{action}",
            "start_time": now,
            "finish_time": now,
            "result": result,
            "host": server.host,
        }
        server.actions.append(
            InstanceAction(
                action,
                "req-" + new_id(),
                server.user_id,
                server.project_id,
                now,
                now,
                None,
                [event],
            )
        )

    def group_context(self, server: Server) -> GroupContext | None:
        group = self.cloud.server_groups.get(server.group_id or "")
        if group is None:
            return None
        hosts: dict[str, int] = {}
        for member_id in group.members:
            member = self.cloud.servers.get(member_id)
            if member is not None and member.host and member_id != server.id:
                hosts[member.host] = hosts.get(member.host, 0) + 1
        limit = int(group.rules.get("max_server_per_host", 1))
        return GroupContext(group.policy, limit, hosts)

    async def create(self, server: Server, spec: RequestSpec) -> None:
        """Schedule now; boot after the boot delay (or fail as Nova fails)."""
        self.cloud.servers[server.id] = server
        server.request_spec = spec
        self.record_action(server, "create")
        ctx = SchedulingContext(
            spec, self.cloud.config.scaled_service_down_time, self.group_context(server)
        )
        result = select_host(list(self.cloud.hosts.values()), ctx)
        if isinstance(result, NoValidHost):
            await self.no_valid_host(server, result)
            return
        host = self.cloud.hosts[result.host]
        apply_claim(host, result)
        host.servers.add(server.id)
        server.host, server.claim = host.name, result
        if server.zone is None:
            server.zone = host.spec.zone
        server.task_state = "spawning"
        bind_ports(self.cloud, server, host, result)
        await self.notify(server, "instance.create.start", create=True)
        await self.later("boot", lambda: self._finish_boot(server))

    async def no_valid_host(self, server: Server, result: NoValidHost) -> None:
        entry = {
            "server_id": server.id,
            "name": server.name,
            "time": utc_now().isoformat(),
            "reason": result.reason,
            "filter_results": result.filter_results,
        }
        self.cloud.scheduling_log.append(entry)
        server.scheduling_reason = result.reason
        LOG.warning(
            "No valid host was found for %s: %s %s", server.id, result.reason, result.filter_results
        )
        self._fault(server, 500, NO_VALID_HOST.strip(), "NoValidHost")
        await self.publisher.nova(
            "compute_task.build_instances.error",
            payloads.build_error_payload(server, NO_VALID_HOST),
            "nova-conductor:sim-api",
            "ERROR",
        )
        await self.set_state(server, "ERROR", "error", None, 0)

    def _fault(self, server: Server, code: int, message: str, kind: str) -> None:
        server.fault = {
            "code": code,
            "message": message,
            "created": utc_now(),
            "details": f"{kind}: {message}",
        }

    async def _finish_boot(self, server: Server) -> None:
        if server.deleted or server.vm_state != "building":
            return
        host = self.cloud.host_of(server)
        if host is not None and not host.service.alive:
            self.stalled.setdefault(host.name, []).append(server)  # resumes when it is back
            return
        failure = self.faults.take_create_failure()
        if failure is not None:
            message = failure.format(id=server.id)
            self._free(server)
            self._fault(server, 500, message, "MaxRetriesExceeded")
            fault = payloads.fault_payload(message, "MaxRetriesExceeded")
            await self.set_state(server, "ERROR", "error", None, 0)
            await self.notify(server, "instance.create.error", "ERROR", fault, create=True)
            return
        server.launched_at = utc_now()
        bind_ports(
            self.cloud, server, self.cloud.hosts[server.host or ""], server.claim, active=True
        )
        await self.set_state(server, "ACTIVE", "active", None, 1)
        await self.notify(server, "instance.create.end", create=True)

    async def resume_builds(self, host_name: str) -> None:
        """The host is back: the builds it held finish now."""
        for server in self.stalled.pop(host_name, []):
            await self._finish_boot(server)

    def _free(self, server: Server) -> None:
        host = self.cloud.host_of(server)
        if host is not None and server.claim is not None:
            release_claim(host, server.claim)
            host.servers.discard(server.id)
        server.claim = None
        migration = self.cloud.migrations.get(server.migration_id or "")
        if migration is not None:  # an unconfirmed resize also gives back its source
            self.release_held(migration)
        release_ports(self.cloud, server)

    def release_held(self, migration: Migration) -> None:
        """Free the claim a resize or migration held on its source."""
        source = self.cloud.hosts.get(migration.source)
        claim = source.held.pop(migration.uuid, None) if source else None
        if source is not None and claim is not None:
            release_claim(source, claim)

    async def delete(self, server: Server) -> None:
        self.record_action(server, "delete")
        await self.set_state(server, server.status, server.vm_state, "deleting")
        await self.notify(server, "instance.delete.start")
        await self.later("delete", lambda: self._finish_delete(server))

    async def _finish_delete(self, server: Server) -> None:
        if server.deleted:
            return
        if server.host:  # the guest is shut down on its compute before it is destroyed
            await self.notify(server, "instance.shutdown.start")
            self.plug(server, running=False)
            await self.notify(server, "instance.shutdown.end")
        self._free(server)
        for volume_id in server.volume_ids:
            volume = self.cloud.volumes.get(volume_id)
            if volume is not None:
                volume.status, volume.attachments = "available", []
        group = self.cloud.server_groups.get(server.group_id or "")
        if group is not None and server.id in group.members:
            group.members.remove(server.id)
        server.deleted = True
        server.status, server.vm_state, server.task_state = "DELETED", "deleted", None
        server.updated_at = utc_now()
        self.cloud.forget_server(server)
        await self.notify(server, "instance.delete.end")

    async def power_action(self, server: Server, action: str) -> None:
        """reboot, stop, start: Nova's task states and start/end notifications."""
        events = {
            "reboot": ("instance.reboot", "rebooting", "ACTIVE", "active", 1),
            "stop": ("instance.power_off", "powering-off", "SHUTOFF", "stopped", 4),
            "start": ("instance.power_on", "powering-on", "ACTIVE", "active", 1),
        }
        event, task_state, status, vm_state, power = events[action]
        self.record_action(server, action)
        await self.set_state(
            server, "REBOOT" if action == "reboot" else server.status, server.vm_state, task_state
        )
        await self.notify(server, f"{event}.start")

        async def finish() -> None:
            if server.deleted:
                return
            self.plug(server, running=power == 1)
            await self.set_state(server, status, vm_state, None, power)
            await self.notify(server, f"{event}.end")

        await self.later("action", finish)

    def plug(self, server: Server, running: bool) -> None:
        """A running guest's ports come UP (but the vhost-user trap); a stopped one's go DOWN."""
        host = self.cloud.host_of(server)
        if host is None:
            return
        if running:
            bind_ports(self.cloud, server, host, server.claim, active=True)
        else:
            unplug_ports(self.cloud, server)

    async def rebuild(self, server: Server, image_id: str) -> None:
        self.record_action(server, "rebuild")
        server.image_id = image_id
        await self.set_state(server, "REBUILD", server.vm_state, "rebuilding")
        await self.notify(server, "instance.rebuild.start")

        async def finish() -> None:
            if server.deleted:
                return
            await self.set_state(server, "ACTIVE", "active", None, 1)
            await self.notify(server, "instance.rebuild.end")

        await self.later("action", finish)


LIFECYCLE: web.AppKey[Lifecycle] = web.AppKey("lifecycle", Lifecycle)
