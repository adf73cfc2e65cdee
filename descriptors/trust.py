"""Who may sign packages: trust anchors, and the chain from a signer to one of them.

Trust anchors are a directory the operator fills: PEM files (``.pem``, ``.crt``,
``.cer``) holding root certificates, and certificate revocation lists (PEM ``X509
CRL`` blocks in those files, or ``.crl`` files in PEM or DER). :func:`chain_to_anchor`
does the parts of RFC 5280 path validation a package signature needs: each link's
issuer name and signature, validity periods (now), CA basic constraints and path
lengths, key usage (``keyCertSign`` for issuers, ``digitalSignature`` or
``contentCommitment`` for the signer) and revocation by the CRLs of the directory. A
chain may go through intermediates the package carries; one that loops, or runs
longer than :data:`MAX_CHAIN`, is refused.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

MAX_CHAIN = 8
MAX_ANCHOR_FILE_BYTES = 4 * 1024 * 1024
CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer")
CRL_SUFFIXES = (".crl",)
_PEM_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"


class SignatureRefused(Exception):
    """One reason a signature or its certificate is not accepted, with its problem code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TrustAnchorsUnusable(Exception):
    """The configured trust anchors cannot be read: the operator's to fix, not the package's."""


def subject_of(certificate: x509.Certificate) -> str:
    """The subject as RFC 4514 text (``CN=...,O=...``), what operators read."""
    return certificate.subject.rfc4514_string() or "(empty subject)"


def common_name(certificate: x509.Certificate) -> str:
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else subject_of(certificate)


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle, or the one of a DER file; ValueError if none."""
    if _PEM_CERTIFICATE in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


@dataclass(frozen=True)
class TrustAnchors:
    """Roots a signer's chain must reach, and the revocation lists to consult on the way."""

    roots: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    source: str = ""

    @classmethod
    def from_directory(cls, directory: Path) -> TrustAnchors:
        """Read every anchor file of ``directory``; TrustAnchorsUnusable says which is bad."""
        if not directory.is_dir():
            raise TrustAnchorsUnusable(f"trust anchor directory {directory} does not exist")
        roots: list[x509.Certificate] = []
        crls: list[x509.CertificateRevocationList] = []
        for path in sorted(directory.iterdir()):
            suffix = path.suffix.lower()
            if not path.is_file() or suffix not in CERTIFICATE_SUFFIXES + CRL_SUFFIXES:
                continue
            if path.stat().st_size > MAX_ANCHOR_FILE_BYTES:
                raise TrustAnchorsUnusable(f"trust anchor file {path} is too large")
            try:
                found_roots, found_crls = _read_anchor_file(path.read_bytes(), suffix)
            except ValueError as exc:
                message = f"trust anchor file {path} cannot be read: {exc}"
                raise TrustAnchorsUnusable(message) from exc
            roots += found_roots
            crls += found_crls
        if not roots:
            raise TrustAnchorsUnusable(f"trust anchor directory {directory} holds no certificate")
        return cls(tuple(roots), tuple(crls), str(directory))


def _read_anchor_file(
    data: bytes, suffix: str
) -> tuple[list[x509.Certificate], list[x509.CertificateRevocationList]]:
    """Certificates and CRLs of one file: PEM blocks of either, or one DER object."""
    crls = [x509.load_pem_x509_crl(block) for block in _pem_blocks(data, b"X509 CRL")]
    certificates = x509.load_pem_x509_certificates(data) if _PEM_CERTIFICATE in data else []
    if not crls and not certificates:
        if suffix in CRL_SUFFIXES:
            crls.append(x509.load_der_x509_crl(data))
        else:
            certificates.append(x509.load_der_x509_certificate(data))
    return certificates, crls


def _pem_blocks(data: bytes, label: bytes) -> list[bytes]:
    begin, end = b"-----BEGIN " + label + b"-----", b"-----END " + label + b"-----"
    blocks = []
    for piece in data.split(begin)[1:]:
        body, found, _ = piece.partition(end)
        if found:
            blocks.append(begin + body + end + b"\n")
    return blocks


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


@dataclass
class _Search:
    """State of one chain search: what was tried, to name the real reason on failure."""

    anchors: TrustAnchors
    pool: Sequence[x509.Certificate]
    loop: list[x509.Certificate] | None = None
    forged: tuple[x509.Certificate, x509.Certificate] | None = None

    def extend(self, path: list[x509.Certificate]) -> list[x509.Certificate] | None:
        """A path ending at an anchor, searched depth first from ``path[-1]``."""
        current = path[-1]
        for root in self.anchors.roots:
            if root.subject == current.issuer:
                if _issued_by(current, root):
                    return [*path, root]
                self.forged = self.forged or (current, root)
        if len(path) >= MAX_CHAIN:
            return None
        for candidate in self.pool:
            if candidate.subject != current.issuer or candidate == current:
                continue
            if candidate in path:
                self.loop = self.loop or [*path[path.index(candidate) :], candidate]
                continue
            if not _issued_by(current, candidate):
                self.forged = self.forged or (current, candidate)
                continue
            found = self.extend([*path, candidate])
            if found is not None:
                return found
        return None


