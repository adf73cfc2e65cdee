"""Typed resources: what a process hands its job steps, and the wiring check at start."""

from __future__ import annotations

import pytest

from nfvo.store.resources import MissingResource, ResourceKey, Resources
from nfvo.store.steps import JobRegistry, Step, StepContext


class Blobs:
    pass


BLOBS: ResourceKey[Blobs] = ResourceKey("blob store", Blobs)
CLOCK: ResourceKey[float] = ResourceKey("clock", float)


async def _step(ctx: StepContext) -> None:
    ctx[BLOBS]


def test_a_resource_is_read_back_by_its_key() -> None:
    resources = Resources()
    blobs = Blobs()
    resources[BLOBS] = blobs
    assert resources[BLOBS] is blobs
    assert BLOBS in resources and CLOCK not in resources


def test_a_value_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError, match="blob store must be a Blobs"):
        Resources()[BLOBS] = "not a blob store"  # type: ignore[assignment]


def test_a_missing_resource_names_itself() -> None:
    with pytest.raises(MissingResource, match="this process provides no clock"):
        Resources()[CLOCK]


def test_frozen_resources_cannot_change() -> None:
    resources = Resources().freeze()
    with pytest.raises(RuntimeError, match="frozen"):
        resources[CLOCK] = 1.0


def test_the_registry_names_the_job_type_and_what_it_lacks() -> None:
    registry = JobRegistry()
    registry.register("archive", [Step("store", _step)], needs=(BLOBS, CLOCK))
    resources = Resources()
    resources[BLOBS] = Blobs()
    with pytest.raises(MissingResource, match="job type archive needs clock, which this"):
        registry.check(resources)
    resources[CLOCK] = 0.0
    registry.check(resources)
