"""The VNF manager at scale: many VNFs instantiated at once, then terminated.

Side by side in one run, on one simulator in its own process with a fixed boot time T:

- bare: this process creates the same servers (each with its ports) straight through
  the VIM facade, CONCURRENCY at a time, and waits for them: T plus the simulator's
  API time, with nothing of a manager around it;
- vnfm: ``nfvo vnfm serve`` in its own process instantiates VNFS VNFs of 3 VNFCs (3
  ports each) all requested at once, with grants and packages from a plain NFVO
  served here, then terminates them.

Figures: the manager's CPU time per VNFC (its process, every thread: openstacksdk
included) and, for scale, the bare facade's CPU per VNFC for the same VIM calls; the
manager's wall time against the bare run's; its peak resident memory; failed
operations. Prints one JSON line (benchmarks.report).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web

from benchmarks.report import report
from benchmarks.simulator import cpu_seconds, free_port
from descriptors.build import build_package
from nfvo.vim.compute import FlavorSpec, ServerRequest
from nfvo.vim.facade import Vim
from nfvo.vim.network import PortRequest
from nfvo.vim.session import VimSpec
from nfvo.vim.tags import ResourceIdentity

REPO = Path(__file__).resolve().parents[1]
INVENTORY = REPO / "simulators" / "openstack" / "inventories" / "region.yaml"
VDUS, CPS = ("a", "b", "c"), 3
LCM = {"Version": "2.3.0", "Accept": "application/json"}
CONCURRENCY = 8  # the VIM's pool: the same for the bare run and the manager


def vnfd(descriptor_id: str) -> str:
    """The NRF's VNFD made into three VDUs of three ports each (no day-1 template)."""
    source = (REPO / "descriptors/packages/nrf/Definitions/nrf_vnfd.yaml").read_text()
    head, _, _ = source.partition("    nrf:\n")
    head = head.replace("fa3b7012-dd21-5773-816d-e610f089e8ec", descriptor_id)
    head = head.replace(
        "virtual_link_sbi: [nrf_sbi, virtual_link]", "virtual_link_sbi: [a_0, virtual_link]"
    )
    image = yaml.safe_load(source)["topology_template"]["node_templates"]["nrf"]["artifacts"]
    nodes = {}
    for vdu in VDUS:
        nodes[vdu] = {
            "type": "tosca.nodes.nfv.Vdu.Compute",
            "properties": {"name": vdu, "description": f"benchmark VDU {vdu}",
                           "vdu_profile": {"min_number_of_instances": 1,
                                           "max_number_of_instances": 1}},
            "capabilities": {"virtual_compute": {"properties": {
                "virtual_memory": {"virtual_mem_size": "512 MiB", "numa_enabled": False},
                "virtual_cpu": {"num_virtual_cpu": 1},
                "virtual_local_storage": [{"size_of_storage": "1 GiB", "rdma_enabled": False}]}}},
            "artifacts": image,
        }  # fmt: skip
        for index in range(CPS):
            nodes[f"{vdu}_{index}"] = {
                "type": "tosca.nodes.nfv.VduCp",
                "properties": {"layer_protocols": ["ipv4"], "order": index, "vnic_type": "normal"},
                "requirements": [{"virtual_binding": vdu}],
            }
    body = yaml.safe_dump({"node_templates": nodes}, sort_keys=False)
    body = "\n".join("  " + line for line in body.splitlines()[1:])
    return head + body + "\n"


def package(work: Path) -> tuple[str, bytes]:
    descriptor_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "nfvo-bench-vnf"))
    source = work / "bench"
    shutil.copytree(REPO / "descriptors/packages/nrf", source)
    (source / "Definitions/nrf_vnfd.yaml").write_text(vnfd(descriptor_id))
    return descriptor_id, build_package(source, work).read_bytes()