def chain_to_anchor(
    signer: x509.Certificate, pool: Sequence[x509.Certificate], anchors: TrustAnchors
) -> list[x509.Certificate]:
    """The chain signer, intermediates..., root; or SignatureRefused naming what breaks it."""
    search = _Search(anchors, pool)
    chain = search.extend([signer])
    if chain is None:
        raise _no_chain(signer, search)
    now = datetime.now(UTC)
    for position, certificate in enumerate(chain):
        _check_validity(certificate, now)
        if position > 0:
            _check_issuer(certificate, position - 1)
    _check_signer_usage(signer)
    _check_revocation(chain, anchors)
    return chain


def _no_chain(signer: x509.Certificate, search: _Search) -> SignatureRefused:
    if search.loop is not None:
        names = " -> ".join(common_name(c) for c in search.loop)
        return SignatureRefused("chain-loop", f"certificate chain loops ({names})")
    if search.forged is not None:
        child, issuer = search.forged
        message = (
            f"certificate {subject_of(child)} names {subject_of(issuer)} as its issuer, "
            "but that certificate's key did not sign it"
        )
        return SignatureRefused("untrusted", message)
    last = signer
    for candidate in search.pool:  # how far the package's own certificates reach
        if candidate.subject == last.issuer and candidate != last:
            last = candidate
    origin = "self-signed " if last.issuer == last.subject else ""
    message = (
        f"the signer's chain ends at {origin}{subject_of(last)}, issued by "
        f"{last.issuer.rfc4514_string()}, which is not a trust anchor"
        + (f" of {search.anchors.source}" if search.anchors.source else "")
    )
    return SignatureRefused("untrusted", message)


def _check_validity(certificate: x509.Certificate, now: datetime) -> None:
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if now < start:
        since = f"{start:%Y-%m-%d %H:%M:%S} UTC"
        message = f"certificate {subject_of(certificate)} is not valid before {since}"
        raise SignatureRefused("certificate-not-yet-valid", message)
    if now > end:
        until = f"{end:%Y-%m-%d %H:%M:%S} UTC"
        message = f"certificate {subject_of(certificate)} expired on {until}"
        raise SignatureRefused("certificate-expired", message)


def _extension(certificate: x509.Certificate, kind: type[x509.ExtensionType]) -> object | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _check_issuer(issuer: x509.Certificate, below: int) -> None:
    """An issuer must be a CA allowed to sign certificates, with room for ``below``
    intermediates under it (``below`` counts the certificates under it but the signer)."""
    constraints = _extension(issuer, x509.BasicConstraints)
    name = subject_of(issuer)
    if isinstance(constraints, x509.BasicConstraints):
        if not constraints.ca:
            raise SignatureRefused("key-usage", f"certificate {name} is not a CA, yet issues one")
        if constraints.path_length is not None and below > constraints.path_length:
            message = f"CA {name} allows {constraints.path_length} intermediate(s) below it"
            raise SignatureRefused("key-usage", message)
    usage = _extension(issuer, x509.KeyUsage)
    if isinstance(usage, x509.KeyUsage) and not usage.key_cert_sign:
        message = f"CA {name}'s key usage does not include keyCertSign"
        raise SignatureRefused("key-usage", message)


def _check_signer_usage(signer: x509.Certificate) -> None:
    usage = _extension(signer, x509.KeyUsage)
    if isinstance(usage, x509.KeyUsage) and not (
        usage.digital_signature or usage.content_commitment
    ):
        message = (
            f"certificate {subject_of(signer)} may not sign: its key usage has neither "
            "digitalSignature nor contentCommitment"
        )
        raise SignatureRefused("key-usage", message)


def _check_revocation(chain: list[x509.Certificate], anchors: TrustAnchors) -> None:
    for certificate, issuer in itertools.pairwise(chain):
        for crl in anchors.crls:
            if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
                continue
            revoked = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
            if revoked is not None:
                when = revoked.revocation_date_utc
                message = (
                    f"certificate {subject_of(certificate)} was revoked on "
                    f"{when:%Y-%m-%d} by {subject_of(issuer)}"
                )
                raise SignatureRefused("certificate-revoked", message)
