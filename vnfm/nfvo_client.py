"""The VNF manager's HTTP client of its NFVO: a client-credentials token, JSON reads,
downloads and grants (SOL003 clause 9).

Errors decide retries like every infrastructure error (``nfvo.store.errors``): an NFVO
that cannot be reached or answers 5xx is :class:`NfvoUnavailable` (transient); a 4xx is
:class:`NfvoRefused` (permanent) carrying the NFVO's own ``detail``; a grant the NFVO
refuses (403, SOL003 clause 9.4.2.3.1) is :class:`GrantRejected`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from nfvo.sol.callbacks import basic_header
from nfvo.sol.grant import Grant, GrantRequest
from nfvo.store.errors import PermanentError, TransientError
from nfvo.store.resources import ResourceKey

GRANT_VERSION = "1.7.0"  # SOL003 V3.7.1 Granting interface
PACKAGE_VERSION = "2.4.0"  # SOL003 V3.7.1 VNF package management interface (v2)
TOKEN_MARGIN = 30.0  # seconds before expiry a token is renewed


class NfvoUnavailable(TransientError):
    """The NFVO could not be reached or answered 5xx: asking again later may help."""


class NfvoRefused(PermanentError):
    """The NFVO refused the request (4xx); ``status`` and its ``detail`` say why."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class GrantRejected(NfvoRefused):
    """The NFVO does not grant the operation (403)."""


def _detail(raw: bytes, status: int) -> str:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return f"HTTP {status}"


class NfvoClient:
    """One session to one NFVO; a token fetched once and renewed before it expires."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        timeout: float = 30.0,
        grant_patience: float = 300.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.grant_patience = grant_patience
        self._client_id, self._client_secret = client_id, client_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()

    def _http(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop.
        if self._session is None or self._session.closed:
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
        assert self._client_id is not None
        headers = {"Authorization": basic_header(self._client_id, self._client_secret or "")}
        status, raw, _ = await self._send(
            "POST", "/oauth2/token", data={"grant_type": "client_credentials"}, headers=headers
        )
        body = orjson.loads(raw) if status == 200 else {}
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise NfvoRefused(
                f"the NFVO's token endpoint answered {status} without a token for client "
                f"{self._client_id}",
                status=status,
            )
        lifetime = float(body.get("expires_in", 300))
        return token, time.monotonic() + max(lifetime - TOKEN_MARGIN, 1.0)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, dict[str, str]]:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        try:
            async with self._http().request(
                method, url, json=json, data=data, headers=headers
            ) as response:
                return response.status, await response.read(), dict(response.headers)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise NfvoUnavailable(
                f"the NFVO at {self.base_url} could not be reached ({method} {path}): "
                f"{type(error).__name__} {error}"
            ) from None

    async def request(
        self, method: str, path: str, *, version: str, json: Any = None, accept: str = "*/*"
    ) -> tuple[int, bytes, dict[str, str]]:
        """One authenticated request; a 401 renews the token once."""
        for attempt in (1, 2):
            headers = {"Version": version, "Accept": accept, **await self._authorization()}
            status, raw, response_headers = await self._send(
                method, path, json=json, headers=headers
            )
            if status == 401 and attempt == 1 and self._client_id:
                self._token = None
                continue
            if status >= 500 or status == 429:
                raise NfvoUnavailable(
                    f"the NFVO answered {status} to {method} {path}: {_detail(raw, status)}"
                )
            return status, raw, response_headers
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_json(self, path: str, *, version: str) -> Any:
        status, raw, _ = await self.request("GET", path, version=version, accept="application/json")
        if status != 200:
            raise NfvoRefused(
                f"the NFVO answered {status} to GET {path}: {_detail(raw, status)}", status=status
            )
        return orjson.loads(raw)

    async def download(self, path: str, target: Path, *, version: str) -> None:
        """``path``'s content into ``target`` (written whole, then moved into place)."""
        status, raw, _ = await self.request("GET", path, version=version)
        if status != 200:
            raise NfvoRefused(
                f"the NFVO answered {status} to GET {path}: {_detail(raw, status)}", status=status
            )
        # A name of its own: managers sharing a data directory may download it together.
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        partial.write_bytes(raw)
        partial.replace(target)

    async def grant(self, request: GrantRequest) -> tuple[Grant, dict[str, Any]]:
        """Ask for a grant; a 202 is polled at its Location until decided or the
        client's ``grant_patience`` runs out. The Grant and its raw body (for what
        ``Grant`` does not model, such as ``vimConnectionInfo``)."""
        patience = self.grant_patience
        body = request.to_wire()
        status, raw, headers = await self.request(
            "POST", "/grant/v1/grants", version=GRANT_VERSION, json=body, accept="application/json"
        )
        deadline = time.monotonic() + patience
        while status == 202:
            location = headers.get("Location")
            if not location:
                raise NfvoRefused("the NFVO answered 202 to a grant without a Location", status=202)
            if time.monotonic() > deadline:
                raise NfvoUnavailable(f"the grant at {location} was not decided in {patience:.0f}s")
            await asyncio.sleep(min(1.0, max(deadline - time.monotonic(), 0.0)))
            status, raw, headers = await self.request(
                "GET", location, version=GRANT_VERSION, accept="application/json"
            )
            if status == 200:
                status = 201
        if status == 403:
            raise GrantRejected(f"the NFVO rejected the grant: {_detail(raw, status)}", status=403)
        if status != 201:
            raise NfvoRefused(
                f"the NFVO answered {status} to the grant request: {_detail(raw, status)}",
                status=status,
            )
        document = orjson.loads(raw)
        try:
            return Grant.model_validate(document), document
        except ValueError as error:
            raise NfvoRefused(f"the NFVO's grant is malformed: {error}", status=status) from None


NFVO: ResourceKey[NfvoClient] = ResourceKey("NFVO client", NfvoClient)
