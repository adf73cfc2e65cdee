"""SOL013 clause 5.3 attribute selectors."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import MultiDict

from nfvo.sol.problems import InvalidRequest
from nfvo.sol.selectors import SelectorPolicy, selection_from_query

POLICY = SelectorPolicy(default_excluded=frozenset({"userDefinedData", "failure"}))
DOCUMENT: dict[str, Any] = {
    "id": "n1",
    "name": "nsd",
    "state": "ONBOARDED",
    "_links": {"self": {"href": "/x"}},
    "userDefinedData": {"a": 1},
    "failure": {"detail": "d"},
    "vnfs": [{"id": "v1", "flavour": {"id": "f"}, "params": {"p": 1}}, {"id": "v2"}],
    "vim": {"region": "north", "zone": {"name": "z"}},
}


def select(query: str, document: dict[str, Any] = DOCUMENT) -> dict[str, Any]:
    pairs = [tuple(p.split("=", 1)) if "=" in p else (p, "") for p in query.split("&") if p]
    return selection_from_query(MultiDict(pairs), POLICY).apply(document)


def test_no_selector_means_exclude_default() -> None:
    assert select("") == select("exclude_default")
    assert set(select("")) == set(DOCUMENT) - {"userDefinedData", "failure"}


def test_all_fields_returns_everything() -> None:
    assert select("all_fields") == DOCUMENT


def test_fields_keeps_simple_mandatory_and_listed_complex_attributes() -> None:
    selected = select("fields=vim/zone,userDefinedData")
    assert set(selected) == {"id", "name", "state", "_links", "vim", "userDefinedData"}
    assert selected["vim"] == {"region": "north", "zone": {"name": "z"}}


def test_fields_descends_through_arrays() -> None:
    selected = select("fields=vnfs/flavour")
    assert selected["vnfs"] == [{"id": "v1", "flavour": {"id": "f"}}, {"id": "v2"}]


def test_exclude_fields_drops_listed_paths_only() -> None:
    selected = select("exclude_fields=vim/zone,vnfs/params")
    assert selected["vim"] == {"region": "north"}
    assert selected["vnfs"][0] == {"id": "v1", "flavour": {"id": "f"}}
    assert "userDefinedData" in selected  # exclude_fields replaces the default set


def test_exclude_default_with_fields_brings_back_what_fields_names() -> None:
    selected = select("exclude_default&fields=failure")
    assert "failure" in selected and "userDefinedData" not in selected
    assert "vim" in selected


def test_the_document_is_not_modified() -> None:
    select("exclude_fields=vim/zone")
    assert DOCUMENT["vim"]["zone"] == {"name": "z"}


@pytest.mark.parametrize(
    "query",
    [
        "all_fields&fields=a",
        "all_fields&exclude_default",
        "exclude_fields=a&fields=b",
        "exclude_fields=a&exclude_default",
        "all_fields&exclude_fields=a",
    ],
)
def test_clashing_combinations_are_400_naming_them(query: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        select(query)
    for name in (p.split("=")[0] for p in query.split("&")):
        assert name in caught.value.detail


@pytest.mark.parametrize("query", ["fields=", "fields=a//b", "fields=a&fields=b"])
def test_malformed_lists_are_400(query: str) -> None:
    with pytest.raises(InvalidRequest):
        select(query)
