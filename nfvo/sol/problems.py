"""ProblemDetails (RFC 7807, SOL013 clause 6.3) and the errors a client can cause.

Domain code raises one of the :class:`ApiError` subclasses with a ``detail`` that says
what was wrong and where; the API's one error middleware renders it, and renders the
store's refusals (``nfvo.store.errors``) through :data:`STORE_PROBLEMS`. Anything else
that escapes is a 500 whose text is logged, never returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import Field

from nfvo.sol.wire import WireModel
from nfvo.store.errors import (
    ConcurrencyConflict,
    StoreConflict,
    StoreError,
    StoreNotFound,
    StoreRangeNotSatisfiable,
    StoreTooLarge,
    StoreUnavailable,
)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemDetails(WireModel):
    """SOL013 ``ProblemDetails``: ``status`` and ``detail`` are mandatory."""

    type: str | None = None
    title: str | None = None
    status: int = Field(ge=100, le=599)
    detail: str
    instance: str | None = None


class ApiError(Exception):
    """An error the client caused (or may retry); knows its status and title."""

    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def problem(self, instance: str | None = None) -> ProblemDetails:
        return ProblemDetails(
            title=self.title, status=self.status, detail=self.detail, instance=instance
        )


class InvalidRequest(ApiError):
    status, title = 400, "Bad Request"


class Unauthorized(ApiError):
    status, title = 401, "Unauthorized"


class Forbidden(ApiError):
    status, title = 403, "Forbidden"


class NotFound(ApiError):
    status, title = 404, "Not Found"


class MethodNotAllowed(ApiError):
    status, title = 405, "Method Not Allowed"


class NotAcceptable(ApiError):
    status, title = 406, "Not Acceptable"


class Conflict(ApiError):
    status, title = 409, "Conflict"


class PreconditionFailed(ApiError):
    status, title = 412, "Precondition Failed"


class PayloadTooLarge(ApiError):
    status, title = 413, "Payload Too Large"


class UnsupportedMediaType(ApiError):
    status, title = 415, "Unsupported Media Type"


class RangeNotSatisfiable(ApiError):
    status, title = 416, "Range Not Satisfiable"


class Unprocessable(ApiError):
    status, title = 422, "Unprocessable Content"


class TooManyRequests(ApiError):
    status, title = 429, "Too Many Requests"


class ServiceUnavailable(ApiError):
    status, title = 503, "Service Unavailable"


# What each kind of store refusal is on the wire, with the store's detail (which says
# what and where). The kinds are siblings: a refusal is an instance of one at most.
STORE_PROBLEMS: Final[Mapping[type[StoreError], tuple[type[ApiError], Mapping[str, str]]]] = {
    StoreNotFound: (NotFound, {}),
    StoreConflict: (Conflict, {}),
    ConcurrencyConflict: (PreconditionFailed, {}),
    StoreUnavailable: (ServiceUnavailable, {"Retry-After": "1"}),
    StoreTooLarge: (PayloadTooLarge, {}),
    StoreRangeNotSatisfiable: (RangeNotSatisfiable, {}),
}


def store_problem(error: StoreError) -> ApiError | None:
    """The ApiError ``error`` is on the wire; None for a kind the table does not know."""
    for kind, (api_error, headers) in STORE_PROBLEMS.items():
        if isinstance(error, kind):
            return api_error(error.detail, headers=dict(headers))
    return None


def internal_error(request_id: str) -> ProblemDetails:
    """What an unexpected failure looks like on the wire: no text of the exception."""
    return ProblemDetails(
        title="Internal Server Error",
        status=500,
        detail=f"an unexpected error occurred; quote request id {request_id} to the operator",
    )
