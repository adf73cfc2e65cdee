"""The online catalogue commands: an HTTP client of the SOL005 API at ``nfvo_url``.

``nfvo package onboard|list|show|enable|disable|delete|download`` and ``nfvo nsd ...``
speak only HTTP (the CLI is a client like any OSS), sending ``Authorization: Bearer``
with ``api_token``, or with a token fetched from the built-in token endpoint as the
client ``admin`` when only ``admin_password`` is set (embedded mode).
:func:`onboard_shipped` is what ``make demo`` calls.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import click
import orjson
import yaml

from descriptors.build import build_package
from descriptors.package_security import PackageSigner
from nfvo.cli.context import CliContext, pass_cli
from nfvo.config import Settings
from nfvo.sol.callbacks import basic_header


@dataclass(frozen=True)
class Face:
    """How one kind of entry is addressed (SOL005 clauses 9.4 and 5.4)."""

    container: str
    content: str
    version: str
    state: str
    operational: str
    columns: tuple[str, ...]


PACKAGES = Face(
    "/vnfpkgm/v2/vnf_packages",
    "package_content",
    "2.4.0",
    "onboardingState",
    "operationalState",
    ("id", "vnfProductName", "vnfSoftwareVersion", "onboardingState", "operationalState"),
)
NSDS = Face(
    "/nsd/v2/ns_descriptors",
    "nsd_content",
    "2.3.0",
    "nsdOnboardingState",
    "nsdOperationalState",
    ("id", "nsdName", "nsdVersion", "nsdOnboardingState", "nsdOperationalState"),
)
FINAL = ("ONBOARDED", "ERROR")


class ApiFailure(click.ClickException):
    """A ProblemDetails (or a connection failure) said so that an operator can act."""


def _headers(version: str, token: str | None, **extra: str) -> dict[str, str]:
    headers = {"Version": version, **extra}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


async def _checked(response: aiohttp.ClientResponse, *expected: int) -> Any:
    if response.status not in expected:
        text = await response.text()
        try:
            detail = orjson.loads(text).get("detail", text)
        except orjson.JSONDecodeError:
            detail = text
        raise ApiFailure(f"{response.method} {response.url.path}: {response.status} {detail}")
    if response.content_type == "application/json":
        return await response.json()
    return None


@dataclass(frozen=True)
class Access:
    """How the CLI authenticates: a token as given, or one fetched for a client."""

    token: str | None = None
    client: tuple[str, str] | None = None  # (client_id, secret) for /oauth2/token

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        if settings.api_token:
            return cls(token=settings.api_token.get_secret_value())
        if settings.admin_password:
            return cls(client=("admin", settings.admin_password.get_secret_value()))
        return cls()


async def fetch_token(
    session: aiohttp.ClientSession, base_url: str, client: tuple[str, str]
) -> str:
    """A client-credentials token from the built-in endpoint (RFC 6749 clause 4.4)."""
    url = f"{base_url}/oauth2/token"
    form = {"grant_type": "client_credentials"}
    try:
        headers = {"Authorization": basic_header(*client)}
        async with session.post(url, data=form, headers=headers) as response:
            body = await response.json(content_type=None)
    except (aiohttp.ClientError, orjson.JSONDecodeError, ValueError) as exc:
        raise ApiFailure(f"POST {url}: no token ({exc})") from None
    if response.status != 200 or not isinstance(body, dict) or "access_token" not in body:
        reason = body.get("error_description", body) if isinstance(body, dict) else body
        raise ApiFailure(f"POST {url}: {response.status} {reason}")
    return str(body["access_token"])


class CatalogClient:
    """One session against the API; every method is one SOL005 request or a wait."""

    def __init__(self, base_url: str, access: Access, face: Face) -> None:
        self.base_url = base_url.rstrip("/")
        self.access = access
        self.token = access.token
        self.face = face
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

    async def __aenter__(self) -> CatalogClient:
        if self.token is None and self.access.client is not None:
            try:
                self.token = await fetch_token(self.session, self.base_url, self.access.client)
            except BaseException:
                await self.session.close()
                raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.session.close()

    def _url(self, suffix: str = "") -> str:
        return f"{self.base_url}{self.face.container}{suffix}"

    async def request(self, method: str, suffix: str = "", *expected: int, **kw: Any) -> Any:
        headers = _headers(self.face.version, self.token, **kw.pop("headers", {}))
        try:
            async with self.session.request(method, self._url(suffix), headers=headers, **kw) as r:
                return await _checked(r, *(expected or (200,)))
        except aiohttp.ClientConnectionError as exc:
            raise ApiFailure(f"cannot reach {self.base_url}: {exc}") from None

    async def onboard(self, archive: Path, progress: Callable[[int], None] | None) -> str:
        created = await self.request("POST", "", 201, json={})
        record_id: str = created["id"]
        content_type = "application/zip" if archive.suffix in (".zip", ".csar") else "text/plain"
        await self.request(
            "PUT",
            f"/{record_id}/{self.face.content}",
            202,
            data=_read(archive, progress),
            headers={"Content-Type": content_type},
        )
        return record_id

    async def wait(self, record_id: str, within: float) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                body: dict[str, Any] = await self.request("GET", f"/{record_id}?all_fields")
                if body[self.face.state] in FINAL:
                    return body
                await asyncio.sleep(0.2)

    async def download(self, record_id: str, target: Path) -> int:
        url = self._url(f"/{record_id}/{self.face.content}")
        async with self.session.get(url, headers=_headers(self.face.version, self.token)) as r:
            await _checked(r, 200)
            size = 0
            with target.open("wb") as handle:
                async for chunk in r.content.iter_chunked(1 << 20):
                    handle.write(chunk)
                    size += len(chunk)
            return size


async def _read(path: Path, progress: Callable[[int], None] | None) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            if progress:
                progress(len(chunk))
            yield chunk


def _client(cli: CliContext, face: Face) -> CatalogClient:
    return CatalogClient(cli.settings.nfvo_url, Access.from_settings(cli.settings), face)


def _is_nsd(source: Path) -> bool:
    """An NSD archive's manifest carries nsd_* metadata (SOL007 clause 4.3.2)."""
    return any("nsd_" in mf.read_text(encoding="utf-8") for mf in source.glob("*.mf"))


