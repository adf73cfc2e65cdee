"""One VIM's connection: a bounded thread pool in front of blocking openstacksdk.

Every call runs on this VIM's own pool (the event loop never blocks), at most
``max_concurrency`` at a time, with the caller's context copied into the thread and
the wait shielded, so a cancelled caller cannot orphan a half-done request. Hot paths
use the SDK's proxies as plain REST adapters (``request``): its resource helpers cost
milliseconds of CPU per call. Idempotent requests are retried on transient errors;
creates go through :meth:`VimSession.create_once`, which looks before it creates and
looks again after an error that may have hidden a success.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openstack
import orjson
from openstack import exceptions as sdk
from openstack.connection import Connection

from nfvo.vim.errors import VimError, VimRefused, from_exception

T = TypeVar("T")
log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts."""

    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True)
class VimSpec:
    """How to reach one VIM: a clouds.yaml-style entry plus what we may do there."""

    name: str
    cloud: dict[str, Any]
    admin: bool = False
    max_concurrency: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class VimSession:
    def __init__(self, spec: VimSpec) -> None:
        self.spec = spec
        self._pool = ThreadPoolExecutor(
            max_workers=spec.max_concurrency, thread_name_prefix=f"vim-{spec.name}"
        )
        self._slots = asyncio.Semaphore(spec.max_concurrency)
        self._connection: Connection | None = None
        self._pinned: set[str] = set()  # services whose endpoint is resolved once

    @property
    def name(self) -> str:
        return self.spec.name

    async def open(self) -> None:
        if self._connection is None:
            self._connection = await self.blocking("connect", self._connect, mutating=False)

    def _connect(self) -> Connection:
        # Only the given entry counts: no clouds.yaml search, no OS_* variables (the
        # orchestrator's configuration is the only reader of the environment).
        connection = openstack.connect(
            load_yaml_config=False, load_envvars=False, app_name="nfvo", **self.spec.cloud
        )
        connection.authorize()
        # requests would otherwise scan the process environment for proxy settings on
        # every request (a sixth of its CPU); our settings are the only source.
        connection.session.session.trust_env = False
        return connection

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await asyncio.get_running_loop().run_in_executor(self._pool, connection.close)
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise VimRefused(self.name, "use", "the session is not open")
        return self._connection

    async def blocking(
        self, call: str, function: Callable[..., T], *args: Any, mutating: bool = True
    ) -> T:
        """Run ``function`` on this VIM's pool; SDK errors become VimErrors."""
        context = contextvars.copy_context()
        async with self._slots:
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(
                self._pool, functools.partial(context.run, function, *args)
            )
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                # The thread cannot be interrupted; let it finish before giving up the slot.
                await asyncio.wait([future])
                raise
            except Exception as exc:
                raise from_exception(self.name, call, exc, mutating=mutating) from exc

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        call: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        microversion: str | None = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Any:
        """One REST request through ``service``'s proxy; the parsed JSON body, or None.

        GET, PUT and DELETE are retried on transient errors; POST is not (see
        :meth:`create_once`).
        """
        mutating = method not in ("GET", "HEAD")

        def send() -> Any:
            proxy = self._proxy(service)
            response = proxy.request(
                path,
                method,
                json=json,
                params=params,
                microversion=microversion,
                headers=headers,
                data=data,
                raise_exc=False,
            )
            sdk.raise_from_response(response)
            return orjson.loads(response.content) if response.content else None

        attempt = functools.partial(self.blocking, call, send, mutating=mutating)
        if method in IDEMPOTENT_METHODS:
            return await self.retrying(call, attempt)
        return await attempt()

    def _proxy(self, service: str) -> Any:
        """The service's proxy, its endpoint pinned after the first catalogue lookup:
        keystoneauth otherwise normalises and deep-copies the catalogue on every call
        (a quarter of a request's CPU). Called in a pool thread."""
        proxy = getattr(self.connection, service)
        if service not in self._pinned:
            proxy.endpoint_override = proxy.get_endpoint()
            self._pinned.add(service)
        return proxy

    async def retrying(self, call: str, attempt: Callable[[], Awaitable[T]]) -> T:
        policy = self.spec.retry
        for number in range(policy.attempts):
            try:
                return await attempt()
            except VimError as error:
                if not error.retryable or number == policy.attempts - 1:
                    raise
                log.info("retrying %s on VIM %s: %s", call, self.name, error.message)
                await asyncio.sleep(policy.delay(number))
        raise AssertionError("unreachable")  # pragma: no cover

    async def create_once(
        self,
        call: str,
        lookup: Callable[[], Awaitable[T | None]],
        create: Callable[[], Awaitable[T]],
    ) -> T:
        """Find the resource, else create it; after an error that may have hidden a
        success, find it again before another try, so a resource is never made twice."""
        found = await lookup()
        if found is not None:
            return found
        policy = self.spec.retry
        for number in range(policy.attempts):
            try:
                return await create()
            except VimError as error:
                if not error.retryable or number == policy.attempts - 1:
                    raise
                if error.maybe_applied:
                    found = await lookup()
                    if found is not None:
                        return found
                log.info("retrying %s on VIM %s: %s", call, self.name, error.message)
                await asyncio.sleep(policy.delay(number))
        raise AssertionError("unreachable")  # pragma: no cover
