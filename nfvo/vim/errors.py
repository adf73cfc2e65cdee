"""What can go wrong on a VIM, said with the VIM's name, our call and OpenStack's words.

One function, :func:`from_exception`, turns whatever openstacksdk or keystoneauth
raised into a :class:`VimError` that knows whether to try again (``retryable``) and
whether a failed create may nevertheless have happened (``maybe_applied``: the
connection dropped or the server answered 5xx after receiving the request), in which
case the caller looks the resource up by its tags before trying again.
"""

from __future__ import annotations

from typing import Any

import orjson
from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk

from nfvo.store.errors import InfrastructureError, PermanentError, TransientError

# Neutron conflicts that mean the request itself is wrong: trying again cannot help.
NEUTRON_PERMANENT_CONFLICTS = frozenset(
    {"OverQuota", "IpAddressAlreadyAllocated", "MacAddressInUse", "IpAddressInUse"}
)
# Conflicts that mean "busy, try again": Nova's task states, Placement's generations.
_TRANSIENT_CONFLICT_WORDS = ("task_state", "task state", "concurrent_update", "generation")


class VimError(InfrastructureError):
    """A VIM call failed; ``str()`` names the VIM, the call and OpenStack's message.

    Every concrete error is also a :class:`TransientError` (the job runner tries the
    step again) or a :class:`PermanentError` (the step fails).
    """

    def __init__(
        self,
        vim: str,
        call: str,
        message: str,
        *,
        status: int | None = None,
        maybe_applied: bool = False,
        kind: str | None = None,
    ) -> None:
        self.vim, self.call, self.message = vim, call, message
        self.status, self.maybe_applied, self.kind = status, maybe_applied, kind
        code = f" ({status}{' ' + kind if kind else ''})" if status else ""
        super().__init__(f"VIM {vim}: {call} failed{code}: {message}")

    @property
    def retryable(self) -> bool:
        return isinstance(self, TransientError)


class VimRequestError(VimError, PermanentError):
    """OpenStack refused the request as wrong (a 4xx without a more specific class)."""


class VimNotFound(VimError, PermanentError):
    pass


class VimConflict(VimError, PermanentError):
    """A conflict that trying again cannot solve (quota, address in use, ...)."""


class VimBusy(VimError, TransientError):
    """A conflict that means "try again": Nova task states, Placement generations."""


class VimForbidden(VimError, PermanentError):
    pass


class VimUnavailable(VimError, TransientError):
    """The VIM cannot be reached or answers 5xx or 429."""


class VimRefused(VimError, PermanentError):
    """We refuse to act (no admin rights for what needs them, a missing asset, ...)."""


class VimResourceError(VimError, PermanentError):
    """A resource went to ERROR (a server Nova could not build, ...): ``message`` is the
    cloud's own fault text."""


class VimTimeout(VimError, TransientError):
    """A resource did not reach the wanted state in time; waiting again may help."""


def _neutron_type(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("NeutronError"), dict):
        kind = body["NeutronError"].get("type")
        return str(kind) if kind else None
    return None


def _placement_detail(body: Any) -> str | None:
    """Placement's own words: ``{"errors": [{"detail": ...}]}`` (the SDK reads only the
    title)."""
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        details = [e.get("detail") for e in body["errors"] if isinstance(e, dict)]
        return "; ".join(d for d in details if d) or None
    return None


def _body(exc: sdk.HttpException) -> Any:
    response = getattr(exc, "response", None)
    if response is None or not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def from_exception(vim: str, call: str, exc: BaseException, *, mutating: bool) -> VimError:
    """Classify ``exc``; ``mutating`` says whether the request could have changed state."""
    if isinstance(exc, VimError):
        return exc
    if (
        type(exc) is sdk.SDKException
        and isinstance(exc.__context__, ksa.ClientException)
        and str(exc) == str(exc.__context__)
    ):
        # Connection.authorize() re-raises keystoneauth's error as a bare SDKException:
        # the original says what it was (a 401, a refused connection...).
        exc = exc.__context__
    if isinstance(exc, sdk.ServiceDisabledException | ksa.EndpointNotFound):
        # The cloud's catalogue has no such service (or no endpoint in our region).
        return VimRefused(vim, call, str(exc))
    if isinstance(exc, ksa.ConnectFailure | ksa.ConnectTimeout | ksa.RetriableConnectionFailure):
        # ConnectFailure also covers a connection dropped after the request was sent.
        return VimUnavailable(vim, call, str(exc), maybe_applied=mutating)
    if isinstance(exc, sdk.HttpException) and exc.status_code is not None:
        return _from_http(vim, call, exc, mutating=mutating)
    if isinstance(exc, ksa.HttpError) and exc.http_status:
        return _from_status(vim, call, int(exc.http_status), str(exc), None, mutating=mutating)
    if isinstance(exc, ksa.ClientException | sdk.SDKException):
        return VimRequestError(vim, call, str(exc))
    raise exc


def _from_http(vim: str, call: str, exc: sdk.HttpException, *, mutating: bool) -> VimError:
    status = int(exc.status_code or 0)
    body = _body(exc)
    message = (
        _placement_detail(body) or (exc.details or exc.message or "").strip() or f"HTTP {status}"
    )
    return _from_status(vim, call, status, message, _neutron_type(body), mutating=mutating)


def _from_status(
    vim: str, call: str, status: int, message: str, kind: str | None, *, mutating: bool
) -> VimError:
    if status >= 500 or status == 429:
        return VimUnavailable(vim, call, message, status=status, maybe_applied=mutating, kind=kind)
    if status == 404:
        return VimNotFound(vim, call, message, status=status, kind=kind)
    if status in (401, 403):
        return VimForbidden(vim, call, message, status=status, kind=kind)
    if status == 409:
        transient = kind not in NEUTRON_PERMANENT_CONFLICTS and any(
            word in message.lower() for word in _TRANSIENT_CONFLICT_WORDS
        )
        conflict = VimBusy if transient else VimConflict
        return conflict(vim, call, message, status=status, kind=kind)
    return VimRequestError(vim, call, message, status=status, kind=kind)
