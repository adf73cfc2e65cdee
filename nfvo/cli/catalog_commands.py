"""The online catalogue commands (``nfvo package onboard|list|show|enable|disable|delete|
download`` and the same under ``nfvo nsd``): HTTP clients of the API that
``nfvo.cli.discovery`` finds.

``onboard`` checks every package on this machine first (``nfvo.cli.package_check``,
signatures left to the server) and creates nothing when one is invalid or of the other
kind; each entry an operator names may be given by id, product name or descriptor id.
The HTTP client is imported only when a command runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.errors import CliError
from nfvo.cli.faces import NSDS, Face
from nfvo.cli.output import OUTPUT, Column, render

if TYPE_CHECKING:
    from nfvo.cli.catalog_client import CatalogClient
    from nfvo.cli.package_check import Checked

FAILURE = "onboardingFailureDetails"

T = TypeVar("T")
# What a package that failed to onboard said of itself (its manifest's metadata).
_NAME_KEYS = ("vnf_product_name", "nsd_name")
_VERSION_KEYS = ("vnf_package_version", "nsd_file_structure_version")
NAME = click.argument("name", metavar="NAME")


def _with_client(cli: CliContext, face: Face, call: Callable[[CatalogClient], Awaitable[T]]) -> T:
    import asyncio

    from nfvo.cli.catalog_client import CatalogClient
    from nfvo.cli.discovery import server_of

    async def run() -> T:
        async with CatalogClient.of(server_of(cli.settings), face) as client:
            return await call(client)

    return asyncio.run(run())


def _read_back(attribute: str, keys: tuple[str, ...], entry: dict[str, Any]) -> str:
    """The entry's attribute, or for an entry in ERROR what its package said of itself."""
    if entry.get(attribute):
        return str(entry[attribute])
    metadata = (entry.get("onboardingFailureDetails") or {}).get("packageMetadata") or {}
    return next((f"{metadata[key]} (read)" for key in keys if metadata.get(key)), "")


def _columns(face: Face) -> list[str | Column]:
    identifier, name, version, *states = face.columns
    return [
        identifier,
        Column(name, partial(_read_back, name, _NAME_KEYS)),
        Column(version, partial(_read_back, version, _VERSION_KEYS)),
        *states,
    ]


def _failure_text(face: Face, entry: dict[str, Any]) -> str:
    details = entry.get("onboardingFailureDetails") or {}
    problems = details.get("problems") or []
    name = _read_back(face.columns[1], _NAME_KEYS, entry) or entry["id"]
    lines = [f"{name}: onboarding failed ({len(problems)} problem(s)), entry {entry['id']}"]
    for item in problems:
        where = ":".join(str(p) for p in (item.get("file"), item.get("line")) if p)
        lines.append(f"  {where + ': ' if where else ''}{item['message']}")
    return "\n".join(lines) if problems else f"{name}: {details.get('detail', 'ERROR')}"


def _checked_here(face: Face, paths: tuple[Path, ...], work: Path) -> list[Path]:
    """Each package checked on this machine, built if it is a directory: the archives to
    upload. An invalid package, or one of the other kind, stops everything."""
    from nfvo.cli.package_check import build, check_package

    wanted = "nsd" if face is NSDS else "vnf"
    archives, invalid, misplaced = [], [], []
    for index, path in enumerate(paths):
        checked = check_package(path, work / str(index))
        _report(checked)
        if not checked.valid:
            invalid.append(f"{path} is invalid")
        elif checked.kind != wanted:
            misplaced.append(f"{path} is {'an NSD' if checked.kind == 'nsd' else 'a VNF package'}")
        elif path.is_dir():
            archives.append(build(path, work / str(index) / "upload"))
        else:
            archives.append(path)
    if invalid or misplaced:
        other = "nfvo package onboard" if wanted == "nsd" else "nfvo nsd onboard"
        hint = f"onboard it with {other}" if misplaced else "fix the errors listed above"
        raise CliError(f"nothing onboarded: {'; '.join(invalid + misplaced)}", hint)
    return archives


def _report(checked: Checked) -> None:
    for problem in sorted(checked.problems, key=lambda p: p.severity.value != "error"):
        click.echo(f"{checked.path}: {problem}", err=True)


