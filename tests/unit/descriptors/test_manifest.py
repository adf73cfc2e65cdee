"""The manifest: metadata for both package kinds, artifacts, signatures, digests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descriptors.digests import FileDigests
from descriptors.manifest import (
    DigestAlgorithm,
    DigestClaim,
    PackageKind,
    check_metadata,
    parse_algorithm,
    parse_manifest,
    verify_claim,
)
from descriptors.problems import Severity

SIGNED_VNF = """metadata:
vnf_provider_id: acme
vnf_product_name: amf
vnf_release_date_time: 2026-11-01T10:00:00Z
vnf_package_version: 1.2
compatible_specification_versions: 2.6.1,3.3.1

Source: Definitions/amf.yaml
Algorithm: SHA-256
Hash: 0000000000000000000000000000000000000000000000000000000000000000
Signature: Definitions/amf.yaml.sig.cms
Certificate: Definitions/amf.cert

Source: https://images.example.net/amf.qcow2
Algorithm: SHA-512
Hash: 00

non_mano_artifact_sets:
  onap_ves_events:
    Source: Files/Events/MyPnf_Pnf_v1.yaml
  prometheus_rule:
    Source: Files/Measurements/rules.yaml

-----BEGIN CMS-----
MIIGDgYJKoZIhvcNAQcCoIIF/zCCBfsCAQExDzANBglghkgBZQMEAgEFADALBgkq
-----END CMS-----
"""

NSD = """metadata:
nsd_designer: acme
nsd_invariant_id: 1111
nsd_name: core
nsd_release_date_time: 2026-11-01T10:00:00+01:00
nsd_file_structure_version: 1.0
"""


def test_signed_vnf_manifest_keeps_everything_for_later_checks() -> None:
    manifest, problems = parse_manifest(SIGNED_VNF, "amf.mf")
    assert problems == []
    assert manifest.kind is PackageKind.VNF
    assert manifest.metadata["vnf_package_version"] == "1.2"
    first, url = manifest.sources
    assert (first.path, first.algorithm, first.line) == ("Definitions/amf.yaml", "SHA-256", 8)
    assert first.signature == "Definitions/amf.yaml.sig.cms"
    assert first.certificate == "Definitions/amf.cert"
    assert url.external and not first.external
    assert manifest.non_mano_artifact_sets == {
        "onap_ves_events": ("Files/Events/MyPnf_Pnf_v1.yaml",),
        "prometheus_rule": ("Files/Measurements/rules.yaml",),
    }
    assert manifest.signature is not None
    assert manifest.signature.startswith("-----BEGIN CMS-----")
    assert manifest.signature.endswith("-----END CMS-----")
    assert check_metadata(manifest, strict=True) == []


def test_nsd_metadata() -> None:
    manifest, problems = parse_manifest(NSD, "core.mf")
    assert problems == []
    assert manifest.kind is PackageKind.NSD
    assert check_metadata(manifest, strict=True) == []
    partial, _ = parse_manifest(NSD.replace("nsd_name: core\n", ""), "core.mf")
    assert [p.message for p in check_metadata(partial, strict=False)] == [
        "metadata lacks 'nsd_name'"
    ]


def test_missing_metadata_block_is_a_warning_unless_strict() -> None:
    manifest, _ = parse_manifest("Source: a.yaml\nAlgorithm: SHA-256\nHash: 00\n", "a.mf")
    assert manifest.kind is None
    (lenient,) = check_metadata(manifest, strict=False)
    (strict,) = check_metadata(manifest, strict=True)
    assert (lenient.code, lenient.severity) == ("manifest-metadata", Severity.WARNING)
    assert strict.severity is Severity.ERROR


def test_mixed_and_misdated_metadata() -> None:
    mixed, _ = parse_manifest(NSD + "vnf_provider_id: x\n", "m.mf")
    assert "mixes" in check_metadata(mixed, strict=False)[0].message
    bad_date, _ = parse_manifest(SIGNED_VNF.replace("2026-11-01T10:00:00Z", "yesterday"), "m.mf")
    (problem,) = check_metadata(bad_date, strict=False)
    assert problem.severity is Severity.WARNING
    assert "RFC 3339" in problem.message


def test_syntax_slips_and_unclosed_signature() -> None:
    _, problems = parse_manifest(
        "metadata:\nvnf_provider_id: a\nvnf_provider_id: b\n\n"
        "just words\nHash: 00\n-----BEGIN CMS-----\nabc\n",
        "m.mf",
    )
    assert [(p.code, p.line) for p in problems] == [
        ("manifest-syntax", 3),
        ("manifest-syntax", 5),
        ("manifest-syntax", 6),
        ("manifest-syntax", 8),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SHA-256", DigestAlgorithm.SHA_256),
        ("sha256", DigestAlgorithm.SHA_256),
        ("Sha_384", DigestAlgorithm.SHA_384),
        ("SHA-512", DigestAlgorithm.SHA_512),
        ("MD5", None),
        ("SHA-1", None),
    ],
)
def test_algorithm_names(name: str, expected: DigestAlgorithm | None) -> None:
    assert parse_algorithm(name) is expected


def claim(path: str, algorithm: str | None, digest: str | None) -> DigestClaim:
    return DigestClaim(path, algorithm, digest, "pkg.mf", 3)


@pytest.fixture
def package(tmp_path: Path) -> Path:
    (tmp_path / "Files").mkdir()
    (tmp_path / "Files" / "a.txt").write_bytes(b"artifact\n")
    return tmp_path


@pytest.mark.parametrize("algorithm", ["SHA-256", "sha-384", "SHA512"])
def test_matching_digest_passes(package: Path, algorithm: str) -> None:
    name = parse_algorithm(algorithm)
    assert name is not None
    digest = hashlib.new(name.value.replace("-", ""), b"artifact\n").hexdigest().upper()
    assert (
        verify_claim(
            package,
            claim("Files/a.txt", algorithm, digest),
            verify=True,
            strict=True,
            digests=FileDigests(),
        )
        == []
    )


def codes(package: Path, c: DigestClaim, *, verify: bool = True) -> list[tuple[str, str]]:
    return [
        (p.code, p.severity)
        for p in verify_claim(package, c, verify=verify, strict=False, digests=FileDigests())
    ]


def test_digest_failures(package: Path) -> None:
    wrong = "ab" * 32
    assert codes(package, claim("Files/a.txt", "SHA-256", wrong)) == [
        ("checksum-mismatch", "error")
    ]
    assert codes(package, claim("Files/a.txt", "SHA-256", "<caculate here>")) == [
        ("checksum-malformed", "error")
    ]
    assert codes(package, claim("Files/a.txt", "MD5", wrong)) == [
        ("unsupported-algorithm", "error")
    ]
    assert codes(package, claim("Files/a.txt", None, None)) == [("no-checksum", "warning")]
    assert codes(package, claim("Files/gone.img", "SHA-256", wrong)) == [
        ("missing-artifact", "error")
    ]
    assert codes(package, claim("../outside", "SHA-256", wrong)) == [("bad-path", "error")]


def test_without_verification_only_presence_is_reported(package: Path) -> None:
    assert codes(package, claim("Files/a.txt", "SHA-256", "00"), verify=False) == []
    assert codes(package, claim("Files/gone.img", "SHA-256", "00"), verify=False) == [
        ("missing-artifact", "warning")
    ]


def test_external_artifacts_are_recorded_not_fetched(package: Path) -> None:
    url = claim("https://images.example.net/x.qcow2", "SHA-256", "00")
    assert codes(package, url) == []
    missing = verify_claim(
        package,
        claim("Files/gone.img", "SHA-256", "00"),
        verify=True,
        strict=False,
        digests=FileDigests(),
    )
    assert missing[-1].path == "Files/gone.img"
    assert missing[-1].file == "pkg.mf"


MANIFESTISH = st.text(
    alphabet="metadSourcAlgihHsn_:- \n\t0123456789abcdef-BEGINCMS/.", max_size=300
)


@settings(max_examples=200, deadline=None)
@given(MANIFESTISH)
def test_any_manifest_text_parses_to_a_model_and_problems(text: str) -> None:
    manifest, problems = parse_manifest(text, "x.mf")
    check_metadata(manifest, strict=True)
    assert all(p.file == "x.mf" and p.line for p in problems)
