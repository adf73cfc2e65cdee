"""Paging of large query results (SOL013 clause 5.4.2, alternative 2).

The API producer returns a page and, when more results exist, a ``Link`` header
``<URI>; rel="next"`` whose URI repeats the query with a ``nextpage_opaque_marker``.
The marker is opaque to the client (clause 5.4.2.1): here it is the key of the last
item sent, bound to a digest of the query (path and every other parameter) and
signed with HMAC-SHA256, so a marker cannot be forged, edited, or replayed against a
different filter. Any marker that fails those checks is a 400 naming the parameter.

Keys are the sort keys of the listing (record ids in Redis order), so a page is "the
next N after key K": records added or removed between pages never make the client
see one twice or skip one that stayed.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import orjson
from aiohttp import web

from nfvo.sol.problems import InvalidRequest
from nfvo.sol.routes import app_value

MARKER_PARAMETER = "nextpage_opaque_marker"
Item = TypeVar("Item")
_SIGNATURE_BYTES = 16


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _query_digest(request: web.Request) -> str:
    pairs = sorted((k, v) for k, v in request.query.items() if k != MARKER_PARAMETER)
    material = orjson.dumps([request.path, pairs])
    return hashlib.sha256(material).hexdigest()[:16]


def _bad_marker(why: str) -> InvalidRequest:
    return InvalidRequest(
        f"the {MARKER_PARAMETER} is not one this API issued for this query ({why}); "
        "start again from the first page"
    )


@dataclass(frozen=True)
class Paging:
    """Signs and reads page markers; ``page_size`` is the producer's choice."""

    secret: bytes
    page_size: int = 100

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise ValueError("the paging secret must be at least 16 bytes")
        if self.page_size < 1:
            raise ValueError("page_size must be positive")

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self.secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]

    def marker(self, request: web.Request, after: str) -> str:
        payload = orjson.dumps({"after": after, "query": _query_digest(request)})
        return f"{_b64encode(payload)}.{_b64encode(self._sign(payload))}"

    def start_after(self, request: web.Request) -> str | None:
        """The key the requested page starts after; None for the first page."""
        marker = request.query.get(MARKER_PARAMETER)
        if marker is None:
            return None
        encoded, _, signature = marker.partition(".")
        try:
            payload, sent = _b64decode(encoded), _b64decode(signature)
        except (binascii.Error, ValueError):
            raise _bad_marker("not encoded as issued") from None
        if not hmac.compare_digest(sent, self._sign(payload)):
            raise _bad_marker("signature does not match")
        content = orjson.loads(payload)  # signed by us, so well formed
        if content.get("query") != _query_digest(request):
            raise _bad_marker("it was issued for a different query")
        after = content.get("after")
        if not isinstance(after, str):
            raise _bad_marker("no position")
        return after

    def next_link(self, request: web.Request, after: str) -> str:
        url = request.url.update_query({MARKER_PARAMETER: self.marker(request, after)})
        return f'<{url}>; rel="next"'


PAGING = web.AppKey("PAGING", Paging)


def paging_of(request: web.Request) -> Paging:
    paging = app_value(request, PAGING)
    if paging is None:
        raise LookupError("paging needs an app built by nfvo.sol.http.make_root_app")
    return paging


def paginate(
    request: web.Request, items: Sequence[Item], key: Callable[[Item], str]
) -> tuple[list[Item], dict[str, str]]:
    """One page of ``items`` (sorted by ``key``) and the headers to send with it."""
    paging = paging_of(request)
    after = paging.start_after(request)
    keys = [key(item) for item in items]
    start = 0 if after is None else bisect.bisect_right(keys, after)
    page = list(items[start : start + paging.page_size])
    headers: dict[str, str] = {}
    if start + paging.page_size < len(items):
        headers["Link"] = paging.next_link(request, key(page[-1]))
    return page, headers
