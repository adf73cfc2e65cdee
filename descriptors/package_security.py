"""Package signatures as SOL004 (clause 5) and SOL007 (clause 5) define them.

Security option 1: the manifest ends with a CMS signature over everything before it
(``-----BEGIN CMS-----`` ... ``-----END CMS-----``), and any artifact may carry its
own detached CMS signature, named by ``Signature:`` in its manifest block (with an
optional ``Certificate:``). The package certificate is the ``.cert`` beside the
manifest or the file ``ETSI-Entry-Certificate`` names; a signature may carry the
certificates too. Security option 2: the CSAR travels inside a zip beside its
``.cert`` and a CMS signature (``.cms``) over the CSAR's bytes; that envelope is
verified before anything inside the CSAR is read.

A :class:`SignaturePolicy` says whether signatures are required, verified when
present (the default) or ignored, and where the trust anchors are. What verified is a
:class:`PackageSecurity`; every refusal is a :class:`Problem` saying which file, why,
and who signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import BaseModel, ConfigDict

from descriptors.archive import resolve_in_package
from descriptors.cms import (
    MAX_SIGNATURE_BYTES,
    Content,
    SigningKey,
    load_signer,
    sign_detached,
    verify_detached,
)
from descriptors.digests import FileDigests
from descriptors.manifest import CMS_BEGIN, CMS_END, Manifest
from descriptors.problems import Problem
from descriptors.trust import (
    SignatureRefused,
    TrustAnchors,
    TrustAnchorsUnusable,
    chain_to_anchor,
    fingerprint,
    load_certificates,
    subject_of,
)

MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024


class SignatureMode(StrEnum):
    """``package_signature_policy`` (docs/configuration.md)."""

    REQUIRE = "require"
    VERIFY_IF_PRESENT = "verify-if-present"
    OFF = "off"


class SecurityOption(StrEnum):
    """SOL005 PackageSecurityOptionType (clause 9.5.4.x) names."""

    OPTION_1 = "OPTION_1"
    OPTION_2 = "OPTION_2"


@dataclass(frozen=True)
class SignaturePolicy:
    """What to do with signatures, and whose roots a signer must chain to."""

    mode: SignatureMode = SignatureMode.VERIFY_IF_PRESENT
    trust_anchors: Path | None = None

    @property
    def verifies(self) -> bool:
        return self.mode is not SignatureMode.OFF

    def anchors(self) -> TrustAnchors:
        """The anchors to verify against; SignatureRefused when there are none to use."""
        if self.trust_anchors is None:
            message = (
                "the package is signed, but no trust anchors are configured "
                "(package_trust_anchors), so its signer cannot be trusted"
            )
            raise SignatureRefused("untrusted", message)
        try:
            return TrustAnchors.from_directory(self.trust_anchors)
        except TrustAnchorsUnusable as exc:
            raise SignatureRefused("trust-anchors", str(exc)) from None


DEFAULT_POLICY = SignaturePolicy()


class SignatureInfo(BaseModel):
    """One signature that verified: what it covers and who made it."""

    model_config = ConfigDict(frozen=True)

    covers: str
    signer: str
    issuer: str
    certificate_sha256: str
    chain: tuple[str, ...]
    signing_time: datetime | None = None


class PackageSecurity(BaseModel):
    """How a package is signed; ``option`` None means not signed (or not checked)."""

    model_config = ConfigDict(frozen=True)

    option: SecurityOption | None = None
    signatures: tuple[SignatureInfo, ...] = ()
    artifacts: tuple[SignatureInfo, ...] = ()

    @property
    def signer(self) -> str | None:
        return self.signatures[0].signer if self.signatures else None

    def describe(self) -> str:
        """``signed by CN=... (option 1)`` or ``unsigned``, for operators."""
        if self.signer is None:
            return "unsigned"
        number = "2" if self.option is SecurityOption.OPTION_2 else "1"
        return f"signed by {self.signer} (option {number})"


UNSIGNED = PackageSecurity()


@dataclass(frozen=True)
class PackageSigner:
    """A vendor's key and certificate (then intermediates), the option to sign with, and
    whether (with option 1) the files under ``Files/`` are signed alone as well."""

    key: SigningKey
    certificates: tuple[x509.Certificate, ...]
    option: SecurityOption = SecurityOption.OPTION_1
    artifacts: bool = False

    @classmethod
    def from_files(
        cls, key: Path, certificate: Path, option: SecurityOption, *, artifacts: bool = False
    ) -> PackageSigner:
        """Read PEM files; ValueError says what is wrong with them."""
        private, certificates = load_signer(key.read_bytes(), certificate.read_bytes())
        return cls(private, tuple(certificates), option, artifacts)

    def sign(self, sha256: bytes) -> bytes:
        """A PEM CMS signature of the content whose SHA-256 is ``sha256``."""
        return sign_detached(sha256, self.key, self.certificates)

    def certificate_pem(self) -> bytes:
        return b"".join(c.public_bytes(Encoding.PEM) for c in self.certificates)


def verify_signature(
    signature: bytes,
    content: Content,
    certificates: Sequence[x509.Certificate],
    anchors: TrustAnchors,
    covers: str,
    chains: dict[bytes, list[x509.Certificate]] | None = None,
) -> SignatureInfo:
    """The CMS check and the chain to an anchor, in one; SignatureRefused otherwise.
    ``chains`` remembers the chains already validated (a package's manifest and its
    artifacts are usually signed by one certificate)."""
    signed = verify_detached(signature, content, certificates)
    known = chains if chains is not None else {}
    key = signed.signer.fingerprint(SHA256())
    chain = known.get(key) or chain_to_anchor(signed.signer, signed.certificates, anchors)
    known[key] = chain
    return SignatureInfo(
        covers=covers,
        signer=subject_of(signed.signer),
        issuer=signed.signer.issuer.rfc4514_string(),
        certificate_sha256=fingerprint(signed.signer),
        chain=tuple(subject_of(c) for c in chain),
        signing_time=signed.signing_time,
    )


def _refusal(refused: SignatureRefused, **where: object) -> Problem:
    return Problem(code=refused.code, message=refused.message, **where)


def read_certificates(
    root: Path, relative: str | None
) -> tuple[list[x509.Certificate], Problem | None]:
    """The certificates of a package file (PEM bundle or DER), or why they cannot be read."""
    if relative is None:
        return [], None
    target = resolve_in_package(root, relative)
    if isinstance(target, Problem):
        return [], target.model_copy(update={"path": relative})
    if not target.is_file():
        return [], Problem(
            code="missing-file", message="certificate file is missing", file=relative
        )
    with target.open("rb") as handle:
        return certificates_of(handle.read(MAX_CERTIFICATE_FILE_BYTES + 1), relative)


def certificates_of(data: bytes, file: str) -> tuple[list[x509.Certificate], Problem | None]:
    """The certificates a file holds, or why they cannot be read (too large, not one)."""
    if len(data) > MAX_CERTIFICATE_FILE_BYTES:
        return [], Problem(code="certificate", message="certificate file is too large", file=file)
    try:
        return load_certificates(data), None
    except ValueError as exc:
        message = f"not a certificate in PEM or DER ({exc})"
        return [], Problem(code="certificate", message=message, file=file)


# --- option 1: the manifest's signature, and the artifacts' ----------------------------


@dataclass(frozen=True)
class SignedManifest:
    """The bytes a manifest's signature covers, the signature, and its first line."""

    signed: bytes
    signature: bytes
    line: int
    trailing: bool  # something other than blank lines follows the signature


