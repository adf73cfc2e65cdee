"""Software images against what their VNFD says of them: in validate and onboarding
(open_package), in build (which never publishes a wrong checksum), hashed once, in
flat memory however large."""

from __future__ import annotations

import hashlib
import shutil
import tracemalloc
from pathlib import Path

import pytest

from descriptors.build import build_package
from descriptors.digests import FileDigests
from descriptors.images import sniff_format
from descriptors.package_files import open_package
from descriptors.problems import DescriptorError, Problem

SHIPPED = Path(__file__).resolve().parents[3] / "descriptors" / "packages"
VNFD = "Definitions/nrf_vnfd.yaml"
IMAGE = "Files/images/nrf.qcow2"
ARTIFACT = "topology_template.node_templates.nrf.artifacts.sw_image"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    copy = tmp_path / "nrf"
    shutil.copytree(SHIPPED / "nrf", copy)
    return copy


def edit(tree: Path, relative: str, old: str, new: str) -> None:
    path = tree / relative
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def describe(tree: Path, **fields: str) -> None:
    """Rewrite the VNFD's description of its image (checksum, formats, size)."""
    path = tree / VNFD
    text = path.read_text()
    start, end = text.index("            checksum:"), text.index("            operating_system:")
    pad = " " * 12
    block = (
        f"{pad}checksum:\n{pad}  algorithm: sha-256\n{pad}  hash: {fields['hash']}\n"
        f"{pad}container_format: {fields.get('container_format', 'bare')}\n"
        f"{pad}disk_format: {fields.get('disk_format', 'qcow2')}\n"
        f"{pad}min_disk: 10 GiB\n{pad}size: {fields['size']}\n"
    )
    path.write_text(text[:start] + block + text[end:])


def describe_image(tree: Path, data: bytes, **fields: str) -> None:
    """Write ``data`` as the image and say so in the VNFD, ``fields`` overriding."""
    (tree / IMAGE).write_bytes(data)
    describe(tree, **{"hash": hashlib.sha256(data).hexdigest(), "size": f"{len(data)} B", **fields})


def image_findings(source: Path, tmp_path: Path) -> list[Problem]:
    """What opening the source tree finds, less the warnings that its files are not in
    its manifest yet (``nfvo package build`` lists them)."""
    opened = open_package(source, tmp_path / "work")
    return [p for p in opened.problems if p.code != "unlisted-file"]


def problems_of(source: Path, tmp_path: Path) -> list[Problem]:
    with pytest.raises(DescriptorError) as caught:
        open_package(source, tmp_path / "work")
    return [p for p in caught.value.problems if p.severity == "error"]


#: SHA-256 of 1 GiB of zero bytes
ONE_GIB_OF_ZEROS = "49bc20df15e412a64472421e13fe86ff1c5165e18b2afccf160d4dc19fe68a14"
QCOW2 = b"QFI\xfb\x00\x00\x00\x03" + bytes(4088)


def test_the_shipped_image_matches_its_description(tree: Path, tmp_path: Path) -> None:
    assert image_findings(tree, tmp_path) == []
    assert sniff_format(tree / IMAGE) == "qcow2"


def test_a_checksum_mismatch_names_file_path_and_line(tree: Path, tmp_path: Path) -> None:
    describe_image(tree, QCOW2, hash="ab" * 32)
    [problem] = problems_of(tree, tmp_path)
    assert problem.code == "image-checksum"
    assert problem.file == VNFD
    assert problem.path == f"{ARTIFACT}.properties.checksum.hash"
    assert problem.line is not None
    text = (tree / VNFD).read_text().splitlines()
    assert "hash:" in text[problem.line - 1]
    assert hashlib.sha256(QCOW2).hexdigest() in problem.message


def test_a_missing_image(tree: Path, tmp_path: Path) -> None:
    (tree / IMAGE).unlink()
    [problem] = problems_of(tree, tmp_path)
    assert problem.code == "missing-image"
    assert problem.path == f"{ARTIFACT}.file"
    assert '"../Files/images/nrf.qcow2" (Files/images/nrf.qcow2) is not in the package' in (
        problem.message
    )


@pytest.mark.parametrize("written", ["../../../etc/passwd", "/etc/passwd"])
def test_an_image_path_outside_the_package(written: str, tree: Path, tmp_path: Path) -> None:
    edit(tree, VNFD, "file: ../Files/images/nrf.qcow2", f"file: {written}")
    [problem] = problems_of(tree, tmp_path)
    assert problem.code == "image-path" and "climbs out of the package" in problem.message
    assert problem.file == VNFD and problem.line is not None


def test_a_path_from_the_package_root_is_accepted(tree: Path, tmp_path: Path) -> None:
    edit(tree, VNFD, "file: ../Files/images/nrf.qcow2", "file: Files/images/nrf.qcow2")
    assert image_findings(tree, tmp_path) == []


@pytest.mark.parametrize(
    ("size", "severity"),
    [
        ("4096 B", None),
        ("4 KiB", None),
        ("1 GB", None),  # to the gigabyte
        ("2 KiB", "error"),  # the file is larger than the descriptor says
        ("4095 B", "error"),
        ("8 KiB", "warning"),  # an overstated size: the checksum vouches for the bytes
        ("2 GB", "warning"),
    ],
)
def test_the_size_matches_to_the_unit_it_is_written_in(
    size: str, severity: str | None, tree: Path, tmp_path: Path
) -> None:
    describe_image(tree, QCOW2, size=size)
    if severity != "error":
        found = image_findings(tree, tmp_path)
        assert [p.severity for p in found] == ([severity] if severity else [])
        return
    [problem] = problems_of(tree, tmp_path)
    assert problem.code == "image-size"
    assert problem.message == (
        f'"../Files/images/nrf.qcow2" is 4096 bytes, more than the {size} the descriptor says'
    )
    assert problem.path == f"{ARTIFACT}.properties.size"


