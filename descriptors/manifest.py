"""The manifest (SOL004 clause 4.3.3, SOL007 clause 4.3.3): who made a package, and
the digest of every artifact in it.

A manifest is a metadata block (``metadata:`` then ``key: value`` lines), one block
per artifact (``Source:``, ``Algorithm:``, ``Hash:``, optionally ``Signature:`` and
``Certificate:``), optionally ``non_mano_artifact_sets:`` and, when the package is
signed, a CMS signature between ``-----BEGIN CMS-----`` and ``-----END CMS-----``.
Signatures are checked by :mod:`descriptors.package_security`; the model keeps the CMS
text, each artifact's signature and certificate paths, and the package certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from descriptors.archive import resolve_in_package
from descriptors.digests import FileDigests
from descriptors.problems import Problem, Severity


class PackageKind(StrEnum):
    VNF = "vnf"
    NSD = "nsd"


class DigestAlgorithm(StrEnum):
    """Digest names as SOL004 writes them."""

    SHA_256 = "SHA-256"
    SHA_384 = "SHA-384"
    SHA_512 = "SHA-512"


HEX_LENGTH = {
    DigestAlgorithm.SHA_256: 64,
    DigestAlgorithm.SHA_384: 96,
    DigestAlgorithm.SHA_512: 128,
}
VNF_REQUIRED = (
    "vnf_provider_id",
    "vnf_product_name",
    "vnf_release_date_time",
    "vnf_package_version",
)
NSD_REQUIRED = (
    "nsd_designer",
    "nsd_invariant_id",
    "nsd_name",
    "nsd_release_date_time",
    "nsd_file_structure_version",
)
DATE_KEYS = ("vnf_release_date_time", "nsd_release_date_time")
CMS_BEGIN = "-----BEGIN CMS-----"
CMS_END = "-----END CMS-----"
SOURCE_KEYS = frozenset({"algorithm", "hash", "signature", "certificate"})


def parse_algorithm(name: str) -> DigestAlgorithm | None:
    """``SHA-256``, ``sha256`` and ``SHA_256`` all name the same digest."""
    folded = name.strip().upper().replace("_", "").replace("-", "")
    for algorithm in DigestAlgorithm:
        if algorithm.value.replace("-", "") == folded:
            return algorithm
    return None


def hashlib_name(algorithm: DigestAlgorithm) -> str:
    return algorithm.value.replace("-", "").lower()


def is_external(source: str) -> bool:
    """An artifact given by URL is outside the package: recorded, never fetched."""
    scheme, sep, _ = source.partition("://")
    return bool(sep) and scheme.isalpha()


class ManifestSource(BaseModel):
    """One artifact of the manifest; ``external`` ones are not verified."""

    model_config = ConfigDict(frozen=True)

    path: str
    line: int
    algorithm: str | None = None
    hash: str | None = None
    signature: str | None = None
    certificate: str | None = None
    external: bool = False


class Manifest(BaseModel):
    """The manifest as written; ``signature`` is the CMS block kept for later checking."""

    model_config = ConfigDict(frozen=True)

    file: str
    metadata: dict[str, str] = {}
    has_metadata_block: bool = False
    sources: tuple[ManifestSource, ...] = ()
    non_mano_artifact_sets: dict[str, tuple[str, ...]] = {}
    signature: str | None = None
    certificate: str | None = None

    @property
    def kind(self) -> PackageKind | None:
        if any(k.startswith("nsd_") for k in self.metadata):
            return PackageKind.NSD
        if any(k.startswith(("vnf_", "vnfd_")) for k in self.metadata):
            return PackageKind.VNF
        return None


class _Reader:
    """Line-by-line state for :func:`parse_manifest`."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.metadata: dict[str, str] = {}
        self.has_metadata = False
        self.sources: list[dict[str, str | int]] = []
        self.sets: dict[str, list[str]] = {}
        self.signature: list[str] | None = None
        self.mode = ""
        self.current_set = ""

    def error(self, number: int, message: str) -> None:
        self.problems.append(
            Problem(code="manifest-syntax", message=message, file=self.file, line=number)
        )

    def feed(self, number: int, raw: str) -> None:
        line = raw.rstrip()
        if self.mode == "cms" and self.signature is not None:
            self.signature.append(line)
            if line.strip() == CMS_END:
                self.mode = ""
            return
        if not line.strip():
            if self.mode in ("metadata", "source"):
                self.mode = ""
            return
        if line.strip() == CMS_BEGIN:
            self.signature, self.mode = [line], "cms"
            return
        if self.mode == "sets" and line[0] in " \t":
            self._artifact_set(number, line)
            return
        self._key_line(number, line)

    def _artifact_set(self, number: int, line: str) -> None:
        key, _, value = line.strip().partition(":")
        if key.strip().lower() == "source" and self.current_set:
            self.sets[self.current_set].append(value.strip())
        elif not value.strip():
            self.current_set = key.strip()
            self.sets.setdefault(self.current_set, [])
        else:
            self.error(number, f"unexpected line in non_mano_artifact_sets: {line.strip()!r}")

    def _key_line(self, number: int, line: str) -> None:
        key, colon, value = line.partition(":")
        key, value = key.strip(), value.strip()
        lowered = key.lower()
        if not colon:
            self.error(number, f"line is not 'key: value': {line[:60]!r}")
        elif lowered == "metadata" and not value:
            self.mode, self.has_metadata = "metadata", True
        elif lowered == "non_mano_artifact_sets" and not value:
            self.mode = "sets"
        elif lowered == "source":
            self.sources.append({"path": value, "line": number})
            self.mode = "source"
        elif self.mode == "source" and lowered in SOURCE_KEYS:
            self.sources[-1][lowered] = value
        elif self.mode == "metadata":
            if key in self.metadata:
                self.error(number, f"metadata key {key!r} is given twice")
            self.metadata[key] = value
        else:
            self.error(number, f"unexpected {key!r} outside a metadata or Source block")


