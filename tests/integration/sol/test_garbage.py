"""A client can never cause a 5xx: random methods, paths, queries, headers, bodies.

The demo API runs on a real port in a background event loop; hypothesis talks to it
through ``http.client``, so every request crosses a real socket. Every answer must
be below 500 and every error a ProblemDetails carrying a ``Version`` under an API.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nfvo.store.embedded import free_port
from tests.integration.sol.widgets_api import make_app

PREFIXES = [
    "/",
    "/widgets",
    "/widgets/api_versions",
    "/widgets/v1",
    "/widgets/v1/api_versions",
    "/widgets/v1/widgets",
    "/widgets/v1/widgets/",
    "/widgets/v2/widgets",
    "/openapi.json",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND", "FOO"]
# aiohttp's HTTP parser answers a method it does not know with a plain-text 400 before
# any application code runs; that is still the client's 4xx, but no ProblemDetails.
UNPARSABLE = {"FOO"}
QUERY_NAMES = ["filter", "fields", "exclude_fields", "all_fields", "exclude_default",
               "nextpage_opaque_marker", "x"]  # fmt: skip
# Header values http.client will send: printable latin-1, no CR/LF.
HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
)
FILTERISH = st.text(alphabet="(),;'/eqnltgicont_ab01 .", max_size=40)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[int, str]]:
    """The demo API on a real port, holding one widget (its path is returned too)."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(make_app(client_max_size=4096))
    chosen = free_port()
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", chosen).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    created = send(chosen, "POST", "/widgets/v1/widgets", {"Version": "1.1.0",
                   "Content-Type": "application/json"}, b'{"name": "w", "size": 1}')  # fmt: skip
    yield chosen, json.loads(created[2])["_links"]["href"]
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


@st.composite
def requests(draw: st.DrawFn, widget: str) -> tuple[str, str, dict[str, str], bytes]:
    prefixes = [*PREFIXES, widget, widget + "/content"]
    path = draw(st.sampled_from(prefixes))
    if draw(st.booleans()):
        path += quote(draw(st.text(max_size=12)), safe="/")
    pairs = draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES), FILTERISH | HEADER_TEXT),
                          max_size=3))  # fmt: skip
    if pairs:
        path += "?" + urlencode(pairs)
    headers: dict[str, str] = {}
    for name, values in [
        ("Version", st.sampled_from(["1.1.0", "1.0.0", "9.9.9", ""]) | HEADER_TEXT),
        ("Accept", st.sampled_from(["*/*", "application/json", "text/html"]) | HEADER_TEXT),
        ("Content-Type", st.sampled_from(["application/json", "application/merge-patch+json"])
         | HEADER_TEXT),
        ("If-Match", HEADER_TEXT),
        ("Range", st.sampled_from(["bytes=0-1", "bytes=-5"]) | HEADER_TEXT),
    ]:  # fmt: skip
        if draw(st.booleans()):
            headers[name] = draw(values).strip()
    body = draw(st.binary(max_size=64) | JSONISH.map(lambda v: json.dumps(v).encode()))
    return draw(st.sampled_from(METHODS)), path, headers, body


def send(port: int, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def check(port: int, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
    status, response_headers, content = send(port, method, path, headers, body)
    assert status < 500, (method, path, headers, body, content)
    if method in UNPARSABLE:
        return
    if status >= 400 and method != "HEAD":
        assert response_headers["Content-Type"].startswith("application/problem+json")
        problem = json.loads(content)
        assert problem["status"] == status and problem["detail"]
    if path.startswith("/widgets/"):
        assert response_headers.get("Version"), (method, path, status)


_SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=300, **_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_garbage_never_causes_a_5xx(served: tuple[int, str], data: st.DataObject) -> None:
    port, widget = served
    check(port, *data.draw(requests(widget)))


@pytest.mark.deep
@settings(max_examples=5000, **_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_garbage_never_causes_a_5xx_long(served: tuple[int, str], data: st.DataObject) -> None:
    port, widget = served
    check(port, *data.draw(requests(widget)))


def test_a_widget_survives_garbage_patches(served: tuple[int, str]) -> None:
    port, href = served
    headers = {"Version": "1.1.0", "Content-Type": "application/merge-patch+json"}
    for patch in (b"[]", b"null", b'"x"', b'{"id": null}', b'{"_links": 5}', b'{"ports": [1]}'):
        check(port, "PATCH", href, headers, patch)
