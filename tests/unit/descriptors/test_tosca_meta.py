"""TOSCA.meta: block 0, per-artifact blocks, lenient key case, strict syntax."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from descriptors.problems import Severity
from descriptors.tosca_meta import check_tosca_meta, parse_tosca_meta

SOL004_META = """TOSCA-Meta-File-Version: 1.0
CSAR-Version: 1.1
Created-by: someone
Entry-Definitions: Definitions/top.yaml
ETSI-Entry-Manifest: top.mf
ETSI-Entry-Change-Log: ChangeLog.txt
ETSI-Entry-Licenses: Licenses
ETSI-Entry-Certificate: top.cert
Other-Definitions: Definitions/a.yaml
 Definitions/b.yaml
Other-Definitions: Definitions/c.yaml

Name: Scripts/install.sh
Content-type: application/x-sh
Algorithm: SHA-256
Hash: 27bbdb25d8f4ed6d07d6f6581b86515e8b2f0059b236ef7b6f50d6674b34f02a

Name: Files/images/disk.img
Content-Type: application/x-iso9066-image
"""


def test_block0_keys_are_canonical_and_other_definitions_accumulate() -> None:
    meta, problems = parse_tosca_meta(SOL004_META)
    assert problems == []
    assert meta.keys["Created-By"] == "someone"
    assert meta.keys["Entry-Definitions"] == "Definitions/top.yaml"
    assert meta.keys["ETSI-Entry-Certificate"] == "top.cert"
    assert meta.other_definitions == (
        "Definitions/a.yaml",
        "Definitions/b.yaml",
        "Definitions/c.yaml",
    )
    assert meta.lines["Entry-Definitions"] == 4
    assert check_tosca_meta(meta, strict=True) == []


def test_per_artifact_blocks_keep_their_digest_and_line() -> None:
    meta, _ = parse_tosca_meta(SOL004_META)
    script, image = meta.files
    assert (script.name, script.algorithm, script.line) == ("Scripts/install.sh", "SHA-256", 13)
    assert script.content_type == "application/x-sh"
    assert (image.name, image.algorithm, image.hash) == ("Files/images/disk.img", None, None)


def test_syntax_slips_are_problems_with_lines() -> None:
    meta, problems = parse_tosca_meta(
        "TOSCA-Meta-File-Version: 1.0\nno colon here\nCSAR-Version: 1.1\nCSAR-Version: 2.0\n"
        "\nContent-Type: text/plain\n"
    )
    assert [(p.code, p.line) for p in problems] == [
        ("tosca-meta-syntax", 2),
        ("tosca-meta-syntax", 4),
        ("tosca-meta-syntax", 6),
    ]
    assert meta.keys["CSAR-Version"] == "1.1"


def test_missing_keys_are_errors_and_created_by_is_lenient() -> None:
    meta, _ = parse_tosca_meta("CSAR-Version: 9.9\n")
    problems = check_tosca_meta(meta, strict=False)
    found = {(p.message, p.severity) for p in problems}
    assert ("'TOSCA-Meta-File-Version' is missing", Severity.ERROR) in found
    assert ("'Entry-Definitions' is missing", Severity.ERROR) in found
    assert ("'Created-By' is missing", Severity.WARNING) in found
    assert any("CSAR-Version" in m and s is Severity.WARNING for m, s in found)
    strict = check_tosca_meta(meta, strict=True)
    assert any(
        p.message == "'Created-By' is missing" and p.severity is Severity.ERROR for p in strict
    )


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="NameHshEntry-Definitions: \n\t/.ab", max_size=300))
def test_any_meta_text_parses_to_a_model_and_problems(text: str) -> None:
    meta, problems = parse_tosca_meta(text)
    check_tosca_meta(meta, strict=True)
    assert all(p.line for p in problems)
