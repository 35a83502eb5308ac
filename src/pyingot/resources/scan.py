"""Find modules and package data on disk, the way CPython's path finder would.

A :class:`ModuleFinder` searches an ordered list of roots (the application's
paths, then the standard library) and answers "which file is module X?" with
the same precedence as ``importlib.machinery.PathFinder``: in each directory a
package (``x/__init__.py``) before a module file (``x.py``); the first root that
has either wins; directories without ``__init__.py`` met on the way are portions
of a namespace package, used only when no root has a regular module. This file
decides nothing about what goes into an executable.
"""

from __future__ import annotations

import csv
import email.parser
import enum
import io
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pyingot import digests, names
from pyingot.errors import PyingotError

#: Never a package, never data.
_CACHE_DIR = "__pycache__"

#: Files that are never package data: compiled forms of modules.
_COMPILED_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib")

#: A shared library's file name: ``libfoo.so``, ``libgfortran-040039e1.so.5.0.0``.
SHARED_OBJECT = re.compile(r".+\.so(\.\d+)*")

#: What an extension module's name may be (it is imported from C, by name).
_EXTENSION_NAME = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class SearchRoot:
    path: Path
    is_stdlib: bool = False
    #: Where pip installed the application's dependencies (``dist-info`` directories
    #: there say which distribution each file belongs to).
    is_dependency: bool = False


T = TypeVar("T")


def read_file(path: Path) -> bytes:
    """A found file's bytes; one that cannot be read stops the build, naming it."""
    return _read(digests.read_file, path)


def map_file(path: Path) -> digests.Blob:
    """A found compiled file's contents, mapped, not read, when it is in the cache
    (:func:`pyingot.digests.map_file`); one that cannot be read stops the build."""
    return _read(digests.map_file, path)


def _read(how: Callable[[Path], T], path: Path) -> T:
    try:
        return how(path)
    except OSError as e:
        raise PyingotError(f"cannot read {show(path)} ({e.strerror or e})") from e


def show(path: Path | None) -> str:
    """A path as the user would type it: relative to the working directory if inside it."""
    if path is None:
        return "?"
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


class ModuleKind(enum.Enum):
    SOURCE = "source"
    PACKAGE = "package"
    NAMESPACE = "namespace"
    EXTENSION = "extension"


@dataclass(frozen=True)
class ModuleFile:
    """Where one module lives on disk."""

    name: str
    kind: ModuleKind
    #: The source (or extension) file; ``None`` for a namespace package.
    path: Path | None
    #: The root it was found under (for a namespace package, its first portion's).
    root: SearchRoot
    #: A package's directories (its ``__path__``): one for a regular package,
    #: every portion for a namespace package; empty for a plain module.
    locations: tuple[tuple[Path, SearchRoot], ...] = ()

    @property
    def is_package(self) -> bool:
        # An extension module can be a package too (``pkg/__init__.cpython-311-….so``).
        return self.kind in (ModuleKind.PACKAGE, ModuleKind.NAMESPACE) or bool(self.locations)

    @property
    def is_namespace(self) -> bool:
        return self.kind is ModuleKind.NAMESPACE

    @property
    def origin(self) -> str:
        """The path relative to its root, "/"-separated."""
        target = self.path if self.path is not None else self.locations[0][0]
        # By the strings, which pathlib keeps: relative_to cost a numpy rebuild 8 ms.
        inside, base = str(target), str(self.root.path)
        if inside.startswith(base) and inside[len(base) : len(base) + 1] == "/" and base != "/":
            relative = inside[len(base) + 1 :]
            # Interned when it is one name, as pathlib's was (it interns each part, and
            # joins one part into itself): the origin becomes the code's co_filename,
            # which marshal writes with the flag saying whether it is interned, so the
            # bytecode of a top-level module depends on it.
            return relative if "/" in relative else sys.intern(relative)
        return target.relative_to(self.root.path).as_posix()


