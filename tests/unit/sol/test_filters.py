"""SOL013 clause 5.2 filters: grammar, errors with positions, evaluation, planning."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nfvo.sol.filters import (
    Expression,
    Filter,
    FilterError,
    Operator,
    index_value,
    parse_filter,
    plan_filter,
)
from nfvo.sol.problems import InvalidRequest

WIDGET: dict[str, Any] = {
    "id": "w1",
    "name": "amf-1",
    "size": 10,
    "ratio": 0.5,
    "enabled": True,
    "state": "ENABLED",
    "created": "2026-01-02T03:04:05Z",
    "tags": ["core", "5g"],
    "vim": {"region": "north", "zone": {"name": "az1"}},
    "ports": [
        {"type": "sriov", "numa": 0},
        {"type": "normal", "numa": 1},
    ],
    "extra": {"vnfm.region": "east", "a/b": "slash", "quote": "it's"},
    "nothing": None,
}


def matches(text: str, document: dict[str, Any] = WIDGET) -> bool:
    return parse_filter(text).matches(document)


def test_parse_builds_the_ast() -> None:
    flt = parse_filter("(eq,vim/region,north);(in,state,ENABLED,DISABLED)")
    assert flt.expressions == (
        Expression(Operator.EQ, ("vim", "region"), ("north",), 1),
        Expression(Operator.IN, ("state",), ("ENABLED", "DISABLED"), 23),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(eq,name,amf-1)", True),
        ("(eq,name,amf-2)", False),
        ("(neq,name,amf-2)", True),
        ("(neq,name,amf-1)", False),
        ("(gt,size,9)", True),
        ("(gt,size,10)", False),
        ("(gte,size,10)", True),
        ("(lt,size,11)", True),
        ("(lt,size,10)", False),
        ("(lte,size,10)", True),
        ("(lte,size,9.5)", False),
        ("(gt,ratio,0.25)", True),
        ("(in,state,DISABLED,ENABLED)", True),
        ("(in,state,DISABLED)", False),
        ("(nin,state,DISABLED,BROKEN)", True),
        ("(nin,state,ENABLED)", False),
        ("(cont,name,mf)", True),
        ("(cont,name,xyz,mf-)", True),
        ("(cont,name,xyz)", False),
        ("(ncont,name,xyz,zzz)", True),
        ("(ncont,name,xyz,amf)", False),
        ("(eq,enabled,true)", True),
        ("(eq,enabled,false)", False),
        ("(neq,enabled,false)", True),
        ("(gt,created,2026-01-01T00:00:00Z)", True),
        ("(lt,created,2026-01-01T00:00:00Z)", False),
        ("(eq,size,ten)", False),  # not a number: matches nothing, never an error
        ("(eq,size,1_0)", False),  # JSON number syntax only
        ("(eq,size,1e1)", True),
        ("(lt,size,nan)", False),
        ("(gt,size," + "9" * 5000 + ")", False),
        ("(gt,enabled,false)", False),  # booleans have no order
    ],
)
def test_every_operator(text: str, expected: bool) -> None:
    assert matches(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(eq,vim/region,north)", True),
        ("(eq,vim/zone/name,az1)", True),
        ("(eq,vim/zone/name,az2)", False),
        ("(eq,vim/missing/name,az1)", False),
        ("(neq,vim/missing/name,az1)", True),  # absent satisfies only negations
        ("(eq,nothing,x)", False),
        ("(neq,nothing,x)", True),
        ("(eq,name/deeper,x)", False),  # a path into a string reaches nothing
    ],
)
def test_nested_attributes(text: str, expected: bool) -> None:
    assert matches(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(eq,tags,5g)", True),
        ("(eq,tags,4g)", False),
        ("(in,tags,4g,5g)", True),
        ("(cont,tags,co)", True),
        ("(eq,ports/type,sriov)", True),
        ("(eq,ports/numa,1)", True),
        ("(gt,ports/numa,1)", False),
        # one element must match every expression sharing the prefix
        ("(eq,ports/type,sriov);(eq,ports/numa,0)", True),
        ("(eq,ports/type,sriov);(eq,ports/numa,1)", False),
        ("(eq,ports/type,normal);(gte,ports/numa,1)", True),
        # negations apply per element, so some element must differ
        ("(neq,tags,core)", True),
        ("(neq,ports/type,sriov)", True),
    ],
)
def test_arrays_match_if_any_element_matches(text: str, expected: bool) -> None:
    assert matches(text) is expected


def test_empty_arrays_satisfy_only_negations() -> None:
    document = {"tags": []}
    assert not matches("(eq,tags,x)", document)
    assert matches("(neq,tags,x)", document)
    assert matches("(ncont,tags,x)", document)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(eq,extra/quote,'it''s')", True),
        ("(eq,extra/vnfm.region,east)", True),  # '.' is part of a name
        ("(eq,extra/'a/b',slash)", True),  # a quoted name may hold '/'
        ("(in,name,'a,b','amf-1')", True),
        ("(eq,name,'amf-1')", True),
        ("(cont,name,'f-1)')", False),
        ("(eq,name,'')", False),
    ],
)
def test_escaping_with_single_quotes(text: str, expected: bool) -> None:
    assert matches(text) is expected


def test_quoted_values_keep_commas_parentheses_and_quotes() -> None:
    flt = parse_filter("(in,note,'a,b','c)d','e''f',g(h;i)")
    assert flt.expressions[0].values == ("a,b", "c)d", "e'f", "g(h;i")
    document = {"note": "c)d"}
    assert flt.matches(document)


def test_several_expressions_are_anded() -> None:
    assert matches("(eq,name,amf-1);(gt,size,5);(eq,vim/region,north)")
    assert not matches("(eq,name,amf-1);(gt,size,50)")


@pytest.mark.parametrize(
    ("text", "fragment", "position"),
    [
        ("eq,name,x)", "expected '('", 1),
        ("(eqq,name,x)", "unknown operator 'eqq'", 2),
        ("(eq,name)", "expected ','", 9),
        ("(eq,,x)", "attribute name is empty", 5),
        ("(eq,a//b,x)", "attribute name is empty", 7),
        ("(eq,name,x", "expected ')'", 11),
        ("(eq,name,x,y)", "eq takes exactly one value, not 2", 1),
        ("(in,name,x,)", "a value is empty", 12),
        ("(eq,name,'abc)", "quoted text is not closed", 10),
        ("(eq,name,x)(eq,size,1)", "expected ';'", 12),
        ("(eq,name,x);", "expected '('", 13),
        ("(eq,name,x) ", "expected ';'", 12),
        ("(eq,name,'a'b)", "expected ')'", 13),
        ("", "expected '('", 1),
    ],
)
def test_errors_name_the_part_and_position(text: str, fragment: str, position: int) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(text)
    assert fragment in caught.value.detail
    assert caught.value.position == position
    assert f"character {position}" in caught.value.detail
    assert caught.value.status == 400


def test_limits_are_400_not_a_slow_request() -> None:
    with pytest.raises(InvalidRequest):
        parse_filter("(eq,a,b);" * 2000)
    with pytest.raises(InvalidRequest):
        parse_filter(";".join(["(eq,a,b)"] * 100))


def test_the_planner_sends_eq_and_in_on_indexed_attributes_to_the_index() -> None:
    flt = parse_filter("(eq,state,ENABLED);(in,owner,t1,t2);(gt,size,1);(eq,vim/region,x)")
    plan = plan_filter(flt, {"state", "owner", "vim"})
    assert plan.index == {"state": frozenset({"ENABLED"}), "owner": frozenset({"t1", "t2"})}
    assert [e.operator for e in plan.residual.expressions] == [Operator.GT, Operator.EQ]


def test_the_planner_keeps_repeated_attributes_in_the_residual() -> None:
    plan = plan_filter(parse_filter("(in,tags,a,b);(eq,tags,b)"), {"tags"})
    assert plan.index == {"tags": frozenset({"b"})}
    assert len(plan.residual.expressions) == 2  # one element must satisfy both


def test_the_planner_and_the_evaluator_agree() -> None:
    documents = [
        {"id": str(i), "state": ["A", "B", "C"][i % 3], "size": i, "tags": [str(i % 4)]}
        for i in range(60)
    ]
    flt = parse_filter("(in,state,A,B);(gte,size,10);(eq,tags,1)")
    plan = plan_filter(flt, {"state", "tags"})
    indexed = [
        d
        for d in documents
        if all(
            any(str(v) in values for v in (d[a] if isinstance(d[a], list) else [d[a]]))
            for a, values in plan.index.items()
        )
    ]
    assert plan.residual.select(indexed) == flt.select(documents)


def test_the_empty_filter_matches_everything() -> None:
    assert Filter().matches({}) and Filter().select([1, 2]) == [1, 2]


@given(st.text(max_size=60))
def test_any_text_parses_or_is_a_400(text: str) -> None:
    status = 200
    try:
        parse_filter(text).matches(WIDGET)
    except InvalidRequest as error:
        status = error.status
    assert status in (200, 400)


_VALUE = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)


@given(st.lists(_VALUE, min_size=1, max_size=4))
def test_quoting_round_trips_any_value(values: list[str]) -> None:
    quoted = ",".join("'" + value.replace("'", "''") + "'" for value in values)
    flt = parse_filter(f"(in,name,{quoted})")
    assert flt.expressions[0].values == tuple(values)


_WORD = st.sampled_from(["a", "b", "c"])
_DOCUMENTS = st.lists(
    st.fixed_dictionaries(
        {"id": st.uuids().map(str), "state": _WORD, "tags": st.lists(_WORD, max_size=3)},
        optional={"owner": _WORD, "note": st.text(alphabet="abc,)'", max_size=4)},
    ),
    max_size=12,
)
_EXPRESSIONS = st.lists(
    st.tuples(
        st.sampled_from(list(Operator)),
        st.sampled_from(["state", "tags", "owner", "note"]),
        st.lists(st.sampled_from(["a", "b", "c", "a,b", "x'y"]), min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=4,
)


def _render(operator: Operator, attribute: str, values: list[str]) -> str:
    chosen = values[:1] if operator.single_valued else values
    quoted = ",".join("'" + value.replace("'", "''") + "'" for value in chosen)
    return f"({operator.value},{attribute},{quoted})"


@given(_DOCUMENTS, _EXPRESSIONS)
def test_index_plus_residual_equals_the_whole_filter(
    documents: list[dict[str, Any]], expressions: list[tuple[Operator, str, list[str]]]
) -> None:
    flt = parse_filter(";".join(_render(*expression) for expression in expressions))
    plan = plan_filter(flt, {"state", "tags", "owner"})

    def indexed(document: dict[str, Any], attribute: str, values: frozenset[str]) -> bool:
        held = document.get(attribute)
        held_values = held if isinstance(held, list) else [] if held is None else [held]
        return any(index_value(value) in values for value in held_values)

    candidates = [d for d in documents if all(indexed(d, a, v) for a, v in plan.index.items())]
    assert plan.residual.select(candidates) == flt.select(documents)
