"""Extension selection policies."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pyingot import elf
from pyingot.config import ProjectConfig, load_project
from pyingot.distribution import pbs
from pyingot.distribution.model import Distribution, ExtensionModule, Link
from pyingot.distribution.selection import ExtensionSelection
from pyingot.errors import PyingotError
from pyingot.resources.model import ResourceSet
from pyingot.stub import extensions_to_embed, extensions_to_link, shared_objects
from tests import fixtures


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Distribution:
    return pbs.load(fixtures.make_tree(tmp_path_factory.mktemp("sel")))


def names(sel: ExtensionSelection, dist: Distribution) -> list[str]:
    return sorted(sel.resolve(dist))


def test_all_leaves_out_test_and_shared_only_modules(dist: Distribution) -> None:
    assert names(ExtensionSelection(), dist) == ["_demo", "_sqlite3", "posix", "readline"]


def test_no_copyleft_drops_gpl(dist: Distribution) -> None:
    assert names(ExtensionSelection("no-copyleft"), dist) == ["_demo", "_sqlite3", "posix"]


def test_minimal_is_the_required_set(dist: Distribution) -> None:
    assert names(ExtensionSelection("minimal"), dist) == ["posix"]


def test_include_and_exclude(dist: Distribution) -> None:
    sel = ExtensionSelection("minimal", include=("_sqlite3",))
    assert names(sel, dist) == ["_sqlite3", "posix"]
    assert names(ExtensionSelection(exclude=("readline", "_demo")), dist) == ["_sqlite3", "posix"]


def test_required_modules_cannot_be_excluded(dist: Distribution) -> None:
    with pytest.raises(PyingotError, match="'posix' is required to start the interpreter"):
        ExtensionSelection(exclude=("posix",)).resolve(dist)


def test_gpl_include_under_no_copyleft_is_a_contradiction(dist: Distribution) -> None:
    with pytest.raises(PyingotError, match="'readline' links GPL-licensed code"):
        ExtensionSelection("no-copyleft", include=("readline",)).resolve(dist)


def test_unknown_module_suggests_close_names(dist: Distribution) -> None:
    with pytest.raises(PyingotError) as e:
        ExtensionSelection(include=("_sqlite",)).resolve(dist)
    assert e.value.hint == "did you mean _sqlite3?"


def test_shared_only_module_is_embedded_when_included(dist: Distribution) -> None:
    sel = ExtensionSelection(include=("_testcapi",))
    assert "_testcapi" not in sel.resolve(dist)
    assert sel.embedded(dist) == ("_testcapi",)
    assert ExtensionSelection(include=("_sqlite3",)).embedded(dist) == ()
    assert ExtensionSelection().embedded(dist) == ()


def test_bad_policy_and_double_listing() -> None:
    with pytest.raises(PyingotError, match="unknown extension policy 'some'"):
        ExtensionSelection("some")
    with pytest.raises(PyingotError, match="both included and excluded"):
        ExtensionSelection(include=("a",), exclude=("a",))


def _project(root: Path, link: str | None = None) -> ProjectConfig:
    root.mkdir(parents=True, exist_ok=True)
    (root / "app.py").write_text("def main():\n    pass\n")
    extensions = f'[tool.pyingot.extensions]\nlink = "{link}"\n' if link else ""
    (root / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "1"\n[project.scripts]\napp = "app:main"\n'
        f'[tool.pyingot]\nsources = ["."]\n{extensions}'
    )
    return load_project(root)


def test_start_up_links_what_runs_at_start_and_embeds_the_rest_reached(
    dist: Distribution, tmp_path: Path
) -> None:
    """Issue 10: of the reached modules, those imported at start-up are linked (and
    required ones always); the others are embedded as shared objects."""
    reached = ResourceSet(
        modules={}, data=(), builtins=("_demo", "_sqlite3", "posix"), at_start=frozenset({"_demo"})
    )
    config = _project(tmp_path / "default")
    assert config.link_extensions == "start-up"
    assert sorted(extensions_to_link(config, dist, reached)) == ["_demo", "posix"]
    assert sorted(extensions_to_embed(config, dist, reached)) == ["_sqlite3"]
    config = _project(tmp_path / "reachable", "reachable")
    assert sorted(extensions_to_link(config, dist, reached)) == ["_demo", "_sqlite3", "posix"]
    assert extensions_to_embed(config, dist, reached) == {}
    config = _project(tmp_path / "all", "all")
    assert sorted(extensions_to_link(config, dist, reached)) == [
        "_demo",
        "_sqlite3",
        "posix",
        "readline",
    ]
    assert extensions_to_embed(config, dist, reached) == {}


def test_a_module_is_linked_as_a_shared_object_once(
    dist: Distribution, isolated_cache: Path
) -> None:
    demo = dist.extensions["_demo"][0]
    built = shared_objects.shared_object(dist, [demo])
    assert built.name == "_demo.so" and built.is_relative_to(isolated_cache / "shared-objects")
    assert "PyInit__demo" in elf.read_dynamic_symbols(built).defined
    assert shared_objects.shared_object(dist, [demo]) == built  # from the cache
    assert built.stat().st_mtime_ns == shared_objects.shared_object(dist, [demo]).stat().st_mtime_ns


def test_a_module_whose_shared_object_cannot_be_linked_fails_the_build_by_name(
    dist: Distribution, isolated_cache: Path
) -> None:
    """The message names the module and how to link it into the executable instead."""
    garbage = dist.path("build/extensions/_demo/garbage.o")
    garbage.write_bytes(b"not an object")
    demo = dataclasses.replace(
        dist.extensions["_demo"][0], objs=("build/extensions/_demo/garbage.o",)
    )
    with pytest.raises(PyingotError) as e:
        shared_objects.shared_object(dist, [demo])
    assert e.value.message.startswith(
        "linking extension module _demo as a shared object failed (exit status"
    )
    assert e.value.hint is not None and 'include = ["_demo"]' in e.value.hint
    assert not list((isolated_cache / "shared-objects").glob("*/_demo.so"))


def _linking(ext: ExtensionModule, name: str, *libraries: str) -> ExtensionModule:
    links = tuple(
        Link(name=lib, path_static=f"build/lib/lib{lib}.a", path_dynamic=None, system=False)
        for lib in libraries
    )
    return dataclasses.replace(ext, name=name, init_fn=f"PyInit_{name}", links=links)


def test_modules_that_link_a_library_in_common_are_grouped(dist: Distribution) -> None:
    """OpenSSL's two modules together, the curses ones together (through ncurses,
    which both link), and every other module alone."""
    demo = dist.extensions["_demo"][0]
    modules = {
        "_ssl": _linking(demo, "_ssl", "ssl", "crypto"),
        "_hashlib": _linking(demo, "_hashlib", "crypto"),
        "_curses_panel": _linking(demo, "_curses_panel", "panelw", "ncursesw"),
        "_curses": _linking(demo, "_curses", "ncursesw"),
        "readline": _linking(demo, "readline", "readline"),
        "math": _linking(demo, "math"),
    }
    assert shared_objects.groups(dist, modules) == [
        ("_curses", "_curses_panel"),
        ("_hashlib", "_ssl"),
        ("math",),
        ("readline",),
    ]


def test_a_group_is_one_shared_object_holding_each_module(
    dist: Distribution, isolated_cache: Path
) -> None:
    demo = _linking(dist.extensions["_demo"][0], "_demo", "sqlite3")
    sqlite = dist.extensions["_sqlite3"][0]
    built = shared_objects.shared_objects(dist, {"_demo": demo, "_sqlite3": sqlite})
    assert built["_demo"] == built["_sqlite3"]
    assert built["_demo"].name == "_demo+_sqlite3.so"
    exports = elf.read_dynamic_symbols(built["_demo"]).defined
    assert {"PyInit__demo", "PyInit__sqlite3"} <= exports


def test_a_module_sharing_a_library_with_a_linked_one_is_linked_too(
    dist: Distribution, tmp_path: Path
) -> None:
    """Its shared object would carry a second copy of the library: numpy imports
    ``_hashlib`` to start, and ``_ssl`` is linked with it, OpenSSL once."""
    demo = dist.extensions["_demo"][0]
    extensions = {
        **dist.extensions,
        "_ssl": [_linking(demo, "_ssl", "ssl", "crypto")],
        "_hashlib": [_linking(demo, "_hashlib", "crypto")],
        "_curses": [_linking(demo, "_curses", "ncursesw")],
    }
    openssl = dataclasses.replace(dist, extensions=extensions)
    config = _project(tmp_path / "app")
    reached = ("_curses", "_hashlib", "_ssl", "posix")
    for at_start, linked in (
        ({"_hashlib"}, ["_hashlib", "_ssl", "posix"]),
        ({"_ssl"}, ["_hashlib", "_ssl", "posix"]),
        (set(), ["posix"]),
    ):
        resources = ResourceSet(modules={}, data=(), builtins=reached, at_start=frozenset(at_start))
        assert sorted(extensions_to_link(config, openssl, resources)) == linked
        embedded = set(extensions_to_embed(config, openssl, resources))
        assert embedded == set(reached) - set(linked)
