"""Attribute-based filtering (SOL013 clause 5.2): parse, evaluate, plan.

Grammar of the ``filter`` query parameter, as this module reads clause 5.2.2::

    filter     = expression *( ";" expression )          ; ";" is a logical AND
    expression = "(" operator "," attribute 1*( "," value ) ")"
    operator   = eq / neq / gt / gte / lt / lte / in / nin / cont / ncont
    attribute  = name *( "/" name )                      ; "/" descends into objects
    name       = quoted / 1*( any char but , / ( ) ' )
    value      = quoted / 1*( any char but , ) ' )
    quoted     = "'" *( any char but ' / "''" ) "'"      ; '' is one literal quote

``eq neq gt gte lt lte`` take exactly one value; ``in nin cont ncont`` one or more
(Table 5.2.2-1). A value holding ``,`` ``)`` or ``'`` is written in single quotes. A
name is split at ``/`` only: ``.`` is an ordinary character (SOL013 version 2 used
``.`` as the separator; version 3 uses ``/``), so keys such as ``vnfm.region`` in
``KeyValuePairs`` stay addressable; a name holding ``/`` is written in quotes.

Evaluation (clause 5.2.2): values are compared in the type of the attribute
(number, boolean, string; strings order lexicographically, which orders ISO 8601
date-times); ``cont``/``ncont`` apply to strings. Where a path passes through an
array, the document matches if any one element matches *all* the expressions that
share that attribute prefix, so ``(eq,ports/type,sriov);(eq,ports/numa,1)`` needs
one port with both. The negated operators (``neq nin ncont``) are the negation of
their positive twin on each value reached; an absent attribute (or an empty array)
satisfies only negated operators.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from nfvo.sol.problems import InvalidRequest

MAX_FILTER_LENGTH = 8192
MAX_EXPRESSIONS = 64


class Operator(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    IN = "in"
    NIN = "nin"
    CONT = "cont"
    NCONT = "ncont"

    @property
    def single_valued(self) -> bool:
        return self in _SINGLE

    @property
    def negated(self) -> bool:
        return self in _NEGATED


_SINGLE = frozenset(
    {Operator.EQ, Operator.NEQ, Operator.GT, Operator.GTE, Operator.LT, Operator.LTE}
)
_NEGATED = frozenset({Operator.NEQ, Operator.NIN, Operator.NCONT})
_POSITIVE = {Operator.NEQ: Operator.EQ, Operator.NIN: Operator.IN, Operator.NCONT: Operator.CONT}


@dataclass(frozen=True)
class Expression:
    """One ``(op,attr,value...)``; ``position`` is its 1-based offset in the filter."""

    operator: Operator
    path: tuple[str, ...]
    values: tuple[str, ...]
    position: int = 0


@dataclass(frozen=True)
class Filter:
    """Expressions joined by AND; the empty filter matches everything."""

    expressions: tuple[Expression, ...] = ()

    def matches(self, document: Any) -> bool:
        return _match_all([(e.path, e) for e in self.expressions], document)

    def select(self, documents: Iterable[Any]) -> list[Any]:
        return [document for document in documents if self.matches(document)]


class FilterError(InvalidRequest):
    """A 400 naming the offending part of the filter and where it is."""

    def __init__(self, message: str, position: int, text: str) -> None:
        excerpt = text[max(position - 11, 0) : position + 20]
        super().__init__(
            f"filter: {message} at character {position} (near {excerpt!r}); "
            "see SOL013 clause 5.2 for the syntax"
        )
        self.position = position


class _Scanner:
    """A cursor over the filter text; positions reported 1-based."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0

    def error(self, message: str, index: int | None = None) -> FilterError:
        where = self.index if index is None else index
        return FilterError(message, where + 1, self.text)

    def peek(self) -> str:
        return self.text[self.index] if self.index < len(self.text) else ""

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "the end of the filter"
            raise self.error(f"expected {char!r} {what}, found {found}")
        self.index += 1

    def quoted(self) -> str:
        start = self.index
        self.index += 1  # the opening quote
        parts: list[str] = []
        while self.index < len(self.text):
            char = self.text[self.index]
            if char == "'":
                if self.text.startswith("''", self.index):
                    parts.append("'")
                    self.index += 2
                    continue
                self.index += 1
                return "".join(parts)
            parts.append(char)
            self.index += 1
        raise self.error("a quoted text is not closed", start)

    def bare(self, stops: str, what: str) -> str:
        start = self.index
        while self.index < len(self.text) and self.text[self.index] not in stops:
            self.index += 1
        if self.index == start:
            raise self.error(f"{what} is empty")
        return self.text[start : self.index]

    def token(self, stops: str, what: str) -> str:
        return self.quoted() if self.peek() == "'" else self.bare(stops + "'", what)


