import orjson
import pytest
from pydantic import Field

from nfvo.sol.problems import (
    ApiError,
    Conflict,
    InvalidRequest,
    NotFound,
    ProblemDetails,
    internal_error,
)
from nfvo.sol.wire import Link, WireModel, dumps


class Sample(WireModel):
    vnf_instance_id: str
    nsd_info_id: str | None = None
    links: Link = Field(alias="_links")


def test_wire_names_are_etsi_camel_case_and_absent_attributes_are_omitted() -> None:
    sample = Sample(vnf_instance_id="v1", links=Link(href="/x"))
    assert orjson.loads(sample.to_json()) == {"vnfInstanceId": "v1", "_links": {"href": "/x"}}
    assert Sample.from_json(sample.to_json()) == sample
    assert orjson.loads(dumps([sample])) == [{"vnfInstanceId": "v1", "_links": {"href": "/x"}}]


def test_unknown_attributes_are_ignored_as_sol013_says() -> None:
    parsed = Sample.model_validate({"vnfInstanceId": "v", "_links": {"href": "h"}, "new": 1})
    assert parsed.vnf_instance_id == "v"


@pytest.mark.parametrize(
    ("error", "status"), [(InvalidRequest, 400), (NotFound, 404), (Conflict, 409)]
)
def test_errors_know_their_problem_details(error: type[ApiError], status: int) -> None:
    problem = error("the vnfdId 'x' is not onboarded").problem("/vnfpkgm/v2/vnf_packages/1")
    assert problem.status == status
    body = orjson.loads(problem.to_json())
    assert body["detail"] == "the vnfdId 'x' is not onboarded"
    assert body["instance"] == "/vnfpkgm/v2/vnf_packages/1"
    assert ProblemDetails.from_json(problem.to_json()) == problem


def test_internal_errors_carry_a_request_id_and_nothing_else() -> None:
    problem = internal_error("req-42")
    assert problem.status == 500
    assert "req-42" in problem.detail
