"""SOL004 signatures, options 1 and 2, against a test CA made here: what verifies is
shown with its signer; every broken or hostile signature is refused for its reason."""

from __future__ import annotations

import base64
import io
import os
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from descriptors.build import build_package
from descriptors.cms import sign_detached
from descriptors.loader import load_package
from descriptors.package_files import open_package
from descriptors.package_security import (
    PackageSigner,
    SecurityOption,
    SignatureMode,
    SignaturePolicy,
    split_manifest,
)
from descriptors.problems import DescriptorError, Problem
from tests.support.pki import Authority, build_certificate, new_key

SHIPPED = Path(__file__).resolve().parents[3] / "descriptors" / "packages"
OPTION_1, OPTION_2 = SecurityOption.OPTION_1, SecurityOption.OPTION_2
PAST = (datetime.now(UTC) - timedelta(days=30), datetime.now(UTC) - timedelta(days=1))
FUTURE = (datetime.now(UTC) + timedelta(days=1), datetime.now(UTC) + timedelta(days=30))


@pytest.fixture(scope="module")
def root() -> Authority:
    return Authority.root("Operator Root")


@pytest.fixture(scope="module")
def vendor(root: Authority) -> Authority:
    return root.issue("Vendor Packages")


@pytest.fixture
def anchors(tmp_path: Path, root: Authority) -> Path:
    root.write_anchor(tmp_path / "anchors")
    return tmp_path / "anchors"


def signer_of(authority: Authority, option: SecurityOption = OPTION_1) -> PackageSigner:
    """Option 1 signs the images alone too, so their signatures are checked as well."""
    chain = (authority.certificate, *authority.chain[:-1])
    return PackageSigner(authority.key, chain, option, artifacts=option is OPTION_1)


def build(tmp_path: Path, signer: PackageSigner | None, name: str = "nrf") -> Path:
    return build_package(SHIPPED / name, tmp_path / "dist", signer)


def refusal(source: Path, tmp_path: Path, anchors: Path | None, **policy: object) -> Problem:
    """The one error opening ``source`` under the policy gives."""
    chosen = SignaturePolicy(trust_anchors=anchors, **policy)  # type: ignore[arg-type]
    with pytest.raises(DescriptorError) as caught:
        open_package(source, tmp_path / "work", signatures=chosen)
    [problem] = [p for p in caught.value.problems if p.severity == "error"]
    return problem


def rewrite(archive: Path, changes: dict[str, bytes | None]) -> Path:
    """The zip with members replaced (or removed, for None), written in place."""
    with zipfile.ZipFile(archive) as source:
        members = {name: source.read(name) for name in source.namelist()}
    for name, data in changes.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    archive.write_bytes(buffer.getvalue())
    return archive


def member(archive: Path, name: str) -> bytes:
    with zipfile.ZipFile(archive) as source:
        return source.read(name)


def replace_manifest_signature(archive: Path, signature: bytes) -> Path:
    manifest = member(archive, "nrf.mf")
    split = split_manifest(manifest)
    assert split is not None
    return rewrite(archive, {"nrf.mf": split.signed + signature})


# --- what verifies ---------------------------------------------------------------------


@pytest.mark.parametrize("option", [OPTION_1, OPTION_2])
def test_a_signed_package_shows_its_signer(
    option: SecurityOption, tmp_path: Path, vendor: Authority, anchors: Path
) -> None:
    built = build(tmp_path, signer_of(vendor, option))
    assert built.suffix == (".csar" if option is OPTION_1 else ".zip")
    loaded = load_package(
        built, tmp_path / "work", signatures=SignaturePolicy(trust_anchors=anchors)
    )
    security = loaded.files.security
    assert security.option is option
    assert security.signer == vendor.subject
    assert security.describe() == f"signed by {vendor.subject} (option {option.value[-1]})"
    assert security.signatures[0].chain == (vendor.subject, "CN=Operator Root,O=nfvo tests")
    expected = ["Files/images/nrf.qcow2"] if option is OPTION_1 else []
    assert [a.covers for a in security.artifacts] == expected
    assert loaded.vnfd is not None and loaded.vnfd.product_name == "nfvo-5gc-nrf"


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_rsa_and_ed25519_signers_through_an_intermediate(
    kind: str, tmp_path: Path, root: Authority, anchors: Path
) -> None:
    intermediate = root.issue("Vendor CA", ca=True)
    signer = intermediate.issue("Vendor Build", key=new_key(kind))
    opened = open_package(
        build(tmp_path, signer_of(signer)), tmp_path / "work",
        signatures=SignaturePolicy(trust_anchors=anchors),
    )  # fmt: skip
    assert opened.security.signatures[0].chain[1] == intermediate.subject


