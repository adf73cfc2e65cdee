"""Where VNFMs notify the NFVO (``/callbacks/v1``): the callback of each VNFM's
subscription to its VNF LCM notifications (SOL003 5.4.20 on the consumer's side).

``GET /vnflcm/{vnfm}`` answers 204 (the subscription's callback test); ``POST``
takes a notification and answers 204. Both need the BASIC credentials the NFVO gave
that VNFM when it subscribed (``nfvo.lcm.vnf_notices``): no token scope applies, as
the VNFM is no client of ours.
"""

from __future__ import annotations

from aiohttp import web

from nfvo.lcm.vnf_notices import VnfNotices
from nfvo.sol.bodies import read_json
from nfvo.sol.http import make_api_app
from nfvo.sol.problems import InvalidRequest, ServiceUnavailable, Unauthorized
from nfvo.sol.routes import Route, app_value

VNF_NOTICES = web.AppKey("VNF_NOTICES", VnfNotices)
PATH = "/vnflcm/{vnfm}"


def _checked(request: web.Request) -> tuple[VnfNotices, str]:
    notices = app_value(request, VNF_NOTICES)
    if notices is None:
        raise ServiceUnavailable("VNFM notifications are not received by this server")
    vnfm = request.match_info["vnfm"]
    if not notices.authentic(vnfm, request.headers.get("Authorization")):
        raise Unauthorized(
            f"notifications of VNFM {vnfm} carry the credentials of its subscription",
            headers={"WWW-Authenticate": 'Basic realm="nfvo"'},
        )
    return notices, vnfm


async def test_callback(request: web.Request) -> web.Response:
    _checked(request)
    return web.Response(status=204)


async def notify(request: web.Request) -> web.Response:
    notices, vnfm = _checked(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise InvalidRequest("a notification is a JSON object")
    await notices.received(vnfm, body)
    return web.Response(status=204)


ROUTES = (
    Route("GET", PATH, test_callback, "", "Test the callback of a VNFM's subscription",
          status=204, produces=(), versioned=False),
    Route("POST", PATH, notify, "", "Receive a VNFM's notification", status=204, produces=(),
          versioned=False),
)  # fmt: skip


def make_app() -> web.Application:
    return make_api_app("callbacks", 1, ["1.0.0"], ROUTES)
