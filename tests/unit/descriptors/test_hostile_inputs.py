"""Packages built to hurt: each is refused with its reason, and nothing escapes the workdir.

Every test keeps a sentinel directory beside the workdir and a snapshot of every file
outside the workdir; an escape of any kind (zip-slip, a followed link, a stray temp
file) shows up as a change in either.
"""

from __future__ import annotations

import io
import stat
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from descriptors.archive import Limits
from descriptors.build import build_package
from descriptors.package_files import open_package
from descriptors.problems import DescriptorError

DATA = Path(__file__).resolve().parent / "data" / "archive"
MIB = 1024 * 1024
HOSTILE_NAMES = [
    "../../sentinel/evil",
    "../evil",
    "/tmp/evil-absolute",
    "..\\..\\sentinel\\evil",
    "C:\\evil",
    "TOSCA-Metadata/../../evil",
    "a/\x00b",
    "",
    "./",
    "Definitions/mini_top.yaml/inner",
]


@dataclass
class Sandbox:
    base: Path
    workdir: Path
    sentinel: Path
    source: Path


def _outside(base: Path, workdir: Path) -> set[tuple[str, int]]:
    return {
        (p.relative_to(base).as_posix(), p.lstat().st_size if p.is_file() else -1)
        for p in base.rglob("*")
        if not p.is_relative_to(workdir)
    }


@contextmanager
def sandbox() -> Iterator[Sandbox]:
    """A base directory with workdir/, an empty sentinel/ and a package path to fill."""
    with tempfile.TemporaryDirectory() as name:
        base = Path(name)
        box = Sandbox(base, base / "work", base / "sentinel", base / "in.csar")
        box.sentinel.mkdir()
        yield box


def open_and_check(box: Sandbox, limits: Limits | None = None) -> DescriptorError | None:
    """Open the package; only DescriptorError may escape, and no file outside workdir."""
    before = _outside(box.base, box.workdir)
    error = None
    try:
        if limits is None:
            open_package(box.source, box.workdir)
        else:
            open_package(box.source, box.workdir, limits=limits)
    except DescriptorError as refused:
        error = refused
        assert not box.workdir.exists() or list(box.workdir.iterdir()) == []
    assert list(box.sentinel.iterdir()) == []
    assert _outside(box.base, box.workdir) == before
    return error


def write_zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)


def raw_name(name: str, mode: int = 0) -> zipfile.ZipInfo:
    """A ZipInfo carrying ``name`` exactly: the constructor would tidy it up."""
    info = zipfile.ZipInfo("placeholder")
    info.filename = name
    if mode:
        info.create_system = 3
        info.external_attr = mode << 16
    return info


def codes_of(box: Sandbox, limits: Limits | None = None) -> list[str]:
    error = open_and_check(box, limits)
    assert error is not None, "hostile package was accepted"
    return [p.code for p in error.problems]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("../../sentinel/evil", "zip-slip"),
        ("../../../../../../../../tmp/evil", "zip-slip"),
        ("/tmp/evil-absolute", "absolute-path"),
    ],
)
def test_escaping_entries(name: str, code: str) -> None:
    with sandbox() as box:
        write_zip(box.source, [("mini.yaml", b"a: 1\n"), (raw_name(name), b"boom")])
        assert codes_of(box) == [code]
    assert not Path("/tmp/evil").exists()
    assert not Path("/tmp/evil-absolute").exists()


def test_symlink_entry() -> None:
    with sandbox() as box:
        link = raw_name("Definitions/top.yaml", stat.S_IFLNK | 0o777)
        write_zip(box.source, [(link, str(box.sentinel).encode())])
        assert codes_of(box) == ["symlink"]