def test_unsigned_packages_pass_unless_signatures_are_required(
    tmp_path: Path, anchors: Path
) -> None:
    built = build(tmp_path, None)
    opened = open_package(built, tmp_path / "work", signatures=SignaturePolicy())
    assert opened.security.option is None and opened.security.describe() == "unsigned"
    problem = refusal(built, tmp_path, anchors, mode=SignatureMode.REQUIRE)
    assert problem.code == "unsigned" and "requires it" in problem.message


def test_policy_off_reads_no_signature(tmp_path: Path, vendor: Authority) -> None:
    garbage = b"-----BEGIN CMS-----\nZ2FyYmFnZQ==\n-----END CMS-----\n"
    built = replace_manifest_signature(build(tmp_path, signer_of(vendor)), garbage)
    off = SignaturePolicy(mode=SignatureMode.OFF)
    assert open_package(built, tmp_path / "work", signatures=off).security.signer is None


# --- option 1: every way the manifest's signature breaks -------------------------------


def test_wrong_key(tmp_path: Path, vendor: Authority, anchors: Path) -> None:
    impostor = PackageSigner(new_key(), (vendor.certificate,), OPTION_1, artifacts=True)
    problem = refusal(build(tmp_path, impostor), tmp_path, anchors)
    assert problem.code == "wrong-key"
    assert problem.message == f"the signature does not verify with the key of {vendor.subject}"
    assert problem.file == "nrf.mf" and problem.line is not None


@pytest.mark.parametrize(
    ("valid", "code", "words"),
    [
        (PAST, "certificate-expired", "expired on"),
        (FUTURE, "certificate-not-yet-valid", "is not valid before"),
    ],
)
def test_certificate_outside_its_validity(
    valid: tuple[datetime, datetime], code: str, words: str,
    tmp_path: Path, root: Authority, anchors: Path,
) -> None:  # fmt: skip
    signer = root.issue("Vendor Dated", valid=valid)
    problem = refusal(build(tmp_path, signer_of(signer)), tmp_path, anchors)
    assert problem.code == code
    assert problem.message.startswith(f"certificate {signer.subject} {words}")


def test_untrusted_root(tmp_path: Path, vendor: Authority) -> None:
    elsewhere = tmp_path / "elsewhere"
    Authority.root("Someone Else").write_anchor(elsewhere)
    problem = refusal(build(tmp_path, signer_of(vendor)), tmp_path, elsewhere)
    assert problem.code == "untrusted"
    assert "CN=Operator Root,O=nfvo tests, which is not a trust anchor" in problem.message


def test_a_self_signed_signer_is_not_trusted(tmp_path: Path, anchors: Path) -> None:
    alone = Authority.root("Self Made")
    problem = refusal(build(tmp_path, signer_of(alone)), tmp_path, anchors)
    assert problem.code == "untrusted" and "self-signed CN=Self Made" in problem.message


def test_no_trust_anchors_configured(tmp_path: Path, vendor: Authority) -> None:
    problem = refusal(build(tmp_path, signer_of(vendor)), tmp_path, None)
    assert problem.code == "untrusted" and "no trust anchors are configured" in problem.message


def test_signature_over_other_bytes(tmp_path: Path, vendor: Authority, anchors: Path) -> None:
    other = signer_of(vendor).sign(b"\x00" * 32)
    problem = refusal(replace_manifest_signature(build(tmp_path, signer_of(vendor)), other),
                      tmp_path, anchors)  # fmt: skip
    assert problem.code == "signature-mismatch"
    assert "manifest was changed after it was signed" in problem.message


