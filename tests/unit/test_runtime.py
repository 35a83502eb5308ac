"""The Rust runtime's variants, version and prebuilt archives (pyingot.stub.runtime).

What a wheel ships and how an installed pyingot trusts it; the wheel itself is
built and used in tests/end_to_end/test_wheel.py.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from pyingot import cache
from pyingot.errors import PyingotError
from pyingot.progress import Progress
from pyingot.stub import exports, runtime
from pyingot.stub.runtime import RuntimeVariant
from tests.building import ROOT
from tests.unit.test_dependencies import distribution_stub


def test_a_variant_is_the_minor_version_and_whether_it_is_free_threaded() -> None:
    dist = distribution_stub()
    assert RuntimeVariant.of(dist) == RuntimeVariant("3.11")
    free = dataclasses.replace(dist, python_version="3.13.5", python_tag="cp313t")
    assert RuntimeVariant.of(free) == RuntimeVariant("3.13", free_threaded=True)
    assert RuntimeVariant.of(free).name == "python3.13t"
    assert RuntimeVariant("3.12").name == "python3.12"


def test_pyo3_config_needs_no_interpreter() -> None:
    # No lib_dir or executable: a variant builds without its distribution at hand.
    text = runtime.pyo3_config(RuntimeVariant("3.12"))
    config = dict(line.split("=", 1) for line in text.split())
    assert config == {
        "implementation": "CPython",
        "version": "3.12",
        "shared": "false",
        "abi3": "false",
        "lib_name": "python3.12",
        "pointer_width": "64",
        "build_flags": "",
        "suppress_build_script_link_lines": "true",
    }
    free = runtime.pyo3_config(RuntimeVariant("3.13", free_threaded=True))
    assert "lib_name=python3.13t\n" in free
    assert "build_flags=Py_GIL_DISABLED\n" in free


def test_the_wheel_ships_every_source_the_version_hashes() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["pyingot"]
    assert [p for p in runtime.SOURCES if f"runtime/{p}" not in package_data] == []


def test_the_version_follows_what_the_archive_is_compiled_from(tmp_path: Path) -> None:
    tree = tmp_path / "runtime"
    shutil.copytree(ROOT / "runtime", tree, ignore=shutil.ignore_patterns("target"))
    before = runtime._sources_hash(tree)
    assert before == runtime.runtime_version()
    # Neither the crates' tests nor the embedded Python modules are compiled in.
    (tree / "payload" / "tests" / "errors.rs").write_text("// changed\n")
    (tree / "python" / "_pyingot_boot.py").write_text("# changed\n")
    (tree / "stub" / "README").write_text("notes\n")
    assert runtime._sources_hash(tree) == before
    lib_rs = tree / "stub" / "src" / "lib.rs"
    lib_rs.write_text(lib_rs.read_text() + "\n")
    assert runtime._sources_hash(tree) != before
    lib_rs.write_text(lib_rs.read_text()[:-1])
    (tree / "Cargo.lock").write_text((tree / "Cargo.lock").read_text() + "\n")
    assert runtime._sources_hash(tree) != before


def prebuilt(tmp_path: Path, *, version: str | None = None) -> tuple[Path, Path]:
    """A prebuilt/ directory as a wheel holds it, with a 3.11 archive."""
    directory = tmp_path / "prebuilt"
    lib = directory / "python3.11" / runtime.ARCHIVE
    lib.parent.mkdir(parents=True)
    lib.write_bytes(b"!<arch>\n")
    manifest = {
        "format": runtime.MANIFEST_FORMAT,
        "runtime": version or runtime.runtime_version(),
        "variants": {"python3.11": {"sha256": cache.file_sha256(lib)}},
    }
    (directory / runtime.MANIFEST).write_text(json.dumps(manifest))
    return directory, lib


def test_a_prebuilt_archive_is_used_when_its_version_matches(tmp_path: Path) -> None:
    directory, lib = prebuilt(tmp_path)
    assert runtime.prebuilt_library(RuntimeVariant("3.11"), directory) == lib
    assert runtime.prebuilt_library(RuntimeVariant("3.12"), directory) is None
    assert runtime.prebuilt_library(RuntimeVariant("3.11", free_threaded=True), directory) is None


def test_a_prebuilt_archive_of_other_sources_is_not(tmp_path: Path) -> None:
    # Installed sources edited, or a manifest from another version: build instead.
    directory, _ = prebuilt(tmp_path, version="0" * 64)
    assert runtime.prebuilt_library(RuntimeVariant("3.11"), directory) is None
    assert runtime.prebuilt_library(RuntimeVariant("3.11"), tmp_path / "none") is None


def test_a_damaged_prebuilt_archive_is_an_error(tmp_path: Path) -> None:
    directory, lib = prebuilt(tmp_path)
    lib.write_bytes(b"!<arch>\ncut")
    with pytest.raises(PyingotError) as e:
        runtime.prebuilt_library(RuntimeVariant("3.11"), directory)
    assert e.value.render() == (
        f"error: pyingot's prebuilt runtime {lib} does not match its manifest\n"
        "  hint: the installation is damaged: reinstall pyingot"
    )
    (directory / runtime.MANIFEST).write_text("{")
    with pytest.raises(PyingotError, match=r"prebuilt runtime manifest .* is unreadable"):
        runtime.prebuilt_library(RuntimeVariant("3.11"), directory)


def test_a_checkout_has_no_prebuilt_archives() -> None:
    # Editable installs skip them (setup.py), so a checkout always builds its own.
    assert not runtime.prebuilt_directory().exists()


def test_without_a_prebuilt_archive_or_cargo_the_error_says_both(
    isolated_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PyingotError) as e:
        runtime.built_library(RuntimeVariant("3.14"), Progress(1, quiet=True))
    assert e.value.render() == (
        "error: the Rust runtime for Python 3.14 is not prebuilt in this pyingot and cannot "
        "be built here: cargo is not on PATH\n"
        "  hint: install Rust (https://rustup.rs) so that cargo is on PATH, or build with a "
        "Python version whose runtime a wheel of pyingot carries (3.11, 3.12, 3.13, 3.13t)"
    )
    assert not (isolated_cache / "runtime").exists() or not os.listdir(isolated_cache / "runtime")


# --------------------------------------------------------------------------- crates


def test_the_crates_record_is_what_cargo_links_not_build_scripts_nor_pyingot(
    tmp_path: Path,
) -> None:
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not on PATH")
    library = tmp_path / runtime.ARCHIVE
    library.write_bytes(b"!<arch>\n")
    crates = runtime.runtime_crates(library)  # no record yet: made with cargo tree
    by_name = {c.name: c for c in crates}
    lock = tomllib.loads((runtime.runtime_dir() / "Cargo.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}
    assert by_name["pyo3-ffi"].version == locked["pyo3-ffi"]
    assert by_name["pyo3-ffi"].license == "MIT OR Apache-2.0"
    assert "rust-std" in by_name
    # pyo3's build script's crates are not linked; pyingot's own crates are pyingot.
    assert "pyo3-build-config" not in by_name and "target-lexicon" not in by_name
    assert not any(name.startswith("pyingot") for name in by_name)
    # Written beside the archive, read back without cargo.
    assert runtime.runtime_crates(library) == crates
    assert json.loads((tmp_path / runtime.CRATES).read_text())[0]["name"] == crates[0].name


def test_an_unreadable_crates_record_names_the_file(tmp_path: Path) -> None:
    library = tmp_path / runtime.ARCHIVE
    library.write_bytes(b"!<arch>\n")
    (tmp_path / runtime.CRATES).write_text("[{")
    with pytest.raises(PyingotError, match=r"crates .*crates\.json is unreadable"):
        runtime.runtime_crates(library)


def test_the_stub_exports_every_function_the_runtime_interposes() -> None:
    """``exports.INTERPOSED`` (the runtime symbols left visible at the stub's link) is
    what ``runtime/stub/src/view/interpose`` defines: a function missing from it would
    be glibc's for every extension module, and the view would not serve them."""
    defined = set()
    for source in (ROOT / "runtime/stub/src/view/interpose").glob("*.rs"):
        text = source.read_text()
        defined |= set(re.findall(r'#\[no_mangle\]\s*pub unsafe extern "C" fn (\w+)', text))
        if "read_only! {" in text:
            table = text.split("read_only! {", 1)[1].split("\n}", 1)[0]
            defined |= set(re.findall(r"^\s*(\w+)\(.*\) existing", table, re.M))
    assert len(defined) > 60
    assert set(exports.INTERPOSED) == defined
    assert list(exports.INTERPOSED) == sorted(exports.INTERPOSED)
