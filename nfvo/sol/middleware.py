"""The one error middleware: every failure leaves as ``application/problem+json``.

SOL013 clause 6 (error reporting) makes ProblemDetails (clause 6.3) the body of every
error response. aiohttp's own 404, 405 and 413 pass through middlewares, so this one
middleware renders them too, with a ``detail`` saying what was wrong and where, and
the store's refusals, each as its kind in ``STORE_PROBLEMS``. An exception nobody
expected is a 500 carrying only a request id; its text and traceback go to the log,
never onto the wire (STYLE.md, "Errors").

The version check (SOL013 clause 4.6.1) runs as the second middleware, so its 400 and
406 are rendered here like any other error. A client that hangs up mid-request (an
upload cut short) is no error of ours: it is logged at INFO, without a traceback, and
recorded as 499. :func:`status_for` is the one mapping of failures to statuses, which
the audit shares, so it records what the client saw.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping

from aiohttp import web
from redis.exceptions import RedisError

from nfvo.sol.problems import (
    PROBLEM_CONTENT_TYPE,
    ApiError,
    ProblemDetails,
    ServiceUnavailable,
    internal_error,
    store_problem,
)
from nfvo.sol.routes import Handler, route_of
from nfvo.sol.versions import VERSION_HEADER, negotiate_version, response_version
from nfvo.store.errors import StoreError, StoreUnavailable

log = logging.getLogger("nfvo.sol")

REQUEST_ID = web.RequestKey("REQUEST_ID", str)
REQUEST_ID_HEADER = "X-Request-Id"
# Headers an HTTP error carries that the client needs (RFC 9110: Allow with 405,
# WWW-Authenticate with 401, Retry-After with 413/429/503, Content-Range with 416).
_KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After", "Content-Range")


CLIENT_CLOSED_REQUEST = 499  # nginx's name for it: nobody was left to answer


def client_went_away(request: web.Request, error: BaseException) -> bool:
    """Whether ``error`` is the client's connection closing under a request being read."""
    if not isinstance(error, ConnectionResetError):
        return False
    return request.transport is None or request.transport.is_closing()


def status_for(request: web.Request, error: BaseException) -> int:
    """The status :func:`error_middleware` answers ``error`` with."""
    if isinstance(error, StoreError):
        refusal = store_problem(error)
        return refusal.status if refusal is not None else 500
    if isinstance(error, ApiError | web.HTTPException):
        return error.status
    if isinstance(error, RedisError):
        return 503
    if isinstance(error, asyncio.CancelledError) or client_went_away(request, error):
        return CLIENT_CLOSED_REQUEST
    return 500


def _encodable(text: str | None) -> str | None:
    # A detail may quote client input; lone surrogates (undecodable bytes) would make
    # the JSON encoder fail inside the error path itself, so they are escaped.
    return None if text is None else text.encode("utf-8", "backslashreplace").decode("utf-8")


def problem_response(
    problem: ProblemDetails, headers: Mapping[str, str] | None = None
) -> web.Response:
    safe = problem.model_copy(
        update={name: _encodable(getattr(problem, name)) for name in ("detail", "instance")}
    )
    response = web.Response(
        body=safe.to_json(), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _http_exception_detail(request: web.Request, error: web.HTTPException) -> str:
    where = request.path
    if isinstance(error, web.HTTPNotFound) and request.match_info.http_exception is error:
        return f"there is no resource at {where}"
    if isinstance(error, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(error.allowed_methods))
        return f"{request.method} is not allowed on {where}; allowed: {allowed}"
    if isinstance(error, web.HTTPRequestEntityTooLarge):
        return f"the request body sent to {where} is too large: {error.text}"
    # An HTTPException raised on purpose: its text was written for the client.
    return f"{error.text or error.reason} ({request.method} {where})"


def render_http_exception(request: web.Request, error: web.HTTPException) -> web.Response:
    problem = ProblemDetails(
        title=error.reason,
        status=error.status,
        detail=_http_exception_detail(request, error),
        instance=request.rel_url.raw_path,
    )
    headers = {name: error.headers[name] for name in _KEPT_HEADERS if name in error.headers}
    return problem_response(problem, headers)


def render_api_error(request: web.Request, error: ApiError) -> web.Response:
    return problem_response(error.problem(instance=request.rel_url.raw_path), error.headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every failure of ``handler`` as ProblemDetails; never let text leak."""
    request[REQUEST_ID] = uuid.uuid4().hex
    try:
        return await handler(request)
    except ApiError as error:
        return render_api_error(request, error)
    except web.HTTPException as error:
        if error.status < 400:
            raise  # redirects and 304 are answers, not errors
        return render_http_exception(request, error)
    except asyncio.CancelledError:
        raise
    except StoreError as error:
        if isinstance(error, StoreUnavailable):
            _log_unavailable(request, error)
        refusal = store_problem(error)
        if refusal is None:  # a kind of refusal nobody mapped: a bug, like any other
            return _unexpected(request)
        return render_api_error(request, refusal)
    except RedisError as error:
        # Overload (no pooled connection free in time) or an outage: the client's request
        # may be fine, so say when to retry rather than blame it or hide it in a 500.
        _log_unavailable(request, error)
        unavailable = ServiceUnavailable(
            "the store is busy or unreachable; retry shortly", headers={"Retry-After": "1"}
        )
        return render_api_error(request, unavailable)
    except Exception as error:
        if client_went_away(request, error):
            log.info("the client closed the connection before the answer", extra=_context(request))
            return web.Response(status=CLIENT_CLOSED_REQUEST)  # nobody reads it
        return _unexpected(request)


def _context(request: web.Request) -> dict[str, str | None]:
    return {"request_id": request.get(REQUEST_ID), "method": request.method, "path": request.path}


class OutageLog:
    """While the store does not answer, one line for the first refused request, then at
    most one every ``every`` seconds counting the others, not one per request."""

    def __init__(self, every: float = 30.0) -> None:
        self.every = every
        self._last = -every
        self._unsaid = 0

    def refused(self, request: web.Request, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last < self.every:
            self._unsaid += 1
            return
        cause = f" ({error.__cause__})" if error.__cause__ else ""
        also = f"; {self._unsaid} more requests refused since the last line" if self._unsaid else ""
        log.warning("the store did not answer: %s%s%s", error, cause, also, extra=_context(request))
        self._last, self._unsaid = now, 0


OUTAGE_LOG = web.AppKey("OUTAGE_LOG", OutageLog)


def _log_unavailable(request: web.Request, error: Exception) -> None:
    outages = request.config_dict.get(OUTAGE_LOG)
    if outages is None:  # an app built without make_root_app (a test's own)
        outages = OutageLog(every=0)
    outages.refused(request, error)


def _unexpected(request: web.Request) -> web.Response:
    """The 500 of an exception nobody expected (called while handling it: logged with it)."""
    log.exception("unexpected error", extra=_context(request))
    return problem_response(internal_error(request[REQUEST_ID]))


@web.middleware
async def version_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Agree the API version before dispatch (SOL013 clause 4.6.1).

    Routing failures (404, 405) are reported first: a client using a wrong path
    learns that before it learns about its headers.
    """
    route = route_of(request)
    if route is not None and route.versioned:
        negotiate_version(request)
    return await handler(request)


async def stamp_response(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every response, errors and streams too, says its version."""
    version = response_version(request)
    if version is not None:
        response.headers[VERSION_HEADER] = version
    request_id: str | None = request.get(REQUEST_ID)
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
