"""Authentication and scopes for every API (SOL013 clause 8, OAuth 2.0 bearer tokens).

``auth_middleware`` finds the matched route's ``scope`` (``nfvo.sol.routes.route_of``);
a route without one (``api_versions``) and anything unrouted (404, 405) pass untouched.
Otherwise the request must carry ``Authorization: Bearer <JWT>``: none, or a bad or
expired one, is a 401 ProblemDetails with ``WWW-Authenticate: Bearer ...`` (RFC 6750
clause 3); a token lacking the route's scope is a 403 naming it. Handlers read who is
asking with :func:`principal_of`.

An ``Authorization`` header of another scheme (``Basic``, ``Token``) carries no bearer
token at all: 401 with the bare challenge, no error code (RFC 6750 clause 3.1); a
``Bearer`` header without exactly one token is malformed: 400 ``invalid_request``.

The built-in token endpoint (``POST /oauth2/token``, RFC 6749 clause 4.4, client
credentials) and the issuer's keys (``GET /oauth2/jwks``) are plain root routes from
:func:`token_routes`; their errors are RFC 6749 JSON, not ProblemDetails, because
OAuth clients expect those. The endpoint reads at most :data:`MAX_FORM_BYTES` of form,
refuses a client id or source address that failed too often (429, waits doubling:
``nfvo.sol.throttle``) before looking at its secret, and names the client id it was
asked for (:data:`CLIENT_ID`) for the audit, which keeps refusals in a stream of
their own.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.typedefs import Middleware

from nfvo.config import Settings
from nfvo.sol.problems import Forbidden, InvalidRequest, Unauthorized
from nfvo.sol.routes import Handler, route_of
from nfvo.sol.throttle import FailureThrottle, Subject
from nfvo.sol.tokens import (
    ADMIN_SCOPE,
    KeySource,
    Principal,
    StaticKeys,
    TokenError,
    TokenIssuer,
    TokenValidator,
    key_source,
    load_or_create_key,
)
from nfvo.store.keys import Keyspace

log = logging.getLogger("nfvo.sol.auth")

PRINCIPAL = web.RequestKey("PRINCIPAL", Principal)
#: The client id a token request named (for the audit; it may be made up).
CLIENT_ID = web.RequestKey("CLIENT_ID", str)
REALM = "nfvo"
MAX_FORM_BYTES = 4096  # a client credentials form is a few hundred bytes
TOKEN_PATH = "/oauth2/token"
JWKS_PATH = "/oauth2/jwks"
# With authentication off every request acts for this principal: an administrator,
# so that local development sees and changes everything.
ANONYMOUS = Principal("anonymous", "default", frozenset({ADMIN_SCOPE}), is_admin=True)


def principal_of(request: web.Request) -> Principal:
    """Who ``request`` acts for; 401 if no authentication ran (a route without scope)."""
    principal: Principal | None = request.get(PRINCIPAL)
    if principal is None:
        raise Unauthorized(
            f"{request.method} {request.path} is not authenticated",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    return principal


def _challenge(error: str, description: str, **extra: str) -> dict[str, str]:
    # Quoted-string values (RFC 9110 clause 11.2) hold no quote or backslash.
    def quoted(text: str) -> str:
        return text.replace("\\", "").replace('"', "'")

    parts = [f'realm="{REALM}"', f'error="{error}"', f'error_description="{quoted(description)}"']
    parts += [f'{name}="{quoted(value)}"' for name, value in extra.items()]
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


def bearer_token(request: web.Request) -> str:
    header = request.headers.get("Authorization")
    if header is None:
        raise Unauthorized(
            f"{request.method} {request.path} needs an access token "
            "(Authorization: Bearer ...; SOL013 clause 8)",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        # No bearer token at all: the bare challenge, without an error code (RFC 6750 3.1).
        raise Unauthorized(
            f"{request.method} {request.path} needs a bearer token; the Authorization "
            "header uses another scheme (Authorization: Bearer ...; SOL013 clause 8)",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    if not token.strip() or len(token.split()) != 1:
        detail = "the Authorization header is not 'Bearer <token>' with one token"
        raise InvalidRequest(detail, headers=_challenge("invalid_request", detail))
    return token.strip()


async def authenticate(request: web.Request, validator: TokenValidator) -> Principal:
    token = bearer_token(request)
    try:
        return await validator.validate(token)
    except TokenError as error:
        raise Unauthorized(
            error.description, headers=_challenge(error.error, error.description)
        ) from None  # the token's text stays out of tracebacks


def auth_middleware(validator: TokenValidator | None, *, enabled: bool) -> Middleware:
    """The middleware to give ``make_root_app`` (after ``audit_middleware``)."""
    if not enabled:
        log.warning(
            "authentication is disabled (auth_enabled=false): every request acts as "
            "an administrator of every project; never serve this beyond a laptop"
        )

        @web.middleware
        async def open_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
            request[PRINCIPAL] = ANONYMOUS
            return await handler(request)

        return open_middleware
    if validator is None:
        raise ValueError("authentication is enabled but no token validator was given")

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_of(request)
        if route is None or not route.scope:
            return await handler(request)
        principal = await authenticate(request, validator)
        request[PRINCIPAL] = principal
        if not principal.has_scope(route.scope):
            granted = ", ".join(sorted(principal.scopes)) or "none"
            detail = (
                f"{request.method} {request.path} needs the scope {route.scope}; "
                f"the token grants: {granted}"
            )
            raise Forbidden(
                detail, headers=_challenge("insufficient_scope", detail, scope=route.scope)
            )
        return await handler(request)

    return middleware


# -- the built-in token endpoint -------------------------------------------------------


@dataclass(frozen=True)
class Client:
    """A client of the token endpoint, with what its tokens may grant."""

    client_id: str
    secret: str
    scopes: frozenset[str]
    project: str

    def __repr__(self) -> str:  # the secret never reaches a log line or traceback
        return f"Client({self.client_id!r}, project={self.project!r})"


def clients_from_settings(settings: Settings) -> dict[str, Client]:
    clients = {
        entry.client_id: Client(
            entry.client_id,
            entry.client_secret.get_secret_value(),
            frozenset(entry.scopes),
            entry.project,
        )
        for entry in settings.auth_clients
    }
    if settings.admin_password is not None:
        secret = settings.admin_password.get_secret_value()
        clients["admin"] = Client("admin", secret, frozenset({ADMIN_SCOPE}), "admin")
    return clients


def _oauth_error(
    status: int,
    error: str,
    description: str,
    basic: bool = False,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    sent = {"Cache-Control": "no-store", **(headers or {})}
    if basic:  # RFC 6749 clause 5.2: answer a failed Basic login with its challenge
        sent["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return web.json_response(
        {"error": error, "error_description": description}, status=status, headers=sent
    )


class _FormRefused(Exception):
    def __init__(self, response: web.Response) -> None:
        self.response = response


async def _form(request: web.Request) -> dict[str, str]:
    """The x-www-form-urlencoded body, read no further than MAX_FORM_BYTES."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise _FormRefused(
            _oauth_error(400, "invalid_request", "send an x-www-form-urlencoded body")
        )
    declared, body = request.content_length or 0, bytearray()
    if declared <= MAX_FORM_BYTES:  # a declared size past the cap is refused unread
        async for chunk in request.content.iter_chunked(MAX_FORM_BYTES + 1):
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                break
    if max(declared, len(body)) > MAX_FORM_BYTES:
        description = f"the form is larger than {MAX_FORM_BYTES} bytes"
        raise _FormRefused(_oauth_error(413, "invalid_request", description))
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise _FormRefused(_oauth_error(400, "invalid_request", "the form is malformed")) from None
    form = dict(pairs)
    if len(form) != len(pairs):  # RFC 6749 clause 3.2: no parameter twice
        raise _FormRefused(_oauth_error(400, "invalid_request", "a parameter is repeated"))
    return form


