"""The PYTHON.json reader and writer, held to the PBS format."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pyingot.distribution import pbs
from pyingot.distribution.model import Link
from pyingot.errors import PyingotError
from tests import fixtures


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return fixtures.make_tree(tmp_path / "dist")


def test_reads_pbs_version_7_layout(tree: Path) -> None:
    dist = pbs.load(tree)
    assert dist.root == tree / "python"
    assert dist.format_version == 7
    assert dist.python_version == "3.12.7"
    assert dist.major_minor == "3.12"
    assert dist.build_options == "pgo"  # v7's "optimizations"
    assert dist.core_links == (Link("dl", system=True), Link("m", system=True))
    assert dist.extension("readline").links == (
        Link("readline", path_static="build/lib/libreadline.a"),
    )
    assert dist.extension("readline").copyleft
    assert dist.extension("_sqlite3").license_public_domain
    assert dist.extension("posix").required
    assert not dist.extension("_testcapi").is_static
    assert [e.name for e in dist.builtin_extensions()] == ["_demo", "_sqlite3", "posix", "readline"]


def test_every_object_path_exists_and_defines_its_init_fn(tree: Path) -> None:
    dist = pbs.load(tree)
    for obj in dist.core_objs:
        assert dist.path(obj).is_file()
    for ext in dist.builtin_extensions():
        paths = [dist.path(o) for o in ext.objs]
        assert all(p.is_file() for p in paths)
        symbols = subprocess.run(
            ["nm", "--defined-only", *map(str, paths)], capture_output=True, text=True, check=True
        ).stdout
        assert f" T {ext.init_fn}" in symbols


def test_tar_zst_archive_round_trips(tree: Path, tmp_path: Path, isolated_cache: Path) -> None:
    archive = fixtures.make_archive(tree, tmp_path / "cpython-3.12.7-full.tar.zst")
    from_archive = pbs.load(archive)
    from_dir = pbs.load(tree)
    assert from_archive.root.is_relative_to(isolated_cache)
    assert from_archive.extensions == from_dir.extensions
    assert from_archive.core_objs == from_dir.core_objs
    for obj in from_archive.core_objs:
        assert from_archive.path(obj).is_file()
    # model -> PYTHON.json -> model is the identity
    again = pbs.parse(pbs.render(from_archive), from_archive.root)
    assert again == pbs.parse(pbs.render(again), again.root)
    assert again.extensions == from_archive.extensions
    assert again.extra == from_archive.extra
    # A second load reuses the unpacked copy.
    assert pbs.load(archive).root == from_archive.root


def test_written_file_is_version_8_and_reads_back(tree: Path) -> None:
    dist = pbs.load(tree)
    pbs.write(dist)
    data = json.loads((tree / "python" / "PYTHON.json").read_text())
    assert data["version"] == "8"
    assert data["build_options"] == "pgo"
    assert pbs.load(tree).extensions == dist.extensions


def _write(tree: Path, data: dict[str, object]) -> None:
    (tree / "python" / "PYTHON.json").write_text(json.dumps(data))


def test_llvm_bitcode_archives_are_refused_with_the_reason(tree: Path) -> None:
    data = fixtures.python_json()
    data["build_info"]["object_file_format"] = "llvm-bitcode:19.1.6"  # type: ignore[index]
    _write(tree, data)
    with pytest.raises(PyingotError) as e:
        pbs.load(tree)
    assert "LLVM bitcode (llvm-bitcode:19.1.6)" in e.value.message
    assert e.value.hint is not None
    assert "pgo-full" in e.value.hint and "noopt-full" in e.value.hint


def test_unsupported_format_version_names_the_file(tree: Path) -> None:
    _write(tree, fixtures.python_json(version="5"))
    with pytest.raises(PyingotError, match=r"PYTHON\.json format version 5 is not supported"):
        pbs.load(tree)


def test_missing_key_is_named_with_its_file(tree: Path) -> None:
    data = fixtures.python_json()
    del data["build_info"]["core"]["objs"]  # type: ignore[index]
    _write(tree, data)
    with pytest.raises(PyingotError) as e:
        pbs.load(tree)
    assert (
        e.value.message
        == f"{tree / 'python' / 'PYTHON.json'}: key 'build_info.core.objs' is missing"
    )


def test_wrong_type_is_named(tree: Path) -> None:
    _write(tree, fixtures.python_json(python_version=312))
    with pytest.raises(PyingotError, match="key 'python_version' should be a str, not int"):
        pbs.load(tree)


def test_not_json(tree: Path) -> None:
    (tree / "python" / "PYTHON.json").write_text("{not json")
    with pytest.raises(PyingotError, match="cannot read it as JSON"):
        pbs.load(tree)


def test_damaged_archive(tmp_path: Path, isolated_cache: Path) -> None:
    bad = tmp_path / "broken.tar.zst"
    bad.write_bytes(b"\x28\xb5\x2f\xfd" + b"garbage" * 100)
    with pytest.raises(PyingotError, match="cannot unpack"):
        pbs.load(bad)
    assert not list((isolated_cache / "archives").glob("*/python"))


def test_install_only_archive_is_explained(tmp_path: Path, isolated_cache: Path) -> None:
    (tmp_path / "t" / "python" / "install").mkdir(parents=True)
    (tmp_path / "t" / "python" / "install" / "README").write_text("x")
    archive = fixtures.make_archive(tmp_path / "t", tmp_path / "install_only.tar.zst")
    with pytest.raises(PyingotError) as e:
        pbs.load(archive)
    assert "holds no python/PYTHON.json" in e.value.message
    assert "install_only" in (e.value.hint or "")


def test_not_a_distribution(tmp_path: Path) -> None:
    f = tmp_path / "x.zip"
    f.write_bytes(b"PK")
    with pytest.raises(PyingotError, match="is not a distribution archive"):
        pbs.load(f)
    with pytest.raises(PyingotError, match="does not exist"):
        pbs.load(tmp_path / "nope")


def test_a_free_threaded_archive_is_read_as_one(tmp_path: Path) -> None:
    """python-build-standalone's free-threaded archives: ``freethreaded`` among the
    build options, ``python_tag`` the interpreter's; the runtime is built for the
    ``t`` ABI."""
    from pyingot.stub import RuntimeVariant, pyo3_config

    data = fixtures.python_json(build_options="pgo+lto+freethreaded", python_abi_tag="cp312t")
    dist = pbs.load(fixtures.make_tree(tmp_path / "ft", data))
    assert dist.freethreaded and (dist.abiflags, dist.ldversion) == ("t", "3.12t")
    assert dist.abi_tag == "cp312t"
    assert RuntimeVariant.of(dist) == RuntimeVariant("3.12", free_threaded=True)
    config = pyo3_config(RuntimeVariant.of(dist)).splitlines()
    assert "build_flags=Py_GIL_DISABLED" in config and "lib_name=python3.12t" in config
    plain = pbs.load(fixtures.make_tree(tmp_path / "plain"))
    assert not plain.freethreaded and plain.abi_tag == "cp312"
    assert "build_flags=" in pyo3_config(RuntimeVariant.of(plain)).splitlines()
