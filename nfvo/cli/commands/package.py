"""``nfvo package``: build CSARs from source trees and validate packages offline; onboard
and manage VNF packages online (``nfvo.cli.catalog_commands``).

Heavy imports (tosca-parser, the descriptor model, aiohttp) wait until a subcommand runs,
so ``nfvo package validate`` pays only for what validating needs.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nfvo.cli.catalog_commands import add_online_commands
from nfvo.cli.context import CliContext, pass_cli
from nfvo.cli.errors import CliError
from nfvo.cli.faces import PACKAGES
from nfvo.cli.output import OUTPUT, dumps_json, dumps_yaml, table

if TYPE_CHECKING:
    from descriptors.problems import Problem
    from nfvo.cli.package_check import Checked

_COLUMNS = ("name", "kind", "version", "size", "status", "signature")
_HEADINGS = ("NAME", "KIND", "VERSION", "VDUS/PROFILES", "STATUS", "SIGNATURE")
_SIGNATURE_MODES = ("require", "verify-if-present", "off")


@click.group("package")
def COMMAND() -> None:  # noqa: N802 - the name the root command looks for
    """Build and validate packages offline; onboard and manage VNF packages online."""


@COMMAND.command("build")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-d",
    "--output-dir",
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
    type=click.Choice(["1", "2"]),
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
    """Write SOURCE (a package source tree) as a CSAR with a freshly hashed manifest, and
    print its path; a package that does not validate is not written (exit 1)."""
    from descriptors.package_security import PackageSigner, SecurityOption
    from nfvo.cli.package_check import build as build_csar
    from nfvo.cli.package_check import check_package

    if (key is None) != (cert is None):
        raise click.UsageError("--sign and --cert go together: the key and its certificate")
    signer = None
    if key is not None and cert is not None:
        chosen = SecurityOption.OPTION_1 if option == "1" else SecurityOption.OPTION_2
        try:
            signer = PackageSigner.from_files(key, cert, chosen, artifacts=sign_artifacts)
        except ValueError as exc:
            raise CliError(f"cannot sign with {key} and {cert}: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="nfvo-build-") as work:
        # Checked unsigned first: a signature proves who wrote it, not that it is right.
        checked = check_package(source, Path(work))
        _print_problems(checked)
        if not checked.valid:
            raise CliError(f"{source} is not a valid package: nothing written", exit_code=1)
    archive = build_csar(source, out_dir, signer)
    click.echo(str(archive))


@COMMAND.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@OUTPUT
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--signatures",
    type=click.Choice(_SIGNATURE_MODES),
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
    """Check each package (an archive, or a directory: a source tree is checked as
    `nfvo package build` writes it); warnings are shown, every error listed, exit 1 if
    one fails."""
    from descriptors.package_security import SignatureMode, SignaturePolicy
    from nfvo.cli.package_check import check_package

    settings = cli.settings
    policy = SignaturePolicy(
        SignatureMode(signatures or settings.package_signature_policy),
        trust_anchors or settings.package_trust_anchors,
    )
    results = []
    for path in paths:
        with tempfile.TemporaryDirectory(prefix="nfvo-validate-") as work:
            results.append(check_package(path, Path(work), strict=strict, policy=policy))
    if output == "table":
        rows = [tuple(str(result.row()[c]) for c in _COLUMNS) for result in results]  # type: ignore[literal-required]
        click.echo("\n".join(table(_HEADINGS, rows)))
        for result in results:
            _print_problems(result)
    else:
        documents = [result.to_json() for result in results]
        click.echo(dumps_json(documents) if output == "json" else dumps_yaml(documents))
    if not all(result.valid for result in results):
        raise SystemExit(1)


def _print_problems(checked: Checked) -> None:
    """Errors and warnings, each with its file, line and path, on stderr."""
    if not checked.problems:
        return
    errors = len(checked.errors)
    warnings = len(checked.problems) - errors
    counts = [f"{errors} error(s)"] if errors else []
    counts += [f"{warnings} warning(s)"] if warnings else []
    click.echo(f"{checked.path}: {', '.join(counts)}", err=True)
    for problem in _ordered(checked.problems):
        click.echo(f"  {problem}", err=True)


def _ordered(problems: list[Problem]) -> list[Problem]:
    """Errors first: they are what must be fixed."""
    return sorted(problems, key=lambda problem: problem.severity.value != "error")


add_online_commands(COMMAND, PACKAGES, "VNF package")
