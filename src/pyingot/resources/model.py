"""The typed model of what goes into an executable's payload.

These classes only describe resources; ``scan.py`` finds them on disk,
``reachability.py`` and ``data.py`` gather them as ``policy.py`` decides, and
``compile.py`` turns source into the target interpreter's bytecode. Nothing
here holds an absolute build path: a module's ``origin`` is relative to the
directory it was found in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pyingot.digests import Blob


@dataclass(frozen=True, kw_only=True)
class _Provenance:
    """Where a module (source or compiled) came from, for the bill of materials."""

    #: Found among the installed dependencies.
    is_dependency: bool = False
    #: The installed distribution that ships it (``MarkupSafe``); ``None`` for the
    #: application's and the standard library's modules (and a namespace package).
    distribution: str | None = None


@dataclass(frozen=True)
class ModuleResource(_Provenance):
    """One Python module, compiled by the target interpreter."""

    name: str
    is_package: bool
    #: A package without ``__init__.py``; it has no code and no source.
    is_namespace: bool
    #: ``marshal.dumps(code)`` from the target interpreter; empty for a namespace package.
    bytecode: bytes
    #: The source file's bytes, or ``None`` when sources are not kept.
    source: bytes | None
    #: The path relative to its search root, "/"-separated ("json/__init__.py"):
    #: the code's ``co_filename`` and the runtime's virtual ``__file__``. For a
    #: namespace package, its first portion's directory ("nspkg").
    origin: str
    #: Found in the standard library rather than in the application's paths.
    is_stdlib: bool = False


@dataclass(frozen=True)
class ExtensionResource(_Provenance):
    """A compiled extension module (a shared object), embedded as it is.

    The runtime loads it from memory, after the :class:`SharedLibraryResource`\\ s
    that :attr:`ResourceSet.extension_libraries` lists for it.
    """

    name: str
    #: The shared object's bytes (a mapping of the file when it is in pyingot's cache:
    #: :func:`pyingot.digests.map_file`).
    data: Blob
    #: The path relative to its search root, as for a module
    #: (``markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so``).
    origin: str
    #: ``pkg/__init__.<suffix>``: an extension module that is a package.
    is_package: bool = False
    #: A standard-library module the program does not import to start, linked as a
    #: shared object by the build (:mod:`pyingot.stub.shared_objects`): stored
    #: compressed, since no start-up pays for decompressing it.
    cold: bool = False
    #: One of the extension modules the distribution builds only as shared libraries,
    #: in its ``lib-dynload`` directory (CPython's test modules: ``_testcapi``...):
    #: its file in the executable's view is ``lib-dynload/<name>.so``, where python
    #: has it.
    lib_dynload: bool = False


@dataclass(frozen=True)
class SharedLibraryResource:
    """A shared library that extension modules need, bundled by their wheel
    (``numpy.libs/libscipy_openblas64_-ff651d7f.so``) or, when no wheel bundles it,
    taken from the build machine (``libstdc++.so.6``)."""

    file_name: str
    #: As :attr:`ExtensionResource.data`.
    data: Blob
    #: Its ``DT_NEEDED`` entries: the sonames of the libraries it needs.
    needed: tuple[str, ...]
    #: Its ``DT_SONAME``, the name the dynamic loader matches ``DT_NEEDED`` against.
    soname: str | None
    #: The path relative to its search root (``numpy.libs/libgfortran-….so.5.0.0``);
    #: for a library from the build machine, its path there.
    origin: str = ""
    #: The distribution that installed it, or for a library from the build machine
    #: the system package (``Debian package zlib1g 1:1.2.13.dfsg-1``) when known.
    distribution: str | None = None
    #: Bundled by no wheel: taken from the build machine's system directories.
    from_system: bool = False
    #: Its license as an SPDX expression, when known (libraries from the build machine).
    license: str | None = None

    @property
    def name(self) -> str:
        """The payload entry's name: what the objects that need it name in ``DT_NEEDED``."""
        return self.soname or self.file_name


