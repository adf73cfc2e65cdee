"""The NFVO's SOL003 client of one VNF manager: VNF instances, their lifecycle
operations and occurrences, and subscriptions to their notifications (VNF LCM v2).

Only HTTP, with an OAuth 2.0 client-credentials token (RFC 6749 clause 4.4) fetched
from the VNFM's token endpoint, cached until shortly before it expires and fetched
again after a 401. Errors decide retries as every infrastructure error does
(``nfvo.store.errors``): a VNFM that cannot be reached, answers 5xx or 429 is
:class:`VnfmUnavailable` (transient); any other refusal is :class:`VnfmRefused`
(permanent) with its status and the VNFM's own ``detail``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from nfvo.sol.callbacks import basic_header
from nfvo.store.errors import PermanentError, TransientError

VNFLCM = "/vnflcm/v2"
VERSION = "2.3.0"  # SOL003 V3.7.1 VNF lifecycle management interface
TOKEN_MARGIN = 30.0
TASKS = frozenset(
    {
        "instantiate",
        "terminate",
        "scale",
        "scale_to_level",
        "heal",
        "operate",
        "change_flavour",
        "change_ext_conn",
    }
)
OCCURRENCE_TASKS = frozenset({"retry", "rollback", "fail", "cancel"})


class VnfmUnavailable(TransientError):
    """The VNFM could not be reached or answered 5xx/429: asking again may help."""


class VnfmRefused(PermanentError):
    """The VNFM refused (4xx): ``status`` and its ``detail`` say why."""

    def __init__(self, message: str, *, status: int, detail: str = "") -> None:
        super().__init__(message)
        self.status, self.detail = status, detail


def _detail(raw: bytes, status: int) -> str:
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return f"HTTP {status}"


class VnfmClient:
    def __init__(
        self,
        name: str,
        url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_url: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.base_url = url.rstrip("/")
        self._client_id, self._client_secret = client_id, client_secret
        self._token_url = token_url or f"{self.base_url}/oauth2/token"
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

    # -- plumbing --------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # made inside the running loop
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _authorization(self) -> dict[str, str]:
        if not self._client_id:
            return {}
        async with self._token_lock:
            if self._token is None or self._token[1] <= time.monotonic():
                self._token = await self._fetch_token()
            return {"Authorization": f"Bearer {self._token[0]}"}

    async def _fetch_token(self) -> tuple[str, float]:
        headers = {"Authorization": basic_header(self._client_id or "", self._client_secret or "")}
        status, raw, _ = await self._send(
            "POST", self._token_url, data={"grant_type": "client_credentials"}, headers=headers
        )
        try:
            body = orjson.loads(raw) if status == 200 else {}
        except orjson.JSONDecodeError:
            body = {}
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise VnfmRefused(
                f"VNFM {self.name}: its token endpoint answered {status} without a token "
                f"for client {self._client_id}",
                status=status,
            )
        lifetime = body.get("expires_in", 300)
        lifetime = float(lifetime) if isinstance(lifetime, int | float) else 300.0
        return token, time.monotonic() + max(lifetime - TOKEN_MARGIN, 1.0)

    async def _send(
        self, method: str, url: str, **kwargs: Any
    ) -> tuple[int, bytes, Mapping[str, str]]:
        try:
            async with self._http().request(method, url, **kwargs) as response:
                return response.status, await response.read(), response.headers
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise VnfmUnavailable(
                f"VNFM {self.name} at {self.base_url} could not be reached ({method} "
                f"{url.removeprefix(self.base_url)}): {type(error).__name__}"
            ) from None

    async def request(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, str] | None = None
    ) -> tuple[int, Any, Mapping[str, str]]:
        """One authenticated request below ``/vnflcm/v2``: status, parsed body, headers.
        A 401 fetches a new token once; 5xx and 429 are VnfmUnavailable."""
        url = f"{self.base_url}{VNFLCM}{path}"
        for attempt in (1, 2):
            headers = {
                "Version": VERSION,
                "Accept": "application/json",
                **await self._authorization(),
            }
            status, raw, response_headers = await self._send(
                method, url, json=json, params=params, headers=headers
            )
            if status == 401 and attempt == 1 and self._client_id:
                self._token = None
                continue
            if status >= 500 or status == 429:
                raise VnfmUnavailable(
                    f"VNFM {self.name} answered {status} to {method} {path}: {_detail(raw, status)}"
                )
            body = orjson.loads(raw) if raw and 200 <= status < 300 else None
            if status >= 400:
                detail = _detail(raw, status)
                raise VnfmRefused(
                    f"VNFM {self.name} answered {status} to {method} {path}: {detail}",
                    status=status,
                    detail=detail,
                )
            return status, body, response_headers
        raise AssertionError("unreachable")  # pragma: no cover

    # -- VNF instances -----------------------------------------------------------------

    async def create_vnf(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /vnf_instances (SOL003 5.4.2.3.1): the VnfInstance, NOT_INSTANTIATED."""
        _, created, _ = await self.request("POST", "/vnf_instances", json=dict(body))
        return dict(created)

    async def vnf(self, vnf_instance_id: str) -> dict[str, Any] | None:
        try:
            _, found, _ = await self.request("GET", f"/vnf_instances/{vnf_instance_id}")
        except VnfmRefused as refused:
            if refused.status == 404:
                return None
            raise
        return dict(found)

    async def vnfs_named(self, name: str) -> list[dict[str, Any]]:
        """The VNF instances called ``name`` (how a re-run step finds what it made)."""
        params = {"filter": f"(eq,vnfInstanceName,{name})"}
        _, found, _ = await self.request("GET", "/vnf_instances", params=params)
        return [dict(item) for item in found or [] if item.get("vnfInstanceName") == name]

    async def delete_vnf(self, vnf_instance_id: str) -> None:
        """DELETE /vnf_instances/{id}; one already gone is fine."""
        try:
            await self.request("DELETE", f"/vnf_instances/{vnf_instance_id}")
        except VnfmRefused as refused:
            if refused.status != 404:
                raise

    async def start(self, task: str, vnf_instance_id: str, body: Mapping[str, Any]) -> str:
        """POST a task resource (``instantiate``, ``terminate``...): its occurrence id."""
        if task not in TASKS:
            raise ValueError(f"{task} is not a VNF LCM task resource")
        _, _, headers = await self.request(
            "POST", f"/vnf_instances/{vnf_instance_id}/{task}", json=dict(body)
        )
        location = headers.get("Location", "")
        occurrence_id = location.rstrip("/").rsplit("/", 1)[-1]
        if "/vnf_lcm_op_occs/" not in location or not occurrence_id:
            raise VnfmRefused(
                f"VNFM {self.name} accepted {task} of {vnf_instance_id} without the "
                "occurrence's Location",
                status=202,
            )
        return occurrence_id

    # -- occurrences ---------------------------------------------------------------------

    async def occurrence(self, occurrence_id: str) -> dict[str, Any]:
        _, found, _ = await self.request("GET", f"/vnf_lcm_op_occs/{occurrence_id}")
        return dict(found)

    async def occurrences_of(self, vnf_instance_id: str) -> list[dict[str, Any]]:
        params = {"filter": f"(eq,vnfInstanceId,{vnf_instance_id})"}
        _, found, _ = await self.request("GET", "/vnf_lcm_op_occs", params=params)
        return [dict(i) for i in found or [] if i.get("vnfInstanceId") == vnf_instance_id]

    async def occurrence_task(self, occurrence_id: str, task: str, body: Any = None) -> None:
        """POST ``retry``, ``rollback``, ``fail`` or ``cancel`` of an occurrence."""
        if task not in OCCURRENCE_TASKS:
            raise ValueError(f"{task} is not a task of an occurrence")
        await self.request("POST", f"/vnf_lcm_op_occs/{occurrence_id}/{task}", json=body)

    # -- subscriptions -------------------------------------------------------------------

    async def subscribe(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /subscriptions; an identical one (303) is read back and returned."""
        status, created, headers = await self.request("POST", "/subscriptions", json=dict(body))
        if status == 303:
            location = headers.get("Location", "").rsplit("/", 1)[-1]
            _, created, _ = await self.request("GET", f"/subscriptions/{location}")
        return dict(created)

    async def unsubscribe(self, subscription_id: str) -> None:
        try:
            await self.request("DELETE", f"/subscriptions/{subscription_id}")
        except VnfmRefused as refused:
            if refused.status != 404:
                raise
