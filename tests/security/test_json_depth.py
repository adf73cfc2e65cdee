"""Item 7: JSON nested deeper than any SOL body needs is a 422 naming the limit, not a 500.

orjson encodes at most 254 levels, so a body of 300 levels of ``userDefinedData`` once
parsed, validated and then failed to be stored: an unexpected error, its traceback in
the log. Nothing of it may be stored either.
"""

from __future__ import annotations

from nfvo.sol.bodies import MAX_DEPTH
from tests.security.conftest import NSDS, PACKAGES, VERSIONS, ServeFactory

JSON = {"Content-Type": "application/json"}


def nested(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


async def test_deep_user_defined_data_is_422_and_nothing_is_stored(
    serve_catalogue: ServeFactory,
) -> None:
    client = await serve_catalogue()
    for container, api in ((PACKAGES, "vnfpkgm"), (NSDS, "nsd")):
        headers = {**VERSIONS[api], **JSON}
        for levels in (300, 5000):  # past orjson's encoder, and past its decoder
            body = '{"userDefinedData": ' + nested(levels) + "}"
            response = await client.post(container, data=body, headers=headers)
            assert response.status == 422, await response.text()
            problem = await response.json(content_type=None)
            assert f"more than {MAX_DEPTH} levels" in problem["detail"]
        listed = await client.get(container, headers=VERSIONS[api])
        assert await listed.json() == []


async def test_a_deep_merge_patch_is_422_and_the_entry_unchanged(
    serve_catalogue: ServeFactory,
) -> None:
    client = await serve_catalogue()
    headers = VERSIONS["vnfpkgm"]
    created = await client.post(PACKAGES, json={"userDefinedData": {"k": "v"}}, headers=headers)
    href = (await created.json())["_links"]["self"]["href"]
    patch = '{"userDefinedData": {"deep": ' + nested(300) + "}}"
    response = await client.patch(
        href, data=patch, headers={**headers, "Content-Type": "application/merge-patch+json"}
    )
    assert response.status == 422
    assert f"more than {MAX_DEPTH} levels" in (await response.json())["detail"]
    shown = await (await client.get(f"{href}?all_fields", headers=headers)).json()
    assert shown["userDefinedData"] == {"k": "v"}


async def test_nesting_within_the_limit_is_stored_as_sent(serve_catalogue: ServeFactory) -> None:
    client = await serve_catalogue()
    data = '{"userDefinedData": ' + nested(MAX_DEPTH - 2) + "}"
    headers = {**VERSIONS["vnfpkgm"], **JSON}
    response = await client.post(PACKAGES, data=data, headers=headers)
    assert response.status == 201, await response.text()
