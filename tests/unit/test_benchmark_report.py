import io

import orjson
import pytest

from benchmarks.report import report, summarise


def test_one_json_line_with_goals_met() -> None:
    out = io.StringIO()
    assert report("onboard", {"p50_ms": 12.5, "ratio": 0.4}, {"p50_ms": {"max": 150}}, out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert orjson.loads(lines[0]) == {
        "benchmark": "onboard",
        "figures": {"p50_ms": 12.5, "ratio": 0.4},
        "goals": {"p50_ms": {"max": 150}},
        "met": True,
    }


def test_a_missed_goal_is_not_met() -> None:
    assert not summarise("x", {"rps": 10}, {"rps": {"min": 2000}})["met"]
    assert not summarise("x", {"v": 5}, {"v": {"min": 1, "max": 4}})["met"]


def test_goals_must_bound_measured_figures() -> None:
    with pytest.raises(ValueError, match="not measured"):
        summarise("x", {}, {"rps": {"min": 1}})
    with pytest.raises(ValueError, match="'max' and/or 'min'"):
        summarise("x", {"rps": 1}, {"rps": {"under": 1}})
