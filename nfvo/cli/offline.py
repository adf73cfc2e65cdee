"""What the offline commands share (``nfvo vim``, ...): the orchestrator's Redis, the key
prefix and the secret box, opened for one action and closed after it.

The Redis is ``redis_url`` when set, else the one a local ``nfvo serve`` owns and
publishes in the data directory (``nfvo.cli.discovery``), so that ``nfvo vim add`` works
beside ``nfvo serve`` with nothing configured. A Redis that does not answer is said with
its address (password masked) and where it came from.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, ConnectionError, TimeoutError

from nfvo.cli.context import CliContext
from nfvo.cli.discovery import redis_url_of
from nfvo.cli.errors import CliError
from nfvo.log import mask_url_password
from nfvo.store.connection import connect
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox

T = TypeVar("T")
Action = Callable[[aioredis.Redis, Keyspace, SecretBox], Awaitable[T]]


def on_store(cli: CliContext, command: str, action: Action[T]) -> T:
    """Run ``action`` on the orchestrator's Redis (``command`` names the command in
    messages); the refusals of the store are said by the root command (nfvo.cli.errors)."""
    settings = cli.settings
    url, source = redis_url_of(settings, command)
    keyspace = Keyspace(settings.key_prefix)
    try:
        box = SecretBox.from_settings(settings)
    except ValueError as exc:
        raise CliError(f"secret_key: {exc}", "set secret_key (NFVO_SECRET_KEY)") from None

    async def run() -> T:
        redis = connect(url)
        try:
            await redis.ping()  # a Redis that is not there is said before anything else
            return await action(redis, keyspace, box)
        finally:
            await redis.aclose()

    try:
        return asyncio.run(run())
    except AuthenticationError as exc:
        raise CliError(
            f"Redis at {mask_url_password(url)} ({source}) refused the password: {exc}",
            "check the password in redis_url (NFVO_REDIS_URL)",
        ) from None
    except (ConnectionError, TimeoutError) as exc:
        raise CliError(
            f"cannot reach Redis at {mask_url_password(url)} ({source}): {exc}",
            "is `nfvo serve` running? Or set redis_url (NFVO_REDIS_URL) to the orchestrator's",
        ) from None
    except ValueError as exc:  # a record the store cannot read (another secret key, ...)
        raise CliError(str(exc)) from None
