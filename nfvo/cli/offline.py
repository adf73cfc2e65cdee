"""What the offline commands share (``nfvo vim``, ``nfvo vnfm``): the shared Redis, the
key prefix and the secret box, opened for one action and closed after it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click
import redis.asyncio as aioredis

from nfvo.cli.context import CliContext
from nfvo.store.connection import connect
from nfvo.store.errors import StoreError
from nfvo.store.keys import Keyspace
from nfvo.store.secrets import SecretBox

T = TypeVar("T")
Action = Callable[[aioredis.Redis, Keyspace, SecretBox], Awaitable[T]]


def on_store(cli: CliContext, command: str, action: Action[T]) -> T:
    """Run ``action`` on the shared Redis; its refusals become CLI errors."""
    settings = cli.settings
    if settings.redis_url is None:
        raise click.UsageError(
            f"{command} needs the shared Redis: set redis_url (NFVO_REDIS_URL or REDIS_URL)"
        )
    url, keyspace = settings.redis_url, Keyspace(settings.key_prefix)
    try:
        box = SecretBox.from_settings(settings)
    except ValueError as exc:
        raise click.UsageError(f"secret_key: {exc}") from exc

    async def run() -> T:
        redis = connect(url)
        try:
            return await action(redis, keyspace, box)
        finally:
            await redis.aclose()

    try:
        return asyncio.run(run())
    except (StoreError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