def _operator(scanner: _Scanner) -> Operator:
    start = scanner.index
    name = scanner.bare(",)(;", "the operator")
    try:
        return Operator(name)
    except ValueError:
        known = ", ".join(op.value for op in Operator)
        raise scanner.error(f"unknown operator {name[:20]!r} (known: {known})", start) from None


def _attribute(scanner: _Scanner) -> tuple[str, ...]:
    names = [scanner.token(",/()", "an attribute name")]
    while scanner.peek() == "/":
        scanner.index += 1
        names.append(scanner.token(",/()", "an attribute name"))
    return tuple(names)


def _values(scanner: _Scanner) -> tuple[str, ...]:
    values = [scanner.token(",)", "a value")]
    while scanner.peek() == ",":
        scanner.index += 1
        values.append(scanner.token(",)", "a value"))
    return tuple(values)


def _expression(scanner: _Scanner) -> Expression:
    start = scanner.index
    scanner.expect("(", "to open an expression")
    operator = _operator(scanner)
    scanner.expect(",", "after the operator")
    path = _attribute(scanner)
    scanner.expect(",", "after the attribute name")
    values = _values(scanner)
    scanner.expect(")", "to close the expression (or ',' before another value)")
    if operator.single_valued and len(values) != 1:
        raise scanner.error(f"{operator.value} takes exactly one value, not {len(values)}", start)
    return Expression(operator, path, values, start + 1)


def parse_filter(text: str) -> Filter:
    """The filter of ``text`` or a :class:`FilterError` (400) locating the mistake."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidRequest(f"filter: longer than {MAX_FILTER_LENGTH} characters")
    scanner = _Scanner(text)
    expressions = [_expression(scanner)]
    while scanner.peek():
        scanner.expect(";", "between expressions")
        expressions.append(_expression(scanner))
        if len(expressions) > MAX_EXPRESSIONS:
            raise scanner.error(f"more than {MAX_EXPRESSIONS} expressions")
    return Filter(tuple(expressions))


def filter_from_query(query: Any, parameter: str = "filter") -> Filter:
    """The request's ``filter`` parameter parsed (empty when absent; once only)."""
    texts = query.getall(parameter, [])
    if not texts:
        return Filter()
    if len(texts) > 1:
        raise InvalidRequest(
            f"filter: give one '{parameter}' parameter, joining expressions by ';'"
        )
    return parse_filter(texts[0])


# --- evaluation -------------------------------------------------------------------

_ABSENT = object()
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _coerce(raw: str, like: Any) -> Any:
    """``raw`` in the type of the attribute value ``like``; _ABSENT if impossible."""
    if isinstance(like, bool):
        return {"true": True, "false": False}.get(raw, _ABSENT)
    if isinstance(like, int | float):
        # JSON's number syntax only: Python would also take "1_000", "nan", "inf".
        if not _JSON_NUMBER.fullmatch(raw):
            return _ABSENT
        try:
            return int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:  # more digits than int() converts
            return _ABSENT
    if isinstance(like, str):
        return raw
    return _ABSENT


