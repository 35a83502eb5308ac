"""Resolving and unpacking CPython sources, and what bad sources say."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from pyingot.distribution import source
from pyingot.errors import PyingotError


def _tree(root: Path, version: str = "3.12.4") -> Path:
    (root / "Include").mkdir(parents=True)
    (root / "Include" / "patchlevel.h").write_text(
        f'/* ... */\n#define PY_VERSION              "{version}"\n'
    )
    (root / "configure").write_text("#!/bin/sh\n")
    return root


def _tarball(tmp: Path, name: str, members: dict[str, bytes]) -> Path:
    path = tmp / name
    with tarfile.open(path, "w:gz") as tar:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_version_is_read_from_the_source(tmp_path: Path) -> None:
    v = source.read_version(_tree(tmp_path / "src", "3.13.5"))
    assert (v.major, v.minor, v.micro, v.major_minor) == (3, 13, 5, "3.13")
    assert source.read_version(_tree(tmp_path / "rc", "3.12.0rc2")).full == "3.12.0rc2"


def test_unsupported_version_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PyingotError) as e:
        source.read_version(_tree(tmp_path, "3.10.14"))
    assert e.value.message == "CPython 3.10.14 is not supported (pyingot builds 3.11, 3.12, 3.13)"


def test_tree_without_patchlevel_is_not_cpython(tmp_path: Path) -> None:
    with pytest.raises(PyingotError, match="does not look like a CPython source tree"):
        source.read_version(tmp_path)


def test_missing_source_path(tmp_path: Path) -> None:
    with pytest.raises(PyingotError, match=r"CPython source .*nope\.tar\.xz does not exist"):
        source.resolve(str(tmp_path / "nope.tar.xz"))


def test_bad_debian_name() -> None:
    with pytest.raises(PyingotError, match="'debian:perl' is not a CPython source package name"):
        source.resolve("debian:perl")


def test_unknown_file_type(tmp_path: Path) -> None:
    f = tmp_path / "python.zip"
    f.write_bytes(b"PK")
    with pytest.raises(PyingotError, match="neither a directory nor a tarball"):
        source.resolve(str(f))


def test_corrupt_tarball(tmp_path: Path) -> None:
    bad = tmp_path / "Python-3.12.4.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 50)
    src = source.resolve(str(bad))
    with pytest.raises(PyingotError, match="cannot unpack CPython source tarball"):
        source.unpack(src, tmp_path / "out")


def test_tarball_that_is_not_cpython(tmp_path: Path) -> None:
    t = _tarball(tmp_path, "other-1.0.tar.gz", {"other-1.0/README": b"hi"})
    with pytest.raises(PyingotError, match="does not look like a CPython source tarball"):
        source.unpack(source.resolve(str(t)), tmp_path / "out")


def test_tarball_escaping_its_directory_is_refused(tmp_path: Path) -> None:
    t = _tarball(tmp_path, "evil.tar.gz", {"../evil": b"x"})
    with pytest.raises(PyingotError, match="cannot unpack"):
        source.unpack(source.resolve(str(t)), tmp_path / "out")
    assert not (tmp_path / "evil").exists()


def test_tree_source_is_copied_and_hashed_by_content(tmp_path: Path) -> None:
    tree = _tree(tmp_path / "Python-3.12.4")
    first = source.resolve(str(tree))
    (tree / "configure").write_text("#!/bin/sh\n# changed\n")
    assert source.resolve(str(tree)).sha256 != first.sha256
    copy = source.unpack(first, tmp_path / "work")
    assert copy != tree and (copy / "Include" / "patchlevel.h").exists()