def split_manifest(data: bytes) -> SignedManifest | None:
    """A manifest's signed part and CMS block, or None when it carries no signature."""
    begin = CMS_BEGIN.encode()
    at = data.find(begin)
    while at > 0 and data[at - 1 : at] not in (b"\n", b"\r"):
        at = data.find(begin, at + 1)
    if at < 0:
        return None
    end = data.find(CMS_END.encode(), at)
    block_end = len(data) if end < 0 else end + len(CMS_END)
    return SignedManifest(
        signed=data[:at],
        signature=data[at:block_end],
        line=data[:at].count(b"\n") + 1,
        trailing=bool(data[block_end:].strip()),
    )


def check_manifest_signature(
    root: Path,
    manifest: Manifest,
    anchors: TrustAnchors,
    certificates: Sequence[x509.Certificate],
    chains: dict[bytes, list[x509.Certificate]] | None = None,
) -> SignatureInfo:
    """Verify the manifest's own CMS signature; SignatureRefused says why not.

    The signed bytes are everything before the ``-----BEGIN CMS-----`` line; a signer
    who appended the block after a blank line signed the text without it, which is
    tried too.
    """
    path = root / manifest.file
    split = split_manifest(path.read_bytes())
    assert split is not None  # the caller checked that the manifest is signed
    if split.trailing:
        message = "the manifest goes on after its signature, which does not cover that part"
        raise SignatureRefused("signature-mismatch", message)
    candidates = [split.signed]
    if split.signed.endswith((b"\n\n", b"\r\n\r\n")):
        candidates.append(split.signed.rstrip(b"\r\n") + b"\n")
    for candidate in candidates:
        try:
            content = Content.of_bytes(candidate)
            return verify_signature(
                split.signature, content, certificates, anchors, manifest.file, chains
            )
        except SignatureRefused as refused:
            if refused.code != "signature-mismatch":
                raise
    message = "the manifest was changed after it was signed (the signature covers other bytes)"
    raise SignatureRefused("signature-mismatch", message)