def add_online_commands(group: click.Group, face: Face, noun: str) -> None:
    """Add onboard, list, show, enable, disable, delete and download to ``group``."""
    names = ", ".join(face.names)

    @group.command("onboard")
    @click.argument(
        "archives", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
    )
    @click.option(
        "--wait", is_flag=True, help="Wait until each is ONBOARDED or ERROR, showing its step."
    )
    @click.option(
        "--timeout",
        "within",
        type=click.FloatRange(min=1),
        default=600.0,
        show_default=True,
        help="Seconds --wait waits for each entry.",
    )
    @OUTPUT
    @pass_cli
    def onboard(
        cli: CliContext, archives: tuple[Path, ...], wait: bool, within: float, output: str
    ) -> None:
        """Check each package here, then upload and onboard it (a directory is built into
        a CSAR first); nothing is created when one is invalid."""
        from nfvo.cli.catalog_client import upload
        from nfvo.cli.progress import Status

        async def onboard_all(client: CatalogClient) -> list[dict[str, Any]]:
            rows = []
            for archive, size in files.items():
                record_id = await upload(client, archive, size)
                if wait:
                    rows.append(await client.wait(record_id, within, Status(archive.name)))
                else:
                    rows.append(await client.request("GET", f"/{record_id}"))
            return rows

        with tempfile.TemporaryDirectory(prefix="nfvo-onboard-") as work:
            files = {
                path: path.stat().st_size for path in _checked_here(face, archives, Path(work))
            }
            rows = _with_client(cli, face, onboard_all)
        render(rows, _columns(face), output)
        failed = [row for row in rows if row[face.state] == "ERROR"]
        for row in failed:
            click.echo(_failure_text(face, row), err=True)
        if failed:
            raise SystemExit(1)

    @group.command("list")
    @click.option(
        "--filter",
        "flt",
        default=None,
        help=f"A SOL013 filter, e.g. (eq,{face.state},ONBOARDED).",
    )
    @OUTPUT
    @pass_cli
    def list_(cli: CliContext, flt: str | None, output: str) -> None:
        # Failure details too: an entry in ERROR is named by what its package said.
        params = {"fields": FAILURE, **({"filter": flt} if flt else {})}
        rows = _with_client(cli, face, lambda c: c.request("GET", "", params=params))
        render(rows, _columns(face), output)

    list_.help = f"List {noun}s, those in ERROR named by what could be read of them."

    @group.command("show")
    @NAME
    @OUTPUT
    @pass_cli
    def show(cli: CliContext, name: str, output: str) -> None:
        async def get(client: CatalogClient) -> Any:
            found = await client.find(name)
            return await client.request("GET", f"/{found['id']}?all_fields")

        render(_with_client(cli, face, get), (), output)

    show.help = f"Show one {noun} with every attribute; NAME is its id or {names}."

    def _state(command: str, state: str) -> None:
        @group.command(command)
        @NAME
        @pass_cli
        def change(cli: CliContext, name: str) -> None:
            async def patch(client: CatalogClient) -> str:
                record_id = str((await client.find(name))["id"])
                merge = {"Content-Type": "application/merge-patch+json"}
                body = {face.operational: state}
                await client.request("PATCH", f"/{record_id}", json=body, headers=merge)
                return record_id

            click.echo(f"{_with_client(cli, face, patch)} {state}")

        change.help = f"Set the {noun}'s operational state to {state}; NAME as for show."

    _state("enable", "ENABLED")
    _state("disable", "DISABLED")

    @group.command("delete")
    @NAME
    @pass_cli
    def delete(cli: CliContext, name: str) -> None:
        async def remove(client: CatalogClient) -> str:
            record_id = str((await client.find(name))["id"])
            await client.request("DELETE", f"/{record_id}", 204)
            return record_id

        click.echo(f"{_with_client(cli, face, remove)} deleted")

    delete.help = f"Delete a {noun} (it must be DISABLED and NOT_IN_USE); NAME as for show."

    @group.command("download")
    @NAME
    @click.option(
        "-f",
        "--file",
        "target",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help="Where to write the content.",
    )
    @pass_cli
    def download(cli: CliContext, name: str, target: Path) -> None:
        async def fetch(client: CatalogClient) -> int:
            return await client.download(str((await client.find(name))["id"]), target)

        click.echo(f"{target}: {_with_client(cli, face, fetch)} bytes")

    download.help = f"Write the onboarded content of a {noun} to FILE; NAME as for show."