def render(rows: Any, columns: tuple[str, ...], output: str) -> None:
    if output == "json":
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    if output == "yaml":
        click.echo(yaml.safe_dump(rows, sort_keys=False).rstrip())
        return
    cells = [columns, *[tuple(str(row.get(c, "")) for c in columns) for row in rows]]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())


def _failure_text(body: dict[str, Any]) -> str:
    details = body.get("onboardingFailureDetails") or {}
    problems = details.get("problems") or []
    lines = [f"{body['id']}: onboarding failed ({len(problems)} problem(s))"]
    for item in problems:
        where = ":".join(str(p) for p in (item.get("file"), item.get("line")) if p)
        lines.append(f"  {where + ': ' if where else ''}{item['message']}")
    return "\n".join(lines) if problems else f"{body['id']}: {details.get('detail', 'ERROR')}"


async def _onboard_all(
    client: CatalogClient, archives: tuple[Path, ...], wait: bool, within: float
) -> list[dict[str, Any]]:
    rows = []
    for archive in archives:
        size = archive.stat().st_size
        stderr = sys.stderr  # stdout stays the table or JSON
        bar: Any = click.progressbar(length=size, label=archive.name, file=stderr)
        with bar:
            record_id = await client.onboard(archive, bar.update)
        if wait:
            rows.append(await client.wait(record_id, within))
        else:
            rows.append(await client.request("GET", f"/{record_id}"))
    return rows


OUTPUT = click.option(
    "-o", "--output", type=click.Choice(["table", "json", "yaml"]), default="table"
)


