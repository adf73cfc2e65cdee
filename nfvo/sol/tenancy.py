"""Tenancy: each record belongs to the project of the token that created it.

The owner is an indexed attribute of the stored document (``owner``), never part of
its key, so an administrator's query spans projects and a record never moves. A
service reads and writes through :class:`OwnedRecords`, which lists only the
caller's project, and answers a record of another project exactly as a missing one
(404, same text): whether something exists elsewhere must not leak. A principal with
``nfvo:admin`` sees and changes every project's records.

One exception crosses projects on purpose: the VNFM's own client reads onboarded
VNF packages it was not the owner of (a VNFM serves every tenant's instances); its
token carries :data:`READ_ONBOARDED_SCOPE` and reads go through :func:`can_read_package`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nfvo.sol.problems import NotFound
from nfvo.sol.tokens import Principal
from nfvo.store.guards import Guard
from nfvo.store.keys import is_valid_id
from nfvo.store.repository import Outbox, Page, Repository, Versioned

OWNER = "owner"
READ_ONBOARDED_SCOPE = "vnfpkgm:read-onboarded"


def visible(principal: Principal, document: Mapping[str, Any]) -> bool:
    return principal.is_admin or document.get(OWNER) == principal.project


def can_read_package(principal: Principal, document: Mapping[str, Any]) -> bool:
    """Own packages, or any ONBOARDED one for a client granted the VNFM's scope."""
    if visible(principal, document):
        return True
    onboarded = document.get("onboardingState") == "ONBOARDED"
    return onboarded and READ_ONBOARDED_SCOPE in principal.scopes


def without_owner(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document as a client sees it: the owner is bookkeeping, not wire data."""
    return {key: value for key, value in document.items() if key != OWNER}


class OwnedRecords:
    """A repository seen through one principal's eyes.

    The repository must index ``owner`` (``Repository(..., indexed=("owner", ...))``).
    """

    def __init__(self, repository: Repository, principal: Principal, *, noun: str = "") -> None:
        if OWNER not in repository.indexed:
            raise ValueError(f"{repository.kind} does not index {OWNER!r}; tenancy needs it")
        self.repository, self.principal = repository, principal
        self.noun = noun or repository.kind

    def _missing(self, id_: str) -> NotFound:
        # Identical for "absent" and "another project's": existence does not leak.
        return NotFound(f"there is no {self.noun} {id_!r}")

    async def _find(self, id_: str) -> Versioned | None:
        # An id no key can hold (a path segment of other characters) was never issued.
        return await self.repository.find(id_) if is_valid_id(id_) else None

    async def get(self, id_: str) -> Versioned:
        found = await self._find(id_)
        if found is None or not visible(self.principal, found.document):
            raise self._missing(id_)
        return found

    async def get_package(self, id_: str) -> Versioned:
        """``get`` with the VNFM's cross-project read of onboarded packages."""
        found = await self._find(id_)
        if found is None or not can_read_package(self.principal, found.document):
            raise self._missing(id_)
        return found

    async def list(self, *, limit: int = 100, cursor: str | None = None) -> Page:
        if self.principal.is_admin:
            return await self.repository.list(limit=limit, cursor=cursor)
        where = (OWNER, self.principal.project)
        return await self.repository.list(where=where, limit=limit, cursor=cursor)

    async def create(
        self,
        id_: str,
        document: Mapping[str, Any],
        *,
        guards: Sequence[Guard] = (),
        outbox: Outbox | None = None,
    ) -> Versioned:
        """Store ``document`` owned by the caller's project (any ``owner`` given is replaced)."""
        owned = {**document, OWNER: self.principal.project}
        return await self.repository.create(id_, owned, guards=guards, outbox=outbox)

    async def put(
        self,
        id_: str,
        document: Mapping[str, Any],
        *,
        version: int | None,
        guards: Sequence[Guard] = (),
        outbox: Outbox | None = None,
    ) -> Versioned:
        """Replace a visible record; its owner stays what it was (no moving records)."""
        current = await self.get(id_)
        owned = {**document, OWNER: current.document.get(OWNER)}
        return await self.repository.put(id_, owned, version=version, guards=guards, outbox=outbox)

    async def delete(
        self, id_: str, *, version: int | None = None, guards: Sequence[Guard] = ()
    ) -> None:
        await self.get(id_)
        await self.repository.delete(id_, version=version, guards=guards)