@dataclass(frozen=True)
class MetadataResource:
    """One file of an installed distribution's ``.dist-info`` directory."""

    #: ``markupsafe-3.0.4.dist-info``.
    dist_info: str
    #: Relative to it, "/"-separated (``METADATA``, ``licenses/LICENSE.txt``).
    path: str
    data: bytes
    distribution: str = ""

    @property
    def key(self) -> str:
        return f"{self.dist_info}/{self.path}"


@dataclass(frozen=True)
class FileResource:
    """A file installed beside the executable rather than embedded (``on-disk``)."""

    #: Relative to the directory it is installed in, "/"-separated.
    path: str
    data: bytes
    executable: bool = False


@dataclass(frozen=True)
class DataResource:
    """A file inside a package directory that is not code (``importlib.resources``)."""

    #: The owning package's dotted name.
    package: str
    #: Relative to the package's directory, "/"-separated.
    path: str
    data: bytes

    @property
    def key(self) -> str:
        """``"<package>/<path>"``: its payload entry's name."""
        return f"{self.package}/{self.path}"

    @property
    def file_path(self) -> str:
        """Where it lies below the directory holding the top-level package
        (``pkg/sub/data.txt``): what data patterns match and RECORD lists."""
        return f"{self.package.replace('.', '/')}/{self.path}"


class SkipReason(enum.Enum):
    NOT_FOUND = "not found"
    #: Not found, and a module of another platform (``policy.OTHER_PLATFORMS``):
    #: expected, so the build summary does not list it.
    OTHER_PLATFORM = "of another platform"
    EXCLUDED = "excluded"
    #: Imported only by a package whose PyInstaller hook excludes it (``hooks.py``).
    HOOK_EXCLUDED = "excluded by its importer's PyInstaller hook"
    EXTENSION = "standard-library extension module built only as a shared library"
    SYNTAX_ERROR = "does not compile"


@dataclass(frozen=True)
class SkippedModule:
    """A module that was reached but is not in the set, and why."""

    name: str
    reason: SkipReason
    #: The first module seen importing it (``None`` for a configured name).
    importer: str | None = None
    detail: str = ""

    def describe(self) -> str:
        text = f"{self.name}: {self.reason.value}"
        if self.detail:
            text += f" ({self.detail})"
        if self.importer:
            text += f", imported by {self.importer}"
        return text


@dataclass(frozen=True)
class SummaryRow:
    label: str
    count: int
    bytecode_bytes: int = 0
    source_bytes: int = 0
    data_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return self.bytecode_bytes + self.source_bytes + self.data_bytes


