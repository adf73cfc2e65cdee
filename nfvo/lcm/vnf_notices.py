"""The VNFMs' notifications to the NFVO: subscribed once per VNFM, received, waited on.

Each VNFM is subscribed (SOL003 5.4.18) to its VnfLcmOperationOccurrenceNotifications
the first time the NFVO drives a VNF there, with a callback on the NFVO
(``/callbacks/v1/vnflcm/{vnfm}``, ``nfvo_url`` as its root) that the VNFM calls with
BASIC credentials derived from the secret key, so any process of the NFVO checks
them. A notification received is an event on the LCM stream about the VNF operation
(``vnf_lcm_op_occs/{id}``); a step following that operation re-reads it when the
event arrives and, without one, every few seconds anyway (polling is the fallback: a
VNFM that cannot notify only makes the wait slower).
"""

from __future__ import annotations

import base64
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import redis.asyncio as aioredis

from nfvo.lcm.vnfm_client import VnfmClient, VnfmRefused, VnfmUnavailable
from nfvo.store.events import Event, EventStream, publish
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository
from nfvo.store.secrets import SecretBox
from nfvo.vim.waiting import VimEventFeed

log = logging.getLogger("nfvo.lcm.vnf_notices")

CALLBACK_ROOT = "/callbacks/v1"
KIND = "vnfm_subscription"
EVENT_TYPE = "vnf.lcm.notified"
NOTIFICATION_TYPES = ["VnfLcmOperationOccurrenceNotification"]
FALLBACK_SECONDS = 5.0
Wake = Callable[[float], Awaitable[None]]


def subject(occurrence_id: str) -> str:
    return f"vnf_lcm_op_occs/{occurrence_id}"


class VnfNotices:
    def __init__(
        self, redis: aioredis.Redis, keyspace: Keyspace, box: SecretBox, nfvo_url: str
    ) -> None:
        self.redis, self.keyspace, self.box = redis, keyspace, box
        self.nfvo_url = nfvo_url.rstrip("/")
        self.subscriptions = Repository(redis, keyspace, KIND)
        self.feed = VimEventFeed(redis, keyspace, FALLBACK_SECONDS, EventStream.LCM)

    def password(self, vnfm: str) -> str:
        return base64.urlsafe_b64encode(self.box.derive(f"vnfm-callback:{vnfm}")).decode()

    def callback_uri(self, vnfm: str) -> str:
        return f"{self.nfvo_url}{CALLBACK_ROOT}/vnflcm/{vnfm}"

    def authentic(self, vnfm: str, authorization: str | None) -> bool:
        """Whether ``authorization`` is the BASIC header given to VNFM ``vnfm``."""
        expected = "Basic " + base64.b64encode(f"{vnfm}:{self.password(vnfm)}".encode()).decode()
        return hmac.compare_digest(expected.encode(), (authorization or "").encode())

    async def ensure_subscribed(self, vnfm: str, client: VnfmClient) -> None:
        """Subscribe to the VNFM's operation notifications once; a VNFM that refuses
        (or cannot reach our callback) is followed by polling alone, and says so."""
        if await self.subscriptions.find(vnfm) is not None:
            return
        lock = self.redis.lock(self.keyspace.lock(KIND, vnfm), timeout=60, blocking_timeout=90)
        async with lock:
            if await self.subscriptions.find(vnfm) is not None:
                return  # another step subscribed meanwhile
            body = {
                "filter": {"notificationTypes": NOTIFICATION_TYPES},
                "callbackUri": self.callback_uri(vnfm),
                "authentication": {
                    "authType": ["BASIC"],
                    "paramsBasic": {"userName": vnfm, "password": self.password(vnfm)},
                },
            }
            try:
                created = await client.subscribe(body)
            except (VnfmRefused, VnfmUnavailable) as error:
                log.warning("VNFM %s notifies nothing: its operations are polled (%s)", vnfm, error)
                return
            await self.subscriptions.create(vnfm, {"id": created.get("id"), "at": time.time()})

    async def subscribed(self, vnfm: str) -> bool:
        return await self.subscriptions.find(vnfm) is not None

    async def received(self, vnfm: str, body: Mapping[str, Any]) -> None:
        """A notification from VNFM ``vnfm``: an event about its VNF operation."""
        occurrence_id = body.get("vnfLcmOpOccId")
        if not isinstance(occurrence_id, str):
            return  # not about an operation: nothing waits on it
        event = Event(
            source=f"vnfm/{vnfm}",
            type=EVENT_TYPE,
            subject=subject(occurrence_id),
            data={
                "operationState": body.get("operationState"),
                "vnfInstanceId": body.get("vnfInstanceId"),
            },
        )
        await publish(self.redis, self.keyspace, EventStream.LCM, event)

    async def waker(self, vnfm: str, occurrence_id: str) -> Wake | None:
        """``wake(seconds)`` for :func:`nfvo.lcm.ns_vnfs.follow`: returns at the next
        notification about the operation, or after the fallback interval; None when the
        VNFM is not subscribed (plain polling)."""
        if not await self.subscribed(vnfm):
            return None
        about = subject(occurrence_id)
        position = await self.feed.position()

        async def wake(seconds: float) -> None:
            nonlocal position
            deadline = time.monotonic() + max(seconds, FALLBACK_SECONDS)
            while (left := deadline - time.monotonic()) > 0:
                position, mentioned = await self.feed.next_about(about, position, left)
                if mentioned:
                    return

        return wake
