"""The store's two families of errors.

**Infrastructure errors** decide the job runner's retries and never reach HTTP as
they are (STYLE.md, errors): a step raises :class:`TransientError` when trying again
later may help (a 5xx, a dropped connection, a VIM that is still busy) and
:class:`PermanentError` when it cannot (a flavour that cannot exist, a quota refused
for good). Any other exception a step raises is treated as permanent, as kopf does,
because guessing otherwise retries bugs.

**Store refusals** (:class:`StoreError`) say what the store would not do: something
is not stored, the stored state conflicts with the change, the version read is no
longer the stored one, the store did not answer, a blob is too large or a range lies
outside it. Each carries a ``detail`` naming what and where. The store knows no HTTP:
the API maps each kind to its ProblemDetails in one table (``nfvo.sol.problems``), and
the job runner retries :class:`StoreUnavailable` and :class:`ConcurrencyConflict`.
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


class StoreError(Exception):
    """Base of the store's refusals; ``detail`` says what was refused and where."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class StoreNotFound(StoreError):
    """What was asked for is not stored: a document, a job, a blob, a VIM."""


class StoreConflict(StoreError):
    """The stored state refuses the change: the id is taken, a lock is held, ..."""


class AlreadyExists(StoreConflict):
    """A create named an id that is already stored."""


class ResourceLocked(StoreConflict):
    """A lock is held by someone else; ``holder`` says who (the lock's value, or the
    operation occurrence holding an instance)."""

    def __init__(self, detail: str, *, holder: str) -> None:
        super().__init__(detail)
        self.holder = holder


class ConcurrencyConflict(StoreError):
    """The document changed since the version the writer read: read again, decide again."""


class StoreUnavailable(StoreError):
    """The store did not answer (down, overloaded, a dropped connection): try again shortly."""


class StoreTooLarge(StoreError):
    """The content is larger than the limit it was stored under."""


class StoreRangeNotSatisfiable(StoreError):
    """The byte range asked for lies outside the stored content."""
