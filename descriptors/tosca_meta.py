"""``TOSCA-Metadata/TOSCA.meta``: where a CSAR says its entry points are.

The file is a list of ``Key: value`` blocks separated by blank lines (TOSCA CSAR,
SOL004 clause 4.3.2). Block 0 names the entry definitions and, in SOL004, the
manifest, change log, licences, certificate and other definitions. Tacker's packages
add one block per artifact (``Name:``, ``Content-Type:``, ``Algorithm:``, ``Hash:``)
in the older TOSCA style; those hashes are verified like the manifest's. Keys are
matched without regard to case because real packages write ``Created-by`` and
``Content-type``; the canonical spelling is kept in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from descriptors.problems import Problem, Severity

FILE = "TOSCA-Metadata/TOSCA.meta"
FILE_VERSION = "TOSCA-Meta-File-Version"
CSAR_VERSION = "CSAR-Version"
CREATED_BY = "Created-By"
ENTRY_DEFINITIONS = "Entry-Definitions"
ENTRY_MANIFEST = "ETSI-Entry-Manifest"
ENTRY_CHANGE_LOG = "ETSI-Entry-Change-Log"
ENTRY_LICENSES = "ETSI-Entry-Licenses"
ENTRY_CERTIFICATE = "ETSI-Entry-Certificate"
OTHER_DEFINITIONS = "Other-Definitions"
BLOCK0_KEYS = (
    FILE_VERSION,
    CSAR_VERSION,
    CREATED_BY,
    ENTRY_DEFINITIONS,
    ENTRY_MANIFEST,
    ENTRY_CHANGE_LOG,
    ENTRY_LICENSES,
    ENTRY_CERTIFICATE,
    OTHER_DEFINITIONS,
)
FILE_BLOCK_KEYS = ("Name", "Content-Type", "Algorithm", "Hash")
CANONICAL = {k.lower(): k for k in BLOCK0_KEYS + FILE_BLOCK_KEYS}
KNOWN_CSAR_VERSIONS = frozenset({"1.1", "2.0"})


@dataclass(frozen=True)
class MetaFileEntry:
    """One per-artifact block: the file and, when given, its digest."""

    name: str
    line: int
    content_type: str | None = None
    algorithm: str | None = None
    hash: str | None = None


@dataclass(frozen=True)
class ToscaMeta:
    """Block 0 as canonical keys, the Other-Definitions list and the artifact blocks."""

    keys: dict[str, str]
    other_definitions: tuple[str, ...] = ()
    files: tuple[MetaFileEntry, ...] = ()
    lines: dict[str, int] = field(default_factory=dict)


def _blocks(text: str, problems: list[Problem]) -> list[list[tuple[int, str, str]]]:
    """Split into blocks of (line, key, value), folding continuation lines.

    A continuation joins with one space: that keeps a wrapped Other-Definitions list
    a list, and digests are compared with their whitespace removed.
    """
    blocks: list[list[tuple[int, str, str]]] = [[]]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if not line:
            if blocks[-1]:
                blocks.append([])
            continue
        if line[0] in " \t" and blocks[-1]:
            at, key, value = blocks[-1][-1]
            blocks[-1][-1] = (at, key, f"{value} {line.strip()}".strip())
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            message = f"line is not 'Key: value': {line[:60]!r}"
            problems.append(
                Problem(code="tosca-meta-syntax", message=message, file=FILE, line=number)
            )
            continue
        canonical = CANONICAL.get(key.strip().lower(), key.strip())
        blocks[-1].append((number, canonical, value.strip()))
    return [b for b in blocks if b]


def _file_entry(block: list[tuple[int, str, str]]) -> MetaFileEntry:
    values = {key: value for _, key, value in block}
    return MetaFileEntry(
        name=values["Name"],
        line=block[0][0],
        content_type=values.get("Content-Type"),
        algorithm=values.get("Algorithm"),
        hash=values.get("Hash"),
    )


def parse_tosca_meta(text: str) -> tuple[ToscaMeta, list[Problem]]:
    """Read TOSCA.meta into its blocks; syntax slips are problems, not exceptions."""
    problems: list[Problem] = []
    blocks = _blocks(text, problems)
    keys: dict[str, str] = {}
    lines: dict[str, int] = {}
    other: list[str] = []
    files: list[MetaFileEntry] = []
    for index, block in enumerate(blocks):
        names = {key for _, key, _ in block}
        if "Name" in names:
            files.append(_file_entry(block))
            continue
        if index > 0:
            message = "block without 'Name:' after the first block"
            problems.append(
                Problem(code="tosca-meta-syntax", message=message, file=FILE, line=block[0][0])
            )
            continue
        for number, key, value in block:
            if key == OTHER_DEFINITIONS:
                other.extend(value.split())
                lines.setdefault(key, number)
            elif key in keys:
                message = f"'{key}' is given twice (first at line {lines[key]})"
                problems.append(
                    Problem(code="tosca-meta-syntax", message=message, file=FILE, line=number)
                )
            else:
                keys[key] = value
                lines[key] = number
    if other:
        keys[OTHER_DEFINITIONS] = " ".join(other)
    meta = ToscaMeta(keys=keys, other_definitions=tuple(other), files=tuple(files), lines=lines)
    return meta, problems


def check_tosca_meta(meta: ToscaMeta, *, strict: bool) -> list[Problem]:
    """The keys block 0 must carry; Created-By is lenient unless strict."""
    problems: list[Problem] = []
    for key in (FILE_VERSION, CSAR_VERSION, ENTRY_DEFINITIONS):
        if not meta.keys.get(key):
            problems.append(
                Problem(code="tosca-meta-key", message=f"'{key}' is missing", file=FILE)
            )
    if not meta.keys.get(CREATED_BY):
        severity = Severity.ERROR if strict else Severity.WARNING
        problems.append(
            Problem(
                code="tosca-meta-key",
                message=f"'{CREATED_BY}' is missing",
                file=FILE,
                severity=severity,
            )
        )
    version = meta.keys.get(FILE_VERSION)
    if version and version != "1.0":
        problems.append(
            _warning(f"TOSCA-Meta-File-Version {version!r}, expected '1.0'", meta, FILE_VERSION)
        )
    csar = meta.keys.get(CSAR_VERSION)
    if csar and csar not in KNOWN_CSAR_VERSIONS:
        problems.append(_warning(f"CSAR-Version {csar!r}, expected 1.1 or 2.0", meta, CSAR_VERSION))
    return problems


def _warning(message: str, meta: ToscaMeta, key: str) -> Problem:
    return Problem(
        code="tosca-meta-key",
        message=message,
        file=FILE,
        line=meta.lines.get(key),
        severity=Severity.WARNING,
    )