@pytest.mark.parametrize(
    ("data", "fields", "words"),
    [
        (QCOW2, {"disk_format": "raw"}, "is a qcow2 image, the descriptor says disk format raw"),
        (QCOW2, {"disk_format": "vmdk"}, "is a qcow2 file, the descriptor says disk format vmdk"),
        (bytes(4096), {}, "is not a qcow2 image, the descriptor says disk format qcow2"),
        (QCOW2, {"container_format": "ova"}, "is not a tar archive, as container format ova is"),
    ],
)
def test_a_wrong_format(
    data: bytes, fields: dict[str, str], words: str, tree: Path, tmp_path: Path
) -> None:
    describe_image(tree, data, **fields)
    [problem] = problems_of(tree, tmp_path)
    assert problem.code == "image-format" and words in problem.message


def test_formats_are_known_by_their_headers(tmp_path: Path) -> None:
    samples = {
        "qcow2": QCOW2,
        "vmdk": b"KDMV" + bytes(600),
        "vhdx": b"vhdxfile" + bytes(600),
        "vhd": bytes(600) + b"conectix" + bytes(504),
        "vdi": bytes(0x40) + b"\x7f\x10\xda\xbe" + bytes(600),
        "iso": bytes(0x8001) + b"CD001" + bytes(100),
        "tar": bytes(257) + b"ustar" + bytes(300),
        None: b"\x00" * 4096,
    }
    for expected, data in samples.items():
        path = tmp_path / f"{expected}.img"
        path.write_bytes(data)
        assert sniff_format(path) == expected, expected


SOL001_2X = """\
tosca_definitions_version: tosca_simple_yaml_1_2
imports:
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_common_types.yaml
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v2.6.1/etsi_nfv_sol001_vnfd_types.yaml
topology_template:
  node_templates:
    VDU1:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: VDU1
        vdu_profile: {min_number_of_instances: 1, max_number_of_instances: 1}
      artifacts:
        sw_image:
          type: tosca.artifacts.nfv.SwImage
          file: Files/images/a.qcow2
"""


def test_sol001_2x_wants_sw_image_data_and_one_image(tmp_path: Path) -> None:
    package = tmp_path / "flat"
    (package / "Files" / "images").mkdir(parents=True)
    (package / "Files" / "images" / "a.qcow2").write_bytes(QCOW2)
    (package / "vnfd.yaml").write_text(SOL001_2X)
    [problem] = problems_of(package, tmp_path)
    assert problem.code == "image-description"
    assert "no sw_image_data, which SOL001 2.x requires" in problem.message
    assert problem.path == "topology_template.node_templates.VDU1.artifacts.sw_image"
    assert problem.line == 13
    second = SOL001_2X + "        other_image:\n          type: tosca.artifacts.nfv.SwImage\n"
    (package / "vnfd.yaml").write_text(second + "          file: Files/images/a.qcow2\n")
    codes = {p.code for p in problems_of(package, tmp_path)}
    assert "image-count" in codes


def test_build_never_publishes_a_wrong_checksum(tree: Path, tmp_path: Path) -> None:
    describe_image(tree, QCOW2, hash="cd" * 32)
    with pytest.raises(DescriptorError) as caught:
        build_package(tree, tmp_path / "dist")
    assert [p.code for p in caught.value.problems] == ["image-checksum"]
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def test_every_digest_of_a_file_comes_from_one_read(tmp_path: Path) -> None:
    path = tmp_path / "image"
    path.write_bytes(b"x" * 3_000_000)
    digests = FileDigests()
    digests.want(path, "sha256")
    digests.want(path, "sha512")
    assert digests.hexdigest(path, "sha512") == hashlib.sha512(b"x" * 3_000_000).hexdigest()
    assert digests.hexdigest(path, "sha256") == hashlib.sha256(b"x" * 3_000_000).hexdigest()
    assert digests.reads == 1


def test_a_one_gib_image_is_hashed_in_flat_memory(tree: Path, tmp_path: Path) -> None:
    """A sparse 1 GiB raw image, described in its VNFD and listed in the manifest (both
    SHA-256): one read of it serves the package checksum, the manifest and the VNFD."""
    image = tree / "Files" / "images" / "big.img"
    size = 1024**3
    with image.open("wb") as handle:
        handle.truncate(size)
    (tree / IMAGE).unlink()
    edit(tree, VNFD, "file: ../Files/images/nrf.qcow2", "file: ../Files/images/big.img")
    describe(tree, hash=ONE_GIB_OF_ZEROS, disk_format="raw", size="1 GiB")
    with (tree / "nrf.mf").open("a") as manifest:
        manifest.write(
            f"\nSource: Files/images/big.img\nAlgorithm: SHA-256\nHash: {ONE_GIB_OF_ZEROS}\n"
        )
    tracemalloc.start()
    try:
        opened = open_package(tree, tmp_path / "work")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [p for p in opened.problems if p.code != "unlisted-file"] == []
    assert peak < 16 * 1024**2, f"peak {peak} bytes"