def check_artifact_signatures(
    root: Path,
    manifest: Manifest,
    anchors: TrustAnchors,
    package_certificates: Sequence[x509.Certificate],
    digests: FileDigests,
    chains: dict[bytes, list[x509.Certificate]] | None = None,
) -> tuple[list[SignatureInfo], list[Problem]]:
    """Every artifact's own signature (``Signature:``/``Certificate:``), each verified
    over the digest computed while its checksum was checked."""
    infos: list[SignatureInfo] = []
    problems: list[Problem] = []
    for source in manifest.sources:
        if source.signature is None or source.external:
            continue
        where = {"file": manifest.file, "line": source.line, "path": source.path}
        target = resolve_in_package(root, source.path)
        signature_file = resolve_in_package(root, source.signature)
        own, problem = read_certificates(root, source.certificate)
        if problem is not None:
            problems.append(problem.model_copy(update=where))
            continue
        if isinstance(target, Problem) or isinstance(signature_file, Problem):
            continue  # the checksum check reports the artifact's path
        if not target.is_file():
            continue  # reported as a missing artifact
        if not signature_file.is_file() or signature_file.stat().st_size > MAX_SIGNATURE_BYTES:
            message = f"signature file {source.signature!r} is missing or too large"
            problems.append(Problem(code="signature-malformed", message=message, **where))
            continue
        content = Content(digest=partial(digests.digest, target), data=target.read_bytes)
        pool = [*own, *package_certificates]
        try:
            info = verify_signature(
                signature_file.read_bytes(), content, pool, anchors, source.path, chains
            )
        except SignatureRefused as refused:
            if refused.code == "signature-mismatch":
                refused.message = f"artifact {source.path!r} differs from what its signature covers"
            problems.append(_refusal(refused, **where))
            continue
        infos.append(info)
    return infos, problems


# --- the checks of one package, in the order open_package runs them ---------------------


class SignatureCheck:
    """Option 1 checks of one opened package under ``policy``, after option 2's (if the
    package came in an envelope): the manifest's signature before any file is hashed,
    the artifacts' signatures after."""

    def __init__(
        self,
        root: Path,
        manifest: Manifest | None,
        certificate: str | None,
        policy: SignaturePolicy,
        envelope: SignatureInfo | None = None,
    ) -> None:
        self.root = root
        self.manifest = manifest
        self.certificate = certificate
        self.policy = policy
        self.envelope = envelope
        self.signed_manifest: SignatureInfo | None = None
        self.artifacts: list[SignatureInfo] = []
        self._anchors: TrustAnchors | None = None
        self._certificates: list[x509.Certificate] = []
        self._chains: dict[bytes, list[x509.Certificate]] = {}

    def _where(self, line: int | None = None) -> dict[str, Any]:
        return {"file": self.manifest.file if self.manifest else None, "line": line}

    def check_manifest(self) -> list[Problem]:
        """The manifest's signature; under ``require``, that the package is signed at all."""
        if not self.policy.verifies:
            return []
        signed = self.manifest is not None and self.manifest.signature is not None
        if not signed and self.envelope is None:
            if self.policy.mode is not SignatureMode.REQUIRE:
                return []
            message = (
                "the package is not signed, and the signature policy requires it: a signed "
                "manifest (security option 1) or a signed envelope (security option 2)"
            )
            return [
                Problem(code="unsigned", message=message, file=self.manifest and self.manifest.file)
            ]
        certificates, problem = read_certificates(self.root, self.certificate)
        if problem is not None:
            return [problem]
        self._certificates = certificates
        if not signed:
            return []
        assert self.manifest is not None
        split = split_manifest((self.root / self.manifest.file).read_bytes())
        line = split.line if split else None
        try:
            self._anchors = self.policy.anchors()
            self.signed_manifest = check_manifest_signature(
                self.root, self.manifest, self._anchors, certificates, self._chains
            )
        except SignatureRefused as refused:
            return [_refusal(refused, **self._where(line))]
        return []

    def check_artifacts(self, digests: FileDigests) -> list[Problem]:
        """Every artifact's own signature, once the checksums were verified."""
        if not self.policy.verifies or self.manifest is None:
            return []
        if not any(s.signature for s in self.manifest.sources if not s.external):
            return []
        try:
            anchors = self._anchors or self.policy.anchors()
        except SignatureRefused as refused:
            return [_refusal(refused, **self._where())]
        self.artifacts, problems = check_artifact_signatures(
            self.root, self.manifest, anchors, self._certificates, digests, self._chains
        )
        return problems

    def result(self) -> PackageSecurity:
        signatures = [s for s in (self.envelope, self.signed_manifest) if s is not None]
        option = None
        if self.envelope is not None:
            option = SecurityOption.OPTION_2
        elif self.signed_manifest is not None:
            option = SecurityOption.OPTION_1
        return PackageSecurity(
            option=option, signatures=tuple(signatures), artifacts=tuple(self.artifacts)
        )
