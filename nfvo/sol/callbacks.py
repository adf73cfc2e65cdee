"""HTTP towards subscribers: the callback test and notification POSTs, authenticated.

SOL013 clause 8.3.4 and ``SubscriptionAuthentication`` (SOL005 common definitions):

- ``BASIC``: every request carries ``Authorization: Basic`` with ``paramsBasic``;
- ``OAUTH2_CLIENT_CREDENTIALS``: a token is fetched from the subscription's
  ``tokenEndpoint`` with its ``clientId``/``clientPassword`` (RFC 6749 clause 4.4),
  cached until shortly before it expires, fetched again after a 401;
- ``TLS_CERT``: the request goes over mutually authenticated TLS. SOL005 3.7.1 has no
  parameters for it (the certificate is "provisioned out of band"), so the
  orchestrator's client certificate is given to :class:`CallbackClient` as an
  ``ssl.SSLContext`` and used for exactly those subscriptions.

Every request, to a callback or a token endpoint, goes through the client's
:class:`~nfvo.sol.addresses.AddressPolicy` (global addresses only unless the operator
allows networks: ``callback_allowed_networks``) and never follows a redirect, so a
subscription cannot make the NFVO a port scanner of its own networks nor re-post
notifications and credentials to an internal address. Failures say only "failed
(status N)" or "failed (no answer from a permitted address)": which addresses answer,
refuse or time out is nobody's business but the operator's log.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
import time
from enum import StrEnum
from typing import Any, Self

import aiohttp
import orjson
from pydantic import Field, model_validator

from nfvo.config import Settings
from nfvo.log import redact_text
from nfvo.sol.addresses import GLOBAL_ONLY, AddressPolicy
from nfvo.sol.wire import WireModel

log = logging.getLogger("nfvo.sol.callbacks")

TOKEN_MARGIN_SECONDS = 30  # fetch a new token this long before the old one expires
MAX_TOKEN_RESPONSE = 64 * 1024  # a token response is a few hundred bytes


class AuthType(StrEnum):
    BASIC = "BASIC"
    OAUTH2_CLIENT_CREDENTIALS = "OAUTH2_CLIENT_CREDENTIALS"
    TLS_CERT = "TLS_CERT"


class ParamsBasic(WireModel):
    user_name: str
    password: str


class ParamsOauth2ClientCredentials(WireModel):
    client_id: str
    client_password: str
    token_endpoint: str = Field(pattern=r"^https?://")


class SubscriptionAuthentication(WireModel):
    """SOL005 ``SubscriptionAuthentication``; the parameters are required here, since
    nothing is provisioned out of band but the TLS client certificate."""

    auth_type: list[AuthType] = Field(min_length=1)
    params_basic: ParamsBasic | None = None
    params_oauth2_client_credentials: ParamsOauth2ClientCredentials | None = None

    @model_validator(mode="after")
    def _parameters_present(self) -> Self:
        if AuthType.BASIC in self.auth_type and self.params_basic is None:
            raise ValueError("authType BASIC needs paramsBasic (userName, password)")
        oauth = self.params_oauth2_client_credentials
        if AuthType.OAUTH2_CLIENT_CREDENTIALS in self.auth_type and oauth is None:
            raise ValueError(
                "authType OAUTH2_CLIENT_CREDENTIALS needs paramsOauth2ClientCredentials"
            )
        return self

    def __repr__(self) -> str:  # passwords never reach a log line or a traceback
        return f"SubscriptionAuthentication({[kind.value for kind in self.auth_type]})"


def basic_header(user: str, password: str) -> str:
    """RFC 7617 credentials (aiohttp's BasicAuth is deprecated)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class CallbackError(Exception):
    """The subscriber could not be reached or refused; ``reason`` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


NO_ANSWER = "no answer from a permitted address"


def _no_answer(what: str, uri: str, error: BaseException) -> CallbackError:
    # The client learns that it failed; the operator's log says why.
    log.info("the %s of %s failed: %s", what, redact_text(uri), redact_text(str(error)))
    return CallbackError(f"the {what} failed ({NO_ANSWER})")


class CallbackClient:
    """One HTTP session for all subscribers, plus one with our TLS client certificate;
    both connect only where ``policy`` permits."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
        policy: AddressPolicy = GLOBAL_ONLY,
    ) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.tls = tls
        self.policy = policy
        self._sessions: dict[bool, aiohttp.ClientSession] = {}
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._token_locks: dict[tuple[str, str], asyncio.Lock] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> CallbackClient:
        return cls(policy=AddressPolicy.allowing(settings.callback_allowed_networks))

    def _session(self, mutual: bool) -> aiohttp.ClientSession:
        # Created on first use, inside the event loop, never at import or construction.
        session = self._sessions.get(mutual)
        if session is None or session.closed:
            connector = self.policy.connector(ssl=self.tls if mutual and self.tls else True)
            session = aiohttp.ClientSession(timeout=self.timeout, connector=connector)
            self._sessions[mutual] = session
        return session

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()

    def check(self, auth: SubscriptionAuthentication | None) -> None:
        """Refuse what cannot be honoured (ValueError naming it), before storing it."""
        if auth is not None and AuthType.TLS_CERT in auth.auth_type and self.tls is None:
            raise ValueError("authType TLS_CERT: no client certificate is configured here")

    async def test(self, uri: str, auth: SubscriptionAuthentication | None) -> None:
        """SOL013 clause 5.8.2: the callback answers 204 to a GET before we subscribe."""
        status = await self._send("GET", uri, None, auth)
        if status != 204:
            raise CallbackError(f"the callback test failed (status {status}; 204 is expected)")

    async def post(self, uri: str, body: bytes, auth: SubscriptionAuthentication | None) -> None:
        status = await self._send("POST", uri, body, auth)
        if not 200 <= status < 300:
            raise CallbackError(f"the callback failed (status {status})")

    async def _send(
        self, method: str, uri: str, body: bytes | None, auth: SubscriptionAuthentication | None
    ) -> int:
        kinds = set(auth.auth_type) if auth else set()
        status = await self._once(method, uri, body, auth, kinds)
        if status == 401 and AuthType.OAUTH2_CLIENT_CREDENTIALS in kinds and auth:
            self._forget_token(auth)  # revoked or rotated: one more try with a new token
            status = await self._once(method, uri, body, auth, kinds)
        return status

    async def _once(
        self,
        method: str,
        uri: str,
        body: bytes | None,
        auth: SubscriptionAuthentication | None,
        kinds: set[AuthType],
    ) -> int:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if auth is not None and auth.params_basic and AuthType.BASIC in kinds:
            params = auth.params_basic
            headers["Authorization"] = basic_header(params.user_name, params.password)
        if auth is not None and AuthType.OAUTH2_CLIENT_CREDENTIALS in kinds:
            headers["Authorization"] = f"Bearer {await self._token(auth)}"
        session = self._session(AuthType.TLS_CERT in kinds)
        what = "callback test" if method == "GET" else "callback"
        try:
            self.policy.check_url(uri)
            async with session.request(
                method, uri, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise _no_answer(what, uri, error) from None

    def _forget_token(self, auth: SubscriptionAuthentication) -> None:
        params = auth.params_oauth2_client_credentials
        if params is not None:
            self._tokens.pop((params.token_endpoint, params.client_id), None)

    async def _token(self, auth: SubscriptionAuthentication) -> str:
        params = auth.params_oauth2_client_credentials
        assert params is not None  # the model's validator ensures it
        key = (params.token_endpoint, params.client_id)
        async with self._token_locks.setdefault(key, asyncio.Lock()):
            cached = self._tokens.get(key)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
            token, lifetime = await self._fetch_token(params)
            self._tokens[key] = (token, time.monotonic() + lifetime - TOKEN_MARGIN_SECONDS)
            return token

    async def _fetch_token(self, params: ParamsOauth2ClientCredentials) -> tuple[str, float]:
        form = {"grant_type": "client_credentials"}
        headers = {"Authorization": basic_header(params.client_id, params.client_password)}
        try:
            self.policy.check_url(params.token_endpoint)
            async with self._session(False).post(
                params.token_endpoint, data=form, headers=headers, allow_redirects=False
            ) as response:
                raw = await response.content.read(MAX_TOKEN_RESPONSE)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise _no_answer("token endpoint test", params.token_endpoint, error) from None
        try:
            body: Any = orjson.loads(raw) if status == 200 else None
        except orjson.JSONDecodeError:
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise CallbackError(f"the token endpoint test failed (status {status}, no token)")
        lifetime = body.get("expires_in", 300)
        return token, float(lifetime) if isinstance(lifetime, int | float) else 300.0
