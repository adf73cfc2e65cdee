"""Packages built the way Tacker's functional-test helper builds its samples (its
``make_zip``): the sample's files, ETSI's SOL001 type files added to ``Definitions/``,
the software image added where the VNFD names it, zipped with ``shutil.make_archive``.

Tacker adds the real CirrOS 0.5.2 image, which nothing here may download; a stand-in
of our own is added instead, and its digests replace CirrOS's wherever the sample
states them (as Tacker's helper rewrites the VNFD id). Sizes are left as the sample
writes them: checked to the unit they are written in, a 64 KiB stand-in and the 16 MB
CirrOS image meet or miss them alike.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

from descriptors.archive import DEFAULT_LIMITS
from descriptors.images import find_images
from descriptors.yaml_guard import check_yaml_file

#: the digests of CirrOS 0.5.2 Tacker's samples state, by hashlib name
CIRROS = {
    "sha256": "932fcae93574e242dc3d772d5235061747dfe537668443a1f0567d893614b464",
    "sha512": "6b813aa46bb90b4da216a4d19376593fa3f4fc7e617f03a92b7fe11e9a3981cb"
    "e8f0959dbebe36225e5f53dc4492341a4863cac4ed1ee0909f3fc78ef9c3e869",
}
ETSI_FILES = ("etsi_nfv_sol001_common_types.yaml", "etsi_nfv_sol001_vnfd_types.yaml")
TEXT_SUFFIXES = (".yaml", ".yml", ".mf", ".meta")


def stand_in_image() -> bytes:
    """A qcow2 header and 64 KiB of fixed pseudo-random bytes (they do not compress)."""
    return b"QFI\xfb\x00\x00\x00\x03" + random.Random(5).randbytes(64 * 1024)


def make_zip(sample: Path, work: Path, etsi: Path | None) -> Path:
    """The sample built as Tacker builds it; ``etsi`` is the folder of ETSI's type files
    to add (a sample's own copies are kept), None to add none."""
    contents = work / "contents"
    shutil.copytree(sample, contents)
    definitions = contents / "Definitions"
    if etsi is not None and definitions.is_dir():
        for name in ETSI_FILES:
            if not (definitions / name).exists():
                shutil.copy(etsi / name, definitions / name)
    _add_images(contents)
    return Path(shutil.make_archive(str(work / sample.name), "zip", contents))


def _add_images(contents: Path) -> None:
    documents = {
        path.relative_to(contents).as_posix(): check_yaml_file(path, path.name, DEFAULT_LIMITS)[0]
        for path in contents.rglob("*")
        if path.suffix in (".yaml", ".yml")
    }
    images, _ = find_images(contents, documents)
    image = stand_in_image()
    for claim in images:
        if claim.target is None:
            continue
        target = contents / claim.target
        if not target.exists() and not (contents / claim.written).exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(image)
    for path in contents.rglob("*"):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            text = original = path.read_text(errors="surrogateescape")
            for name, digest in CIRROS.items():
                text = text.replace(digest, hashlib.new(name, image).hexdigest())
            if text != original:
                path.write_text(text, errors="surrogateescape")
