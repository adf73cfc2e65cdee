"""Content negotiation and conditional requests.

- ``Accept`` (SOL013 clause 4.2 headers, 6.4 errors): a request none of whose media ranges
  matches what the route produces is a 406; no ``Accept`` at all means anything.
- ``Content-Type``: a body of a type the route does not consume is a 415 naming the
  types it does; PATCH bodies are JSON Merge Patch (RFC 7396), merged by
  :func:`merge_patch`.
- ``ETag`` / ``If-Match`` (RFC 9110 clause 13.1.1, used by SOL005 for PATCH): a
  mismatch is 412. SOL013 does not require ``If-Match`` on modifications, so a
  request without it is not refused (no 428); clients that want lost-update
  protection send it.
- ``Range`` (RFC 9110 clause 14; SOL005 package and artifact downloads): one byte
  range; an unsatisfiable one is 416 with ``Content-Range: bytes */size``; a header
  we cannot honour (other units, several ranges, bad syntax) is ignored, and the
  whole content is sent, as RFC 9110 allows and SOL005's ``Range`` parameter says.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from nfvo.sol.problems import (
    NotAcceptable,
    PreconditionFailed,
    RangeNotSatisfiable,
    UnsupportedMediaType,
)
from nfvo.sol.routes import Handler, route_of

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _media_ranges(header: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        media, *params = (item.strip() for item in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 1.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _matches(media_range: str, offered: str) -> bool:
    if media_range in ("*/*", "*"):
        return True
    kind, _, subtype = media_range.partition("/")
    offered_kind, _, offered_subtype = offered.partition("/")
    return kind == offered_kind and subtype in ("*", offered_subtype)


def choose_media_type(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered type the ``Accept`` header prefers most, or None if none fits."""
    if accept is None or not accept.strip():
        return offered[0] if offered else None
    best: tuple[float, str] | None = None
    for media_range, quality in _media_ranges(accept):
        if quality <= 0:
            continue
        for candidate in offered:
            if _matches(media_range, candidate) and (best is None or quality > best[0]):
                best = (quality, candidate)
    return best[1] if best else None


def check_accept(request: web.Request, offered: Sequence[str]) -> str:
    chosen = choose_media_type(request.headers.get("Accept"), offered)
    if chosen is None:
        raise NotAcceptable(
            f"the Accept header {request.headers.get('Accept', '')[:80]!r} admits none of "
            f"the types {request.path} produces: {', '.join(offered)}"
        )
    return chosen


def check_content_type(request: web.Request, accepted: Sequence[str]) -> None:
    if not request.body_exists:
        # No body at all (whatever type a client library labels nothing with): the
        # handler decides whether it needs one (SOL003 retry, rollback... take none).
        return
    if request.content_type.lower() not in accepted:
        raise UnsupportedMediaType(
            f"{request.method} {request.path} accepts a body of type "
            f"{' or '.join(accepted)}, not {request.content_type!r}"
        )


@web.middleware
async def negotiation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Check ``Accept`` and ``Content-Type`` against the matched route's declaration."""
    route = route_of(request)
    if route is not None:
        if route.produces:
            check_accept(request, route.produces)
        if request.method in _BODY_METHODS and route.consumes:
            check_content_type(request, route.consumes)
    return await handler(request)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: a new value; ``target`` is left unchanged."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def etag_of(document: Any) -> str:
    """A strong entity tag of a JSON document: equal content, equal tag."""
    canonical = orjson.dumps(document, option=orjson.OPT_SORT_KEYS)
    return '"' + hashlib.sha256(canonical).hexdigest()[:32] + '"'


def check_if_match(request: web.Request, current: str) -> None:
    """412 unless ``If-Match`` is absent, ``*`` or lists ``current`` (strong match)."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed(
        f"If-Match {header[:80]!r} does not match the current ETag {current} of "
        f"{request.path}; read the resource again and reapply the change"
    )


@dataclass(frozen=True)
class ByteRange:
    """An inclusive byte range ``first..last`` of a ``size``-byte content."""

    first: int
    last: int
    size: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def content_range(self) -> str:
        return f"bytes {self.first}-{self.last}/{self.size}"


def _unsatisfiable(header: str, size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        f"Range {header[:80]!r} lies outside the content's {size} bytes",
        headers={"Content-Range": f"bytes */{size}"},
    )


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one byte range to send, None to send everything, or 416."""
    if header is None:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    if not dash or not (_digits(first_text) or _digits(last_text)):
        return None
    if not first_text:  # suffix range: the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(header, size)
        return ByteRange(max(size - suffix, 0), size - 1, size)
    if not _digits(first_text) or (last_text and not _digits(last_text)):
        return None
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # invalid syntax per RFC 9110: ignored
    if first >= size:
        raise _unsatisfiable(header, size)
    last = min(int(last_text), size - 1) if last_text else size - 1
    return ByteRange(first, last, size)
