"""``nfvo demo``: the main job, as far as it is built, on embedded defaults.

Each capability that lands makes this do more real work; what is not built yet is
said plainly at the end rather than faked.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import click
import yaml

from descriptors.build import build_package
from descriptors.package_security import PackageSigner, SecurityOption, SignaturePolicy
from descriptors.summary import SHIPPED, describe_core
from nfvo.cli.catalog_client import CatalogClient, Signing, onboard_shipped
from nfvo.cli.commands.package import validate
from nfvo.cli.commands.placement import CORE_NETWORKS, plan_core
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.demo_ca import DemoAuthority, make_demo_authority
from nfvo.cli.demo_cloud import boot_existing_workload, observed_site, simulated_cloud
from nfvo.cli.discovery import Access
from nfvo.cli.faces import NSDS, PACKAGES
from nfvo.cli.output import render
from nfvo.store.connection import redis_for
from nfvo.store.embedded import free_port
from nfvo.store.events import Event, EventStream, publish, read_all
from nfvo.store.keys import Keyspace
from nfvo.vim.inventory import load_inventory

NSD_TREE = "5gc-sa"
LAB_INVENTORY = Path(__file__).resolve().parents[3] / "simulators/openstack/inventories/lab.yaml"

NOT_BUILT = [
    "the NS lifecycle (instantiate, scale, heal, terminate) and the VNF manager",
    "monitoring, alarms and self-healing",
    "the simulated 5G-core test bench (NFs, UE/gNB traffic)",
]


def _heading(text: str) -> None:
    click.secho(f"\n== {text}", bold=True)


async def _store_round_trip(cli: CliContext) -> None:
    settings = cli.settings
    where = settings.redis_url or "embedded redis-server (throw-away for the demo)"
    _heading(f"Store: {where}")
    async with redis_for(
        settings.redis_url, settings.data_dir, owned=False, binary=settings.redis_server_binary
    ) as redis:
        info = await redis.info("server")
        click.echo(f"redis {info['redis_version']} answers PING: {await redis.ping()}")
        keyspace = Keyspace(f"{settings.key_prefix}-demo")
        event = Event(source="nfvo/demo", type="demo.started", subject="demo/1", data={"ok": True})
        await publish(redis, keyspace, EventStream.LCM, event)
        back = await read_all(redis, keyspace, EventStream.LCM)
        click.echo(f"event {event.id} written to {keyspace.stream(EventStream.LCM)} and read back")
        if not back or back[-1] != event:
            raise click.ClickException("the event stream returned a different event")
        await redis.delete(keyspace.stream(EventStream.LCM))


def _signer(authority: DemoAuthority) -> Signing:
    """VNF packages sign their manifest and each image alone (option 1), the NSD its
    whole CSAR (option 2): both of SOL004's security options in one run."""

    def signer(tree: Path) -> PackageSigner:
        if tree.name == NSD_TREE:
            return authority.signer(SecurityOption.OPTION_2)
        return authority.signer(SecurityOption.OPTION_1, artifacts=True)

    return signer


def _packages(ctx: click.Context, authority: DemoAuthority) -> None:
    with tempfile.TemporaryDirectory(prefix="nfvo-demo-") as work:
        dist = Path(work) / "dist"
        trees = sorted(path for path in SHIPPED.iterdir() if path.is_dir())
        _heading(
            f"Shipped 5G-core packages: {len(trees)} built, signed by {authority.vendor} "
            "(a demo CA made for this run) and validated (strict)"
        )
        signer = _signer(authority)
        archives = [build_package(tree, dist, signer(tree)) for tree in trees]
        ctx.invoke(
            validate,
            paths=tuple(archives),
            output="table",
            strict=True,
            trust_anchors=authority.trust_anchors,
        )
        _heading("The 5G core they describe")
        policy = SignaturePolicy(trust_anchors=authority.trust_anchors)
        click.echo(describe_core(Path(work) / "described", dist, policy))


