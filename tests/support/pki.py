"""A test certificate authority made with ``cryptography``: roots, intermediates and
signers, valid or broken in each of the ways a package signature can be.

    root = Authority.root("Test Root")
    vendor = root.issue("Vendor Signing")          # a signer, valid for a day
    vendor.write(tmp_path / "vendor")               # key.pem, cert.pem (with its chain)
    root.write_anchor(anchors_dir)                  # the root as a trust anchor
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
DAY = timedelta(days=1)


def new_key(kind: str = "ec") -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nfvo tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, ca: bool, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=False,
        key_encipherment=not ca and not signer,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class Authority:
    """A key, its certificate, and the chain above it (root last)."""

    key: PrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @classmethod
    def root(
        cls, name: str = "Test Root", *, valid: tuple[datetime, datetime] | None = None
    ) -> Authority:
        key = new_key()
        start, end = valid or (datetime.now(UTC) - DAY, datetime.now(UTC) + 30 * DAY)
        certificate = build_certificate(
            name, name, key.public_key(), key, start, end, ca=True, signer=False
        )
        return cls(key, certificate)

    def issue(
        self,
        name: str,
        *,
        ca: bool = False,
        key: PrivateKey | None = None,
        valid: tuple[datetime, datetime] | None = None,
        signer: bool = True,
        path_length: int | None = None,
        serial: int | None = None,
    ) -> Authority:
        """A certificate signed by this authority: a CA (``ca``) or a signer."""
        key = key or new_key()
        start, end = valid or (datetime.now(UTC) - DAY, datetime.now(UTC) + DAY)
        issuer = self.certificate.subject
        certificate = build_certificate(
            name, issuer, key.public_key(), self.key, start, end,
            ca=ca, signer=signer and not ca, path_length=path_length, serial=serial,
        )  # fmt: skip
        return Authority(key, certificate, [self.certificate, *self.chain])

    def revoke(self, *certificates: x509.Certificate) -> x509.CertificateRevocationList:
        """A CRL of this authority listing ``certificates``."""
        now = datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.certificate.subject)
            .last_update(now - DAY)
            .next_update(now + DAY)
        )
        for certificate in certificates:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(certificate.serial_number)
                .revocation_date(now - timedelta(hours=1))
                .build()
            )
        return builder.sign(self.key, _hash(self.key))

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def certificate_pem(self, *, with_chain: bool = True) -> bytes:
        chain = [self.certificate, *self.chain[:-1]] if with_chain else [self.certificate]
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)

    def write(self, directory: Path, *, with_chain: bool = True) -> tuple[Path, Path]:
        """``key.pem`` and ``cert.pem`` (the certificate, then intermediates) in ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        key, cert = directory / "key.pem", directory / "cert.pem"
        key.write_bytes(self.key_pem())
        cert.write_bytes(self.certificate_pem(with_chain=with_chain))
        return key, cert

    def write_anchor(self, directory: Path, name: str = "root.pem") -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path


def _hash(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def build_certificate(
    subject: str,
    issuer: str | x509.Name,
    public_key: object,
    signing_key: PrivateKey,
    start: datetime,
    end: datetime,
    *,
    ca: bool,
    signer: bool,
    path_length: int | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    """One certificate, as odd as a test needs (cross-signed, expired, not a signer...)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer if isinstance(issuer, x509.Name) else _name(issuer))
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), True)
        .add_extension(_usage(ca=ca, signer=signer), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
            critical=False,
        )
    return builder.sign(signing_key, _hash(signing_key))