@dataclass(frozen=True)
class ResourceSummary:
    """Counts and sizes by category, as ``pyingot build`` prints them."""

    application: SummaryRow
    stdlib: SummaryRow
    data: SummaryRow
    builtin: int
    skipped: int
    dependencies: SummaryRow = SummaryRow("dependency modules", 0)
    metadata: SummaryRow = SummaryRow("metadata files", 0)
    extensions: SummaryRow = SummaryRow("extension modules", 0)
    shared_libraries: SummaryRow = SummaryRow("shared libraries", 0)
    #: Files installed beside the executable (``on-disk``).
    on_disk: SummaryRow = SummaryRow("files on disk", 0)

    @property
    def rows(self) -> tuple[SummaryRow, ...]:
        """The embedded categories."""
        return (
            self.application,
            self.dependencies,
            self.stdlib,
            self.data,
            self.metadata,
            self.extensions,
            self.shared_libraries,
        )

    @property
    def total_bytes(self) -> int:
        return sum(r.total_bytes for r in self.rows)

    def render(self) -> str:
        lines = []
        for row in self.rows:
            if not row.count and row.label not in (self.application.label, self.stdlib.label):
                continue
            if row.bytecode_bytes or row.source_bytes:
                sizes = f"bytecode {_size(row.bytecode_bytes)}" + (
                    f", source {_size(row.source_bytes)}" if row.source_bytes else ""
                )
            else:
                sizes = _size(row.data_bytes)
            lines.append(f"  {row.label:<22} {row.count:>5}   {sizes}")
        lines.append(f"  {'built into Python':<22} {self.builtin:>5}")
        if self.skipped:
            lines.append(f"  {'skipped':<22} {self.skipped:>5}")
        lines.append(f"  {'total':<22} {'':>5}   {_size(self.total_bytes)}")
        if self.on_disk.count:
            lines.append(
                f"  {self.on_disk.label:<22} {self.on_disk.count:>5}   "
                f"{_size(self.on_disk.data_bytes)} (not in the executable)"
            )
        return "\n".join(lines)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ResourceSet:
    """Everything collected for one executable, sorted by name."""

    modules: Mapping[str, ModuleResource]
    data: tuple[DataResource, ...]
    skipped: tuple[SkippedModule, ...] = ()
    #: Reached modules the interpreter provides itself: built-in extension
    #: modules and frozen modules that have no source file (``_frozen_importlib``).
    builtins: tuple[str, ...] = ()
    #: The modules reached from the interpreter's and the runtime's own imports, which
    #: every application of the distribution reaches, whatever its code.
    core: frozenset[str] = frozenset()
    #: The reached modules (and built-in ones) that the program imports to start:
    #: the interpreter's own imports and the import statements that run as the
    #: entry point is imported (:meth:`Reachability.imported_at_start`).
    at_start: frozenset[str] = frozenset()
    #: The same closure through import statements only, not widened where compiled
    #: code is imported (what it imports cannot be read): the modules whose
    #: bytecode is surely read at start, which is stored to decode fast.
    python_at_start: frozenset[str] = frozenset()
    extensions: Mapping[str, ExtensionResource] = field(default_factory=_empty)
    #: Sorted by name; only those an embedded extension module needs.
    shared_libraries: tuple[SharedLibraryResource, ...] = ()
    #: For each extension module that needs bundled libraries, their names
    #: (:attr:`SharedLibraryResource.name`) in load order: each after those it needs.
    extension_libraries: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    #: The ``.dist-info`` files of the installed distributions that have a module
    #: in the executable.
    metadata: tuple[MetadataResource, ...] = ()
    #: Files of the ``on-disk`` distributions, installed beside the executable.
    on_disk: tuple[FileResource, ...] = ()
    #: The names of the distributions whose files :attr:`on_disk` holds.
    on_disk_distributions: tuple[str, ...] = ()
    #: What could not be embedded as it should, and why: one sentence each
    #: (a library an extension needs that no wheel bundles, ...).
    problems: tuple[str, ...] = ()
    #: Libraries extension modules need that the target system provides, as the
    #: manylinux policy allows, because the build machine's are above the glibc floor.
    left_to_system: tuple[str, ...] = ()

    def summary(self) -> ResourceSummary:
        app = [m for m in self.modules.values() if not m.is_stdlib and not m.is_dependency]
        deps = [m for m in self.modules.values() if m.is_dependency]
        std = [m for m in self.modules.values() if m.is_stdlib]

        def row(label: str, modules: list[ModuleResource]) -> SummaryRow:
            return SummaryRow(
                label,
                len(modules),
                bytecode_bytes=sum(len(m.bytecode) for m in modules),
                source_bytes=sum(len(m.source or b"") for m in modules),
            )

        def files(label: str, blobs: Sequence[Blob]) -> SummaryRow:
            return SummaryRow(label, len(blobs), data_bytes=sum(len(b) for b in blobs))

        return ResourceSummary(
            application=row("application modules", app),
            stdlib=row("standard library", std),
            data=files("package data files", [d.data for d in self.data]),
            builtin=len(self.builtins),
            skipped=sum(1 for s in self.skipped if s.reason is not SkipReason.OTHER_PLATFORM),
            dependencies=row("dependency modules", deps),
            metadata=files("metadata files", [m.data for m in self.metadata]),
            extensions=files("extension modules", [e.data for e in self.extensions.values()]),
            shared_libraries=files("shared libraries", [s.data for s in self.shared_libraries]),
            on_disk=files("files on disk", [f.data for f in self.on_disk]),
        )
