"""Every library a portable CPython links, built if missing, as one prefix.

:func:`build_all` is what the CPython build calls: it builds the libraries that
are not cached yet (dependencies first), then returns a :class:`Libraries`
whose ``prefix`` merges them all, itself a cache entry keyed by the libraries'
keys, so its path is stable and it is made once.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyingot import cache
from pyingot.distribution.libraries import fetch, merge
from pyingot.distribution.libraries.build import build_library, entry_path, library_key
from pyingot.distribution.libraries.entry import BuiltLibrary, entries_dir
from pyingot.distribution.libraries.model import Recipe
from pyingot.distribution.libraries.recipes import BY_NAME, RECIPES
from pyingot.distribution.toolchain import Toolchain
from pyingot.errors import InternalError, PyingotError
from pyingot.progress import Progress


@dataclass(frozen=True)
class Libraries:
    """The built libraries and the prefix that merges them."""

    prefix: Path
    #: Hash of every library's key: what a distribution's cache key includes.
    key: str
    libraries: tuple[BuiltLibrary, ...]

    @property
    def include_dir(self) -> Path:
        return self.prefix / "include"

    @property
    def lib_dir(self) -> Path:
        return self.prefix / "lib"

    @property
    def pkg_config_dir(self) -> Path:
        return self.prefix / "lib" / "pkgconfig"

    @property
    def cppflags(self) -> str:
        return f"-I{self.include_dir}"

    @property
    def ldflags(self) -> str:
        return f"-L{self.lib_dir}"

    @property
    def keys(self) -> dict[str, str]:
        """Library name -> its entry's key."""
        return {lib.name: lib.key for lib in self.libraries}

    def library(self, name: str) -> BuiltLibrary:
        for lib in self.libraries:
            if lib.name == name:
                return lib
        raise KeyError(name)

    def owner(self, archive: str) -> BuiltLibrary | None:
        """The library whose archive ``lib<archive>.a`` is (``ssl`` -> openssl)."""
        for lib in self.libraries:
            if archive in lib.archive_names:
                return lib
        return None

    def archive(self, name: str) -> Path:
        """The path of ``lib<name>.a`` in the prefix."""
        return self.lib_dir / f"lib{name}.a"


def build_order(names: Sequence[str] | None = None) -> list[Recipe]:
    """The recipes ``names`` (default: all) and what they depend on, dependencies first."""
    wanted = list(names) if names is not None else [r.name for r in RECIPES]
    order: list[Recipe] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise InternalError(f"library recipes depend on each other: {' -> '.join(path)}")
        if name not in BY_NAME:
            raise PyingotError(
                f"there is no recipe for the library {name!r}",
                hint=f"known libraries: {', '.join(sorted(BY_NAME))}",
            )
        recipe = BY_NAME[name]
        for dep in recipe.depends:
            visit(dep, (*path, name))
        if recipe not in order:
            order.append(recipe)

    for name in wanted:
        visit(name, ())
    return order


def build_all(
    toolchain: Toolchain,
    progress: Progress | None = None,
    *,
    names: Sequence[str] | None = None,
    sites: fetch.Sites = fetch.DEFAULT_SITES,
    jobs: int | None = None,
) -> Libraries:
    """Build (or find in the cache) the libraries ``names`` (default: all), and
    the prefix merging them."""
    progress = progress or Progress(1, quiet=True)
    built: dict[str, BuiltLibrary] = {}
    for recipe in build_order(names):
        deps = {n: built[n] for n in recipe.depends}
        key = library_key(recipe, toolchain, {n: d.key for n, d in deps.items()})
        cached = (entry_path(recipe, key) / "BUILD.json").is_file()
        started = time.monotonic()
        if not cached:
            progress.note(f"building {recipe.label}")
        built[recipe.name] = build_library(
            recipe, toolchain, deps, sites=sites, jobs=jobs or os.cpu_count(), progress=progress
        )
        if not cached:
            progress.note(f"built {recipe.name} in {time.monotonic() - started:.0f} s")
    libraries = tuple(built.values())
    key = cache.input_hash({"kind": "prefix", "libraries": {n: b.key for n, b in built.items()}})
    prefix = entries_dir() / f"prefix-{key[:12]}"
    if not (prefix / "LIBRARIES.json").is_file():
        with cache.entry_lock(prefix), cache.staging_dir(prefix) as tmp:
            if not (prefix / "LIBRARIES.json").is_file():
                merge.merge(libraries, tmp / "prefix", final=prefix)
                (tmp / "prefix" / "LIBRARIES.json").write_text(
                    json.dumps(
                        {"key": key, "libraries": [b.to_json() for b in libraries]}, indent=2
                    )
                    + "\n"
                )
                cache.commit(tmp / "prefix", prefix)
    return Libraries(prefix=prefix, key=key, libraries=libraries)