class Nfvo:
    """A plain NFVO: one package, grants naming the VIM, no placement (Nova schedules)."""

    def __init__(self, vnfd_id: str, content: bytes, cloud: dict[str, Any]) -> None:
        self.vnfd_id, self.content, self.cloud = vnfd_id, content, cloud

    def app(self) -> web.Application:
        app = web.Application()
        base = "/vnfpkgm/v2/onboarded_vnf_packages/{vnfdId}"
        app.router.add_get(base, self.info)
        app.router.add_get(base + "/package_content", self.zip)
        app.router.add_post("/grant/v1/grants", self.grant)
        return app

    async def info(self, request: web.Request) -> web.Response:
        digest = hashlib.sha256(self.content).hexdigest()
        checksum = {"algorithm": "SHA-256", "hash": digest}
        return web.json_response({"id": "p", "vnfdId": self.vnfd_id, "checksum": checksum})

    async def zip(self, request: web.Request) -> web.Response:
        return web.Response(body=self.content, content_type="application/zip")

    async def grant(self, request: web.Request) -> web.Response:
        body = await request.json()
        auth = self.cloud["auth"]
        access = {"username": auth["username"], "password": auth["password"],
                  "project": auth["project_name"], "userDomain": "Default",
                  "projectDomain": "Default"}  # fmt: skip
        return web.json_response({
            "id": str(uuid.uuid4()), "vnfInstanceId": body["vnfInstanceId"],
            "vnfLcmOpOccId": body["vnfLcmOpOccId"],
            "vimConnectionInfo": {"bench": {
                "vimId": "bench", "vimType": "ETSINFV.OPENSTACK_KEYSTONE.V_3",
                "interfaceInfo": {"endpoint": auth["auth_url"]}, "accessInfo": access,
                "extra": {"admin": True}}},
            "_links": {"self": {"href": "/grant/v1/grants/x"}, **body["_links"]},
        }, status=201)  # fmt: skip


async def bare(vim: Vim, vnfcs: int) -> tuple[float, float]:
    """Wall and CPU seconds of creating ``vnfcs`` servers of CPS ports through the facade."""
    images = await vim.session.request("image", "GET", "/images", call="list images")
    image = next(i["id"] for i in images["images"] if i["name"] == "cirros")
    flavor = (await vim.compute.ensure_flavor(FlavorSpec(1, 512, 1))).id
    network = (await vim.network.network("mgmt")).id
    vnf, cursor = str(uuid.uuid4()), iter(range(vnfcs))

    async def worker() -> None:
        for index in cursor:
            ports = [
                (await vim.network.create_port(
                    PortRequest(ResourceIdentity(vnf, f"cp{n}", index), network)
                )).id
                for n in range(CPS)
            ]  # fmt: skip
            request = ServerRequest(ResourceIdentity(vnf, "vdu", index), image, flavor, ports)
            server = await vim.compute.create_server(request)
            await vim.compute.wait_for_server(server.id, interval=0.2)

    cpu, wall = time.process_time(), time.monotonic()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY * 4)))
    return time.monotonic() - wall, time.process_time() - cpu


