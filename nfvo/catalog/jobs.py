"""The catalogue's job types, registered into a process's registry by its runtime."""

from __future__ import annotations

from nfvo.catalog.onboarding import register_onboarding
from nfvo.store.steps import JobRegistry


def register_jobs(registry: JobRegistry) -> None:
    register_onboarding(registry)