def add_online_commands(group: click.Group, face: Face, noun: str) -> None:
    """Add onboard, list, show, enable, disable, delete and download to ``group``."""

    @group.command("onboard")
    @click.argument(
        "archives", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
    )
    @click.option("--wait", is_flag=True, help="Wait until ONBOARDED or ERROR.")
    @click.option("--timeout", "within", type=float, default=600.0, show_default=True)
    @OUTPUT
    @pass_cli
    def onboard(
        cli: CliContext, archives: tuple[Path, ...], wait: bool, within: float, output: str
    ) -> None:
        """Upload each archive (a directory is built into a CSAR first) and onboard it."""
        with tempfile.TemporaryDirectory(prefix="nfvo-cli-") as work:
            files = tuple(build_package(a, Path(work)) if a.is_dir() else a for a in archives)
            rows = asyncio.run(_with(cli, face, lambda c: _onboard_all(c, files, wait, within)))
        render(rows, face.columns, output)
        failed = [row for row in rows if row[face.state] == "ERROR"]
        for row in failed:
            click.echo(_failure_text(row), err=True)
        if failed:
            raise SystemExit(1)

    @group.command("list", help=f"List {noun}s (a table, or -o json|yaml).")
    @click.option(
        "--filter",
        "flt",
        default=None,
        help="A SOL013 filter, e.g. (eq,onboardingState,ONBOARDED).",
    )
    @OUTPUT
    @pass_cli
    def list_(cli: CliContext, flt: str | None, output: str) -> None:
        params = {"filter": flt} if flt else {}
        rows = asyncio.run(_with(cli, face, lambda c: c.request("GET", "", params=params)))
        render(rows, face.columns, output)

    @group.command("show")
    @click.argument("record_id")
    @click.option("-o", "--output", type=click.Choice(["json", "yaml"]), default="yaml")
    @pass_cli
    def show(cli: CliContext, record_id: str, output: str) -> None:
        """Show one entry with every attribute."""
        body = asyncio.run(_with(cli, face, lambda c: c.request("GET", f"/{record_id}?all_fields")))
        render(body, (), output)

    def _state(name: str, state: str) -> None:
        @group.command(name)
        @click.argument("record_id")
        @pass_cli
        def change(cli: CliContext, record_id: str) -> None:
            body = {face.operational: state}
            merge = {"Content-Type": "application/merge-patch+json"}
            asyncio.run(
                _with(
                    cli,
                    face,
                    lambda c: c.request("PATCH", f"/{record_id}", json=body, headers=merge),
                )
            )
            click.echo(f"{record_id} {state}")

        change.help = f"Set the {noun}'s operational state to {state}."

    _state("enable", "ENABLED")
    _state("disable", "DISABLED")

    @group.command("delete")
    @click.argument("record_id")
    @pass_cli
    def delete(cli: CliContext, record_id: str) -> None:
        """Delete an entry (it must be DISABLED and NOT_IN_USE)."""
        asyncio.run(_with(cli, face, lambda c: c.request("DELETE", f"/{record_id}", 204)))
        click.echo(f"{record_id} deleted")

    @group.command("download")
    @click.argument("record_id")
    @click.option(
        "-f", "--file", "target", type=click.Path(dir_okay=False, path_type=Path), required=True
    )
    @pass_cli
    def download(cli: CliContext, record_id: str, target: Path) -> None:
        """Write the onboarded content to FILE."""
        size = asyncio.run(_with(cli, face, lambda c: c.download(record_id, target)))
        click.echo(f"{target}: {size} bytes")


async def _with(cli: CliContext, face: Face, call: Callable[[CatalogClient], Any]) -> Any:
    async with _client(cli, face) as client:
        return await call(client)


def _build_all(packages_dir: Path, work: Path, signer: Signing) -> tuple[list[Path], list[Path]]:
    """Every shipped source built (and signed as ``signer`` says): (VNF packages, NSDs)."""
    sources = sorted(p for p in packages_dir.iterdir() if p.is_dir())
    vnfs = [build_package(s, work, signer(s)) for s in sources if not _is_nsd(s)]
    nsds = [build_package(s, work, signer(s)) for s in sources if _is_nsd(s)]
    return vnfs, nsds


Signing = Callable[[Path], PackageSigner | None]


async def onboard_shipped(
    base_url: str,
    packages_dir: Path,
    access: Access = Access(),
    done: Callable[[dict[str, Any]], None] | None = None,
    signer: Signing = lambda source: None,
) -> list[dict[str, Any]]:
    """Build (signed by ``signer(source tree)``, when it gives one) and onboard every
    shipped package (VNF packages first, then NSDs), waiting for each; the final rows of
    both, as the API returns them, each also given to ``done`` as it ends. For ``make
    demo``."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nfvo-demo-") as work:
        vnfs, nsds = await asyncio.to_thread(_build_all, packages_dir, Path(work), signer)
        for face, archives in ((PACKAGES, vnfs), (NSDS, nsds)):
            async with CatalogClient(base_url, access, face) as client:
                ids = [await client.onboard(archive, None) for archive in archives]
                for record_id in ids:
                    rows.append(await client.wait(record_id, 600))
                    if done is not None:
                        done(rows[-1])
    return rows
