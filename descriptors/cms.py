"""CMS detached signatures (RFC 5652 SignedData): checking them, and making them.

``cryptography`` loads certificates and keys but cannot read or check CMS, so the
structure is read and written with asn1crypto and the signature arithmetic is done
by ``cryptography`` (docs/descriptors.md says why this pair). Only what a package
signature needs is accepted: ``data`` content, detached or equal to the expected
bytes; SHA-256, SHA-384 or SHA-512; RSA (PKCS #1 v1.5 or PSS), ECDSA or Ed25519; the
signer found by issuer and serial number or by subject key identifier. A signature is
input from a stranger, so its size and its certificate count are bounded before and
while it is read.

The content is never handed over whole: :class:`Content` gives its digest per
algorithm (a large image is hashed once, while the package's checksums are verified),
and its bytes only for an Ed25519 signature without signed attributes, which signs
the message itself.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from descriptors.trust import SignatureRefused, load_certificates, subject_of

MAX_SIGNATURE_BYTES = 1024 * 1024
MAX_CERTIFICATES = 32
DIGESTS: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
PEM_LABELS = (b"CMS", b"PKCS7", b"PKCS #7 SIGNED DATA")
#: What asn1crypto raises on malformed input; it parses lazily, so on access too.
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class Content:
    """What was signed: its digest for a hash name (``sha256``...), its bytes on demand."""

    digest: Callable[[str], bytes]
    data: Callable[[], bytes]

    @classmethod
    def of_bytes(cls, data: bytes) -> Content:
        return cls(lambda name: hashlib.new(name, data).digest(), lambda: data)


@dataclass(frozen=True)
class Signed:
    """A signature that verified: who made it, with which certificates it came."""

    signer: x509.Certificate
    certificates: tuple[x509.Certificate, ...]
    digest_algorithm: str
    signing_time: datetime | None


def _malformed(detail: str) -> SignatureRefused:
    return SignatureRefused(
        "signature-malformed", f"the signature is not a CMS signature ({detail})"
    )


def decode(data: bytes) -> cms.SignedData:
    """The SignedData of a PEM or DER CMS signature, bounded and checked for shape (the
    rest is parsed as it is read; a malformed part is refused where it is reached)."""
    if len(data) > MAX_SIGNATURE_BYTES:
        message = f"the signature is {len(data)} bytes, more than {MAX_SIGNATURE_BYTES} allowed"
        raise SignatureRefused("signature-too-large", message)
    der = _der(data)
    try:
        info = cms.ContentInfo.load(der, strict=True)
        if info["content_type"].native != "signed_data":
            raise _malformed(f"content type {info['content_type'].native}, not signed data")
        signed: cms.SignedData = info["content"]
        if not signed["signer_infos"]:
            raise _malformed("it has no signer")
        if len(signed["certificates"] or []) > MAX_CERTIFICATES:
            raise SignatureRefused(
                "signature-too-large",
                f"the signature carries more than {MAX_CERTIFICATES} certificates",
            )
    except SignatureRefused:
        raise
    except _MALFORMED as exc:
        raise _malformed(str(exc) or type(exc).__name__) from None
    return signed


def _der(data: bytes) -> bytes:
    text = data.strip()
    if not text.startswith(b"-----BEGIN "):
        return data
    label = text[len(b"-----BEGIN ") :].split(b"-----", 1)[0]
    if label not in PEM_LABELS:
        raise _malformed(f"PEM block {label.decode(errors='replace')!r}")
    body = text.split(b"\n", 1)[1] if b"\n" in text else b""
    body = body.rsplit(b"-----END ", 1)[0]
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except ValueError:
        raise _malformed("its PEM body is not base64") from None


def verify_detached(
    signature: bytes, content: Content, extra_certificates: Sequence[x509.Certificate] = ()
) -> Signed:
    """Check ``signature`` over ``content``; SignatureRefused says what is wrong.

    Every signer must verify. The certificates the signature carries and
    ``extra_certificates`` (a package's ``.cert`` file) are where signers are found;
    whether those certificates are trusted is :func:`descriptors.trust.chain_to_anchor`'s
    question.
    """
    signed = decode(signature)
    try:
        carried = [
            x509.load_der_x509_certificate(choice.chosen.dump())
            for choice in signed["certificates"] or []
            if choice.name == "certificate"
        ]
        pool = [*carried, *extra_certificates]
        results = [_verify_signer(info, signed, content, pool) for info in signed["signer_infos"]]
    except SignatureRefused:
        raise
    except _MALFORMED as exc:
        raise _malformed(str(exc) or type(exc).__name__) from None
    signer, algorithm, when = results[0]
    return Signed(signer, tuple(pool), algorithm, when)


def _verify_signer(
    info: cms.SignerInfo, signed: cms.SignedData, content: Content, pool: list[x509.Certificate]
) -> tuple[x509.Certificate, str, datetime | None]:
    signer = _find_signer(info["sid"], pool)
    algorithm = info["digest_algorithm"]["algorithm"].native
    if algorithm not in DIGESTS:
        message = f"digest algorithm {algorithm} is not accepted (SHA-256, SHA-384 or SHA-512)"
        raise SignatureRefused("signature-algorithm", message)
    digest = content.digest(algorithm)
    attached = signed["encap_content_info"]["content"]
    if attached.native is not None and hashlib.new(algorithm, attached.native).digest() != digest:
        raise SignatureRefused("signature-mismatch", "the signature is over other bytes")
    attributes = info["signed_attrs"]
    when = None
    if not isinstance(attributes, core.Void):  # present (reading .native would parse it all)
        values = {attribute["type"].native: attribute["values"] for attribute in attributes}
        content_type = values.get("content_type")
        if content_type is None or content_type[0].native != "data":
            raise _malformed("its signed attributes do not say the content is data")
        signed_digest = values.get("message_digest")
        if signed_digest is None or signed_digest[0].native != digest:
            raise SignatureRefused("signature-mismatch", "the signature is over other bytes")
        if "signing_time" in values:
            when = values["signing_time"][0].native
        # signed attributes are signed as a SET, not with the [0] tag they carry here
        _check_signature(signer, info, b"\x31" + attributes.dump()[1:], hashed=False)
    elif info["signature_algorithm"].signature_algo == "ed25519":
        _check_signature(signer, info, content.data(), hashed=False)  # pure EdDSA: the message
    else:
        if _hash_name(info["signature_algorithm"], info) != algorithm:
            raise _malformed("its signature and digest algorithms disagree")
        _check_signature(signer, info, digest, hashed=True)
    return signer, algorithm, when if isinstance(when, datetime) else None


def _find_signer(sid: cms.SignerIdentifier, pool: list[x509.Certificate]) -> x509.Certificate:
    if sid.name == "issuer_and_serial_number":
        serial = sid.chosen["serial_number"].native
        issuer = sid.chosen["issuer"].dump()
        for certificate in pool:  # the serial first: comparing names costs more
            if certificate.serial_number == serial and _name_der(certificate) == issuer:
                return certificate
    else:
        wanted = sid.chosen.native
        for certificate in pool:
            try:
                ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == wanted:
                return certificate
    message = "the signer's certificate is neither in the signature nor in the package's .cert"
    raise SignatureRefused("no-certificate", message)


def _name_der(certificate: x509.Certificate) -> bytes:
    return certificate.issuer.public_bytes()


def _check_signature(
    signer: x509.Certificate, info: cms.SignerInfo, data: bytes, *, hashed: bool
) -> None:
    """The signature in ``info`` over ``data`` (a digest of the content when ``hashed``)."""
    key = signer.public_key()
    algorithm = info["signature_algorithm"]
    kind = algorithm.signature_algo
    name = _hash_name(algorithm, info)
    signature = info["signature"].native
    chosen: hashes.HashAlgorithm | utils.Prehashed = DIGESTS[name]()
    if hashed:
        chosen = utils.Prehashed(DIGESTS[name]())
    try:
        if kind == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif kind == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), chosen)
        elif kind == "rsassa_pss" and isinstance(key, rsa.RSAPublicKey):
            salt = algorithm["parameters"]["salt_length"].native
            pss = padding.PSS(mgf=padding.MGF1(DIGESTS[name]()), salt_length=salt)
            key.verify(signature, data, pss, chosen)
        elif kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(chosen))
        else:
            text = f"a {kind} signature cannot be made with the key of {subject_of(signer)}"
            raise SignatureRefused("wrong-key", text)
    except InvalidSignature:
        text = f"the signature does not verify with the key of {subject_of(signer)}"
        raise SignatureRefused("wrong-key", text) from None
    except UnsupportedAlgorithm as exc:
        raise SignatureRefused("signature-algorithm", str(exc)) from None


def _hash_name(algorithm: algos.SignedDigestAlgorithm, info: cms.SignerInfo) -> str:
    """The hash a signature algorithm uses: its own (sha256_rsa) or the signer's digest."""
    try:
        name = algorithm.hash_algo
    except ValueError:  # rsassa_pkcs1v15, ed25519: the digest algorithm says
        name = info["digest_algorithm"]["algorithm"].native
    if algorithm.signature_algo == "rsassa_pss":
        name = algorithm["parameters"]["hash_algorithm"]["algorithm"].native
    if name not in DIGESTS:
        raise SignatureRefused("signature-algorithm", f"hash {name} is not accepted")
    return str(name)


# --- making signatures (``nfvo package build --sign``) ---------------------------------


def load_signer(
    key_pem: bytes, certificate_pem: bytes
) -> tuple[SigningKey, list[x509.Certificate]]:
    """A private key and its certificate (then any intermediates) from PEM; ValueError
    when the key is not one we sign with or does not belong to the first certificate."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(
        key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    ):
        raise ValueError("the signing key must be RSA, EC or Ed25519")
    certificates = load_certificates(certificate_pem)
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    encoding = serialization.Encoding.DER
    if key.public_key().public_bytes(encoding, public) != certificates[0].public_key().public_bytes(
        encoding, public
    ):
        raise ValueError("the signing key does not belong to the certificate")
    return key, certificates


def sign_detached(
    sha256: bytes, key: SigningKey, certificates: Sequence[x509.Certificate]
) -> bytes:
    """A PEM CMS signature (``-----BEGIN CMS-----``) of the content whose SHA-256 is
    ``sha256``, signed attributes included, carrying ``certificates``."""
    signer = certificates[0]
    attributes = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
            cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": _now()})]}),
            cms.CMSAttribute({"type": "message_digest", "values": [sha256]}),
        ]
    )
    to_sign = attributes.dump()
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
        algorithm = "sha256_rsa"
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signature, algorithm = key.sign(to_sign, ec.ECDSA(hashes.SHA256())), "sha256_ecdsa"
    else:
        signature, algorithm = key.sign(to_sign), "ed25519"
    certificate = cms.Certificate.load(signer.public_bytes(serialization.Encoding.DER))
    info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
                    )
                }
            ),
            "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": attributes,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": algorithm}),
            "signature": signature,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "data"},
            "certificates": [
                cms.Certificate.load(c.public_bytes(serialization.Encoding.DER))
                for c in certificates
            ],
            "signer_infos": [info],
        }
    )
    der = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CMS-----\n" + "\n".join(lines) + "\n-----END CMS-----\n").encode()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
