"""The online NS lifecycle commands: an HTTP client of ``/nslcm/v2`` at ``nfvo_url``.

``nfvo ns ...`` and ``nfvo op ...`` speak only HTTP, as any OSS does, authenticated
like the catalogue commands (``api_token``, or ``admin_password`` in embedded mode).
:class:`Watch` follows an occurrence to its end: it subscribes a listener on loopback
to the NS's notifications, so each VNF's line moves as its VNFM reports, and reads
the occurrence every few seconds anyway (a notification that cannot reach the CLI
only makes the display coarser).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from aiohttp import web

from nfvo.cli.catalog_client import Access, ApiFailure, CatalogClient, Face, _checked
from nfvo.cli.context import CliContext

NSLCM = Face("/nslcm/v2", "", "2.3.0", "", "", ())
MOVING = ("PROCESSING", "ROLLING_BACK")
POLL_SECONDS = 2.0


def client(cli: CliContext) -> CatalogClient:
    return CatalogClient(cli.settings.nfvo_url, Access.from_settings(cli.settings), NSLCM)


async def call(cli: CliContext, action: Callable[[CatalogClient], Any]) -> Any:
    async with client(cli) as api:
        return await action(api)


async def task(api: CatalogClient, ns_id: str, name: str, body: dict[str, Any]) -> str:
    """POST a task resource; the occurrence id from its Location."""
    url = f"{api.base_url}{NSLCM.container}/ns_instances/{ns_id}/{name}"
    headers = {"Version": NSLCM.version, "Accept": "application/json"}
    if api.token:
        headers["Authorization"] = f"Bearer {api.token}"
    async with api.session.post(url, json=body, headers=headers) as response:
        await _checked(response, 202)
        return response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]


@dataclass
class Watch:
    """An occurrence followed to its end, one line per VNF."""

    api: CatalogClient
    occurrence_id: str
    ns_id: str
    vnfs: dict[str, tuple[str, float]] = field(default_factory=dict)  # id -> (status, since)
    spans: dict[str, list[float]] = field(default_factory=dict)  # id -> [started, ended]
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _drawn: int = 0

    async def _notified(self, request: web.Request) -> web.Response:
        if request.method == "POST":
            body = await request.json()
            if body.get("notificationType") == "NsChangeNotification":
                status = str(body.get("lcmOpOccStatusImpactingNsComponent"))
                name = (
                    str(body.get("lcmOpNameImpactingNsComponent", "")).removeprefix("VNF_").lower()
                )
                vnf, now = str(body["nsComponentId"]), time.monotonic()
                self.vnfs[vnf] = (f"{name} {status.lower()}", now)
                span = self.spans.setdefault(vnf, [now, now])
                if status == "START":
                    span[0] = span[1] = now
                else:
                    span[1] = now
            self._changed.set()
        return web.Response(status=204)

    async def _subscribe(self) -> tuple[web.AppRunner, str | None]:
        app = web.Application()
        app.router.add_route("*", "/", self._notified)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        body = {
            "callbackUri": f"http://127.0.0.1:{port}/",
            "filter": {
                "nsInstanceSubscriptionFilter": {"nsInstanceIds": [self.ns_id]},
                "notificationTypes": [
                    "NsChangeNotification",
                    "NsLcmOperationOccurrenceNotification",
                ],
            },
        }
        try:
            created = await self.api.request("POST", "/subscriptions", 201, json=body)
        except ApiFailure:
            return runner, None  # the NFVO cannot reach us: reading the occurrence will do
        return runner, str(created["id"])

    def _draw(self, final: bool = False) -> None:
        now = time.monotonic()
        lines = [
            f"  {vnf[:8]}  {status:<24} {now - since:6.1f}s"
            for vnf, (status, since) in sorted(self.vnfs.items())
        ]
        if sys.stderr.isatty() and self._drawn:
            click.echo(f"\x1b[{self._drawn}F\x1b[J", nl=False, err=True)
        elif not sys.stderr.isatty() and not final:
            return
        for line in lines:
            click.echo(line, err=True)
        self._drawn = len(lines)

    async def run(self, within: float) -> dict[str, Any]:
        runner, subscription = await self._subscribe()
        try:
            async with asyncio.timeout(within):
                while True:
                    occurrence: dict[str, Any] = await self.api.request(
                        "GET", f"/ns_lcm_op_occs/{self.occurrence_id}"
                    )
                    if occurrence["operationState"] not in MOVING:
                        self._draw(final=True)
                        return occurrence
                    self._draw()
                    self._changed.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(POLL_SECONDS):
                            await self._changed.wait()
        finally:
            if subscription is not None:
                await self.api.request("DELETE", f"/subscriptions/{subscription}", 204)
            await runner.cleanup()