async def _catalogue(cli: CliContext, authority: DemoAuthority) -> None:
    """``nfvo serve`` as its own process, every shipped package onboarded through it,
    trusting the demo CA and nothing else."""
    _heading("SOL005 catalogue: `nfvo serve`, the shipped packages onboarded over HTTP")
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="nfvo-demo-serve-") as data:
        env = {
            **os.environ,
            "NFVO_DATA_DIR": data,  # the server's own embedded Redis unless REDIS_URL is set
            "NFVO_KEY_PREFIX": f"{cli.settings.key_prefix}-demo-{secrets.token_hex(4)}",
            "NFVO_ADMIN_PASSWORD": password,  # tokens are real: the demo is the admin client
            "NFVO_PACKAGE_TRUST_ANCHORS": str(authority.trust_anchors),
        }
        config = ["--config", str(cli.config_file)] if cli.config_file else []
        port = str(free_port())
        argv = [
            sys.executable,
            "-m",
            "nfvo",
            *config,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            port,
        ]
        server = await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=asyncio.subprocess.PIPE
        )
        assert server.stdout is not None
        try:
            line = (await asyncio.wait_for(server.stdout.readline(), 60)).decode().split()
            if not line or line[0] != "READY":
                raise click.ClickException("nfvo serve did not start (see its output above)")
            click.echo(f"nfvo serve is listening at {line[1]}; onboarding as the admin client")

            def done(row: dict[str, Any]) -> None:
                name = row.get("vnfProductName") or row.get("nsdName")
                state = row.get("onboardingState") or row.get("nsdOnboardingState")
                signature = row.get("packageSignature")
                signed = f"signed by {signature['signer']}" if signature else "unsigned"
                click.echo(f"  {name:<16} {state:<10} {row['id']}  {signed}")

            access = Access(client=("admin", password))
            rows = await onboard_shipped(line[1], SHIPPED, access, done, _signer(authority))
            if any(
                "ERROR" in (row.get("onboardingState"), row.get("nsdOnboardingState"))
                for row in rows
            ):
                raise click.ClickException("a shipped package failed to onboard")
            for face in (PACKAGES, NSDS):
                async with CatalogClient(line[1], access, face) as client:
                    listed = await client.request("GET", "", 200)
                click.echo(f"\nGET {face.container}: {len(listed)} entries")
                render(listed, face.columns, "table")
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), 30)
            await _forget(cli, env["NFVO_KEY_PREFIX"])


async def _forget(cli: CliContext, prefix: str) -> None:
    """Leave a shared Redis as the demo found it (an embedded one went with its data)."""
    if not cli.settings.redis_url:
        return
    async with redis_for(cli.settings.redis_url, cli.settings.data_dir, owned=False) as redis:
        async for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
            await redis.delete(key)


async def _live_plan(inventory: Path, picture: Path) -> None:
    _heading("The same plan on the simulated OpenStack, around what already runs there")
    async with simulated_cloud(inventory) as vim:
        click.echo("simulated OpenStack started from the same inventory (its own process)")
        click.echo(f"another team's workload booted: {await boot_existing_workload(vim)}")
        site = await observed_site(vim, inventory)
    click.echo(
        f"live graph read through openstacksdk: {site.servers_counted} server(s) counted"
        + "".join(f"\n  note: {caveat}" for caveat in site.caveats)
    )
    plan = partial(plan_core, SHIPPED, inventory, "lab", CORE_NETWORKS, picture, site)
    click.echo(await asyncio.to_thread(plan))
    click.echo(f"picture: {picture}")


def _plan(inventory: Path, picture: Path) -> None:
    _heading(f"Placement plan of the 5G core (level lab) on {inventory.name}")
    click.echo("networks: " + " ".join(CORE_NETWORKS))
    click.echo(plan_core(SHIPPED, inventory, "lab", CORE_NETWORKS, picture=picture))
    click.echo(f"picture: {picture}")


@click.command("demo")
@click.option(
    "--inventory",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=LAB_INVENTORY,
    show_default=True,
    help="Site inventory of the cloud to describe.",
)
@click.option(
    "-d",
    "--output-dir",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/demo"),
    show_default=True,
    help="Where pictures are written.",
)
@pass_cli
@click.pass_context
def COMMAND(ctx: click.Context, cli: CliContext, inventory: Path, output: Path) -> None:  # noqa: N802
    """Run the main job on embedded defaults and say what it did."""
    _heading("Effective configuration")
    click.echo(yaml.safe_dump(cli.settings.redacted(), sort_keys=True).rstrip())
    asyncio.run(_store_round_trip(cli))
    with tempfile.TemporaryDirectory(prefix="nfvo-demo-ca-") as ca:
        authority = make_demo_authority(Path(ca))
        _packages(ctx, authority)
        asyncio.run(_catalogue(cli, authority))
    _heading(f"Site inventory {inventory.name} (validated against its schema)")
    click.echo(yaml.safe_dump(load_inventory(inventory).summary(), sort_keys=False).rstrip())
    _plan(inventory, output / "placement-lab.png")
    asyncio.run(_live_plan(inventory, output / "placement-lab-live.png"))
    _heading("Not built yet")
    for item in NOT_BUILT:
        click.echo(f"  - {item}")
