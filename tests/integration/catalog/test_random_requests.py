"""Random requests on the catalogue's routes never get a 5xx (in place of schemathesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.catalog.conftest import Client, create

SEGMENTS = st.sampled_from(
    ["vnfpkgm/v2/vnf_packages", "nsd/v2/ns_descriptors", "nsd/v2/pnf_descriptors",
     "vnfpkgm/v2/onboarded_vnf_packages"]
)  # fmt: skip
TAILS = st.sampled_from(
    ["", "/{id}", "/{id}/package_content", "/{id}/nsd_content", "/{id}/pnfd_content",
     "/{id}/vnfd", "/{id}/nsd", "/{id}/manifest", "/{id}/artifacts", "/{id}/artifacts/a/b",
     "/{id}/package_content/upload_from_uri"]
)  # fmt: skip
TEXT = st.text(max_size=20)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Version": st.sampled_from(["2.4.0", "2.3.0", "9.9.9", ""]),
        "Accept": st.sampled_from(["*/*", "text/plain", "application/zip", "x/y", ""]),
        "Content-Type": st.sampled_from(
            [
                "application/json",
                "application/zip",
                "text/plain",
                "application/merge-patch+json",
                "a/b",
            ]
        ),
        "Range": st.sampled_from(["bytes=0-1", "bytes=-3", "bytes=9-2", "bytes=x"]),
        "If-Match": st.sampled_from(['"x"', "*"]),
    },
)
BODIES = st.one_of(
    st.none(),
    st.binary(max_size=64),
    st.dictionaries(
        st.sampled_from(
            ["userDefinedData", "operationalState", "nsdOperationalState", "addressInformation"]
        ),
        st.one_of(TEXT, st.integers(), st.none(), st.dictionaries(TEXT, TEXT, max_size=2)),
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]),
    segment=SEGMENTS,
    tail=TAILS,
    ident=st.one_of(st.just("real"), TEXT.filter(lambda t: "/" not in t and "?" not in t)),
    query=st.dictionaries(
        st.sampled_from(["filter", "fields", "all_fields", "x"]), TEXT, max_size=2
    ),
    headers=HEADERS,
    body=BODIES,
)
async def test_random_requests_never_5xx(
    client: Client,
    method: str,
    segment: str,
    tail: str,
    ident: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: Any,
) -> None:
    if ident == "real":
        ident = (await create(client))["id"]
    path = f"/{segment}{tail}".replace("{id}", ident.replace("#", "").replace("%", ""))
    kwargs: dict[str, Any] = {"headers": headers, "params": query}
    if isinstance(body, bytes):
        kwargs["data"] = body
    elif body is not None:
        kwargs["json"] = body
    try:
        response = await client.request(method, path, **kwargs)
    except ValueError:
        return  # the client refuses to send it (a header value it cannot encode)
    assert response.status < 500, (method, path, headers, await response.text())
