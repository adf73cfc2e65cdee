"""How OpenStack's failures are classified: retry, look again, or give up."""

import orjson
import pytest
import requests
from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk

from nfvo.store.errors import PermanentError, TransientError
from nfvo.vim.errors import (
    VimBusy,
    VimConflict,
    VimForbidden,
    VimNotFound,
    VimRefused,
    VimRequestError,
    VimUnavailable,
    from_exception,
)


def http_error(status: int, body: object) -> sdk.HttpException:
    response = requests.Response()
    response.status_code = status
    response._content = orjson.dumps(body)
    response.headers["content-type"] = "application/json"
    try:
        sdk.raise_from_response(response)
    except sdk.HttpException as exc:
        return exc
    raise AssertionError("not an error")


@pytest.mark.parametrize(
    ("status", "body", "expected", "transient"),
    [
        (503, {"computeFault": {"message": "down"}}, VimUnavailable, True),
        (429, {"overLimit": {"message": "slow down"}}, VimUnavailable, True),
        (404, {"itemNotFound": {"message": "gone"}}, VimNotFound, False),
        (403, {"forbidden": {"message": "policy"}}, VimForbidden, False),
        (400, {"badRequest": {"message": "wrong"}}, VimRequestError, False),
        (
            409,
            {
                "conflictingRequest": {
                    "message": "Cannot 'reboot' instance while it is in task_state rebooting"
                }
            },
            VimBusy,
            True,
        ),
        (
            409,
            {"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for task_state"}},
            VimConflict,
            False,
        ),
        (
            409,
            {"NeutronError": {"type": "MacAddressInUse", "message": "in use"}},
            VimConflict,
            False,
        ),
        (
            409,
            {"NeutronError": {"type": "IpAddressAlreadyAllocated", "message": "taken"}},
            VimConflict,
            False,
        ),
        (
            409,
            {
                "errors": [
                    {
                        "code": "placement.concurrent_update",
                        "detail": "resource provider generation conflict",
                    }
                ]
            },
            VimBusy,
            True,
        ),
    ],
)
def test_http_errors(status: int, body: object, expected: type, transient: bool) -> None:
    error = from_exception("lab", "create port", http_error(status, body), mutating=True)
    assert type(error) is expected
    assert error.retryable is transient
    assert isinstance(error, TransientError if transient else PermanentError)
    assert str(error).startswith(f"VIM lab: create port failed ({status}")


def test_a_dropped_connection_may_have_applied_a_create() -> None:
    error = from_exception(
        "lab", "create server", ksa.ConnectFailure("reset by peer"), mutating=True
    )
    assert isinstance(error, VimUnavailable) and error.maybe_applied and error.retryable
    read = from_exception("lab", "show server", ksa.ConnectFailure("reset"), mutating=False)
    assert not read.maybe_applied


def test_a_5xx_on_a_create_may_have_applied_it() -> None:
    error = from_exception(
        "lab", "create", http_error(502, {"message": "bad gateway"}), mutating=True
    )
    assert error.maybe_applied


def test_bugs_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        from_exception("lab", "x", KeyError("k"), mutating=False)


@pytest.mark.parametrize(
    "exc",
    [
        sdk.ServiceDisabledException("Service 'placement' is disabled"),
        ksa.EndpointNotFound("public endpoint for placement service not found"),
    ],
)
def test_a_service_missing_from_the_catalogue_is_refused(exc: Exception) -> None:
    error = from_exception("lab", "list resource providers", exc, mutating=False)
    assert isinstance(error, VimRefused) and isinstance(error, PermanentError)
    assert "placement" in error.message


def test_placement_errors_keep_their_detail() -> None:
    body = {"errors": [{"status": 403, "title": "Forbidden", "detail": "Policy says no."}]}
    error = from_exception("lab", "list providers", http_error(403, body), mutating=False)
    assert isinstance(error, VimForbidden)
    assert error.message == "Policy says no."
