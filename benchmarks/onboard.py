"""Onboarding the shipped 5G-core packages, beside plain tosca-parser in the same run.

Ours: ``load_package`` on each built CSAR (unzip, verify the manifest, YAML pre-pass,
tosca-parser with the cached offline import loader, model, normalisation). Plain:
``toscaparser.tosca_template.ToscaTemplate`` on the same unpacked entry definitions,
ETSI's forge URLs mapped to ETSI's own files through its ``local_defs`` (so it never
fetches either; any attempt fails the run). Plain also runs with ``local_defs`` pointed
at the project's own type files, which separates what the cache saves from what the
smaller type files save. Rounds alternate so all see the same machine state; the first
(cold) round of ours is reported apart.

Signed: the same packages signed by a CA made for the run (SOL004 option 1: the
manifest and each image signed; option 2: the CSAR in a signed envelope) and loaded
against it as trust anchor, right after the unsigned one; the overhead is the median
of each package's signed/unsigned time ratio, less one.

Run: ``python -m benchmarks.onboard [--rounds N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import logging
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toscaparser.common.exception import ValidationError
from toscaparser.tosca_template import ToscaTemplate

from benchmarks.report import report
from descriptors.build import build_package
from descriptors.imports import DOCUMENTS, TYPES_DIR
from descriptors.loader import load_package
from descriptors.package_security import DEFAULT_POLICY, SecurityOption, SignaturePolicy
from nfvo.cli.demo_ca import make_demo_authority

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ROOT / "descriptors" / "packages"
ETSI = ROOT.parent / "shared" / "etsi" / "sol001" / "4.2.1"
FORGE = "https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_{}_types.yaml"
GOALS = {
    "p50_ms": {"max": 150.0},
    "ratio_to_plain": {"max": 0.5},
    "signed_option_1_overhead": {"max": 0.10},
    "signed_option_2_overhead": {"max": 0.10},
}


@contextlib.contextmanager
def offline() -> Iterator[None]:
    """Any URL fetch is a failure of the benchmark, for either side."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"a fetch was attempted: {args[:1]}")

    original = urllib.request.urlopen
    urllib.request.urlopen = refuse
    try:
        yield
    finally:
        urllib.request.urlopen = original


def local_defs(directory: Path, pattern: str) -> dict[str, str]:
    """Plain tosca-parser's own URL-to-file mapping (its ``local_defs``)."""
    kinds = ("common", "vnfd", "nsd", "pnfd")
    return {FORGE.format(kind): str(directory / pattern.format(kind)) for kind in kinds}


def plain_parse(entry: Path, mapping: dict[str, str]) -> float:
    logging.getLogger("tosca").disabled = True
    start = time.perf_counter()
    # ETSI's VduCp wants its virtual_link in the template, where SOL001 leaves an
    # external CP's to the NSD; ours downgrades that, plain raises it once the whole
    # template has been read, so the time is still a full parse.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(ValidationError):
        ToscaTemplate(str(entry), local_defs=mapping)
    return time.perf_counter() - start


def our_load(
    archive: Path, workdir: Path, policy: SignaturePolicy = DEFAULT_POLICY
) -> tuple[float, Path]:
    gc.collect()  # outside the clock: no load pays for another's garbage
    start = time.perf_counter()
    loaded = load_package(archive, workdir, signatures=policy)
    elapsed = time.perf_counter() - start
    if policy.trust_anchors is not None:
        assert loaded.files.security.signer is not None, archive
    return elapsed, loaded.files.entry_definitions


def signed_variants(
    sources: list[Path], tmp: Path
) -> tuple[SignaturePolicy, dict[str, list[Path]]]:
    """The packages signed by a CA made for the run: option 1 (the manifest), option 2
    (the envelope), and option 1 with each image signed alone too; and the policy that
    trusts that CA."""
    authority = make_demo_authority(tmp / "ca")
    signers = {
        "option_1": authority.signer(SecurityOption.OPTION_1),
        "option_2": authority.signer(SecurityOption.OPTION_2),
        "option_1_images": authority.signer(SecurityOption.OPTION_1, artifacts=True),
    }
    built = {
        name: [build_package(source, tmp / name, signer) for source in sources]
        for name, signer in signers.items()
    }
    return SignaturePolicy(trust_anchors=authority.trust_anchors), built


def measure(rounds: int, tmp: Path) -> dict[str, Any]:
    sources = sorted(PACKAGES.iterdir())
    archives = [build_package(source, tmp / "dist") for source in sources]
    policy, signed = signed_variants(sources, tmp)
    # the project's own files, so the cache's share of the gain shows apart from theirs
    own = local_defs(TYPES_DIR / "v3", "{}.yaml")
    etsi = local_defs(ETSI, "etsi_nfv_sol001_{}_types.yaml") if ETSI.is_dir() else own
    DOCUMENTS.clear()
    ours: list[float] = []
    plain: list[float] = []
    plain_own: list[float] = []
    cold: list[float] = []
    signed_times: dict[str, list[tuple[float, float]]] = {name: [] for name in signed}
    for round_number in range(rounds):
        for index, archive in enumerate(archives):
            variants = [("unsigned", archive, DEFAULT_POLICY)]
            variants += [(name, built[index], policy) for name, built in signed.items()]
            turn = round_number % len(variants)  # the order rotates from round to round
            taken: dict[str, tuple[float, Path]] = {}
            for name, source, chosen in variants[turn:] + variants[:turn]:
                work = tmp / "work" / f"{round_number}-{index}-{name}"
                taken[name] = our_load(source, work, chosen)
            elapsed, entry = taken.pop("unsigned")
            (cold if round_number == 0 else ours).append(elapsed)
            if round_number > 0:
                for name, (seconds, _) in taken.items():
                    signed_times[name].append((seconds, seconds / elapsed))
            plain.append(plain_parse(entry, etsi))
            plain_own.append(plain_parse(entry, own))
    ours_p50 = statistics.median(ours) * 1000
    plain_p50 = statistics.median(plain) * 1000
    return {
        "plain_types": "etsi-4.2.1" if ETSI.is_dir() else "project (ETSI's files absent)",
        "packages": len(archives),
        "rounds": rounds,
        "p50_ms": round(ours_p50, 2),
        "p90_ms": round(statistics.quantiles(ours, n=10)[-1] * 1000, 2),
        "cold_p50_ms": round(statistics.median(cold) * 1000, 2),
        "plain_p50_ms": round(plain_p50, 2),
        "plain_own_types_p50_ms": round(statistics.median(plain_own) * 1000, 2),
        "ratio_to_plain": round(ours_p50 / plain_p50, 3),
        **{
            f"signed_{name}_p50_ms": _ms([seconds for seconds, _ in pairs])
            for name, pairs in signed_times.items()
        },
        **{
            f"signed_{name}_overhead": round(statistics.median(r for _, r in pairs) - 1, 3)
            for name, pairs in signed_times.items()
        },
        "type_file_parses": DOCUMENTS.misses,
        "type_file_cache_hits": DOCUMENTS.hits,
    }


def _ms(times: list[float]) -> float:
    return round(statistics.median(times) * 1000, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nfvo-onboard-") as tmp, offline():
        figures = measure(max(args.rounds, 2), Path(tmp))
    return 0 if report("onboard", figures, GOALS) else 1


if __name__ == "__main__":
    raise SystemExit(main())
