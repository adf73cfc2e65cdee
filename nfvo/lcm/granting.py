"""The NFVO's Grant API behind its routes (SOL003 clause 9): ask, show, settle.

A VNFM, ours or a third party's, asks before it touches the cloud. :meth:`Granting.ask`
checks the request against the onboarded VNFD (422 naming what is wrong), stores it
PENDING and decides at once, or in the background when the client prefers to poll
(``Prefer: respond-async``). Deciding (``nfvo.lcm.decisions``) checks the project's
quotas, finds or creates the flavours, runs the placement engine on the VIM's live
site less its reservations (holding a reservation atomically) and answers through the
Grant's own fields; a grant that cannot be honoured is REJECTED with the reason (the
nearest miss). A decision takes a lock per grant, and one interrupted by a crash is
taken up again by the next read of the grant, after releasing what it had reserved.

:meth:`Granting.settle` is told the end of the VNF operation a grant was for: its
reservations are committed when the operation completed, released when it failed or
was rolled back.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import orjson
import redis.asyncio as aioredis

from nfvo.catalog.store import CatalogStore
from nfvo.lcm.decisions import Decider, GrantScopes
from nfvo.lcm.grant_records import GrantRecord, GrantRecords, GrantState, Settlement
from nfvo.lcm.grant_requests import GrantRequestError, requirements_of
from nfvo.placement.reservations import ReservationState
from nfvo.placement.sites import Sites
from nfvo.sol.grant import GrantRequest
from nfvo.sol.problems import NotFound, Unprocessable
from nfvo.sol.tenancy import READ_ONBOARDED_SCOPE, visible
from nfvo.sol.tokens import Principal
from nfvo.store.keys import Keyspace, is_valid_id
from nfvo.store.resources import ResourceKey
from nfvo.vim.registry import VimRegistry

log = logging.getLogger("nfvo.lcm.granting")

LOCK_SECONDS = 10.0  # a decision taking longer is presumed dead and taken up again
NS_LOCK_SECONDS = 10.0  # one NS's decisions in turn; a dead holder blocks no longer
_NAMESPACE = uuid.UUID("0b6f6a0e-4a57-4f3e-9d2b-2c9b8a7e1f30")
# The end states of a VNF operation (SOL003 LcmOperationStateType) and what they mean
# for its reservations; FAILED_TEMP settles nothing: a retry uses what is reserved.
_SETTLES = {
    "COMPLETED": Settlement.COMMITTED,
    "FAILED": Settlement.RELEASED,
    "ROLLED_BACK": Settlement.RELEASED,
}
Refused = Callable[[GrantRecord], Awaitable[None]]


def grant_id_of(request: GrantRequest) -> str:
    """The same request for the same occurrence always names the same grant, so a VNFM
    asking again after a lost answer gets the first grant, not a second reservation."""
    canonical = orjson.dumps(request.to_wire(), option=orjson.OPT_SORT_KEYS)
    return str(uuid.uuid5(_NAMESPACE, hashlib.sha256(canonical).hexdigest()))


class Granting:
    def __init__(
        self,
        redis: aioredis.Redis,
        keyspace: Keyspace,
        catalog: CatalogStore,
        sites: Sites,
        vims: VimRegistry,
        scopes: GrantScopes,
    ) -> None:
        self.redis, self.keyspace = redis, keyspace
        self.records = GrantRecords(redis, keyspace)
        self.catalog, self.sites = catalog, sites
        self.decider = Decider(catalog, sites, vims, scopes)
        self.refused: list[Refused] = []  # told of every refusal (the NS notifies it)
        self._background: set[asyncio.Task[GrantRecord]] = set()

    async def ask(
        self, request: GrantRequest, viewer: Principal, *, asynchronous: bool = False
    ) -> GrantRecord:
        """The grant for ``request``: decided (GRANTED or REJECTED), or PENDING when
        ``asynchronous``. Unprocessable when the request does not fit its VNFD."""
        try:
            # The scope (the request's own bindings parsed) says whose packages to read.
            scope = await self.decider.scopes.scope_of(request)
            # Outside an NS, a VNFM's client reads every onboarded package (its own
            # project's first), as it read the VNFD to ask.
            any_owner = scope.project is None and READ_ONBOARDED_SCOPE in viewer.scopes
            vnf = await self.catalog.vnf_descriptor(
                request.vnfd_id, project=scope.project or viewer.project, any_owner=any_owner
            )
            requirements_of(request, vnf)
        except NotFound:
            raise Unprocessable(
                f"vnfdId {request.vnfd_id}: no such VNF package is onboarded"
            ) from None
        except GrantRequestError as error:
            raise Unprocessable(str(error)) from None
        record = GrantRecord(
            id=grant_id_of(request), request=request.to_wire(), owner=viewer.project
        )
        created = await self.records.create(record)
        if created is None:  # asked before: the same answer
            return await self.show(record.id, viewer)
        if asynchronous:
            task = asyncio.create_task(self.decide(created.id), name=f"grant {created.id}")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return created
        return await self.decide(created.id)

    async def show(self, grant_id: str, viewer: Principal) -> GrantRecord:
        """The grant as it stands; a PENDING one nobody is deciding is decided now."""
        record = await self.records.find(grant_id) if is_valid_id(grant_id) else None
        if record is None or not visible(viewer, {"owner": record.owner}):
            raise NotFound(f"there is no grant {grant_id!r}")
        if record.state is GrantState.PENDING and not await self._deciding(grant_id):
            return await self.decide(grant_id)
        return record

    async def decide(self, grant_id: str) -> GrantRecord:
        """Decide a PENDING grant under its lock; the record as it then stands."""
        lock = self.keyspace.lock("grant-decision", grant_id)
        token = uuid.uuid4().hex
        if not await self.redis.set(lock, token, nx=True, ex=int(LOCK_SECONDS)):
            return await self._stored(grant_id)  # another decision runs
        try:
            record = await self._stored(grant_id)
            if record.state is not GrantState.PENDING:
                return record
            await self._release_left_over(record)
            async with self._one_per_ns(record):
                decided = await self.decider.decide(record)
                try:
                    saved = await self.records.save(decided)
                except Exception:
                    await self._release(decided.vim, decided.reservations)
                    raise
        finally:
            if await self.redis.get(lock) == token.encode():
                await self.redis.delete(lock)
        if saved.state is GrantState.REJECTED:
            for listener in self.refused:
                await listener(saved)
        return saved

    @asynccontextmanager
    async def _one_per_ns(self, record: GrantRecord) -> AsyncIterator[None]:
        """The grants of one NS are decided one at a time: each one's rules must see
        where its siblings, granted just before, were placed."""
        ns_instance_id = (await self.decider.scopes.scope_of(record.asked)).ns_instance_id
        if ns_instance_id is None:
            yield
            return
        lock = self.redis.lock(
            self.keyspace.lock("ns-grants", ns_instance_id),
            timeout=NS_LOCK_SECONDS,
            blocking_timeout=LOCK_SECONDS * 3,
        )
        async with lock:
            yield

    async def settle(self, vnf_lcm_op_occ_id: str, operation_state: str) -> list[GrantRecord]:
        """Commit or release the reservations of every grant of the VNF operation
        ``vnf_lcm_op_occ_id`` that ended in ``operation_state``; idempotent."""
        settlement = _SETTLES.get(operation_state)
        if settlement is None:
            return []
        settled: list[GrantRecord] = []
        for record in await self.records.where("vnf_lcm_op_occ_id", vnf_lcm_op_occ_id):
            if record.state is GrantState.PENDING and settlement is Settlement.RELEASED:
                record = await self._abandon(record)
            if record.state is not GrantState.GRANTED or record.settled is not None:
                continue
            reservations = self.sites.reservations(record.vim or "default")
            for reservation_id in record.reservations:
                if settlement is Settlement.COMMITTED:
                    await reservations.commit(reservation_id)
                else:
                    await reservations.release(reservation_id)
            settled.append(await self.records.save(record.but(settled=settlement)))
        return settled

    async def _abandon(self, record: GrantRecord) -> GrantRecord:
        """A grant still PENDING when its operation ended: its decision died with a
        process (or is about to end). Once no decision holds it (a dead one's lock
        lapses), what it reserved is released and it is refused."""
        lock = self.keyspace.lock("grant-decision", record.id)
        token = uuid.uuid4().hex
        async with asyncio.timeout(LOCK_SECONDS * 2):
            while not await self.redis.set(lock, token, nx=True, ex=int(LOCK_SECONDS)):
                current = await self._stored(record.id)
                if current.state is not GrantState.PENDING:
                    return current  # a live decision ended it
                await asyncio.sleep(0.5)
        try:
            current = await self._stored(record.id)
            if current.state is not GrantState.PENDING:
                return current
            await self._release_left_over(current)
            reason = "the VNF operation ended before the grant was decided"
            return await self.records.save(current.but(state=GrantState.REJECTED, reason=reason))
        finally:
            if await self.redis.get(lock) == token.encode():
                await self.redis.delete(lock)

    async def close(self) -> None:
        """Stop the background decisions (a later read takes them up again)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    async def _stored(self, grant_id: str) -> GrantRecord:
        record = await self.records.find(grant_id)
        if record is None:
            raise NotFound(f"there is no grant {grant_id!r}")
        return record

    async def _deciding(self, grant_id: str) -> bool:
        return bool(await self.redis.exists(self.keyspace.lock("grant-decision", grant_id)))

    async def _release_left_over(self, record: GrantRecord) -> None:
        """What an interrupted decision of this grant reserved and never recorded."""
        if record.vim is None and not record.reservations:
            vim = await self.decider.vim_of(record)
        else:
            vim = record.vim
        if vim is None:
            return
        reservations = self.sites.reservations(vim)
        for reservation in await reservations.active((ReservationState.HELD,)):
            if reservation.request_id == record.id:
                log.info(
                    "releasing reservation %s of interrupted grant %s", reservation.id, record.id
                )
                await reservations.release(reservation.id)

    async def _release(self, vim: str | None, reservation_ids: tuple[str, ...]) -> None:
        reservations = self.sites.reservations(vim or "default")
        for reservation_id in reservation_ids:
            await reservations.release(reservation_id)


GRANTING: ResourceKey[Granting] = ResourceKey("granting", Granting)