@pytest.fixture(scope="module")
def zeros_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 MiB of zeros, deflated to about 100 KiB, streamed so the test stays small."""
    path = tmp_path_factory.mktemp("bomb") / "zeros.csar"
    info = zipfile.ZipInfo("Files/zeros.img")
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as archive, archive.open(info, "w") as member:
        block = bytes(MIB)
        for _ in range(100):
            member.write(block)
    return path


def test_zeros_bomb_is_refused_by_ratio_without_writing_it(zeros_bomb: Path) -> None:
    assert zeros_bomb.stat().st_size < 2 * MIB
    with sandbox() as box:
        box.source.write_bytes(zeros_bomb.read_bytes())
        error = open_and_check(box)
        assert error is not None
        (problem,) = error.problems
        assert (problem.code, problem.file) == ("zip-bomb", "Files/zeros.img")
        assert "inflates" in problem.message


def test_many_small_entries_bound() -> None:
    with sandbox() as box:
        write_zip(box.source, [(f"f{i}.txt", b"") for i in range(50)])
        assert codes_of(box, Limits(max_entries=20)) == ["too-many-entries"]


def test_file_size_bound() -> None:
    with sandbox() as box:
        write_zip(box.source, [("Files/big.bin", bytes(range(256)) * 1024)])
        assert codes_of(box, Limits(max_file_bytes=64 * 1024)) == ["file-too-large"]


def test_not_a_zip_and_truncated() -> None:
    with sandbox() as box:
        box.source.write_bytes(b"\x7fELF" + bytes(200))
        assert codes_of(box) == ["not-a-zip"]
        built = build_package(DATA / "mini_vnf", box.base / "built")
        data = built.read_bytes()
        built.unlink()
        box.source.write_bytes(data[: len(data) // 3])
        assert codes_of(box) == ["truncated"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (b"tosca_definitions_version: x\nname: caf\xe9\n", "not-utf8"),
        (b"tosca_definitions_version: x\nrun: !!python/object/apply:os.system [id]\n", "yaml-tag"),
        (b"tosca_definitions_version: x\na: &a [*a]\n", "recursive-alias"),
        (b"tosca_definitions_version: x\ntosca_definitions_version: y\n", "duplicate-key"),
    ],
)
def test_hostile_text_inside_a_zip(text: bytes, code: str) -> None:
    with sandbox() as box:
        write_zip(box.source, [("vnfd.yaml", text)])
        assert code in codes_of(box)


def test_alias_bomb_inside_a_zip() -> None:
    lines = ["tosca_definitions_version: x", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with sandbox() as box:
        write_zip(box.source, [("vnfd.yaml", "\n".join(lines).encode())])
        assert "alias-bomb" in codes_of(box)


# --- property tests: whatever the bytes, only DescriptorError, nothing outside ------


@cache
def valid_package() -> bytes:
    with tempfile.TemporaryDirectory() as name:
        return build_package(DATA / "mini_vnf", Path(name)).read_bytes()


def check_bytes(data: bytes) -> None:
    with sandbox() as box:
        box.source.write_bytes(data)
        open_and_check(box)


def random_bytes(data: bytes) -> None:
    check_bytes(data)


def flipped(flips: list[tuple[int, int]], cut: int | None) -> None:
    package = bytearray(valid_package())
    for position, value in flips:
        package[position % len(package)] ^= value or 1
    check_bytes(bytes(package[:cut] if cut is not None else package))


def renamed(renames: list[tuple[int, str]]) -> None:
    with zipfile.ZipFile(io.BytesIO(valid_package())) as original:
        entries = [(i.filename, original.read(i)) for i in original.infolist()]
    for index, name in renames:
        position = index % len(entries)
        entries[position] = (name, entries[position][1])
    with sandbox() as box, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of duplicate names
        write_zip(box.source, [(raw_name(n), d) for n, d in entries])
        open_and_check(box)


def rewritten(changes: list[tuple[int, bytes]]) -> None:
    """Entries keep their names but get arbitrary content: TOSCA.meta, manifest, YAML."""
    with zipfile.ZipFile(io.BytesIO(valid_package())) as original:
        entries = [(i.filename, original.read(i)) for i in original.infolist()]
    for index, data in changes:
        position = index % len(entries)
        entries[position] = (entries[position][0], data)
    with sandbox() as box:
        write_zip(box.source, entries)
        open_and_check(box)


names = st.one_of(st.sampled_from(HOSTILE_NAMES), st.text(min_size=0, max_size=40))
texts = st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode))
flips = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8)
cuts = st.none() | st.integers(0, 4096)
CASES: list[tuple[str, Callable[..., None], dict[str, st.SearchStrategy[object]]]] = [
    ("random", random_bytes, {"data": st.binary(max_size=2048)}),
    ("zip-like", random_bytes, {"data": st.binary(max_size=512).map(b"PK\x03\x04".__add__)}),
    ("flipped", flipped, {"flips": flips, "cut": cuts}),
    ("renamed", renamed, {"renames": st.lists(st.tuples(st.integers(0, 50), names), max_size=4)}),
    (
        "rewritten",
        rewritten,
        {"changes": st.lists(st.tuples(st.integers(0, 50), texts), max_size=3)},
    ),
]


def _property(
    examples: int, body: Callable[..., None], strategies: dict[str, st.SearchStrategy[object]]
) -> Callable[[], None]:
    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large]
    return settings(max_examples=examples, deadline=None, suppress_health_check=quiet)(
        given(**strategies)(body)
    )


@pytest.mark.parametrize(("label", "body", "strategies"), CASES, ids=[c[0] for c in CASES])
def test_mutations_only_raise_descriptor_error(
    label: str, body: Callable[..., None], strategies: dict[str, st.SearchStrategy[object]]
) -> None:
    _property(100, body, strategies)()


@pytest.mark.deep
@pytest.mark.parametrize(("label", "body", "strategies"), CASES, ids=[c[0] for c in CASES])
def test_mutations_only_raise_descriptor_error_deep(
    label: str, body: Callable[..., None], strategies: dict[str, st.SearchStrategy[object]]
) -> None:
    _property(3000, body, strategies)()
