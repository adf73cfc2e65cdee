"""The online commands' HTTP client of the orchestrator's API (SOL005, SOL003, ...).

``api_client(cli, face)`` is what a command uses: the server and credentials found as
``nfvo.cli.discovery`` says, one aiohttp session, the ``Version`` header of the
interface, a token fetched from the built-in endpoint when the credentials are a
client's. Every failure is already said for the operator: a connection refused names
the URL, where it came from and asks whether ``nfvo serve`` runs there; a 401 names the
credentials used; any other unexpected status quotes the ProblemDetails' ``detail``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import aiohttp
import orjson

from nfvo.cli.discovery import Access, Server, server_of
from nfvo.cli.errors import CliError
from nfvo.cli.faces import Face
from nfvo.sol.callbacks import basic_header

if TYPE_CHECKING:
    from nfvo.cli.context import CliContext


class ApiFailure(CliError):
    """The API refused a request; the message quotes its ProblemDetails."""

    def __init__(
        self, message: str, hint: str | None = None, *, status: int = 0, detail: str = ""
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.detail = detail or message


_HINTS = {
    403: "the credentials lack the right for this (scope or project)",
    404: "check the identifier (the list command shows them)",
    409: "the entry is not in a state that allows this (see its state with show)",
    413: "the server's package_max_bytes is smaller",
    415: "this is not a package the API takes (a CSAR or zip)",
}


async def checked(response: aiohttp.ClientResponse, *expected: int) -> Any:
    """The response's JSON (or None) when its status is expected, else an ApiFailure
    quoting the ProblemDetails' ``detail``."""
    if response.status not in expected:
        text = await response.text()
        try:
            body = orjson.loads(text)
            detail = body.get("detail", text) if isinstance(body, dict) else text
        except orjson.JSONDecodeError:
            detail = text.strip() or response.reason or ""
        where = f"{response.method} {response.url.path}"
        status = response.status
        raise ApiFailure(
            f"{where}: {status} {detail}", _HINTS.get(status), status=status, detail=detail
        )
    if response.content_type == "application/json":
        return await response.json()
    return None


class ApiClient:
    """One session against the API at ``base_url``; every method is one request."""

    def __init__(self, base_url: str, access: Access, face: Face) -> None:
        self.base_url = base_url.rstrip("/")
        self.access = access
        self.token = access.token
        self.face = face
        # What a failure names: where the URL and the credentials came from.
        self.server = Server(self.base_url, access, "given", "the credentials given")
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

    @classmethod
    def of(cls, server: Server, face: Face) -> Self:
        client = cls(server.url, server.access, face)
        client.server = server
        return client

    async def __aenter__(self) -> Self:
        if self.token is None and self.access.client is not None:
            try:
                self.token = await self._fetch_token(self.access.client)
            except BaseException:
                await self.session.close()
                raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.session.close()

    async def _fetch_token(self, client: tuple[str, str]) -> str | None:
        """A client-credentials token from the built-in endpoint (RFC 6749 clause 4.4);
        None when the server has none (it serves without tokens, or trusts another
        issuer: its answers then say what it wants)."""
        url = f"{self.base_url}/oauth2/token"
        form = {"grant_type": "client_credentials"}
        headers = {"Authorization": basic_header(*client)}
        try:
            async with self.session.post(url, data=form, headers=headers) as response:
                if response.status == 404:
                    return None
                body = await response.json(content_type=None)
        except aiohttp.ClientConnectionError as exc:
            raise self.server.unreachable(_reason(exc)) from None
        except (aiohttp.ClientError, ValueError) as exc:
            raise ApiFailure(f"POST {url}: no token ({exc})") from None
        if response.status in (400, 401) and isinstance(body, dict):
            raise self.server.refused(str(body.get("error_description") or body.get("error")))
        if response.status != 200 or not isinstance(body, dict) or "access_token" not in body:
            raise ApiFailure(f"POST {url}: {response.status} {body}")
        return str(body["access_token"])

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"Version": self.face.version, **extra}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def url(self, suffix: str = "") -> str:
        return f"{self.base_url}{self.face.container}{suffix}"

    async def request(self, method: str, suffix: str = "", *expected: int, **kw: Any) -> Any:
        """One request under the face's container; its JSON, or a failure said."""
        headers = self.headers(**kw.pop("headers", {}))
        try:
            async with self.session.request(method, self.url(suffix), headers=headers, **kw) as r:
                if r.status == 401:
                    raise self.server.refused(await _challenge(r))
                return await checked(r, *(expected or (200,)))
        except aiohttp.ClientConnectionError as exc:
            raise self.server.unreachable(_reason(exc)) from None


async def _challenge(response: aiohttp.ClientResponse) -> str:
    challenge = response.headers.get("WWW-Authenticate", "")
    text = await response.text()
    try:
        detail = orjson.loads(text).get("detail")
    except (orjson.JSONDecodeError, AttributeError):
        detail = None
    return str(detail or challenge or "401 Unauthorized")


def _reason(exc: aiohttp.ClientConnectionError) -> str:
    os_error = getattr(exc, "os_error", None)
    return str(os_error.strerror if os_error and os_error.strerror else exc)


def api_client(cli: CliContext, face: Face) -> ApiClient:
    """The client an online command uses: the server and credentials discovered."""
    return ApiClient.of(server_of(cli.settings), face)
