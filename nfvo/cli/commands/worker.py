"""``nfvo worker``: run job workers against a shared Redis, in this process.

Job types come from the process-wide registry (``nfvo.store.steps.REGISTRY``), which
the orchestrator's own packages populate at import; ``--import MODULE`` imports more
modules that register job types (plug-ins). Every worker reading the same Redis must
know the same job types. SIGTERM or SIGINT stops the worker gracefully: it takes no
new job and lets running ones finish for ``--grace`` seconds; what it had to cancel
another worker resumes once the lease has lapsed.
"""

from __future__ import annotations

import asyncio
import importlib
import signal

import click

from nfvo.cli.context import CliContext, pass_cli
from nfvo.store.connection import connect
from nfvo.store.keys import Keyspace
from nfvo.store.steps import REGISTRY
from nfvo.store.workers import DEFAULT_LEASE_SECONDS, WorkerPool


async def _serve(pool: WorkerPool, grace: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    await pool.start()
    click.echo(f"worker {pool.name} ready: job types {', '.join(REGISTRY) or '(none)'}")
    await stop.wait()
    click.echo(f"worker {pool.name} stopping")
    await pool.stop(grace=grace)


async def _run(url: str, prefix: str, concurrency: int, lease: float, grace: float) -> None:
    redis = connect(url)
    try:
        pool = WorkerPool(
            redis, Keyspace(prefix), REGISTRY, concurrency=concurrency, lease_seconds=lease
        )
        await _serve(pool, grace)
    finally:
        await redis.aclose()


@click.command("worker")
@click.option(
    "--import",
    "modules",
    multiple=True,
    metavar="MODULE",
    help="Import MODULE first; it registers job types (repeatable).",
)
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_LEASE_SECONDS,
    show_default=True,
    help="Lease on a running job; renewed every third of it, lost by a dead worker.",
)
@click.option("--grace", type=click.FloatRange(min=0), default=10.0, show_default=True)
@pass_cli
def COMMAND(  # noqa: N802
    cli: CliContext, modules: tuple[str, ...], concurrency: int, lease_seconds: float, grace: float
) -> None:
    """Run job workers against the shared Redis until SIGTERM or SIGINT."""
    settings = cli.settings
    if settings.redis_url is None:
        raise click.UsageError(
            "nfvo worker needs a shared Redis: set redis_url (NFVO_REDIS_URL or REDIS_URL)"
        )
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise click.UsageError(f"--import {module}: {exc}") from exc
    asyncio.run(_run(settings.redis_url, settings.key_prefix, concurrency, lease_seconds, grace))