class ModuleFinder:
    """Resolve module names against ``roots`` in order; results are cached.

    Its hot paths key directories by their path strings, making a
    :class:`~pathlib.Path` only for what it returns: a numpy rebuild finds 2,700 names,
    and pathlib's parsing and hashing of the paths it built to test them cost 15 ms.
    Whether an entry is a directory or a file is what its directory's listing says
    (``os.scandir``; a symbolic link is followed): a stat of each cost 2,400 system
    calls more.
    """

    def __init__(
        self, roots: Sequence[SearchRoot], extension_suffixes: Sequence[str] = (".so",)
    ) -> None:
        self.roots = tuple(roots)
        # Longest first, as CPython lists them (".cpython-311-x86_64-linux-gnu.so" before ".so").
        self.extension_suffixes = tuple(extension_suffixes)
        self._cache: dict[str, ModuleFile | None] = {}
        self._listings: dict[str, dict[str, os.DirEntry[str]]] = {}

    def _entries(self, directory: Path | str) -> Mapping[str, os.DirEntry[str]]:
        """The entries of ``directory`` by name (none when it cannot be listed)."""
        key = str(directory)
        entries = self._listings.get(key)
        if entries is None:
            try:
                with os.scandir(key) as listing:
                    entries = {e.name: e for e in listing}
            except OSError:
                entries = {}
            self._listings[key] = entries
        return entries

    def _search_dirs(self, name: str) -> tuple[tuple[Path, SearchRoot], ...] | None:
        parent, _, _ = name.rpartition(".")
        if not parent:
            return tuple((r.path, r) for r in self.roots)
        package = self.find(parent)
        if package is None or not package.is_package:
            return None
        return package.locations

    def find(self, name: str) -> ModuleFile | None:
        """The module ``name`` as the import system would find it on these roots."""
        if name in self._cache:
            return self._cache[name]
        found = self._find(name)
        self._cache[name] = found
        return found

    def _find(self, name: str) -> ModuleFile | None:
        tail = name.rpartition(".")[2]
        # Module files need not be identifiers (sysconfig imports
        # "_sysconfigdata__linux_x86_64-linux-gnu" by name); directories must
        # be, which keeps site-packages and config-3.X-* out of the standard library.
        if not tail or tail == _CACHE_DIR:
            return None
        dirs = self._search_dirs(name)
        if dirs is None:
            return None
        portions: list[tuple[Path, SearchRoot]] = []
        for directory, root in dirs:
            entries = self._entries(directory)
            if tail.isidentifier() and tail in entries and _is_dir(entries[tail]):
                package_dir = directory / tail
                inside = self._entries(entries[tail].path)
                for suffix in (*self.extension_suffixes, ".py"):
                    if "__init__" + suffix in inside:
                        kind = ModuleKind.PACKAGE if suffix == ".py" else ModuleKind.EXTENSION
                        return ModuleFile(
                            name,
                            kind,
                            package_dir / ("__init__" + suffix),
                            root,
                            ((package_dir, root),),
                        )
                portions.append((package_dir, root))
            for suffix in (*self.extension_suffixes, ".py"):
                if tail + suffix in entries and _is_file(entries[tail + suffix]):
                    kind = ModuleKind.SOURCE if suffix == ".py" else ModuleKind.EXTENSION
                    return ModuleFile(name, kind, directory / (tail + suffix), root)
        if portions:
            return ModuleFile(name, ModuleKind.NAMESPACE, None, portions[0][1], tuple(portions))
        return None

    def children(self, package: str | None) -> list[str]:
        """Names of the modules directly inside ``package`` (top-level ones for ``None``).

        Directories without ``__init__.py`` count only if they hold modules, at
        any depth: a directory of data files is not a namespace package here.
        """
        if package is None:
            dirs: tuple[tuple[Path, SearchRoot], ...] = tuple((r.path, r) for r in self.roots)
            prefix = ""
        else:
            found = self.find(package)
            if found is None or not found.is_package:
                return []
            dirs = found.locations
            prefix = package + "."
        names: set[str] = set()
        for directory, _ in dirs:
            for entry, listed in self._entries(directory).items():
                stem = self._module_stem(entry)
                if stem is not None and stem != "__init__":
                    names.add(stem)
                elif (
                    entry.isidentifier()
                    and entry != _CACHE_DIR
                    and _is_dir(listed)
                    and self._holds_modules(listed.path)
                ):
                    names.add(entry)
        # A name is a child only if it resolves here (an earlier root may shadow it).
        return sorted(n for n in (prefix + s for s in names) if self.find(n) is not None)

    def walk(
        self, package: str | None = None, *, skip: Callable[[str], bool] | None = None
    ) -> Iterator[str]:
        """``package`` (if given) and every module below it, sorted, depth first.

        Modules for which ``skip`` is true are left out, with everything below them.
        """
        if package is not None:
            if self.find(package) is None or (skip is not None and skip(package)):
                return
            yield package
        for child in self.children(package):
            found = self.find(child)
            if found is not None and found.is_package:
                yield from self.walk(child, skip=skip)
            elif skip is None or not skip(child):
                yield child

    def _module_stem(self, entry: str) -> str | None:
        for suffix in (*self.extension_suffixes, ".py"):
            if entry.endswith(suffix):
                stem = entry[: -len(suffix)]
                return stem if stem and "." not in stem else None
        return None

    def _holds_modules(self, directory: str) -> bool:
        for entry, listed in self._entries(directory).items():
            if self._module_stem(entry) is not None:
                return True
            if (
                entry.isidentifier()
                and entry != _CACHE_DIR
                and _is_dir(listed)
                and self._holds_modules(listed.path)
            ):
                return True
        return False

    def package_data(self, package: ModuleFile) -> Iterator[tuple[str, Path]]:
        """The data files of ``package``: ``(relative "/" path, file)``, sorted.

        Everything under the package's directories except: ``__pycache__``;
        subdirectories with an ``__init__`` file (other packages, with their own
        data); compiled files (``.pyc``, extension modules); and the package's
        own modules (the ``.py`` files directly in its directory). ``.py`` files
        deeper down, in directories that are not packages, are data: templates
        and examples are shipped as they are (``data.py`` drops those that are
        also collected as modules of a namespace package).
        """
        seen: set[str] = set()
        for directory, _ in package.locations:
            for rel, path in self._data_under(directory, top=True):
                # A namespace package's earlier portion shadows a later one.
                if rel not in seen:
                    seen.add(rel)
                    yield rel, path

    def _data_under(
        self, directory: Path, *, top: bool, prefix: str = ""
    ) -> Iterator[tuple[str, Path]]:
        entries = self._entries(directory)
        for entry in sorted(entries):
            if entry == _CACHE_DIR:
                continue
            listed = entries[entry]
            if _is_dir(listed):
                sub = self._entries(listed.path)
                if any("__init__" + s in sub for s in (*self.extension_suffixes, ".py")):
                    continue
                yield from self._data_under(
                    directory / entry, top=False, prefix=f"{prefix}{entry}/"
                )
                continue
            if not _is_file(listed):
                continue
            if (
                entry.endswith(_COMPILED_SUFFIXES)
                or entry.endswith(self.extension_suffixes)
                or SHARED_OBJECT.fullmatch(entry)
            ):
                continue
            if top and self._module_stem(entry) is not None:
                continue
            yield prefix + entry, directory / entry


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """``os.path.isdir`` of a listed entry, from its listing when it can."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    """``os.path.isfile`` of a listed entry, from its listing when it can."""
    try:
        return entry.is_file()
    except OSError:
        return False


# ------------------------------------------------------------------ installed distributions


@dataclass(frozen=True)
class InstalledDistribution:
    """One ``<name>-<version>.dist-info`` directory that pip wrote, and the files it lists."""

    #: As its METADATA spells it (``MarkupSafe``).
    name: str
    version: str
    #: The directory's name, ``markupsafe-3.0.4.dist-info``.
    dist_info: str
    root: Path
    #: RECORD's paths inside ``root``, "/"-separated and normalized, sorted; files
    #: installed outside it (``../../bin/tool``) are left out.
    files: tuple[str, ...]
    #: The ``Tag:`` lines of its WHEEL file (``cp311-cp311-manylinux_2_17_x86_64``).
    tags: tuple[str, ...]

    @property
    def key(self) -> str:
        """The name as PEP 503 normalizes it, for comparisons."""
        return names.normalize(self.name)

    def describe(self) -> str:
        return f"{self.name} {self.version}"

    def metadata_files(self) -> Iterator[tuple[str, Path]]:
        """Every file in the ``.dist-info`` directory: (path inside it, file), sorted."""
        base = self.root / self.dist_info
        for directory, dirs, files in os.walk(base):
            dirs.sort()
            for name in sorted(files):
                path = Path(directory) / name
                yield path.relative_to(base).as_posix(), path

    def module_names(self, extension_suffixes: Sequence[str]) -> list[str]:
        """The modules among its files (``.py`` and extension modules), sorted."""
        names: set[str] = set()
        for rel in self.files:
            if f"{_CACHE_DIR}/" in rel:
                continue
            for suffix in (*extension_suffixes, ".py"):
                if rel.endswith(suffix):
                    parts = rel[: -len(suffix)].split("/")
                    break
            else:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            # An extension module is imported by name from C, which needs no
            # identifier: mypyc's shared "30fcd23745efe32ce681__mypyc" starts with
            # a digit. Packages and .py modules must be importable by `import`.
            last_ok = (suffix != ".py" and _EXTENSION_NAME.fullmatch(parts[-1])) if parts else False
            if (
                parts
                and all(p.isidentifier() for p in parts[:-1])
                and (parts[-1].isidentifier() or last_ok)
            ):
                names.add(".".join(parts))
        return sorted(names)


def installed_distributions(root: Path) -> tuple[InstalledDistribution, ...]:
    """The distributions installed in ``root`` (a ``pip install --target`` directory), by name."""
    found = []
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return ()
    for entry in entries:
        if not entry.endswith(".dist-info") or not (root / entry).is_dir():
            continue
        found.append(_read_dist_info(root, entry))
    return tuple(sorted(found, key=lambda d: d.key))


def _read_dist_info(root: Path, dist_info: str) -> InstalledDistribution:
    base = root / dist_info
    stem = dist_info[: -len(".dist-info")]
    name, _, version = stem.partition("-")
    try:
        headers = email.parser.HeaderParser().parsestr(
            (base / "METADATA").read_text(encoding="utf-8", errors="replace")
        )
        name = headers.get("Name", name)
        version = headers.get("Version", version)
    except OSError:
        pass
    files: set[str] = set()
    try:
        record = (base / "RECORD").read_text(encoding="utf-8", errors="replace")
    except OSError:
        record = ""
    for row in csv.reader(io.StringIO(record)):
        if not row or not row[0]:
            continue
        rel = os.path.normpath(row[0]).replace(os.sep, "/")
        if rel.startswith("../") or rel == ".." or os.path.isabs(rel):
            continue
        files.add(rel)
    tags: list[str] = []
    try:
        wheel = email.parser.HeaderParser().parsestr((base / "WHEEL").read_text())
        tags = [t.strip() for t in wheel.get_all("Tag", [])]
    except OSError:
        pass
    return InstalledDistribution(
        name=name,
        version=version,
        dist_info=dist_info,
        root=root,
        files=tuple(sorted(files)),
        tags=tuple(tags),
    )
