"""The NFVO's Grant API (``/grant/v1``, SOL003 clause 9, V3.7.1, API 1.7.0).

``POST /grants`` answers 201 with the Grant when it is decided at once, 202 with the
grant's Location when the client prefers to poll (``Prefer: respond-async``, RFC
7240), and 403 with the reason when it is refused; ``GET /grants/{grantId}`` answers
200, 202 while it is being decided, or 403 for a refused one (clause 9.4.3.3.2).
"""

from __future__ import annotations

from aiohttp import web

from nfvo.lcm.grant_records import GrantRecord, GrantState, grant_href
from nfvo.lcm.granting import Granting
from nfvo.sol.auth import principal_of
from nfvo.sol.bodies import json_response, read_model
from nfvo.sol.grant import Grant, GrantRequest
from nfvo.sol.http import make_api_app
from nfvo.sol.problems import Forbidden, ServiceUnavailable
from nfvo.sol.routes import Route, app_value

GRANTING = web.AppKey("GRANTING", Granting)
VERSIONS = ["1.7.0"]
SCOPE = "grant:write"


def granting(request: web.Request) -> Granting:
    found = app_value(request, GRANTING)
    if found is None:
        raise ServiceUnavailable("the Grant API is not configured in this server")
    return found


def _answer(record: GrantRecord, decided_status: int) -> web.Response:
    location = {"Location": grant_href(record.id)}
    if record.state is GrantState.PENDING:
        return web.Response(status=202, headers=location)
    if record.state is GrantState.REJECTED:
        raise Forbidden(f"grant {record.id} is rejected: {record.reason}")
    return json_response(record.grant, status=decided_status, headers=location)


async def create_grant(request: web.Request) -> web.Response:
    body = await read_model(request, GrantRequest)
    asynchronous = "respond-async" in request.headers.get("Prefer", "").lower()
    record = await granting(request).ask(body, principal_of(request), asynchronous=asynchronous)
    return _answer(record, 201)


async def show_grant(request: web.Request) -> web.Response:
    record = await granting(request).show(request.match_info["grantId"], principal_of(request))
    return _answer(record, 200)


ROUTES = (
    Route("POST", "/grants", create_grant, SCOPE, "Ask for a grant",
          request_model=GrantRequest, response_model=Grant, status=201),
    Route("GET", "/grants/{grantId}", show_grant, SCOPE, "Read a grant",
          response_model=Grant),
)  # fmt: skip


def make_app() -> web.Application:
    return make_api_app("grant", 1, VERSIONS, ROUTES)
