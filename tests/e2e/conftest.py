"""Fixtures of the scenario suites against the simulators."""

from tests.e2e.cloud import cloud

__all__ = ["cloud"]
