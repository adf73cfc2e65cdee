"""What is wrong with a package, said so that an operator can find and fix it.

Every reader and validator in ``descriptors`` collects :class:`Problem`s rather than
stopping at the first, and raises :class:`DescriptorError` carrying all of them when
any is an error. The API renders them as ``onboardingFailureDetails``; the CLI as a
list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Problem(BaseModel):
    """One finding: where (file in the package, path in the template, line) and what."""

    model_config = ConfigDict(frozen=True)

    message: str
    file: str | None = None
    path: str | None = None
    line: int | None = None
    severity: Severity = Severity.ERROR
    code: str = "invalid"

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.path:
            where += f" ({self.path})" if where else self.path
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{where}: {prefix}{self.message}" if where else f"{prefix}{self.message}"


class DescriptorError(Exception):
    """A package or descriptor that cannot be accepted; ``problems`` says every reason,
    ``metadata`` what the package says of itself as far as it could be read (its
    manifest's metadata: product name, version...), so a refusal can still be named."""

    def __init__(
        self, problems: Iterable[Problem], metadata: Mapping[str, str] | None = None
    ) -> None:
        self.problems = list(problems)
        self.metadata = dict(metadata or {})
        errors = [p for p in self.problems if p.severity is Severity.ERROR]
        summary = "; ".join(str(p) for p in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} problem(s): {summary}{more}")


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def raise_if_errors(problems: Iterable[Problem]) -> None:
    found = list(problems)
    if has_errors(found):
        raise DescriptorError(found)
