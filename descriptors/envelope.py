"""Security option 2 (SOL004 and SOL007 clause 5): the CSAR travels inside a zip beside
its certificate (``.cert``) and a CMS signature (``.cms``) over the CSAR's bytes.

The envelope is recognised by its shape (every entry at the root, one of them a CSAR,
no ``TOSCA-Metadata``), its CSAR written out as any zip entry is (bounded, checked,
hashed on the way) and its signature verified before anything inside the CSAR is read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from descriptors.archive import ZIP_ERRORS, ArchiveRefusedError, Limits, extract_member
from descriptors.cms import MAX_SIGNATURE_BYTES, Content
from descriptors.digests import FileDigests
from descriptors.package_security import (
    MAX_CERTIFICATE_FILE_BYTES,
    SignatureInfo,
    SignaturePolicy,
    certificates_of,
    verify_signature,
)
from descriptors.problems import Problem
from descriptors.trust import SignatureRefused

CSAR_SUFFIXES = (".csar", ".zip")
SIGNATURE_SUFFIXES = (".cms", ".p7s")
CERTIFICATE_SUFFIX = ".cert"
MAX_MEMBERS = 16


@dataclass(frozen=True)
class Envelope:
    """The members of an option 2 zip: the CSAR, its signature and its certificate."""

    csar: str
    signature: str | None
    certificate: str | None


def envelope_of(source: Path) -> Envelope | None:
    """The envelope's members if ``source`` is one; None for an ordinary CSAR (or a file
    that is no zip at all, which unpacking it will say)."""
    try:
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            names = [i.filename for i in infos[:MAX_MEMBERS] if not i.filename.endswith("/")]
    except ZIP_ERRORS:
        return None
    if len(infos) > MAX_MEMBERS or any("/" in name or "\\\\" in name for name in names):
        return None
    csars = [n for n in names if n.lower().endswith(CSAR_SUFFIXES)]
    if len(csars) != 1:
        return None
    signatures = [n for n in names if n.lower().endswith(SIGNATURE_SUFFIXES)]
    certificates = [n for n in names if n.lower().endswith(CERTIFICATE_SUFFIX)]
    stem = PurePosixPath(csars[0]).stem
    own = [n for n in signatures if n.startswith(stem)] or signatures
    return Envelope(csars[0], own[0] if own else None, certificates[0] if certificates else None)


def unwrap(
    source: Path, envelope: Envelope, target: Path, limits: Limits, policy: SignaturePolicy
) -> tuple[SignatureInfo | None, list[Problem]]:
    """Write the envelope's CSAR to ``target`` and verify its signature (policy
    permitting); the signature and certificate are read into memory, bounded."""
    try:
        sha256 = extract_member(source, envelope.csar, target, limits)
        with zipfile.ZipFile(source) as archive:
            signature = _read(archive, envelope.signature, MAX_SIGNATURE_BYTES)
            certificate = _read(archive, envelope.certificate, MAX_CERTIFICATE_FILE_BYTES)
    except ArchiveRefusedError as refused:
        return None, [refused.problem]
    if not policy.verifies:
        return None, []
    if envelope.signature is None or signature is None:
        message = (
            f"the package is a security option 2 envelope around {envelope.csar}, "
            "but it holds no .cms signature"
        )
        return None, [Problem(code="unsigned", message=message, file=envelope.csar)]
    certificates, problem = (
        certificates_of(certificate, envelope.certificate or "")
        if certificate is not None
        else ([], None)
    )
    if problem is not None:
        return None, [problem]
    digests = FileDigests()
    digests.know(target, "sha256", sha256)
    content = Content(digest=partial(digests.digest, target), data=target.read_bytes)
    try:
        info = verify_signature(signature, content, certificates, policy.anchors(), envelope.csar)
    except SignatureRefused as refused:
        if refused.code == "signature-mismatch":
            refused.message = f"{envelope.csar} is not the CSAR its signature covers"
        return None, [Problem(code=refused.code, message=refused.message, file=envelope.signature)]
    return info, []


def _read(archive: zipfile.ZipFile, name: str | None, bound: int) -> bytes | None:
    """A small member's bytes, at most ``bound`` + 1 of them (the reader says too large)."""
    if name is None:
        return None
    with archive.open(name) as member:
        return member.read(bound + 1)
