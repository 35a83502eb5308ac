"""The library recipe table: pins, outputs and order are consistent."""

from __future__ import annotations

import re

import pytest

from pyingot.distribution.libraries.model import Recipe
from pyingot.distribution.libraries.prefix import build_order
from pyingot.distribution.libraries.recipes import BY_NAME, RECIPES
from pyingot.distribution.recipe import is_copyleft
from pyingot.errors import PyingotError

#: What CPython links, by archive name: every one must come from a recipe.
CPYTHON_ARCHIVES = {
    "ssl", "crypto", "sqlite3", "z", "bz2", "lzma", "ffi",
    "ncursesw", "panelw", "edit", "gdbm", "gdbm_compat", "uuid",
}  # fmt: skip

SPDX = {"Zlib", "bzip2-1.0.6", "0BSD", "MIT", "Apache-2.0", "X11", "BSD-3-Clause"}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_pins(recipe: Recipe) -> None:
    files = recipe.source.files
    assert ".orig.tar." in files[0].name
    assert all(re.fullmatch(r"[0-9a-f]{64}", f.sha256) and f.size > 0 for f in files)
    assert len({f.name for f in files}) == len(files)
    for f in files:
        # Debian's names, without the epoch.
        assert f.name.startswith(recipe.source.package + "_"), f.name
        assert ":" not in f.name
        assert all(url.startswith("https://") for url in f.upstream)
    assert recipe.source.orig.upstream or recipe.name in {"zlib", "sqlite3", "ncurses", "libuuid"}
    if recipe.patches == "debian":
        assert recipe.source.debian_tarball is not None
    else:
        assert recipe.patches_reason and not recipe.skip_patches


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.name)
def test_outputs_and_licence(recipe: Recipe) -> None:
    assert recipe.license is None or recipe.license in SPDX or is_copyleft(recipe.license)
    assert recipe.steps and recipe.archives and recipe.license_files
    assert recipe.version in recipe.label and recipe.source.version in recipe.label
    for step in recipe.steps:
        for arg in step.argv:
            # Only the placeholders the build fills in; nothing machine-specific.
            assert set(re.findall(r"\{(\w+)\}", arg)) <= {"prefix", "destdir", "jobs", "cflags"}
            assert "/root" not in arg and "/tmp" not in arg
    assert set(recipe.depends) <= set(BY_NAME)


def test_every_archive_cpython_links_has_one_recipe() -> None:
    archives = [a for r in RECIPES for a in r.archives]
    assert len(archives) == len(set(archives))
    assert set(archives) >= CPYTHON_ARCHIVES
    names = [p for r in RECIPES for p in r.pkg_config]
    assert len(names) == len(set(names))


def test_build_order_puts_dependencies_first() -> None:
    assert [r.name for r in build_order(["libedit"])] == ["ncurses", "libedit"]
    order = [r.name for r in build_order()]
    assert sorted(order) == sorted(BY_NAME)
    assert order.index("ncurses") < order.index("libedit")
    with pytest.raises(PyingotError, match="no recipe for the library 'readline'"):
        build_order(["readline"])
