"""The typed model of what goes into an executable's payload.

These classes only describe resources; ``scan.py`` finds them on disk,
``policy.py`` decides which ones go in and ``compile.py`` turns source into the
target interpreter's bytecode. Nothing here holds an absolute build path: a
module's ``origin`` is relative to the directory it was found in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ModuleResource:
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
class DataResource:
    """A file inside a package directory that is not code (``importlib.resources``)."""

    #: The owning package's dotted name.
    package: str
    #: Relative to the package's directory, "/"-separated.
    path: str
    data: bytes

    @property
    def key(self) -> str:
        """``"<package>/<path>"``, what ``data_include``/``data_exclude`` match."""
        return f"{self.package}/{self.path}"


class SkipReason(enum.Enum):
    NOT_FOUND = "not found"
    EXCLUDED = "excluded"
    EXTENSION = "compiled extension module (not collected)"
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

    @property
    def total_bytes(self) -> int:
        return sum(r.total_bytes for r in (self.application, self.stdlib, self.data))

    def render(self) -> str:
        lines = []
        for row in (self.application, self.stdlib):
            lines.append(
                f"  {row.label:<22} {row.count:>5}   bytecode {_size(row.bytecode_bytes)}"
                + (f", source {_size(row.source_bytes)}" if row.source_bytes else "")
            )
        lines.append(
            f"  {self.data.label:<22} {self.data.count:>5}   {_size(self.data.data_bytes)}"
        )
        lines.append(f"  {'built into Python':<22} {self.builtin:>5}")
        if self.skipped:
            lines.append(f"  {'skipped':<22} {self.skipped:>5}")
        lines.append(f"  {'total':<22} {'':>5}   {_size(self.total_bytes)}")
        return "\n".join(lines)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.1f} MiB"


@dataclass(frozen=True)
class ResourceSet:
    """Everything collected for one executable, sorted by name."""

    modules: Mapping[str, ModuleResource]
    data: tuple[DataResource, ...]
    skipped: tuple[SkippedModule, ...] = ()
    #: Reached modules the interpreter provides itself: built-in extension
    #: modules and frozen modules that have no source file (``_frozen_importlib``).
    builtins: tuple[str, ...] = ()

    def summary(self) -> ResourceSummary:
        app = [m for m in self.modules.values() if not m.is_stdlib]
        std = [m for m in self.modules.values() if m.is_stdlib]

        def row(label: str, modules: list[ModuleResource]) -> SummaryRow:
            return SummaryRow(
                label,
                len(modules),
                bytecode_bytes=sum(len(m.bytecode) for m in modules),
                source_bytes=sum(len(m.source or b"") for m in modules),
            )

        return ResourceSummary(
            application=row("application modules", app),
            stdlib=row("standard library", std),
            data=SummaryRow(
                "package data files", len(self.data), data_bytes=sum(len(d.data) for d in self.data)
            ),
            builtin=len(self.builtins),
            skipped=len(self.skipped),
        )
