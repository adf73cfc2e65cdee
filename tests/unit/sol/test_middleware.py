"""Problem rendering that cannot itself fail."""

from __future__ import annotations

import orjson

from nfvo.sol.middleware import problem_response
from nfvo.sol.problems import ProblemDetails


def test_undecodable_client_input_in_a_detail_is_escaped() -> None:
    problem = ProblemDetails(status=400, detail="bad \udcff header", instance="/a\udcfe")
    response = problem_response(problem, {"Allow": "GET"})
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    assert response.headers["Allow"] == "GET"
    assert response.body is not None
    body = orjson.loads(response.body)  # type: ignore[arg-type]
    assert body["detail"] == "bad \\udcff header"
    assert body["instance"] == "/a\\udcfe"
