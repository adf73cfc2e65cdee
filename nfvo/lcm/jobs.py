"""register_jobs: the NS lifecycle's job types, registered by the NFVO's runtime."""

from __future__ import annotations

from nfvo.store.steps import JobRegistry


def register_jobs(registry: JobRegistry) -> None:
    """The NS lifecycle's durable jobs (none yet: grants are decided in the request)."""