def parse_manifest(text: str, file: str) -> tuple[Manifest, list[Problem]]:
    """Read a manifest; every malformed line is a problem with its line number."""
    reader = _Reader(file)
    for number, raw in enumerate(text.splitlines(), start=1):
        reader.feed(number, raw)
    if reader.mode == "cms":
        reader.error(len(text.splitlines()), "CMS signature block is not closed")
    sources = tuple(
        ManifestSource.model_validate({**s, "external": is_external(str(s["path"]))})
        for s in reader.sources
    )
    manifest = Manifest(
        file=file,
        metadata=reader.metadata,
        has_metadata_block=reader.has_metadata,
        sources=sources,
        non_mano_artifact_sets={k: tuple(v) for k, v in reader.sets.items()},
        signature="\n".join(reader.signature) if reader.signature else None,
    )
    return manifest, reader.problems


def check_metadata(manifest: Manifest, *, strict: bool) -> list[Problem]:
    """The metadata block: present, of one kind, complete, with readable dates."""
    lenient = Severity.ERROR if strict else Severity.WARNING
    file = manifest.file
    if not manifest.has_metadata_block or not manifest.metadata:
        message = "manifest has no metadata block (provider, product, version)"
        return [Problem(code="manifest-metadata", message=message, file=file, severity=lenient)]
    keys = manifest.metadata
    has_vnf = any(k.startswith(("vnf_", "vnfd_")) for k in keys)
    has_nsd = any(k.startswith("nsd_") for k in keys)
    if has_vnf and has_nsd:
        message = "metadata mixes VNF (vnf_*) and NSD (nsd_*) keys"
        return [Problem(code="manifest-metadata", message=message, file=file)]
    required = NSD_REQUIRED if has_nsd else VNF_REQUIRED
    problems = [
        Problem(code="manifest-metadata", message=f"metadata lacks {key!r}", file=file)
        for key in required
        if not keys.get(key)
    ]
    for key in DATE_KEYS:
        value = keys.get(key)
        if value and not _is_datetime(value):
            message = f"{key} {value!r} is not an RFC 3339 date-time"
            problems.append(
                Problem(code="manifest-metadata", message=message, file=file, severity=lenient)
            )
    return problems


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def _plain_hex(digest: str) -> str:
    return "".join(digest.split()).lower()


@dataclass(frozen=True)
class DigestClaim:
    """A file a package lists with (perhaps) its digest, and where it was listed."""

    path: str
    algorithm: str | None
    hash: str | None
    listed_in: str
    line: int | None
    hash_required: bool = True


def _check_claim(
    claim: DigestClaim, *, strict: bool
) -> tuple[DigestAlgorithm | None, list[Problem]]:
    """Is the declaration itself usable: a known algorithm and a digest of its length."""
    where = {"file": claim.listed_in, "line": claim.line, "path": claim.path}
    if claim.algorithm is None or claim.hash is None:
        if not claim.hash_required:
            return None, []
        severity = Severity.ERROR if strict else Severity.WARNING
        message = f"no Algorithm/Hash given for {claim.path!r}"
        return None, [Problem(code="no-checksum", message=message, severity=severity, **where)]
    algorithm = parse_algorithm(claim.algorithm)
    if algorithm is None:
        message = f"digest algorithm {claim.algorithm!r} is not SHA-256, SHA-384 or SHA-512"
        return None, [Problem(code="unsupported-algorithm", message=message, **where)]
    value = _plain_hex(claim.hash)
    if len(value) != HEX_LENGTH[algorithm] or any(c not in "0123456789abcdef" for c in value):
        message = f"{claim.hash!r} is not a {algorithm.value} digest of {claim.path!r}"
        return None, [Problem(code="checksum-malformed", message=message, **where)]
    return algorithm, []


def want_claim(root: Path, claim: DigestClaim, digests: FileDigests) -> None:
    """Announce the digest ``claim`` will ask for, so each file is read once."""
    algorithm = parse_algorithm(claim.algorithm or "")
    target = resolve_in_package(root, claim.path) if not is_external(claim.path) else None
    if algorithm is not None and isinstance(target, Path):
        digests.want(target, hashlib_name(algorithm))


def verify_claim(
    root: Path, claim: DigestClaim, *, verify: bool, strict: bool, digests: FileDigests
) -> list[Problem]:
    """Check one listed artifact: inside the package, present, and (if asked) intact.

    A missing artifact is an error only while checksums are verified: with
    verification off the caller has said the inventory is not to be enforced, and
    whether the descriptor needs the file is the descriptor check's question.
    """
    if is_external(claim.path):
        return []
    where = {"file": claim.listed_in, "line": claim.line, "path": claim.path}
    algorithm, problems = _check_claim(claim, strict=strict) if verify else (None, [])
    target = resolve_in_package(root, claim.path)
    if isinstance(target, Problem):
        return [*problems, target.model_copy(update=where)]
    if not target.is_file():
        severity = Severity.ERROR if verify else Severity.WARNING
        message = f"artifact {claim.path!r} is listed but not in the package"
        return [
            *problems,
            Problem(code="missing-artifact", message=message, severity=severity, **where),
        ]
    if algorithm is None or claim.hash is None:
        return problems
    actual = digests.hexdigest(target, hashlib_name(algorithm))
    if actual != _plain_hex(claim.hash):
        expected = claim.hash.strip()
        message = f"{algorithm.value} of {claim.path!r} is {actual}, the package says {expected}"
        problems.append(Problem(code="checksum-mismatch", message=message, **where))
    return problems
