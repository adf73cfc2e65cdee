"""A GET on a container resource: filter, select, page, in one place.

SOL013 clauses 5.2 (filter), 5.3 (attribute selectors) and 5.4 (paging) apply
together to every query of a container. :class:`ListQuery` parses all of them before
the store is touched, so a malformed query is a 400 without any work done, and so is
a parameter the route does not declare (``Route.query``; SOL013 clause 6.4: incorrect
query parameters are a 400, not silently ignored); the ``index`` part of its plan is
what a secondary index answers, the residual filter is applied to what the store
returns, and :func:`list_response` renders one page.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from nfvo.sol.bodies import json_response
from nfvo.sol.filters import Filter, FilterPlan, filter_from_query, plan_filter
from nfvo.sol.paging import paginate
from nfvo.sol.problems import InvalidRequest
from nfvo.sol.routes import route_of
from nfvo.sol.selectors import Selection, SelectorPolicy, selection_from_query

Document = dict[str, Any]


@dataclass(frozen=True)
class ListQuery:
    """The parsed ``filter`` and attribute selectors of one query."""

    filter: Filter
    selection: Selection

    @classmethod
    def from_request(cls, request: web.Request, policy: SelectorPolicy) -> ListQuery:
        _refuse_unknown_parameters(request)
        return cls(filter_from_query(request.query), selection_from_query(request.query, policy))

    def plan(self, indexed: Collection[str]) -> FilterPlan:
        return plan_filter(self.filter, indexed)


def _refuse_unknown_parameters(request: web.Request) -> None:
    route = route_of(request)
    accepted = route.query if route is not None else ()
    unknown = sorted({name for name in request.query if name not in accepted})
    if unknown:
        named = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise InvalidRequest(
            f"GET {request.path} has no query parameter {named}; it takes "
            f"{', '.join(accepted) or 'none'}"
        )


def list_response(
    request: web.Request,
    query: ListQuery,
    documents: Sequence[Document],
    key: Callable[[Document], str] = lambda document: str(document["id"]),
    *,
    residual: Filter | None = None,
) -> web.Response:
    """One page of ``documents`` (sorted by ``key``) that pass the filter, selected.

    ``residual`` is the part of the filter still to apply when an index already
    answered the rest (``query.plan(indexed).residual``); by default the whole filter.
    """
    flt = query.filter if residual is None else residual
    page, headers = paginate(request, flt.select(documents), key)
    return page_response(query, page, headers)


def page_response(
    query: ListQuery, page: Sequence[Document], headers: Mapping[str, str]
) -> web.Response:
    """A page already cut (``paginate`` on ids the index answered alone), selected."""
    return json_response([query.selection.apply(document) for document in page], headers=headers)