def _credentials(request: web.Request, form: Mapping[str, str]) -> tuple[str, str, bool] | None:
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret, True
    if "client_id" in form and "client_secret" in form:
        return form["client_id"], form["client_secret"], False
    return None


def _matches(client: Client | None, secret: str) -> bool:
    # Compare even for an unknown client, so timing does not tell which ids exist.
    expected = client.secret if client is not None else "\0unknown client\0"
    return hmac.compare_digest(expected.encode(), secret.encode()) and client is not None


@dataclass(frozen=True)
class TokenEndpoint:
    """``POST /oauth2/token``: client credentials checked, guesses throttled."""

    issuer: TokenIssuer
    clients: Mapping[str, Client]
    throttle: FailureThrottle

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            form = await _form(request)
        except _FormRefused as refused:
            return refused.response
        credentials = _credentials(request, form)
        client_id = credentials[0] if credentials else ""
        request[CLIENT_ID] = client_id[:200]
        subjects: list[Subject] = [("address", request.remote or "unknown")]
        if credentials:
            subjects.append(("client", client_id))
        wait = await self.throttle.blocked_for(subjects)
        if wait:
            return _oauth_error(
                429,
                "temporarily_unavailable",
                f"too many failed attempts; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        if credentials is None:
            await self.throttle.failed(subjects)
            return _oauth_error(401, "invalid_client", "no client credentials", basic=True)
        _, secret, basic = credentials
        client = self.clients.get(client_id)
        if not _matches(client, secret) or client is None:
            await self.throttle.failed(subjects)
            return _oauth_error(401, "invalid_client", "unknown client or wrong secret", basic)
        await self.throttle.succeeded(("client", client_id))
        return self._issue(client, form)

    def _issue(self, client: Client, form: Mapping[str, str]) -> web.Response:
        if form.get("grant_type") != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", "only client_credentials")
        wanted = set(form.get("scope", "").split()) or set(client.scopes)
        if not wanted <= client.scopes:
            extra = " ".join(sorted(wanted - client.scopes))
            return _oauth_error(400, "invalid_scope", f"not granted to this client: {extra}")
        token = self.issuer.issue(client.client_id, client.project, wanted)
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.issuer.lifetime,
            "scope": " ".join(sorted(wanted)),
        }
        return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def token_routes(endpoint: TokenEndpoint) -> list[web.RouteDef]:
    """``POST /oauth2/token`` and ``GET /oauth2/jwks``: give them to ``make_root_app``."""

    async def jwks(_request: web.Request) -> web.StreamResponse:
        return web.json_response(endpoint.issuer.jwks())

    return [web.post(TOKEN_PATH, endpoint.handle), web.get(JWKS_PATH, jwks)]


