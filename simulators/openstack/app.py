"""One aiohttp application serving every API under its own prefix, like devstack."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from simulators.openstack import cinder, glance, placement
from simulators.openstack.compute import LIFECYCLE, Lifecycle
from simulators.openstack.faults import FAULTS, FaultState, fault_middleware
from simulators.openstack.host_faults import HostMonitor
from simulators.openstack.keystone import identity_app
from simulators.openstack.keystone import versions as identity_versions
from simulators.openstack.neutron import network_app
from simulators.openstack.neutron import versions as network_versions
from simulators.openstack.notifications import Publisher
from simulators.openstack.nova import compute_app
from simulators.openstack.nova import versions as compute_versions
from simulators.openstack.sim_views import HOST_MONITOR, sim_app
from simulators.openstack.state import Cloud
from simulators.openstack.web import BASE_URL, CLOUD


def build_app(cloud: Cloud, base_url: str | None = None) -> web.Application:
    app = web.Application(middlewares=[fault_middleware], client_max_size=1024**3)
    faults = FaultState()
    publisher = Publisher(cloud.config.redis_url, cloud.config.stream_prefix)
    lifecycle = Lifecycle(cloud, publisher, faults)
    app[CLOUD] = cloud
    app[BASE_URL] = [base_url] if base_url else []
    app[FAULTS] = faults
    app[LIFECYCLE] = lifecycle
    app[HOST_MONITOR] = HostMonitor(lifecycle)

    async def resources(app: web.Application) -> AsyncIterator[None]:
        yield
        await app[HOST_MONITOR].close()
        await lifecycle.close()
        await publisher.close()

    app.cleanup_ctx.append(resources)
    app.router.add_get("/identity", identity_versions)
    app.router.add_get("/compute", compute_versions)
    app.router.add_get("/network", network_versions)
    app.add_subapp("/identity", identity_app())
    app.add_subapp("/compute", compute_app())
    app.add_subapp("/network", network_app())
    for module in (glance, cinder, placement):
        module.install(app)
    app.add_subapp("/_sim", sim_app())
    return app
