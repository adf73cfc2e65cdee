"""The route table and the app factory's wiring checks."""

from __future__ import annotations

import pytest
from aiohttp import web

from nfvo.sol.http import make_api_app, make_root_app
from nfvo.sol.paging import Paging
from nfvo.sol.routes import MERGE_PATCH, Route, check_table


async def handler(request: web.Request) -> web.Response:
    return web.Response()


def test_body_methods_declare_what_they_consume() -> None:
    assert Route("POST", "/a", handler).consumes == ("application/json",)
    assert Route("PUT", "/a", handler).consumes == ("application/json",)
    assert Route("PATCH", "/a", handler).consumes == (MERGE_PATCH,)
    assert Route("GET", "/a", handler).consumes == ()
    assert Route("GET", "/a", handler).produces == ("application/json",)


@pytest.mark.parametrize(("method", "path"), [("FETCH", "/a"), ("GET", "a"), ("get", "/a")])
def test_bad_routes_fail_at_definition(method: str, path: str) -> None:
    with pytest.raises(ValueError):
        Route(method, path, handler)


def test_a_method_listed_twice_on_a_path_fails_at_start() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        check_table([Route("GET", "/a", handler), Route("GET", "/a", handler)])
    with pytest.raises(ValueError, match="listed twice"):
        make_api_app("x", 1, ["1.0.0"], [Route("GET", "/api_versions", handler)])


def test_versions_must_belong_to_the_major() -> None:
    with pytest.raises(ValueError):
        make_api_app("x", 2, ["1.0.0"], [])


def test_the_root_is_frozen() -> None:
    root = make_root_app([make_api_app("x", 1, ["1.0.0"], [])])
    assert root.frozen
    with pytest.raises(RuntimeError):
        root.router.add_get("/late", handler)


def test_paging_refuses_weak_settings() -> None:
    with pytest.raises(ValueError):
        Paging(b"short")
    with pytest.raises(ValueError):
        Paging(b"k" * 32, page_size=0)
