"""``nfvo package``: build CSARs from source trees and validate packages offline."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click
import orjson

from descriptors.build import build_package
from descriptors.loader import load_package
from descriptors.package_security import (
    PackageSigner,
    SecurityOption,
    SignatureMode,
    SignaturePolicy,
)
from descriptors.problems import DescriptorError, Problem, Severity
from descriptors.summary import PackageRow, package_row
from nfvo.cli.catalog_client import PACKAGES, add_online_commands
from nfvo.cli.context import CliContext, pass_cli

_COLUMNS = ("name", "kind", "version", "size", "status", "signature")
_HEADINGS = ("NAME", "KIND", "VERSION", "VDUS/PROFILES", "STATUS", "SIGNATURE")
_OPTIONS = {"1": SecurityOption.OPTION_1, "2": SecurityOption.OPTION_2}


@click.group("package")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """Build and validate packages offline; onboard and manage VNF packages online."""


@COMMAND.command("build")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist"),
    show_default=True,
    help="Directory the CSAR is written to.",
)
@click.option(
    "--sign",
    "key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM private key to sign the package with (SOL004 clause 5).",
)
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM certificate of that key, then any intermediate certificates.",
)
@click.option(
    "--option",
    type=click.Choice(sorted(_OPTIONS)),
    default="1",
    show_default=True,
    help="Security option: 1 signs the manifest, 2 wraps the CSAR in a signed zip.",
)
@click.option(
    "--sign-artifacts",
    is_flag=True,
    help="With option 1, also sign each file under Files/ on its own (<file>.sig.cms).",
)
def build(
    source: Path,
    out_dir: Path,
    key: Path | None,
    cert: Path | None,
    option: str,
    sign_artifacts: bool,
) -> None:
    """Write SOURCE (a package source tree) as a CSAR with a freshly hashed manifest."""
    if (key is None) != (cert is None):
        raise click.UsageError("--sign and --cert go together: the key and its certificate")
    signer = None
    if key is not None and cert is not None:
        try:
            signer = PackageSigner.from_files(key, cert, _OPTIONS[option], artifacts=sign_artifacts)
        except ValueError as exc:
            raise click.ClickException(f"cannot sign with {key} and {cert}: {exc}") from None
    try:
        archive = build_package(source, out_dir, signer)
    except DescriptorError as exc:
        _print_problems(str(source), exc.problems)
        raise SystemExit(1) from exc
    click.echo(str(archive))


@COMMAND.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people or JSON for machines.",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--signatures",
    type=click.Choice([mode.value for mode in SignatureMode]),
    help="Signature policy; default: package_signature_policy.",
)
@click.option(
    "--trust-anchors",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of PEM roots (and CRLs) signers chain to; default: package_trust_anchors.",
)
@pass_cli
def validate(
    cli: CliContext,
    paths: tuple[Path, ...],
    output: str,
    strict: bool,
    signatures: str | None,
    trust_anchors: Path | None,
) -> None:
    """Check each package (archive or directory), its signature too; exit 1 listing every
    error if one fails."""
    settings = cli.settings
    policy = SignaturePolicy(
        SignatureMode(signatures or settings.package_signature_policy),
        trust_anchors or settings.package_trust_anchors,
    )
    results = [_validate_one(path, strict=strict, policy=policy) for path in paths]
    if output == "json":
        click.echo(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_table([r["row"] for r in results])
        for result in results:
            if result["problems"]:
                _print_problems(result["path"], [Problem(**p) for p in result["problems"]])
    if any(r["row"]["status"] == "invalid" for r in results):
        raise SystemExit(1)


def _validate_one(path: Path, *, strict: bool, policy: SignaturePolicy) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nfvo-validate-") as work:
        try:
            loaded = load_package(path, Path(work), strict=strict, signatures=policy)
        except DescriptorError as exc:
            row = PackageRow(
                name=path.name, kind="?", version="", size="", status="invalid", signature=""
            )
            problems, security = exc.problems, None
        else:
            row, problems = package_row(loaded), list(loaded.warnings)
            security = loaded.files.security
    return {
        "path": str(path),
        "row": row,
        "signature": security.model_dump(mode="json") if security else None,
        "problems": [p.model_dump(mode="json") for p in problems],
    }


def _print_table(rows: list[PackageRow]) -> None:
    cells = [_HEADINGS, *[tuple(str(row[c]) for c in _COLUMNS) for row in rows]]  # type: ignore[literal-required]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    for line in cells:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def _print_problems(path: str, problems: list[Problem]) -> None:
    errors = [p for p in problems if p.severity is Severity.ERROR]
    heading = f"{path}: {len(errors)} error(s)" if errors else f"{path}: warnings"
    click.echo(heading, err=bool(errors))
    for problem in problems:
        click.echo(f"  {problem}", err=bool(errors))


# The online subcommands talk to the API at nfvo_url (nfvo.cli.catalog_client).
add_online_commands(COMMAND, PACKAGES, "VNF package")