async def lifecycle(url: str, vnfd_id: str, count: int) -> tuple[float, float, int, int]:
    """Instantiate ``count`` VNFs at once, then terminate them: walls and failures."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as http:

        async def call(method: str, path: str, body: Any = None) -> tuple[int, Any, Any]:
            async with http.request(method, url + path, json=body, headers=LCM) as response:
                data = await response.json() if response.content_type.endswith("json") else None
                return response.status, data, response.headers

        ids = []
        for _ in range(count):
            status, created, _ = await call("POST", "/vnf_instances", {"vnfdId": vnfd_id})
            if status != 201:
                raise RuntimeError(f"the manager refused to create a VNF instance: {created}")
            ids.append(created["id"])
        links = [{"id": "mgmt", "resourceId": "mgmt",
                  "extCps": [{"cpdId": f"{v}_{n}"} for v in VDUS for n in range(CPS)]}]  # fmt: skip

        async def run(task: str, body: dict[str, Any]) -> tuple[float, int]:
            start = time.monotonic()
            answers = await asyncio.gather(
                *(call("POST", f"/vnf_instances/{i}/{task}", body) for i in ids)
            )
            pending = {a[2]["Location"] for a in answers if a[0] == 202}
            failed = count - len(pending)
            while pending:
                await asyncio.sleep(0.5)
                for location in list(pending):
                    _, occurrence, _ = await call("GET", location.removeprefix("/vnflcm/v2"))
                    state = occurrence["operationState"]
                    if state not in ("STARTING", "PROCESSING"):
                        pending.discard(location)
                        failed += state != "COMPLETED"
                        if state != "COMPLETED":
                            print(f"{task}: {occurrence.get('error')}", file=sys.stderr)
            return time.monotonic() - start, failed

        built, failed_in = await run(
            "instantiate", {"flavourId": "default", "extVirtualLinks": links}
        )
        gone, failed_out = await run("terminate", {"terminationType": "FORCEFUL"})
        return built, gone, failed_in, failed_out


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def main(count: int, boot: float) -> bool:
    with tempfile.TemporaryDirectory(prefix="bench-vnfm-") as tmp:
        work = Path(tmp)
        clouds = work / "clouds.yaml"
        sim = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulators.openstack", "--inventory", str(INVENTORY),
            "--generate-hosts", "120", "--port", str(free_port()), "--clouds-yaml", str(clouds),
            "--time-scale", "1", "--boot-time", str(boot), "--delete-time", "0.2",
            "--log-level", "WARNING", cwd=REPO, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert sim.stdout is not None
        if not (await asyncio.wait_for(sim.stdout.readline(), 120)).startswith(b"READY"):
            raise RuntimeError("the simulator did not start")
        cloud = yaml.safe_load(clouds.read_text())["clouds"]["sim"]
        vnfd_id, content = await asyncio.to_thread(package, work)
        runner = web.AppRunner(Nfvo(vnfd_id, content, cloud).app(), access_log=None)
        await runner.setup()
        nfvo_port, vnfm_port = free_port(), free_port()
        await web.TCPSite(runner, "127.0.0.1", nfvo_port).start()
        env = {**os.environ, "NFVO_DATA_DIR": str(work / "vnfm"), "NFVO_LOG_LEVEL": "ERROR",
               "NFVO_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
               "NFVO_VNFM_NFVO_URL": f"http://127.0.0.1:{nfvo_port}"}  # fmt: skip
        manager = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "nfvo", "vnfm", "serve", "--no-auth", "--port", str(vnfm_port),
            "--concurrency", str(count), env=env, cwd=REPO, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert manager.stdout is not None
        try:
            await asyncio.wait_for(manager.stdout.readline(), 120)
            spec = VimSpec("bench", cloud, admin=True, max_concurrency=CONCURRENCY)
            async with Vim(spec) as vim:
                bare_wall, bare_cpu = await bare(vim, count * len(VDUS))
            url = f"http://127.0.0.1:{vnfm_port}/vnflcm/v2"
            cpu = cpu_seconds(manager.pid)
            built, gone, failed_in, failed_out = await lifecycle(url, vnfd_id, count)
            vnfm_cpu = cpu_seconds(manager.pid) - cpu
            peak = peak_rss_mb(manager.pid)
        finally:
            manager.terminate()
            await manager.wait()
            sim.terminate()
            await sim.wait()
            await runner.cleanup()
    vnfcs = count * len(VDUS)
    figures = {
        "vnfs": count,
        "vnfcs": vnfcs,
        "boot_time_s": boot,
        # Both operations' CPU per VNFC; openstacksdk's share is bounded by the bare
        # facade's CPU for the same calls (create with ports, wait).
        "vnfm_cpu_ms_per_vnfc": round(vnfm_cpu / vnfcs / 2 * 1000, 2),
        "bare_facade_cpu_ms_per_vnfc": round(bare_cpu / vnfcs * 1000, 2),
        "instantiate_wall_s": round(built, 2),
        "terminate_wall_s": round(gone, 2),
        "bare_wall_s": round(bare_wall, 2),
        "wall_ratio": round(built / bare_wall, 2),
        "peak_rss_mb": round(peak, 1),
        "failed_operations": failed_in + failed_out,
    }
    goals: dict[str, dict[str, float]] = {
        "vnfm_cpu_ms_per_vnfc": {"max": 10.0},
        "wall_ratio": {"max": 1.2},
        "failed_operations": {"max": 0},
    }
    return report("vnfm", figures, goals)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vnfs", type=int, default=200)
    parser.add_argument("--boot-time", type=float, default=5.0)
    arguments = parser.parse_args()
    sys.exit(0 if asyncio.run(main(arguments.vnfs, arguments.boot_time)) else 1)


if __name__ == "__main__":
    cli()
