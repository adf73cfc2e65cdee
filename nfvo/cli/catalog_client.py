"""The catalogue's HTTP client: onboard, wait, find by name, download (SOL005 clauses 9.4
and 5.4), over :class:`nfvo.cli.api_client.ApiClient`.

``onboard`` creates the entry, uploads the content (its bytes shown as they go), and if
the upload is refused (409: the same content is onboarded already; 415: not a package)
deletes the entry it created, so a mistake leaves nothing behind. ``find`` resolves what
an operator types (an id, a product name, a vnfdId or nsdId) to one entry.
:func:`onboard_shipped` is what ``make demo`` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nfvo.cli.api_client import ApiClient, ApiFailure, checked
from nfvo.cli.discovery import ANONYMOUS, Access
from nfvo.cli.errors import CliError
from nfvo.cli.faces import FINAL_STATES, NSDS, PACKAGES, STEP_OF_STATE, Face
from nfvo.cli.output import OUTPUT, render
from nfvo.cli.progress import Status, byte_bar

if TYPE_CHECKING:
    from descriptors.package_security import PackageSigner

FAILURE = "onboardingFailureDetails"
# The names the NS and VNF lifecycle commands were written against.
_checked = checked
FINAL = FINAL_STATES
__all__ = [
    "NSDS", "OUTPUT", "PACKAGES", "Access", "ApiFailure", "CatalogClient", "Face", "Signing",
    "_checked", "onboard_shipped", "render",
]  # fmt: skip


_UPLOAD_HINTS = {
    409: "this content is onboarded already: nothing to do (see it with show)",
    413: "the server's package_max_bytes is smaller than the package",
    415: "give a CSAR (zip) or a package source directory",
}


class CatalogClient(ApiClient):
    """Catalogue requests and waits on one session."""

    async def onboard(self, archive: Path, progress: Callable[[int], None] | None) -> str:
        """Create an entry and upload ``archive`` to it; the entry's id. An upload the API
        refuses deletes the entry again before the refusal is raised."""
        created = await self.request("POST", "", 201, json={})
        record_id: str = created["id"]
        content_type = "application/zip" if archive.suffix in (".zip", ".csar") else "text/plain"
        try:
            await self.request(
                "PUT",
                f"/{record_id}/{self.face.content}",
                202,
                data=_read(archive, progress),
                headers={"Content-Type": content_type},
            )
        except BaseException as refused:
            with contextlib.suppress(CliError, OSError):
                await self.request("DELETE", f"/{record_id}", 204)
            if isinstance(refused, ApiFailure):
                raise CliError(
                    f"{archive.name} was refused: {refused.detail}; the entry made for it "
                    f"({record_id}) is deleted again",
                    _UPLOAD_HINTS.get(refused.status, refused.hint),
                ) from None
            raise
        return record_id

    async def wait(
        self, record_id: str, within: float, status: Status | None = None
    ) -> dict[str, Any]:
        """The entry once ONBOARDED or ERROR, its step shown on ``status`` meanwhile."""
        try:
            async with asyncio.timeout(within):
                while True:
                    body: dict[str, Any] = await self.request("GET", f"/{record_id}?all_fields")
                    state = body[self.face.state]
                    if state in FINAL_STATES:
                        return body
                    if status is not None:
                        status.show(f"{state}, {STEP_OF_STATE.get(state, 'working')}")
                    await asyncio.sleep(0.2)
        except TimeoutError:
            raise CliError(
                f"{record_id} is still not ONBOARDED after {within:g}s",
                "raise --timeout, or see its state with show; the server's log says why",
            ) from None
        finally:
            if status is not None:
                status.done()

    async def find(self, name: str) -> dict[str, Any]:
        """The one entry ``name`` names: its id, else one of the face's name attributes
        (a product name, a vnfdId...). Several matches are a refusal listing them."""
        if _looks_like_id(name):
            try:
                return dict(await self.request("GET", f"/{name}"))
            except ApiFailure as failure:
                if failure.status != 404:
                    raise
        matches: dict[str, dict[str, Any]] = {}
        for attribute in self.face.names:
            params = {"filter": f"(eq,{attribute},{name})"}
            for entry in await self.request("GET", "", params=params):
                matches[entry["id"]] = entry
        if not matches:  # an entry in ERROR has only what its package said of itself
            params = {"filter": f"(eq,{self.face.state},ERROR)", "fields": FAILURE}
            for entry in await self.request("GET", "", params=params):
                details = entry.get("onboardingFailureDetails") or {}
                if name in (details.get("packageMetadata") or {}).values():
                    matches[entry["id"]] = entry
        if len(matches) == 1:
            return next(iter(matches.values()))
        if not matches:
            names = ", ".join(("an id", *self.face.names))
            raise CliError(
                f"nothing here is named {name!r} (as {names})",
                f"{self.face.command} list shows them".strip(),
            )
        version = self.face.columns[2]
        listed = ", ".join(f"{id_} ({entry.get(version) or '?'})" for id_, entry in matches.items())
        raise CliError(f"{name!r} names {len(matches)} entries: {listed}", "give the id")

    async def download(self, record_id: str, target: Path) -> int:
        url = self.url(f"/{record_id}/{self.face.content}")
        async with self.session.get(url, headers=self.headers()) as response:
            await checked(response, 200)
            size = 0
            with target.open("wb") as handle:
                async for chunk in response.content.iter_chunked(1 << 20):
                    handle.write(chunk)
                    size += len(chunk)
            return size


def _looks_like_id(name: str) -> bool:
    return len(name) == 36 and name.count("-") == 4


async def _read(path: Path, progress: Callable[[int], None] | None) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            if progress:
                progress(len(chunk))
            yield chunk


async def upload(client: CatalogClient, archive: Path, size: int) -> str:
    """Onboard ``archive`` (``size`` bytes) with its upload shown as a bar; the entry's id."""
    with byte_bar(size, f"uploading {archive.name}") as advance:
        return await client.onboard(archive, advance)


def _is_nsd(source: Path) -> bool:
    """An NSD archive's manifest carries nsd_* metadata (SOL007 clause 4.3.2)."""
    return any("nsd_" in mf.read_text(encoding="utf-8") for mf in source.glob("*.mf"))


Signing = Callable[[Path], "PackageSigner | None"]


def _build_all(packages_dir: Path, work: Path, signer: Signing) -> tuple[list[Path], list[Path]]:
    """Every shipped source built (and signed as ``signer`` says): (VNF packages, NSDs)."""
    from descriptors.build import build_package  # here: the list commands need none of it

    sources = sorted(p for p in packages_dir.iterdir() if p.is_dir())
    vnfs = [build_package(s, work, signer(s)) for s in sources if not _is_nsd(s)]
    nsds = [build_package(s, work, signer(s)) for s in sources if _is_nsd(s)]
    return vnfs, nsds


async def onboard_shipped(
    base_url: str,
    packages_dir: Path,
    access: Access = ANONYMOUS,
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
