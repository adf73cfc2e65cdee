"""``nfvo worker``: run job workers against a shared Redis, in this process.

The Redis is ``redis_url``, else the one a local ``nfvo serve`` owns and publishes in
the data directory (a worker beside it needs nothing configured).

It opens the same runtime as ``nfvo serve`` (so its job steps get the same services:
blob store, VIM registry, notifier, placement sites) without serving HTTP, and runs
the NFVO's job types and notification delivery. Processes sharing a Redis must share
the secret key (``secret_key``, or the key file in a shared ``data_dir``) and the blob
store, since a job may run in any of them.

``--jobs MODULE`` is the plug-in hook: MODULE's ``register_jobs(registry)`` adds job
types beside the NFVO's (every worker reading the same Redis must know the same job
types). SIGTERM or SIGINT stops the worker gracefully: it takes no new job and lets
running ones finish for ``--grace`` seconds; what it had to cancel another worker
resumes once the lease has lapsed.
"""

from __future__ import annotations

import asyncio
import importlib
import signal

import click

from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.discovery import redis_url_of
from nfvo.config import Settings
from nfvo.platform import Background
from nfvo.runtime import JobTypes, open_runtime
from nfvo.store.workers import DEFAULT_LEASE_SECONDS


async def _work(settings: Settings, background: Background, plugins: list[JobTypes]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    async with open_runtime(settings, background, plugins) as runtime:
        pool = runtime.platform.pool
        name = pool.name if pool else "(no pool)"
        click.echo(f"worker {name} ready: job types {', '.join(runtime.platform.jobs)}")
        await stop.wait()
        click.echo(f"worker {name} stopping")


def _plugin(module: str) -> JobTypes:
    try:
        register: JobTypes = importlib.import_module(module).register_jobs
    except ImportError as exc:
        raise click.UsageError(f"--jobs {module}: {exc}") from exc
    except AttributeError:
        raise click.UsageError(f"--jobs {module}: it has no register_jobs(registry)") from None
    return register


@click.command("worker")
@click.option(
    "--jobs",
    "modules",
    multiple=True,
    metavar="MODULE",
    help="A plug-in module whose register_jobs(registry) adds job types (repeatable).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Jobs this process runs at once.",
)
@click.option(
    "--lease-seconds",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_LEASE_SECONDS,
    show_default=True,
    help="Lease on a running job; renewed every third of it, lost by a dead worker.",
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds running jobs get to finish on SIGTERM.",
)
@pass_cli
def COMMAND(  # noqa: N802
    cli: CliContext, modules: tuple[str, ...], concurrency: int, lease_seconds: float, grace: float
) -> None:
    """Run job workers against the shared Redis until SIGTERM or SIGINT."""
    settings = cli.settings
    # The shared Redis: redis_url, else the one a local `nfvo serve` owns and publishes.
    url, _source = redis_url_of(settings, "nfvo worker")
    settings = settings.model_copy(update={"redis_url": url})
    plugins = [_plugin(module) for module in modules]
    background = Background(
        workers=concurrency,
        follow_vims=False,  # the serving process follows the VIMs
        grace=grace,
        lease_seconds=lease_seconds,
    )
    asyncio.run(_work(settings, background, plugins))
