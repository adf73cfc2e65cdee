"""The store's refusals as the API shows them: one table, every kind mapped."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import nfvo.store
from nfvo.sol.problems import STORE_PROBLEMS, store_problem
from nfvo.store.blobs import BlobNotFound, BlobTooLarge
from nfvo.store.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    ResourceLocked,
    StoreError,
    StoreNotFound,
    StoreRangeNotSatisfiable,
    StoreUnavailable,
)
from nfvo.store.occurrence_states import SOL005_NS_LCM, IllegalTransition, OperationState, Trigger

CASES = [
    (StoreNotFound("job j1 does not exist"), 404, "Not Found", {}),
    (BlobNotFound("sha256/ab"), 404, "Not Found", {}),
    (AlreadyExists("vnf_package p1 already exists"), 409, "Conflict", {}),
    (ResourceLocked("ns_instance n1 is busy", holder="o1"), 409, "Conflict", {}),
    (
        IllegalTransition(SOL005_NS_LCM, OperationState.COMPLETED, Trigger.RETRY),
        409,
        "Conflict",
        {},
    ),
    (ConcurrencyConflict("p1 is at version 2, not 1"), 412, "Precondition Failed", {}),
    (
        StoreUnavailable("the store is busy or unreachable (reading p1); retry shortly"),
        503,
        "Service Unavailable",
        {"Retry-After": "1"},
    ),
    (BlobTooLarge(5000), 413, "Payload Too Large", {}),
    (StoreRangeNotSatisfiable("range 5-10001 is outside 'b'"), 416, "Range Not Satisfiable", {}),
]


@pytest.mark.parametrize(("error", "status", "title", "headers"), CASES, ids=lambda c: str(c))
def test_each_refusal_keeps_its_detail_and_gets_its_status(
    error: StoreError, status: int, title: str, headers: dict[str, str]
) -> None:
    refusal = store_problem(error)
    assert refusal is not None
    problem = refusal.problem(instance="/x")
    assert (problem.status, problem.title, problem.detail) == (status, title, error.detail)
    assert refusal.headers == headers


def _subclasses(kind: type[StoreError]) -> set[type[StoreError]]:
    found = set(kind.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_refusal_the_store_defines_is_in_the_table() -> None:
    for module in pkgutil.iter_modules(nfvo.store.__path__, "nfvo.store."):
        importlib.import_module(module.name)
    kinds = [k for k in _subclasses(StoreError) if k.__module__.startswith("nfvo.")]
    assert BlobTooLarge in kinds and IllegalTransition in kinds
    unmapped = [k.__name__ for k in kinds if not any(issubclass(k, m) for m in STORE_PROBLEMS)]
    assert not unmapped
    # The kinds are siblings, so no refusal matches two rows of the table.
    assert not [
        (a, b) for a in STORE_PROBLEMS for b in STORE_PROBLEMS if a is not b and issubclass(a, b)
    ]


def test_a_refusal_of_no_known_kind_maps_to_nothing() -> None:
    assert store_problem(StoreError("a kind nobody mapped")) is None
