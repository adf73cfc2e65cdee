"""Attribute selectors (SOL013 clause 5.3): which complex attributes a GET returns.

Parameters (Table 5.3.2-1): ``all_fields`` (flag), ``fields=<list>``,
``exclude_fields=<list>``, ``exclude_default`` (flag); a list is comma-separated
attribute names, each a ``/``-separated path into nested objects (arrays are entered
element by element). The permitted combinations (Table 5.3.2-2) and what each
returns:

- none of them, or ``exclude_default``: all attributes but the resource's default
  set (declared per resource by the API, e.g. NsdInfo's ``userDefinedData`` and
  ``onboardingFailureDetails``);
- ``all_fields``: every attribute;
- ``fields=L``: every simple attribute, every mandatory complex one, and of the
  optional complex ones only those in L;
- ``exclude_fields=L``: all attributes but those in L, mandatory ones kept (as
  ``fields`` keeps them: a document without ``id`` or ``_links`` is no resource);
- ``exclude_default`` and ``fields=L``: all but the default set, which L may bring
  back.

Any other combination is a 400 naming the parameters that clash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson

from nfvo.sol.problems import InvalidRequest

ALL_FIELDS, FIELDS, EXCLUDE_FIELDS, EXCLUDE_DEFAULT = (
    "all_fields",
    "fields",
    "exclude_fields",
    "exclude_default",
)
_PERMITTED = [
    frozenset(),
    frozenset({ALL_FIELDS}),
    frozenset({FIELDS}),
    frozenset({EXCLUDE_FIELDS}),
    frozenset({EXCLUDE_DEFAULT}),
    frozenset({EXCLUDE_DEFAULT, FIELDS}),
]

Tree = dict[str, "Tree"]  # attribute paths as a tree; an empty subtree is a leaf


@dataclass(frozen=True)
class SelectorPolicy:
    """A resource's selector rules: what ``exclude_default`` drops, what is mandatory
    (never dropped by ``fields``: ``id``, ``_links`` and the like)."""

    default_excluded: frozenset[str] = frozenset()
    mandatory: frozenset[str] = frozenset({"id", "_links"})


@dataclass(frozen=True)
class Selection:
    """What one request asked for, ready to apply to each document."""

    policy: SelectorPolicy
    include: Tree | None  # ``fields``; None when not given
    exclude: Tree  # ``exclude_fields`` or the default set

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        selected: dict[str, Any] = _prune(document, self.exclude)
        if self.include is not None:
            selected = _keep(selected, self.include, self.policy.mandatory)
        return selected

    @cached_property
    def key(self) -> str:
        """Equal for selections that select alike: what a rendering is kept under (a
        string, whose hash Python computes once however many lookups use it)."""
        policy = [sorted(self.policy.default_excluded), sorted(self.policy.mandatory)]
        return orjson.dumps(
            [policy, self.include, self.exclude], option=orjson.OPT_SORT_KEYS
        ).decode()


def _tree(paths: Iterable[str], parameter: str) -> Tree:
    tree: Tree = {}
    for path in paths:
        names = path.split("/")
        if not all(name.strip() for name in names):
            raise InvalidRequest(f"{parameter}: {path[:80]!r} has an empty attribute name")
        node = tree
        for name in names:
            node = node.setdefault(name.strip(), {})
    return tree


def _list(query: Any, parameter: str) -> list[str]:
    values = query.getall(parameter, [])
    if len(values) > 1:
        raise InvalidRequest(f"give '{parameter}' once, its attributes separated by ','")
    names: list[str] = values[0].split(",") if values else []
    if values and not any(name.strip() for name in names):
        raise InvalidRequest(f"{parameter} names no attribute")
    return names


def selection_from_query(query: Any, policy: SelectorPolicy) -> Selection:
    """The request's selectors, or a 400 naming a clashing combination."""
    given = frozenset(
        name for name in (ALL_FIELDS, FIELDS, EXCLUDE_FIELDS, EXCLUDE_DEFAULT) if name in query
    )
    if given not in _PERMITTED:
        raise InvalidRequest(
            f"attribute selectors {', '.join(sorted(given))} cannot be combined "
            "(SOL013 clause 5.3: only exclude_default may join fields)"
        )
    if ALL_FIELDS in given:
        return Selection(policy, None, {})
    if EXCLUDE_FIELDS in given:
        excluded = _tree(_list(query, EXCLUDE_FIELDS), EXCLUDE_FIELDS)
        kept = {name: sub for name, sub in excluded.items() if name not in policy.mandatory}
        return Selection(policy, None, kept)
    include = _tree(_list(query, FIELDS), FIELDS) if FIELDS in given else None
    if given == {FIELDS}:
        return Selection(policy, include, {})
    # No selector or exclude_default (with or without fields): drop the default set,
    # except what fields names (Table 5.3.2-2: the rest is returned in full).
    brought_back = include or {}
    default = [p for p in sorted(policy.default_excluded) if p.split("/")[0] not in brought_back]
    return Selection(policy, None, _tree(default, EXCLUDE_DEFAULT))


def _prune(value: Any, exclude: Tree) -> Any:
    if not exclude:
        return value
    if isinstance(value, list):
        return [_prune(item, exclude) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for name, item in value.items():
        if name in exclude and not exclude[name]:
            continue
        result[name] = _prune(item, exclude[name]) if name in exclude else item
    return result


def _is_complex(value: Any) -> bool:
    return isinstance(value, dict | list)


def _keep(value: Any, include: Tree, mandatory: frozenset[str]) -> Any:
    """Simple attributes, mandatory ones and the included complex ones."""
    if isinstance(value, list):
        return [_keep(item, include, mandatory) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for name, item in value.items():
        if name in include:
            result[name] = _keep(item, include[name], frozenset()) if include[name] else item
        elif name in mandatory or not _is_complex(item):
            result[name] = item
    return result
