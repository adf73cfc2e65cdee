"""ApiInfo version negotiation (SOL013 clause 4.6.1) and body error details."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from nfvo.sol.bodies import attribute_path, parse_json, validate, validation_detail
from nfvo.sol.problems import InvalidRequest, NotAcceptable, Unprocessable
from nfvo.sol.versions import ApiInfo, ApiVersion, version_information
from nfvo.sol.wire import WireModel

INFO = ApiInfo.of("nsd", 2, ["2.0.0", ApiVersion("2.1.0"), "2.10.0"])


def test_negotiate() -> None:
    assert INFO.negotiate("2.1.0") == "2.1.0"
    assert INFO.negotiate(" 2.10.0 ") == "2.10.0"
    assert INFO.negotiate("2.1.0-impl:etsi.org:x:1") == "2.1.0"
    assert INFO.current == "2.10.0"  # numeric, not lexicographic
    with pytest.raises(InvalidRequest):
        INFO.negotiate(None)
    with pytest.raises(InvalidRequest):
        INFO.negotiate("  ")
    for malformed in ("latest", "2.1", "02.1.0", "2.1.0-beta", "2.1.0\x00"):
        with pytest.raises(InvalidRequest):
            INFO.negotiate(malformed)
    with pytest.raises(NotAcceptable) as caught:
        INFO.negotiate("3.0.0")
    assert "2.0.0, 2.1.0, 2.10.0" in caught.value.detail


@pytest.mark.parametrize("bad", ["2", "2.x.0", "v2.0.0"])
def test_versions_are_major_minor_patch(bad: str) -> None:
    with pytest.raises(ValueError):
        ApiVersion(bad)


def test_an_api_lists_only_its_major() -> None:
    with pytest.raises(ValueError):
        ApiInfo.of("nsd", 2, ["1.0.0"])
    with pytest.raises(ValueError):
        ApiInfo.of("nsd", 2, [])
    with pytest.raises(ValueError):
        ApiVersion("1.0.0", retirement_date=datetime.now(UTC))


def test_version_information_wire_form() -> None:
    retired = datetime(2027, 1, 1, tzinfo=UTC)
    info = ApiInfo.of("nsd", 2, [ApiVersion("2.0.0", True, retired), "2.1.0"])
    wire = version_information(info, "https://nfvo").to_wire()
    assert wire == {
        "uriPrefix": "https://nfvo/nsd/v2",
        "apiVersions": [
            {"version": "2.0.0", "isDeprecated": True, "retirementDate": "2027-01-01T00:00:00Z"},
            {"version": "2.1.0", "isDeprecated": False},
        ],
    }


class Port(WireModel):
    type: str


class Request(WireModel):
    add_resources: list[Port]


def test_attribute_paths_use_wire_names() -> None:
    assert attribute_path(("addResources", 0, "type")) == "addResources[0].type"
    assert attribute_path(()) == "(body)"
    with pytest.raises(ValidationError) as caught:
        Request.model_validate({"addResources": [{"type": "a"}, {}]})
    assert "addResources[1].type: Field required" in validation_detail(caught.value)


def test_many_errors_are_summarised() -> None:
    with pytest.raises(Unprocessable) as caught:
        validate(Request, {"addResources": [{} for _ in range(30)]})
    assert "(and 20 more)" in caught.value.detail


@pytest.mark.parametrize("raw", [b"", b"  ", b"{", b"\xff", b"[1,]"])
def test_bad_json_is_400(raw: bytes) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_json(raw)
    assert caught.value.status == 400