def test_manifest_changed_after_signing(tmp_path: Path, vendor: Authority, anchors: Path) -> None:
    built = build(tmp_path, signer_of(vendor))
    text = member(built, "nrf.mf").replace(b"vnf_provider_id: nfvo", b"vnf_provider_id: evil")
    problem = refusal(rewrite(built, {"nrf.mf": text}), tmp_path, anchors)
    assert problem.code == "signature-mismatch" and problem.file == "nrf.mf"


def test_lines_after_the_signature_are_not_covered(
    tmp_path: Path, vendor: Authority, anchors: Path
) -> None:
    built = build(tmp_path, signer_of(vendor))
    extra = b"\nSource: Files/evil.sh\nAlgorithm: SHA-256\nHash: " + b"00" * 32 + b"\n"
    problem = refusal(
        rewrite(built, {"nrf.mf": member(built, "nrf.mf") + extra}), tmp_path, anchors
    )
    assert problem.code == "signature-mismatch" and "goes on after its signature" in problem.message


def test_garbage_and_huge_signatures(tmp_path: Path, vendor: Authority, anchors: Path) -> None:
    garbage = base64.encodebytes(os.urandom(600))
    block = b"-----BEGIN CMS-----\n" + garbage + b"-----END CMS-----\n"
    built = build(tmp_path, signer_of(vendor))
    problem = refusal(replace_manifest_signature(built, block), tmp_path, anchors)
    assert problem.code == "signature-malformed"
    assert problem.message.startswith("the signature is not a CMS signature")
    huge = (
        b"-----BEGIN CMS-----\n"
        + base64.encodebytes(os.urandom(1_200_000))
        + b"-----END CMS-----\n"
    )
    problem = refusal(replace_manifest_signature(built, huge), tmp_path, anchors)
    assert problem.code == "signature-too-large"


def test_a_chain_that_loops(tmp_path: Path, root: Authority, anchors: Path) -> None:
    key_a, key_b = new_key(), new_key()
    now = datetime.now(UTC)
    valid = (now - timedelta(days=1), now + timedelta(days=1))
    ca_a = build_certificate(
        "Loop A", "Loop B", key_a.public_key(), key_b, *valid, ca=True, signer=False
    )
    ca_b = build_certificate(
        "Loop B", "Loop A", key_b.public_key(), key_a, *valid, ca=True, signer=False
    )
    signer_key = new_key()
    leaf = build_certificate("Looped Vendor", "Loop A", signer_key.public_key(), key_a, *valid,
                             ca=False, signer=True)  # fmt: skip
    looped = PackageSigner(signer_key, (leaf, ca_a, ca_b), OPTION_1, artifacts=True)
    problem = refusal(build(tmp_path, looped), tmp_path, anchors)
    assert problem.code == "chain-loop"
    assert problem.message == "certificate chain loops (Loop A -> Loop B -> Loop A)"


