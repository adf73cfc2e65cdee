"""Unpacking refuses every way a zip can reach outside its directory or our disk."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from descriptors.archive import (
    DEFAULT_LIMITS,
    ArchiveRefusedError,
    Limits,
    check_member_name,
    extract_zip,
    resolve_in_package,
    scan_directory,
)
from descriptors.problems import Problem


def make_zip(path: Path, entries: dict[str, bytes], **kwargs: int) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, **kwargs) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def refusal(source: Path, dest: Path, limits: Limits = DEFAULT_LIMITS) -> Problem:
    dest.mkdir(exist_ok=True)
    with pytest.raises(ArchiveRefusedError) as caught:
        extract_zip(source, dest, limits)
    return caught.value.problem


def test_plain_zip_unpacks_files_and_directories(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "ok.zip", {"a/b.txt": b"bee", "c.txt": b"see", "d/": b""})
    dest = tmp_path / "out"
    dest.mkdir()
    extract_zip(source, dest, DEFAULT_LIMITS)
    assert (dest / "a" / "b.txt").read_bytes() == b"bee"
    assert (dest / "c.txt").read_bytes() == b"see"
    assert (dest / "d").is_dir()


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("../../evil", "zip-slip"),
        ("a/../../evil", "zip-slip"),
        ("..\\..\\evil", "zip-slip"),
        ("/etc/evil", "absolute-path"),
        ("\\windows\\evil", "absolute-path"),
        ("C:/evil", "absolute-path"),
        ("a/\x00b", "bad-name"),
        ("./", "bad-name"),
    ],
)
def test_names_that_escape_or_confuse_are_refused(name: str, code: str) -> None:
    with pytest.raises(ArchiveRefusedError) as caught:
        check_member_name(name, DEFAULT_LIMITS)
    assert caught.value.problem.code == code


def test_harmless_names_are_normalised() -> None:
    assert check_member_name("./Definitions//a.yaml", DEFAULT_LIMITS).as_posix() == (
        "Definitions/a.yaml"
    )


def test_zip_slip_entry_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "slip.zip", {"ok.txt": b"x", "../../evil": b"boom"})
    problem = refusal(source, tmp_path / "out")
    assert problem.code == "zip-slip"
    assert problem.file == "../../evil"
    assert list((tmp_path / "out").iterdir()) == []
    assert not (tmp_path.parent / "evil").exists()


def test_absolute_entry_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "abs.zip"
    with zipfile.ZipFile(source, "w") as archive:
        info = zipfile.ZipInfo("placeholder")
        info.filename = "/tmp/evil-absolute"  # ZipInfo strips it; write the raw name
        archive.writestr(info, b"boom")
    assert refusal(source, tmp_path / "out").code == "absolute-path"


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "link.zip"
    with zipfile.ZipFile(source, "w") as archive:
        info = zipfile.ZipInfo("Definitions/passwd")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    problem = refusal(source, tmp_path / "out")
    assert problem.code == "symlink"
    assert not (tmp_path / "out" / "Definitions" / "passwd").exists()


def test_device_entry_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "fifo.zip"
    with zipfile.ZipFile(source, "w") as archive:
        info = zipfile.ZipInfo("pipe")
        info.create_system = 3
        info.external_attr = (stat.S_IFIFO | 0o644) << 16
        archive.writestr(info, b"")
    assert refusal(source, tmp_path / "out").code == "special-file"


def test_too_many_entries(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "many.zip", {f"f{i}": b"" for i in range(20)})
    problem = refusal(source, tmp_path / "out", Limits(max_entries=10))
    assert problem.code == "too-many-entries"


def test_file_too_large_by_declared_size(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "big.zip", {"big.bin": bytes(range(256)) * 64})
    problem = refusal(source, tmp_path / "out", Limits(max_file_bytes=1000))
    assert problem.code == "file-too-large"


def test_total_size_bound(tmp_path: Path) -> None:
    entries = {f"f{i}": bytes(range(256)) * 4 for i in range(5)}
    source = make_zip(tmp_path / "total.zip", entries)
    problem = refusal(source, tmp_path / "out", Limits(max_total_bytes=4000))
    assert problem.code == "zip-bomb"


def test_ratio_bound_refuses_highly_compressed_files(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "zeros.zip", {"zeros": bytes(2 * 1024 * 1024)})
    problem = refusal(source, tmp_path / "out")
    assert problem.code == "zip-bomb"
    assert "inflates" in problem.message
    assert list((tmp_path / "out").iterdir()) == []


def test_lying_header_cannot_smuggle_more_bytes(tmp_path: Path) -> None:
    """The central directory claims 100 bytes for 1 MiB of data: unpacking stops."""
    source = make_zip(tmp_path / "liar.zip", {"liar": bytes(1024 * 1024)})
    data = bytearray(source.read_bytes())
    real = (1024 * 1024).to_bytes(4, "little")
    for at in [i for i in range(len(data) - 4) if data[i : i + 4] == real]:
        data[at : at + 4] = (100).to_bytes(4, "little")
    source.write_bytes(bytes(data))
    problem = refusal(source, tmp_path / "out")
    assert problem.code in {"corrupt", "truncated"}
    written = tmp_path / "out" / "liar"
    assert not written.exists() or written.stat().st_size <= 100


def test_not_a_zip(tmp_path: Path) -> None:
    source = tmp_path / "text.csar"
    source.write_bytes(b"tosca_definitions_version: tosca_simple_yaml_1_3\n")
    assert refusal(source, tmp_path / "out").code == "not-a-zip"


def test_truncated_zip(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "cut.zip", {"a.yaml": bytes(range(256)) * 40})
    data = source.read_bytes()
    source.write_bytes(data[: len(data) // 2])
    assert refusal(source, tmp_path / "out").code == "truncated"


def test_damaged_data_is_refused(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "crc.zip", {"a.txt": b"hello world" * 10})
    data = bytearray(source.read_bytes())
    data[40] ^= 0xFF
    source.write_bytes(bytes(data))
    assert refusal(source, tmp_path / "out").code in {"corrupt", "truncated"}


def test_duplicate_entries_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "dup.zip"
    with zipfile.ZipFile(source, "w") as archive:
        archive.writestr("a.yaml", b"a: 1\n")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("a.yaml", b"a: 2\n")
    assert refusal(source, tmp_path / "out").code == "duplicate-entry"


def test_file_and_directory_with_one_name_are_refused(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "clash.zip", {"a": b"file", "a/b": b"under a file"})
    assert refusal(source, tmp_path / "out").code == "duplicate-entry"


def test_encrypted_entry_is_refused(tmp_path: Path) -> None:
    """zipfile cannot write encryption, so the flag is set in both headers by hand."""
    source = make_zip(tmp_path / "enc.zip", {"secret": b"not really encrypted"})
    data = bytearray(source.read_bytes())
    data[data.index(b"PK\x03\x04") + 6] |= 0x1
    data[data.index(b"PK\x01\x02") + 8] |= 0x1
    source.write_bytes(bytes(data))
    assert refusal(source, tmp_path / "out").code == "encrypted"


def test_only_stored_and_deflate_are_read(tmp_path: Path) -> None:
    source = tmp_path / "bz.zip"
    with zipfile.ZipFile(source, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("a.yaml", b"a: 1\n")
    assert refusal(source, tmp_path / "out").code == "unsupported-compression"


def test_scan_directory_reports_links(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("a: 1\n")
    (tmp_path / "link").symlink_to("/etc/passwd")
    problems = scan_directory(tmp_path, DEFAULT_LIMITS)
    assert [(p.code, p.file) for p in problems] == [("symlink", "link")]


def test_resolve_in_package_stays_inside(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    (tmp_path / "up").symlink_to(tmp_path.parent)
    assert resolve_in_package(tmp_path, "d/f") == tmp_path / "d" / "f"
    escape = resolve_in_package(tmp_path, "../f")
    assert isinstance(escape, Problem)
    assert escape.code == "bad-path"
    through_link = resolve_in_package(tmp_path, "up/x")
    assert isinstance(through_link, Problem)
    assert through_link.code == "symlink"


def test_forged_entry_count_is_refused_before_parsing(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "count.zip", {"a": b"", "b": b""})
    data = bytearray(source.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = (60_000).to_bytes(2, "little") * 2
    source.write_bytes(bytes(data))
    problem = refusal(source, tmp_path / "out", Limits(max_entries=1_000))
    assert (problem.code, problem.message) == ("too-many-entries", "60000 entries (limit 1000)")


def test_many_small_bombs_are_refused_as_a_whole(tmp_path: Path) -> None:
    """Each entry stays under the per-file ratio floor; together they inflate 400x."""
    entries = {f"Files/part{i:03}.bin": bytes(100 * 1024) for i in range(200)}
    source = make_zip(tmp_path / "spread.zip", entries)
    problem = refusal(source, tmp_path / "out")
    assert problem.code == "zip-bomb"
    assert problem.message.startswith("package inflates")
    assert list((tmp_path / "out").iterdir()) == []
