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
from descriptors.loader import load_package
from descriptors.package_security import PackageSigner, SecurityOption, SignaturePolicy
from descriptors.summary import SHIPPED, describe_core
from nfvo.cli.catalog_client import CatalogClient, Signing, onboard_shipped
from nfvo.cli.commands.package import validate
from nfvo.cli.commands.placement import CORE_NETWORKS, plan_core
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.demo_ca import DemoAuthority, make_demo_authority
from nfvo.cli.demo_cloud import boot_existing_workload, observed_site, simulated_cloud
from nfvo.cli.demo_ns import main_job
from nfvo.cli.discovery import Access
from nfvo.cli.faces import NSDS, PACKAGES
from nfvo.cli.ns_client import NSLCM
from nfvo.cli.output import render
from nfvo.lcm.ns_operations import dependencies
from nfvo.store.connection import redis_for
from nfvo.store.embedded import free_port
from nfvo.store.events import Event, EventStream, publish, read_all
from nfvo.store.keys import Keyspace
from nfvo.vim.facade import Vim
from nfvo.vim.inventory import load_inventory
from nfvo.vim.session import VimSpec

NSD_TREE = "5gc-sa"
LAB_INVENTORY = Path(__file__).resolve().parents[3] / "simulators/openstack/inventories/lab.yaml"

# The simulated cloud's delays (boots, deletes) at a fifth of a real one's: the timeline
# keeps its shape and the demo its pace.
CLOUD_TIME_SCALE = 0.2
NOT_BUILT = [
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


async def _core(cli: CliContext, authority: DemoAuthority, inventory: Path, output: Path) -> None:
    """``nfvo up`` as its own process (Redis, the simulated OpenStack, the NFVO with its
    VNF manager), every shipped package onboarded through it trusting the demo CA and
    nothing else, then the main job: the 5G core deployed, scaled and terminated."""
    _heading("`nfvo up`: Redis, the simulated OpenStack, the NFVO and its VNF manager")
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="nfvo-demo-up-") as data:
        env = {
            **os.environ,
            "NFVO_DATA_DIR": data,  # its own embedded Redis unless REDIS_URL is set
            "NFVO_KEY_PREFIX": f"{cli.settings.key_prefix}-demo-{secrets.token_hex(4)}",
            "NFVO_ADMIN_PASSWORD": password,  # tokens are real: the demo is the admin client
            "NFVO_PACKAGE_TRUST_ANCHORS": str(authority.trust_anchors),
        }
        config = ["--config", str(cli.config_file)] if cli.config_file else []
        argv = [sys.executable, "-m", "nfvo", *config, "up", "--host", "127.0.0.1",
                "--port", str(free_port()), "--inventory", str(inventory),
                "--time-scale", str(CLOUD_TIME_SCALE)]  # fmt: skip
        server = await asyncio.create_subprocess_exec(
            *argv, env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            url = await _ready(server)
            click.echo(f"onboarding as the admin client at {url}")
            access = Access(client=("admin", password))
            rows = await _onboard(url, access, authority)
            nsd_id = next(row["nsdId"] for row in rows if row.get("nsdName"))
            _heading("The main job: the 5G core through /nslcm/v2, built by the VNF manager")
            clouds = yaml.safe_load((Path(data) / "clouds.yaml").read_text())
            async with (
                Vim(VimSpec("lab", clouds["clouds"]["sim"], admin=True)) as vim,
                CatalogClient(url, access, NSLCM) as api,
            ):
                try:
                    await main_job(api, vim, nsd_id, _dependencies(Path(data)), output, click.echo)
                except RuntimeError as failed:  # an operation that did not complete
                    raise click.ClickException(str(failed)) from None
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), 60)
            await _forget(cli, env["NFVO_KEY_PREFIX"])


async def _ready(server: asyncio.subprocess.Process) -> str:
    """Its endpoints echoed up to ``READY <url>``; the URL."""
    assert server.stdout is not None
    while True:
        line = (await asyncio.wait_for(server.stdout.readline(), 90)).decode()
        if not line:
            raise click.ClickException("nfvo up did not start (see its output above)")
        if line.startswith("READY"):
            return line.split()[1]
        click.echo(f"  {line.rstrip()}")


async def _onboard(url: str, access: Access, authority: DemoAuthority) -> list[dict[str, Any]]:
    def done(row: dict[str, Any]) -> None:
        name = row.get("vnfProductName") or row.get("nsdName")
        state = row.get("onboardingState") or row.get("nsdOnboardingState")
        signature = row.get("packageSignature")
        signed = f"signed by {signature['signer']}" if signature else "unsigned"
        click.echo(f"  {name:<16} {state:<10} {row['id']}  {signed}")

    rows = await onboard_shipped(url, SHIPPED, access, done, _signer(authority))
    if any("ERROR" in (row.get("onboardingState"), row.get("nsdOnboardingState")) for row in rows):
        raise click.ClickException("a shipped package failed to onboard")
    for face in (PACKAGES, NSDS):
        async with CatalogClient(url, access, face) as client:
            listed = await client.request("GET", "", 200)
        click.echo(f"\nGET {face.container}: {len(listed)} entries")
        render(listed, face.columns, "table")
    return rows


def _dependencies(work: Path) -> dict[str, list[str]]:
    """VNF profile -> the profiles it waits for, as the shipped NSD's default flavour says."""
    nsd = load_package(SHIPPED / NSD_TREE, work / "nsd").nsd
    assert nsd is not None
    return dependencies(nsd.flavours[0])


async def _forget(cli: CliContext, prefix: str) -> None:
    """Leave a shared Redis as the demo found it (an embedded one went with its data)."""
    if not cli.settings.redis_url:
        return
    async with redis_for(cli.settings.redis_url, cli.settings.data_dir, owned=False) as redis:
        # The VNF manager the server mounts keeps its keys under <prefix>-vnfm.
        for keys in (prefix, f"{prefix}-vnfm"):
            async for key in redis.scan_iter(match=f"{keys}:*", count=1000):
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
        asyncio.run(_core(cli, authority, inventory, output))
    _heading(f"Site inventory {inventory.name} (validated against its schema)")
    click.echo(yaml.safe_dump(load_inventory(inventory).summary(), sort_keys=False).rstrip())
    _plan(inventory, output / "placement-lab.png")
    asyncio.run(_live_plan(inventory, output / "placement-lab-live.png"))
    _heading("Not built yet")
    for item in NOT_BUILT:
        click.echo(f"  - {item}")
