"""Request bodies in, response bodies out: JSON parsing and wire-model validation.

A body that is not JSON is a 400 naming the line and column; JSON that does not fit
the operation's wire model is a 422 naming each attribute path
(``addResources[0].type: ...``), as SOL013 clause 6.4 says for content that is
syntactically correct but fails validation against the schema. So is JSON nested
deeper than :data:`MAX_DEPTH`: no SOL body needs it, and what is stored must still
encode (orjson refuses past 254 levels) and be walked without exhausting a stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel, ValidationError

from nfvo.sol.problems import InvalidRequest, Unprocessable
from nfvo.sol.wire import dumps

Model = TypeVar("Model", bound=BaseModel)
_MAX_REPORTED = 10  # a detail stays readable; the first errors locate the problem
MAX_DEPTH = 64  # levels of arrays and objects in a body; stored documents wrap it further


def attribute_path(location: tuple[int | str, ...]) -> str:
    """``('addResources', 0, 'type')`` -> ``addResources[0].type``."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(body)"


def validation_detail(error: ValidationError, what: str = "request body") -> str:
    problems = [
        f"{attribute_path(tuple(item['loc']))}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)[:_MAX_REPORTED]
    ]
    more = error.error_count() - len(problems)
    suffix = f" (and {more} more)" if more > 0 else ""
    return f"the {what} is invalid: " + "; ".join(problems) + suffix


def parse_json(raw: bytes, what: str = "request body") -> Any:
    if not raw.strip():
        raise InvalidRequest(f"the {what} is empty; a JSON document is required")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        if "depth limit" in error.msg:  # orjson's own, far past ours
            raise _too_deep(what) from None
        raise InvalidRequest(
            f"the {what} is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}"
        ) from None
    # Fewer brackets than the limit cannot nest past it: most bodies skip the walk.
    nested = isinstance(data, dict | list)
    if nested and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(data) > MAX_DEPTH:
        raise _too_deep(what)
    return data


def _too_deep(what: str) -> Unprocessable:
    return Unprocessable(f"the {what} nests arrays and objects more than {MAX_DEPTH} levels deep")


def _depth(data: Any) -> int:
    """How deep arrays and objects nest in ``data``, without recursion (stops past the cap)."""
    deepest, pending = 0, [(data, 1)]
    while pending and deepest <= MAX_DEPTH:
        value, level = pending.pop()
        deepest = max(deepest, level)
        children = value.values() if isinstance(value, dict) else value
        pending += [(child, level + 1) for child in children if isinstance(child, dict | list)]
    return deepest


async def read_json(request: web.Request) -> Any:
    """The body as JSON data (aiohttp answers 413 beyond ``client_max_size``)."""
    return parse_json(await request.read())


def validate(model: type[Model], data: Any, what: str = "request body") -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Unprocessable(validation_detail(error, what)) from None


async def read_model(request: web.Request, model: type[Model]) -> Model:
    """The body validated into ``model``: 400 if not JSON, 422 if it does not fit."""
    return validate(model, await read_json(request))


def json_response(
    body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON answer: wire models by their ETSI names, anything else as is."""
    return web.Response(
        body=dumps(body), status=status, content_type="application/json", headers=headers
    )


def json_array_response(
    bodies: Sequence[bytes], *, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON array of documents each already rendered as JSON (a page of renderings)."""
    return web.Response(
        body=b"[" + b",".join(bodies) + b"]", content_type="application/json", headers=headers
    )
