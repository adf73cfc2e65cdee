"""The demo's certificate authority: a root the demo's orchestrator trusts and the
vendor key that signs the shipped packages (SOL004 clause 5), made fresh each run.

Real operators get their vendors' roots from the vendors; the demo plays both sides:
the root goes into a trust anchor directory (``package_trust_anchors``), the vendor
key and certificate into :class:`descriptors.package_security.PackageSigner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from descriptors.package_security import PackageSigner, SecurityOption

ORGANIZATION = "nfvo demo"
ROOT_NAME = "nfvo demo root CA"
VENDOR_NAME = "nfvo demo 5G-core vendor"


@dataclass(frozen=True)
class DemoAuthority:
    """Where the demo's trust anchors are, and the vendor's signing key."""

    trust_anchors: Path
    vendor_key: ec.EllipticCurvePrivateKey
    vendor_certificate: x509.Certificate

    def signer(self, option: SecurityOption, *, artifacts: bool = False) -> PackageSigner:
        return PackageSigner(self.vendor_key, (self.vendor_certificate,), option, artifacts)

    @property
    def vendor(self) -> str:
        return self.vendor_certificate.subject.rfc4514_string()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _certificate(
    subject: str, public: ec.EllipticCurvePublicKey, issuer: str, key: ec.EllipticCurvePrivateKey,
    *, ca: bool,
) -> x509.Certificate:  # fmt: skip
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(_usage(ca=ca), critical=True)
        .sign(key, hashes.SHA256())
    )


def make_demo_authority(directory: Path) -> DemoAuthority:
    """A root CA (written to ``directory/trust-anchors/``) and a vendor it certifies."""
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _certificate(ROOT_NAME, root_key.public_key(), ROOT_NAME, root_key, ca=True)
    vendor_key = ec.generate_private_key(ec.SECP256R1())
    vendor = _certificate(VENDOR_NAME, vendor_key.public_key(), ROOT_NAME, root_key, ca=False)
    anchors = directory / "trust-anchors"
    anchors.mkdir(parents=True, exist_ok=True)
    (anchors / "demo-root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return DemoAuthority(anchors, vendor_key, vendor)
