"""Infrastructure errors: what the job runner uses to decide retries.

These never reach HTTP as they are (STYLE.md, errors): a step raises
:class:`TransientError` when trying again later may help (a 5xx, a dropped
connection, a VIM that is still busy) and :class:`PermanentError` when it cannot (a
flavour that cannot exist, a quota refused for good). Any other exception a step
raises is treated as permanent, as kopf does, because guessing otherwise retries bugs.
"""

from __future__ import annotations


class InfrastructureError(Exception):
    """Base of the errors the platform raises for its own machinery."""


class TransientError(InfrastructureError):
    """Try again: after ``retry_after`` seconds if given, else after the runner's backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(InfrastructureError):
    """Do not try again: the job fails with this message."""


class LeaseLost(InfrastructureError):
    """This worker no longer holds the job's lease: another one has taken it over.

    Raised by every fenced write; the worker stops working on the job at once and
    writes nothing more for it.
    """


class StepTimeout(PermanentError):
    """A step ran longer than its timeout."""