def _positive(operator: Operator, values: tuple[str, ...], actual: Any) -> bool:
    if operator in (Operator.CONT,):
        return isinstance(actual, str) and any(value in actual for value in values)
    wanted = [_coerce(value, actual) for value in values]
    wanted = [value for value in wanted if value is not _ABSENT]
    if operator in (Operator.EQ, Operator.IN):
        return any(actual == value for value in wanted)
    if isinstance(actual, bool) or not wanted:
        return False  # booleans have no order (SOL013 Table 5.2.2-2: eq and neq only)
    value = wanted[0]
    if operator is Operator.GT:
        return bool(actual > value)
    if operator is Operator.GTE:
        return bool(actual >= value)
    if operator is Operator.LT:
        return bool(actual < value)
    return bool(actual <= value)


def _test(expression: Expression, actual: Any) -> bool:
    """One expression against one value reached by its path (``_ABSENT`` if none)."""
    operator = expression.operator
    if actual is _ABSENT or actual is None:
        return operator.negated
    if operator.negated:
        return not _positive(_POSITIVE[operator], expression.values, actual)
    return _positive(operator, expression.values, actual)


def _match_all(pending: Sequence[tuple[tuple[str, ...], Expression]], node: Any) -> bool:
    """Do all ``pending`` (remaining path, expression) pairs hold at ``node``?"""
    if isinstance(node, list):
        if not node:
            return all(_test(expression, _ABSENT) for _, expression in pending)
        # Clause 5.2.2: an array matches if one element matches every expression
        # sharing this prefix.
        return any(_match_all(pending, element) for element in node)
    groups: dict[str, list[tuple[tuple[str, ...], Expression]]] = {}
    for path, expression in pending:
        if not path:
            if not _test(expression, node):
                return False
        else:
            groups.setdefault(path[0], []).append((path[1:], expression))
    for name, group in groups.items():
        child = node.get(name, _ABSENT) if isinstance(node, dict) else _ABSENT
        if child is _ABSENT or child is None:
            if not all(_test(expression, _ABSENT) for _, expression in group):
                return False
        elif not _match_all(group, child):
            return False
    return True


# --- planning: what a secondary index can answer ------------------------------------


@dataclass(frozen=True)
class FilterPlan:
    """``index``: attribute -> values any of which a record must have (ANDed across
    attributes), answerable from secondary-index sets; ``residual``: the
    expressions to evaluate in memory on the records the index yields."""

    index: dict[str, frozenset[str]]
    residual: Filter


def plan_filter(flt: Filter, indexed: Collection[str]) -> FilterPlan:
    """Split ``flt`` into an index lookup and an in-memory residual.

    ``eq`` and ``in`` on an indexed top-level attribute go to the index. When one
    attribute carries several expressions they also stay in the residual, because
    on an array attribute they must hold for one and the same element (clause
    5.2.2), which a set intersection cannot tell.

    The index values are the filter's own text, so an index must hold each record's
    values spelled by :func:`index_value`; index string-valued attributes (ids,
    states, names, owners): numbers have several spellings (``5``, ``5.0``).
    """
    counts: dict[str, int] = {}
    for expression in flt.expressions:
        counts[expression.path[0]] = counts.get(expression.path[0], 0) + 1
    index: dict[str, frozenset[str]] = {}
    residual: list[Expression] = []
    for expression in flt.expressions:
        attribute = expression.path[0]
        servable = (
            expression.operator in (Operator.EQ, Operator.IN)
            and len(expression.path) == 1
            and attribute in indexed
        )
        if servable:
            values = frozenset(expression.values)
            index[attribute] = index[attribute] & values if attribute in index else values
        if not servable or counts[attribute] > 1:
            residual.append(expression)
    return FilterPlan(index, Filter(tuple(residual)))


def index_value(value: Any) -> str:
    """How a JSON scalar is written in a secondary index, to meet the filter's text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
