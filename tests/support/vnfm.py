"""A small third-party SOL003 VNF manager for tests, written with no project imports.

It serves what an NFVO drives (VNF LCM v2: instances, instantiate, terminate, scale,
heal, operate, occurrences with retry/rollback/fail/cancel, subscriptions and their
notifications) behind its own OAuth 2.0 token endpoint, and does its work the way a
real one would: it asks the NFVO's Grant API for every operation (a client-credentials
token from the NFVO), opens the VIM the grant's ``vimConnectionInfo`` names with
openstacksdk, and creates ports and servers there (the granted flavour, host, zone),
tagged with the VNF instance. Like a vendor's specific VNFM it knows its VNFs from a
small table (:class:`VnfSpec`) instead of parsing VNFDs. ``fail`` makes the next
operation of a kind fail after its grant (FAILED_TEMP); ``calls`` records every request.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import openstack
from aiohttp import web

ROOT = "/vnflcm/v2"


@dataclass(frozen=True)
class VduSpec:
    vdu_id: str
    count: int
    cps: tuple[tuple[str, str, str], ...]  # (cp id, external CP it is exposed as, vnic type)
    anti_affinity: bool = False
    image: str = "cirros"


@dataclass(frozen=True)
class VnfSpec:
    vnfd_id: str
    product: str
    vdus: tuple[VduSpec, ...]
    aspects: dict[str, dict[str, int]] = field(default_factory=dict)  # aspect -> vdu -> delta


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"status": status, "detail": detail}, status=status)


class MiniVnfm:
    def __init__(self, specs: list[VnfSpec], nfvo_url: str, nfvo_client: tuple[str, str]) -> None:
        self.specs = {spec.vnfd_id: spec for spec in specs}
        self.nfvo_url, self.nfvo_client = nfvo_url.rstrip("/"), nfvo_client
        self.client = ("nfvo", uuid.uuid4().hex)  # what the NFVO logs in with
        self.instances: dict[str, dict[str, Any]] = {}
        self.occurrences: dict[str, dict[str, Any]] = {}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail: dict[str, str] = {}  # operation -> the error its next run fails with
        self._tokens: set[str] = set()
        self._vnfcs: dict[str, dict[str, dict[str, Any]]] = {}  # instance -> vnfc -> servers
        self._tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    # -- serving ---------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth])
        r = app.router
        r.add_post("/oauth2/token", self._token)
        r.add_get(f"{ROOT}/vnf_instances", self._list_instances)
        r.add_post(f"{ROOT}/vnf_instances", self._create_instance)
        r.add_get(f"{ROOT}/vnf_instances/{{id}}", self._show_instance)
        r.add_delete(f"{ROOT}/vnf_instances/{{id}}", self._delete_instance)
        r.add_post(f"{ROOT}/vnf_instances/{{id}}/{{task}}", self._task)
        r.add_get(f"{ROOT}/vnf_lcm_op_occs", self._list_occurrences)
        r.add_get(f"{ROOT}/vnf_lcm_op_occs/{{id}}", self._show_occurrence)
        r.add_post(f"{ROOT}/vnf_lcm_op_occs/{{id}}/{{task}}", self._occurrence_task)
        r.add_post(f"{ROOT}/subscriptions", self._subscribe)
        r.add_get(f"{ROOT}/subscriptions/{{id}}", self._show_subscription)
        r.add_delete(f"{ROOT}/subscriptions/{{id}}", self._unsubscribe)
        return app

    async def serve(self, host: str = "127.0.0.1") -> web.AppRunner:
        runner = web.AppRunner(self.app())
        await runner.setup()
        site = web.TCPSite(runner, host, 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{host}:{port}"
        return runner

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.calls.append((request.method, request.path))
        if request.path != "/oauth2/token":
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self._tokens:
                return _problem(401, "no valid token")
        response: web.StreamResponse = await handler(request)
        return response

    async def _token(self, request: web.Request) -> web.Response:
        sent = base64.b64decode(request.headers.get("Authorization", "")[6:] or b"").decode()
        if sent != ":".join(self.client):
            return web.json_response({"error": "invalid_client"}, status=401)
        token = uuid.uuid4().hex
        self._tokens.add(token)
        return web.json_response({"access_token": token, "token_type": "Bearer", "expires_in": 600})

    # -- instances -------------------------------------------------------------------

    def _links(self, instance_id: str) -> dict[str, Any]:
        return {"self": {"href": f"{self.url}{ROOT}/vnf_instances/{instance_id}"}}

    async def _create_instance(self, request: web.Request) -> web.Response:
        body = await request.json()
        spec = self.specs.get(body.get("vnfdId", ""))
        if spec is None:
            return _problem(422, f"vnfdId {body.get('vnfdId')} is not a VNF this VNFM manages")
        instance_id = str(uuid.uuid4())
        self.instances[instance_id] = {
            "id": instance_id,
            "vnfInstanceName": body.get("vnfInstanceName"),
            "vnfdId": spec.vnfd_id,
            "vnfProvider": "nfvo",
            "vnfProductName": spec.product,
            "vnfSoftwareVersion": "1.0.0",
            "vnfdVersion": "1.0.0",
            "instantiationState": "NOT_INSTANTIATED",
            "metadata": body.get("metadata") or {},
            "_links": self._links(instance_id),
        }
        headers = {"Location": self._links(instance_id)["self"]["href"]}
        return web.json_response(
            self._visible(self.instances[instance_id]), status=201, headers=headers
        )

    async def _list_instances(self, request: web.Request) -> web.Response:
        wanted = request.query.get("filter", "")
        found = [
            i
            for i in self.instances.values()
            if not wanted or wanted == f"(eq,vnfInstanceName,{i['vnfInstanceName']})"
        ]
        return web.json_response([self._visible(i) for i in found])

    async def _show_instance(self, request: web.Request) -> web.Response:
        found = self.instances.get(request.match_info["id"])
        return (
            web.json_response(self._visible(found))
            if found
            else _problem(404, "no such VNF instance")
        )

    async def _delete_instance(self, request: web.Request) -> web.Response:
        found = self.instances.get(request.match_info["id"])
        if found is None:
            return _problem(404, "no such VNF instance")
        if found["instantiationState"] != "NOT_INSTANTIATED":
            return _problem(409, "the VNF instance is instantiated")
        del self.instances[found["id"]]
        return web.Response(status=204)

    # -- operations --------------------------------------------------------------------

    OPERATIONS = {
        "instantiate": "INSTANTIATE",
        "terminate": "TERMINATE",
        "scale": "SCALE",
        "heal": "HEAL",
        "operate": "OPERATE",
    }

    async def _task(self, request: web.Request) -> web.Response:
        instance = self.instances.get(request.match_info["id"])
        operation = self.OPERATIONS.get(request.match_info["task"])
        if instance is None or operation is None:
            return _problem(404, "no such VNF instance or task")
        busy = [
            o
            for o in self.occurrences.values()
            if o["vnfInstanceId"] == instance["id"]
            and o["operationState"] in ("STARTING", "PROCESSING", "FAILED_TEMP")
        ]
        if busy:
            return _problem(409, f"operation {busy[0]['id']} is in progress")
        instantiated = instance["instantiationState"] == "INSTANTIATED"
        if instantiated == (operation == "INSTANTIATE"):
            return _problem(
                409, f"{operation} is not allowed when {instance['instantiationState']}"
            )
        occurrence_id = str(uuid.uuid4())
        self.occurrences[occurrence_id] = {
            "id": occurrence_id,
            "operationState": "STARTING",
            "stateEnteredTime": _now(),
            "startTime": _now(),
            "vnfInstanceId": instance["id"],
            "operation": operation,
            "isAutomaticInvocation": False,
            "operationParams": await request.json() if request.can_read_body else {},
            "isCancelPending": False,
            "_links": {
                "self": {"href": f"{self.url}{ROOT}/vnf_lcm_op_occs/{occurrence_id}"},
                "vnfInstance": self._links(instance["id"])["self"],
            },
        }
        self._run(occurrence_id)
        headers = {"Location": self.occurrences[occurrence_id]["_links"]["self"]["href"]}
        return web.Response(status=202, headers=headers)

    def _run(self, occurrence_id: str) -> None:
        task = asyncio.create_task(self._operate(occurrence_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _operate(self, occurrence_id: str) -> None:
        occurrence = self.occurrences[occurrence_id]
        await self._notify(occurrence, "START")
        try:
            grant = await self._grant(occurrence)
            self._move(occurrence, "PROCESSING")
            reason = self.fail.pop(occurrence["operation"], None)
            if reason is not None:
                raise RuntimeError(reason)
            await self._apply(occurrence, grant)
        except Exception as error:  # the occurrence says what went wrong
            granted = occurrence["operationState"] == "PROCESSING"
            occurrence["error"] = {"status": 500, "detail": f"{type(error).__name__}: {error}"}
            self._move(occurrence, "FAILED_TEMP" if granted else "ROLLED_BACK")
        else:
            self._move(occurrence, "COMPLETED")
        await self._notify(occurrence, "RESULT")

    def _move(self, occurrence: dict[str, Any], state: str) -> None:
        occurrence["operationState"] = state
        occurrence["stateEnteredTime"] = _now()

    def _planned(self, occurrence: dict[str, Any]) -> tuple[list[str], list[str]]:
        """The VNFCs the operation adds and removes (``<vdu>-<n>``)."""
        instance = self.instances[occurrence["vnfInstanceId"]]
        spec = self.specs[instance["vnfdId"]]
        have = self._vnfcs.setdefault(instance["id"], {})
        params = occurrence["operationParams"] or {}
        if occurrence["operation"] == "INSTANTIATE":
            return [f"{v.vdu_id}-{i}" for v in spec.vdus for i in range(v.count)], []
        if occurrence["operation"] == "TERMINATE":
            return [], sorted(have)
        if occurrence["operation"] == "SCALE":
            deltas = spec.aspects.get(params.get("aspectId", ""), {})
            steps = int(params.get("numberOfSteps", 1))
            added: list[str] = []
            removed: list[str] = []
            for vdu_id, delta in deltas.items():
                mine = sorted(
                    (k for k in have if k.rsplit("-", 1)[0] == vdu_id),
                    key=lambda k: int(k.rsplit("-", 1)[1]),
                )
                if params.get("type") == "SCALE_IN":
                    removed += mine[len(mine) - delta * steps :]
                else:
                    top = int(mine[-1].rsplit("-", 1)[1]) + 1 if mine else 0
                    added += [f"{vdu_id}-{top + i}" for i in range(delta * steps)]
            return added, removed
        return [], []

    async def _grant(self, occurrence: dict[str, Any]) -> dict[str, Any]:
        instance = self.instances[occurrence["vnfInstanceId"]]
        spec = self.specs[instance["vnfdId"]]
        added, removed = self._planned(occurrence)
        occurrence["_plan"] = (added, removed)
        have = self._vnfcs.get(instance["id"], {})

        def resource(vnfc: str) -> dict[str, Any]:
            vdu_id = vnfc.rsplit("-", 1)[0]
            return {
                "id": vnfc,
                "type": "COMPUTE",
                "vduId": vdu_id,
                "vnfdId": spec.vnfd_id,
                "resourceTemplateId": [vdu_id],
            }

        constraints = []
        for vdu in spec.vdus:
            mine = [v for v in added if v.rsplit("-", 1)[0] == vdu.vdu_id]
            running = [s["serverId"] for k, s in have.items() if k.rsplit("-", 1)[0] == vdu.vdu_id]
            if vdu.anti_affinity and mine and len(mine) + len(running) > 1:
                refs = [{"idType": "GRANT", "resourceId": v} for v in mine]
                refs += [{"idType": "RES_MGMT", "resourceId": s} for s in running]
                constraints.append(
                    {
                        "affinityOrAntiAffinity": "ANTI_AFFINITY",
                        "scope": "NFVI_NODE",
                        "resource": refs,
                    }
                )
        body = {
            "vnfInstanceId": instance["id"],
            "vnfLcmOpOccId": occurrence["id"],
            "vnfdId": spec.vnfd_id,
            "flavourId": "default",
            "operation": occurrence["operation"],
            "isAutomaticInvocation": False,
            "addResources": [resource(v) for v in added],
            "removeResources": [resource(v) for v in removed],
            "placementConstraints": constraints,
            "_links": {
                "vnfLcmOpOcc": occurrence["_links"]["self"],
                "vnfInstance": occurrence["_links"]["vnfInstance"],
            },
        }
        async with aiohttp.ClientSession() as http:
            form = {
                "grant_type": "client_credentials",
                "client_id": self.nfvo_client[0],
                "client_secret": self.nfvo_client[1],
            }
            async with http.post(f"{self.nfvo_url}/oauth2/token", data=form) as response:
                token = (await response.json())["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Version": "1.7.0"}
            async with http.post(
                f"{self.nfvo_url}/grant/v1/grants", json=body, headers=headers
            ) as response:
                answer = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"grant refused ({response.status}): {answer.get('detail')}")
        occurrence["grantId"] = answer["id"]
        return dict(answer)

    async def _apply(self, occurrence: dict[str, Any], grant: dict[str, Any]) -> None:
        instance = self.instances[occurrence["vnfInstanceId"]]
        added, removed = occurrence["_plan"]
        cloud = _connect(grant) if grant.get("vimConnectionInfo") else None
        have = self._vnfcs.setdefault(instance["id"], {})
        if occurrence["operation"] == "INSTANTIATE":
            instance["_extVirtualLinks"] = (
                occurrence["operationParams"].get("extVirtualLinks") or []
            )
        if occurrence["operation"] in ("HEAL", "OPERATE"):
            cloud = cloud or instance["_cloud"]
            action: dict[str, Any] | None = {"HEAL": {"reboot": {"type": "HARD"}}}.get(
                occurrence["operation"]
            )
            if action is None:
                stop = occurrence["operationParams"].get("changeStateTo") == "STOPPED"
                action = {"os-stop": None} if stop else {"os-start": None}
            for vnfc in have.values():
                await asyncio.to_thread(_server_action, cloud, vnfc["serverId"], action)
            return
        if cloud is not None:
            instance["_cloud"] = cloud
        cloud = instance.get("_cloud")
        assert cloud is not None, "no VIM was granted"
        built = await asyncio.gather(
            *(asyncio.to_thread(_boot, cloud, instance, grant, vnfc, self.specs) for vnfc in added)
        )
        have.update(dict(zip(added, built, strict=True)))
        spec = self.specs[instance["vnfdId"]]
        exposed = [
            {"id": f"{vnfc}-{ext}", "cpdId": ext, "associatedVnfcCpId": f"{vnfc}-{cp}"}
            for vnfc in sorted(have)
            for vdu in spec.vdus
            if vdu.vdu_id == vnfc.rsplit("-", 1)[0]
            for cp, ext, _ in vdu.cps
        ]
        for vnfc in removed:
            await asyncio.to_thread(_destroy, cloud, have.pop(vnfc))
        instance["instantiationState"] = "INSTANTIATED" if have else "NOT_INSTANTIATED"
        instance["instantiatedVnfInfo"] = (
            {
                "flavourId": "default",
                "vnfState": "STARTED",
                "extCpInfo": exposed,
                "vnfcResourceInfo": [
                    {
                        "id": k,
                        "vduId": k.rsplit("-", 1)[0],
                        "computeResource": {
                            "vimConnectionId": v["vim"],
                            "resourceId": v["serverId"],
                        },
                    }
                    for k, v in sorted(have.items())
                ],
            }
            if have
            else None
        )

    # -- occurrences -------------------------------------------------------------------

    def _visible(self, occurrence: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in occurrence.items() if k == "_links" or not k.startswith("_")}

    async def _list_occurrences(self, request: web.Request) -> web.Response:
        wanted = request.query.get("filter", "")
        found = [
            self._visible(o)
            for o in self.occurrences.values()
            if not wanted or wanted == f"(eq,vnfInstanceId,{o['vnfInstanceId']})"
        ]
        return web.json_response(found)

    async def _show_occurrence(self, request: web.Request) -> web.Response:
        found = self.occurrences.get(request.match_info["id"])
        return (
            web.json_response(self._visible(found))
            if found
            else _problem(404, "no such occurrence")
        )

    async def _occurrence_task(self, request: web.Request) -> web.Response:
        occurrence = self.occurrences.get(request.match_info["id"])
        task = request.match_info["task"]
        if occurrence is None:
            return _problem(404, "no such occurrence")
        state = occurrence["operationState"]
        if task == "cancel" and state in ("STARTING", "PROCESSING"):
            occurrence["isCancelPending"] = True
            return web.Response(status=202)
        if state != "FAILED_TEMP" or task not in ("retry", "rollback", "fail"):
            return _problem(409, f"{task} is not allowed in {state}")
        if task == "fail":
            self._move(occurrence, "FAILED")
        elif task == "rollback":
            self._move(occurrence, "ROLLED_BACK")
        else:
            self._run(occurrence["id"])
        return web.Response(status=202)

    # -- subscriptions -------------------------------------------------------------------

    async def _subscribe(self, request: web.Request) -> web.Response:
        body = await request.json()
        subscription_id = str(uuid.uuid4())
        self.subscriptions[subscription_id] = {
            "id": subscription_id,
            "callbackUri": body["callbackUri"],
            "_auth": body.get("authentication"),
            "_links": {"self": {"href": f"{self.url}{ROOT}/subscriptions/{subscription_id}"}},
        }
        shown = self._visible(self.subscriptions[subscription_id])
        return web.json_response(
            shown, status=201, headers={"Location": shown["_links"]["self"]["href"]}
        )

    async def _show_subscription(self, request: web.Request) -> web.Response:
        found = self.subscriptions.get(request.match_info["id"])
        return (
            web.json_response(self._visible(found))
            if found
            else _problem(404, "no such subscription")
        )

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        if self.subscriptions.pop(request.match_info["id"], None) is None:
            return _problem(404, "no such subscription")
        return web.Response(status=204)

    async def _notify(self, occurrence: dict[str, Any], status: str) -> None:
        for subscription in list(self.subscriptions.values()):
            body = {
                "id": str(uuid.uuid4()),
                "notificationType": "VnfLcmOperationOccurrenceNotification",
                "subscriptionId": subscription["id"],
                "timeStamp": _now(),
                "notificationStatus": status,
                "operationState": occurrence["operationState"],
                "vnfInstanceId": occurrence["vnfInstanceId"],
                "operation": occurrence["operation"],
                "isAutomaticInvocation": False,
                "vnfLcmOpOccId": occurrence["id"],
                "_links": {
                    "vnfInstance": occurrence["_links"]["vnfInstance"],
                    "subscription": subscription["_links"]["self"],
                    "vnfLcmOpOcc": occurrence["_links"]["self"],
                },
            }
            headers = {}
            basic = (subscription["_auth"] or {}).get("paramsBasic")
            if basic:
                pair = f"{basic['userName']}:{basic['password']}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            try:
                async with (
                    aiohttp.ClientSession() as http,
                    http.post(subscription["callbackUri"], json=body, headers=headers),
                ):
                    pass
            except aiohttp.ClientError:
                pass  # a subscriber that is not there polls instead


# -- the VIM, through openstacksdk (blocking: called in threads) ----------------------


def _connect(grant: dict[str, Any]) -> Any:
    vim_id, info = next(iter(grant["vimConnectionInfo"].items()))
    access = info["accessInfo"]
    cloud: Any = openstack.connect(
        auth_url=info["interfaceInfo"]["endpoint"],
        username=access.get("username"),
        password=access.get("password"),
        project_name=access.get("project"),
        user_domain_name=access.get("userDomain", "Default"),
        project_domain_name=access.get("projectDomain", "Default"),
        region_name=access.get("region"),
    )
    cloud.nfvo_vim_id = vim_id
    cloud.nfvo_admin = bool((info.get("extra") or {}).get("admin"))
    return cloud


def _boot(
    cloud: Any,
    instance: dict[str, Any],
    grant: dict[str, Any],
    vnfc: str,
    specs: dict[str, VnfSpec],
) -> dict[str, Any]:
    vdu_id = vnfc.rsplit("-", 1)[0]
    spec = next(v for v in specs[instance["vnfdId"]].vdus if v.vdu_id == vdu_id)
    networks = {
        cp["cpdId"]: link["resourceId"]
        for link in instance["_extVirtualLinks"]
        for cp in link["extCps"]
    }
    tag = f"nfvo-vnf:{instance['id']}"
    ports = []
    for cp_id, ext_cp, vnic in spec.cps:
        body: dict[str, Any] = {
            "network_id": networks[ext_cp],
            "name": f"{vnfc}-{cp_id}",
            "binding:vnic_type": vnic,
        }
        if vnic != "normal":
            body["security_groups"] = []
        port = cloud.network.post("/ports", json={"port": body}).json()["port"]
        cloud.network.put(f"/ports/{port['id']}/tags/{tag}")
        ports.append(port["id"])
    flavour = next(
        f["vimFlavourId"]
        for f in grant["vimAssets"]["computeResourceFlavours"]
        if f["vnfdVirtualComputeDescId"] == vdu_id
    )
    hint = (grant.get("additionalParams") or {}).get("placement", {}).get(vnfc, {})
    info = next(i for i in grant["addResources"] if i["resourceDefinitionId"] == vnfc)
    zone = next((z["zoneId"] for z in grant["zones"] if z["id"] == info.get("zoneId")), None)
    images = cloud.image.get("/images", params={"name": spec.image}).json()["images"]
    server: dict[str, Any] = {
        "name": f"{vnfc}-{instance['id'][:8]}",
        "imageRef": images[0]["id"],
        "flavorRef": flavour,
        "networks": [{"port": p} for p in ports],
        "tags": [tag, f"nfvo-res:{vdu_id}"],
    }
    if zone:
        server["availability_zone"] = zone
    if hint.get("host") and cloud.nfvo_admin:
        server["hypervisor_hostname"] = hint["host"]
    made = cloud.compute.post("/servers", json={"server": server}, microversion="2.74")
    server_id = made.json()["server"]["id"]
    _wait(cloud, server_id, "ACTIVE")
    return {"serverId": server_id, "ports": ports, "vim": cloud.nfvo_vim_id}


def _wait(cloud: Any, server_id: str, status: str) -> None:
    for _ in range(600):
        response = cloud.compute.get(f"/servers/{server_id}", microversion="2.74")
        if response.status_code == 404 and status == "DELETED":
            return
        found = response.json().get("server", {})
        if found.get("status") == status:
            return
        if found.get("status") == "ERROR":
            raise RuntimeError(f"server {server_id} went to ERROR: {found.get('fault')}")
        time.sleep(0.05)
    raise TimeoutError(f"server {server_id} never reached {status}")


def _destroy(cloud: Any, vnfc: dict[str, Any]) -> None:
    cloud.compute.delete(f"/servers/{vnfc['serverId']}")
    _wait(cloud, vnfc["serverId"], "DELETED")
    for port in vnfc["ports"]:
        cloud.network.delete(f"/ports/{port}")


def _server_action(cloud: Any, server_id: str, action: dict[str, Any]) -> None:
    cloud.compute.post(f"/servers/{server_id}/action", json=action, microversion="2.74")
    _wait(cloud, server_id, "SHUTOFF" if "os-stop" in action else "ACTIVE")
