"""Building one library into its cache entry, with a made-up library that builds in a second.

The real recipes are built by the slow test in tests/end_to_end/test_libraries.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pyingot.distribution.libraries import hide, merge, unpack
from pyingot.distribution.libraries.build import (
    build_library,
    check_host_tools,
    library_key,
    static_pkg_config,
)
from pyingot.distribution.libraries.entry import BuiltLibrary, entries_dir
from pyingot.distribution.libraries.model import PkgConfig, Recipe, Step
from pyingot.distribution.toolchain import Toolchain
from pyingot.errors import InternalError, PyingotError
from tests.libraries import seed_cache, tarball, tiny_recipe, with_files

LABEL = "tiny 1.0 (Debian tiny 1.0-1)"

PATCH = """\
    --- a/tiny.c
    +++ b/tiny.c
    @@ -1,2 +1,2 @@
    -int tiny_counter = 1;
    +int tiny_counter = 100;
     __attribute__((weak)) int tiny_weak(void) { return 2; }
    """


def _leftovers() -> list[str]:
    """What the libraries directory holds besides lock files."""
    root = entries_dir()
    return sorted(p.name for p in root.iterdir() if not p.name.endswith(".lock"))


def test_entry_holds_hidden_archives_headers_licences_and_facts(
    tmp_path: Path, isolated_cache: Path, zig_toolchain: Toolchain
) -> None:
    recipe = replace(
        tiny_recipe(tmp_path),
        write_pkg_config=(PkgConfig("tiny", "A tiny library", "-L${libdir} -ltiny"),),
        pkg_config=("tiny",),
    )
    seed_cache(recipe, tmp_path)
    built = build_library(recipe, zig_toolchain, {}, jobs=1)
    key = library_key(recipe, zig_toolchain, {})
    assert built.path == entries_dir() / f"tiny-1.0-{key[:12]}"
    assert built.key == key
    files = sorted(str(p.relative_to(built.path)) for p in built.path.rglob("*") if p.is_file())
    assert files == [
        "BUILD.json",
        "include/tiny.h",
        "lib/libtiny.a",
        "lib/pkgconfig/tiny.pc",
        "share/licenses/tiny/COPYING",
    ]  # no .so, no bin/
    assert hide.visible_symbols(built.path / "lib" / "libtiny.a") == []
    assert "prefix=${pcfiledir}/../.." in (built.path / "lib/pkgconfig/tiny.pc").read_text()
    facts = json.loads((built.path / "BUILD.json").read_text())
    assert facts["name"] == "tiny" and facts["license"] == "MIT"
    assert facts["sources"] == {recipe.source.orig.name: recipe.source.orig.sha256}
    assert list(facts["archives"]) == ["libtiny.a"]
    assert facts["license_files"] == ["share/licenses/tiny/COPYING"]
    assert BuiltLibrary.load(built.path) == built
    assert built.archive_names == ("tiny",)
    assert _leftovers() == [built.path.name]
    # Cached: the second call builds nothing (no new log).
    logs = sorted((isolated_cache / "logs").iterdir())
    assert build_library(recipe, zig_toolchain, {}) == built
    assert sorted((isolated_cache / "logs").iterdir()) == logs


def test_failing_step_names_library_version_and_log_and_leaves_nothing(
    tmp_path: Path, isolated_cache: Path, zig_toolchain: Toolchain
) -> None:
    recipe = tiny_recipe(tmp_path, steps=(Step("make", ("sh", "-c", "echo boom; exit 3")),))
    seed_cache(recipe, tmp_path)
    with pytest.raises(PyingotError) as e:
        build_library(recipe, zig_toolchain, {})
    assert f"building {LABEL}: make failed (exit status 3)" in e.value.message
    assert e.value.log is not None and "boom" in e.value.log.read_text()
    assert e.value.log.parent == isolated_cache / "logs"
    assert f"full log: {e.value.log}" in e.value.render()
    assert _leftovers() == []


def test_archives_other_than_the_recipe_says_fail(
    tmp_path: Path, isolated_cache: Path, zig_toolchain: Toolchain
) -> None:
    recipe = replace(tiny_recipe(tmp_path), archives=("tiny", "extra"))
    seed_cache(recipe, tmp_path)
    with pytest.raises(PyingotError, match=r"the recipe expects \['libextra.a', 'libtiny.a'\]"):
        build_library(recipe, zig_toolchain, {})
    assert _leftovers() == []


def test_key_follows_inputs_not_urls(tmp_path: Path, zig_toolchain: Toolchain) -> None:
    recipe = tiny_recipe(tmp_path)
    key = library_key(recipe, zig_toolchain, {})
    orig = recipe.source.orig
    moved = with_files(recipe, replace(orig, upstream=("https://example.org/tiny.tar.gz",)))
    assert library_key(moved, zig_toolchain, {}) == key
    other_zig = replace(zig_toolchain, zig_sha256="0" * 64)
    assert library_key(recipe, other_zig, {}) != key
    assert library_key(replace(recipe, cflags=("-O3",)), zig_toolchain, {}) != key
    assert library_key(with_files(recipe, replace(orig, sha256="1" * 64)), zig_toolchain, {}) != (
        key
    )
    dependent = replace(recipe, depends=("dep",))
    assert library_key(dependent, zig_toolchain, {"dep": "a"}) != library_key(
        dependent, zig_toolchain, {"dep": "b"}
    )


def _debianized(tmp_path: Path, series: str, patch: str = PATCH) -> Recipe:
    """The tiny recipe with a Debian tarball whose series holds ``patch``."""
    recipe = tiny_recipe(tmp_path)
    debian = tarball(
        tmp_path / "tiny_1.0-1.debian.tar.gz",
        "",
        {"debian/patches/series": series, "debian/patches/counter.diff": patch},
    )
    return with_files(replace(recipe, patches="debian"), recipe.source.orig, debian)


def test_debian_series_is_applied(tmp_path: Path) -> None:
    recipe = _debianized(tmp_path, "# Debian's changes\ncounter.diff\n")
    log = tmp_path / "log"
    log.write_text("")
    files = {f.name: tmp_path / f.name for f in recipe.source.files}
    tree = unpack.source_tree(recipe, files, tmp_path / "src", log)
    assert "int tiny_counter = 100;" in (tree / "tiny.c").read_text()
    assert len({p.stat().st_mtime for p in tree.rglob("*") if p.is_file()}) == 1
    skipped = replace(recipe, skip_patches=("counter.diff",))
    tree = unpack.source_tree(skipped, files, tmp_path / "src2", log)
    assert "int tiny_counter = 1;" in (tree / "tiny.c").read_text()


def test_a_patch_that_does_not_apply_names_it(tmp_path: Path) -> None:
    recipe = _debianized(tmp_path, "counter.diff\n", PATCH.replace("= 1;", "= 7;"))
    files = {f.name: tmp_path / f.name for f in recipe.source.files}
    log = tmp_path / "log"
    log.write_text("")
    with pytest.raises(PyingotError) as e:
        unpack.source_tree(recipe, files, tmp_path / "src", log)
    assert f"applying Debian's patch counter.diff to {LABEL} failed" in e.value.message
    assert e.value.log == log


def _entry(root: Path, name: str, files: dict[str, str]) -> BuiltLibrary:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return BuiltLibrary(name, "1", name, "1-1", "MIT", "k" * 64, root, {}, {}, (), (), 0.0)


def test_merge_makes_one_prefix(tmp_path: Path) -> None:
    a = _entry(
        tmp_path / "a",
        "a",
        {"include/a.h": "a", "lib/pkgconfig/a.pc": "prefix=${pcfiledir}/../..\n"},
    )
    b = _entry(tmp_path / "b", "b", {"include/b.h": "b", "include/shared.h": "same"})
    c = _entry(tmp_path / "c", "c", {"include/shared.h": "same"})
    dest = merge.merge([a, b, c], tmp_path / "stage", final=tmp_path / "final")
    assert (dest / "include" / "b.h").read_text() == "b"
    assert (dest / "lib/pkgconfig/a.pc").read_text() == f"prefix={tmp_path / 'final'}\n"
    clash = _entry(tmp_path / "d", "d", {"include/shared.h": "different"})
    with pytest.raises(InternalError, match=r"two libraries install include/shared\.h"):
        merge.merge([b, clash], tmp_path / "stage2")


def test_pkg_config_files_carry_the_static_closure() -> None:
    text = (
        "prefix=${pcfiledir}/../..\nName: libedit\nRequires:\n"
        "Libs: -L${libdir} -ledit\nLibs.private: -lncurses \nRequires.private: x\n"
        "Cflags: -I${includedir}\nCflags.private: -DSTATIC\n"
    )
    assert static_pkg_config(text, {"-lncurses": "-lncursesw"}) == (
        "prefix=${pcfiledir}/../..\nName: libedit\nRequires: x\n"
        "Libs: -L${libdir} -ledit -lncursesw\nCflags: -I${includedir} -DSTATIC\n"
    )
    assert static_pkg_config("Libs.private: -lm\n") == "Libs: -lm\n"


def test_missing_host_tool_is_named_before_the_build(tmp_path: Path) -> None:
    recipe = replace(tiny_recipe(tmp_path), host_tools=("pyingot-no-such-tool",))
    with pytest.raises(PyingotError) as e:
        check_host_tools(recipe)
    assert e.value.message == (
        f"cannot run 'pyingot-no-such-tool': it is not installed (to build {LABEL})"
    )
