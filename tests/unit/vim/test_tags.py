import re

from hypothesis import given
from hypothesis import strategies as st

from nfvo.vim.tags import (
    MAX_TAG_LENGTH,
    ResourceIdentity,
    content_name,
    fit_tag,
)

VNF = "5b0a7c3e-9f1d-4c2b-8a6e-0d3f2e1c4b5a"
NS = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"


def identity(**changes: object) -> ResourceIdentity:
    base: dict[str, object] = {
        "vnf_instance_id": VNF,
        "resource_id": "upf",
        "index": 2,
        "ns_instance_id": NS,
        "operation_id": "op-1",
    }
    return ResourceIdentity(**{**base, **changes})  # type: ignore[arg-type]


def test_tags_carry_the_identity_and_round_trip() -> None:
    ident = identity()
    tags = ident.tags()
    assert tags[0] == "nfvo"
    assert f"nfvo-vnf:{VNF}" in tags
    assert "nfvo-res:upf" in tags and "nfvo-idx:2" in tags
    assert f"nfvo-ns:{NS}" in tags and "nfvo-op:op-1" in tags
    assert ResourceIdentity.from_tags(tags) == ident
    assert set(ident.lookup_tags()) <= set(tags)
    assert not any(t.startswith("nfvo-op") for t in ident.lookup_tags())


def test_foreign_tags_are_not_ours() -> None:
    assert ResourceIdentity.from_tags(["web", "nfvo-vnf:x"]) is None
    assert ResourceIdentity.from_tags(["nfvo", "nfvo-vnf:x", "nfvo-res:y", "nfvo-idx:z"]) is None


@given(st.text(min_size=1, max_size=200))
def test_every_tag_fits_nova(value: str) -> None:
    tag = fit_tag("nfvo-res", value)
    assert len(tag) <= MAX_TAG_LENGTH
    assert "/" not in tag and "," not in tag


def test_long_values_stay_distinct() -> None:
    a, b = fit_tag("nfvo-res", "x" * 80 + "a"), fit_tag("nfvo-res", "x" * 80 + "b")
    assert a != b


@given(st.text(min_size=1, max_size=100), st.integers(min_value=0, max_value=999))
def test_names_are_regex_safe_and_anchored(resource_id: str, index: int) -> None:
    ident = identity(resource_id=resource_id, index=index)
    name = ident.name()
    assert re.fullmatch(r"[a-z0-9-]+", name)
    assert re.fullmatch(ident.nova_name_filter(), name)
    assert not re.search(ident.nova_name_filter(), name + "-1")


def test_names_differ_per_index_and_vnf() -> None:
    names = {identity(index=i).name() for i in range(3)}
    names.add(identity(vnf_instance_id="other").name())
    assert len(names) == 4


def test_content_names_are_stable() -> None:
    assert content_name("flavor", "a") == content_name("flavor", "a")
    assert content_name("flavor", "a") != content_name("flavor", "b")
    assert re.fullmatch(r"nfvo-flavor-[0-9a-f]{16}", content_name("flavor", "a"))