# -- composition -------------------------------------------------------------------


@dataclass(frozen=True)
class Authentication:
    """What the composition root mounts: the middleware and the token routes."""

    middleware: Middleware
    routes: tuple[web.RouteDef, ...]
    issuer: TokenIssuer | None


def can_authenticate(settings: Settings) -> bool:
    """Whether the settings give a caller some way to a token (or need none)."""
    return not settings.auth_enabled or bool(clients_from_settings(settings) or settings.auth_jwks)


def authentication_from_settings(
    settings: Settings,
    redis: aioredis.Redis,
    keyspace: Keyspace,
    *,
    extra_sources: Iterable[KeySource] = (),
) -> Authentication:
    """The middleware and routes the settings ask for.

    The built-in issuer exists when any client is configured (``auth_clients`` or
    ``admin_password``); its key is read or created now, at start, not on import. Its
    failed attempts are counted in ``redis`` under ``keyspace``.
    """
    if not settings.auth_enabled:
        return Authentication(auth_middleware(None, enabled=False), (), None)
    sources: list[KeySource] = list(extra_sources)
    clients = clients_from_settings(settings)
    issuer = None
    routes: tuple[web.RouteDef, ...] = ()
    if clients:
        key = load_or_create_key(settings.effective_auth_signing_key)
        issuer = TokenIssuer(
            key,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            lifetime=settings.auth_token_lifetime,
        )
        sources.append(StaticKeys(issuer.jwks()))
        throttle = FailureThrottle(redis, keyspace, "token")
        routes = tuple(token_routes(TokenEndpoint(issuer, clients, throttle)))
    if settings.auth_jwks:
        sources.append(key_source(settings.auth_jwks))
    if not sources:
        raise ValueError(
            "authentication is enabled but there is no way to get a token: set "
            "auth_clients, admin_password or auth_jwks, or auth_enabled=false"
        )
    validator = TokenValidator(
        sources, issuer=settings.auth_issuer, audience=settings.auth_audience
    )
    return Authentication(auth_middleware(validator, enabled=True), routes, issuer)