def test_a_revoked_signer(
    tmp_path: Path, root: Authority, vendor: Authority, anchors: Path
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    (anchors / "operator.crl").write_bytes(
        root.revoke(vendor.certificate).public_bytes(Encoding.DER)
    )
    problem = refusal(build(tmp_path, signer_of(vendor)), tmp_path, anchors)
    assert problem.code == "certificate-revoked"
    assert problem.message.startswith(f"certificate {vendor.subject} was revoked on")


def test_key_usage_is_honoured(tmp_path: Path, root: Authority, anchors: Path) -> None:
    not_a_signer = root.issue("Vendor TLS", signer=False)
    problem = refusal(build(tmp_path, signer_of(not_a_signer)), tmp_path, anchors)
    assert problem.code == "key-usage" and "may not sign" in problem.message
    not_a_ca = root.issue("Vendor Leaf")
    below = not_a_ca.issue("Vendor Below")
    problem = refusal(build(tmp_path / "b", signer_of(below)), tmp_path / "b", anchors)
    assert problem.code == "key-usage" and "is not a CA" in problem.message


def test_an_artifact_signed_over_other_bytes(
    tmp_path: Path, vendor: Authority, anchors: Path
) -> None:
    built = build(tmp_path, signer_of(vendor))
    forged = sign_detached(b"\x11" * 32, vendor.key, [vendor.certificate])
    problem = refusal(rewrite(built, {"Files/images/nrf.qcow2.sig.cms": forged}), tmp_path, anchors)
    assert problem.code == "signature-mismatch"
    assert problem.path == "Files/images/nrf.qcow2" and problem.file == "nrf.mf"
    assert "differs from what its signature covers" in problem.message


def test_the_signers_certificate_must_come_with_the_package(
    tmp_path: Path, vendor: Authority, anchors: Path
) -> None:
    built = build(tmp_path, signer_of(vendor))
    # a signature that carries no certificate, and no .cert file beside the manifest
    manifest = member(built, "nrf.mf")
    bare = _without_certificates(split_manifest(manifest).signature)  # type: ignore[union-attr]
    rewrite(built, {"nrf.cert": None, "nrf.mf": split_manifest(manifest).signed + bare})  # type: ignore[union-attr]
    meta = member(built, "TOSCA-Metadata/TOSCA.meta").replace(
        b"ETSI-Entry-Certificate: nrf.cert\n", b""
    )
    problem = refusal(rewrite(built, {"TOSCA-Metadata/TOSCA.meta": meta}), tmp_path, anchors)
    assert problem.code == "no-certificate"


def _without_certificates(pem: bytes) -> bytes:
    from asn1crypto import cms

    der = base64.b64decode(b"".join(pem.splitlines()[1:-1]))
    info = cms.ContentInfo.load(der)
    info["content"]["certificates"] = None
    body = base64.encodebytes(info.dump())
    return b"-----BEGIN CMS-----\n" + body + b"-----END CMS-----\n"


# --- option 2: the envelope ------------------------------------------------------------


def test_an_envelope_around_another_csar(tmp_path: Path, vendor: Authority, anchors: Path) -> None:
    envelope = build(tmp_path, signer_of(vendor, OPTION_2))
    other = build(tmp_path / "other", None, "amf").read_bytes()
    problem = refusal(rewrite(envelope, {"nfvo-5gc-nrf-1.0.0.csar": other}), tmp_path, anchors)
    assert problem.code == "signature-mismatch"
    assert problem.message == "nfvo-5gc-nrf-1.0.0.csar is not the CSAR its signature covers"
    assert problem.file == "nfvo-5gc-nrf-1.0.0.cms"


def test_an_envelope_is_verified_before_its_csar_is_read(
    tmp_path: Path, vendor: Authority, anchors: Path
) -> None:
    envelope = build(tmp_path, signer_of(vendor, OPTION_2))
    not_a_zip = b"this is not a CSAR at all"
    problem = refusal(rewrite(envelope, {"nfvo-5gc-nrf-1.0.0.csar": not_a_zip}), tmp_path, anchors)
    assert problem.code == "signature-mismatch"  # not "not-a-zip": the CSAR was never opened


def test_an_envelope_without_its_signature(
    tmp_path: Path, vendor: Authority, anchors: Path
) -> None:
    envelope = rewrite(
        build(tmp_path, signer_of(vendor, OPTION_2)), {"nfvo-5gc-nrf-1.0.0.cms": None}
    )
    problem = refusal(envelope, tmp_path, anchors)
    assert problem.code == "unsigned" and "holds no .cms signature" in problem.message


def test_an_envelope_with_a_garbage_signature(
    tmp_path: Path, vendor: Authority, anchors: Path
) -> None:
    envelope = build(tmp_path, signer_of(vendor, OPTION_2))
    garbage = {"nfvo-5gc-nrf-1.0.0.cms": os.urandom(300)}
    assert refusal(rewrite(envelope, garbage), tmp_path, anchors).code == "signature-malformed"
