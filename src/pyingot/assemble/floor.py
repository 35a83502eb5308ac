"""The executable's glibc floor: the highest glibc version anything in it needs.

The stub (CPython and the runtime, linked against the build machine's C library),
every embedded extension module and shared library, and the shared objects of
``on-disk`` distributions beside it each need some ``GLIBC_2.N`` symbol versions
(:func:`pyingot.elf.version_needs`). The executable runs only where glibc is at
least the highest of them. The build records that floor in the payload
(``glibc_floor``, which ``pyingot inspect`` prints) and stops before writing
anything when it is above ``[tool.pyingot] glibc``, naming the object and a symbol
that raise it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pyingot import elf
from pyingot.errors import PyingotError
from pyingot.glibc import GlibcVersion
from pyingot.resources.model import ResourceSet

ObjectKind = Literal["stub", "extension", "library", "on-disk"]


@dataclass(frozen=True)
class FloorObject:
    """One object of the executable, and the highest glibc it needs."""

    kind: ObjectKind
    #: As messages name it: ``extension module numpy._core._multiarray_umath (numpy)``.
    what: str
    version: GlibcVersion
    #: The symbols that need :attr:`version`, sorted.
    symbols: tuple[str, ...]


@dataclass(frozen=True)
class GlibcFloor:
    """What raises the floor: every object that needs a glibc version, highest first."""

    objects: tuple[FloorObject, ...]

    @property
    def version(self) -> GlibcVersion | None:
        """The floor; ``None`` when nothing needs a glibc version."""
        return self.objects[0].version if self.objects else None

    def describe(self) -> str | None:
        """The build summary's line: ``glibc floor 2.17: the runtime stub (…) needs …``."""
        if not self.objects:
            return None
        return f"glibc floor {self.objects[0].version}: {_needs(self.objects[0])}"


def glibc_floor(stub: Path, resources: ResourceSet, *, python_version: str) -> GlibcFloor:
    """The floor of an executable of ``stub`` holding ``resources``."""
    found: list[FloorObject] = []

    def add(kind: ObjectKind, what: str, needs: tuple[elf.VersionNeed, ...]) -> None:
        highest = elf.highest_glibc(elf.glibc_of(needs))
        if highest is not None:
            found.append(FloorObject(kind, what, highest[0], highest[1]))

    add("stub", f"the runtime stub (CPython {python_version})", elf.read_version_needs(stub))
    for ext in resources.extensions.values():
        owner = f" ({ext.distribution})" if ext.distribution else ""
        needs = elf.version_needs(ext.data, name=ext.origin)
        add("extension", f"extension module {ext.name}{owner}", needs)
    for lib in resources.shared_libraries:
        origin = lib.distribution or lib.origin
        add(
            "library",
            f"shared library {lib.name} ({origin})",
            elf.version_needs(lib.data, name=lib.origin),
        )
    for file in resources.on_disk:
        if file.data[:4] != elf.MAGIC:
            continue
        try:
            needs = elf.version_needs(file.data, name=file.path)
        except elf.ElfError:
            continue  # not a shared object or executable for this platform: nothing to load
        add("on-disk", f"{file.path} (on disk, beside the executable)", needs)
    # Highest first; the sort is stable, so of the same floor the stub comes first.
    found.sort(key=lambda o: o.version, reverse=True)
    return GlibcFloor(tuple(found))


def check_floor(floor: GlibcFloor, setting: GlibcVersion, pyproject: Path) -> None:
    """A floor above ``setting`` stops the build, naming what raises it and the fix."""
    above = [o for o in floor.objects if o.version > setting]
    if not above:
        return
    top = above[0]
    if top.kind == "stub":
        fix = f"build with a CPython distribution made for glibc {setting} ([tool.pyingot] python)"
    else:
        fix = (
            f"use a wheel built for {setting.manylinux} or older, or its source "
            f"distribution built for glibc {setting}"
        )
    others = [o.what for o in above[1:]]
    if len(others) > 6:
        others[5:] = [f"and {len(others) - 5} more"]
    also = f"\nalso above {setting}: " + ", ".join(others) if others else ""
    raise PyingotError(
        f'{pyproject}: [tool.pyingot] glibc = "{setting}": the executable would need glibc '
        f"{top.version}: {_needs(top)}",
        hint=f'{fix}; or raise [tool.pyingot] glibc to "{top.version}" (the executable then '
        f"runs only where glibc is {top.version} or later){also}",
    )


def _needs(obj: FloorObject) -> str:
    # A version no symbol names (only without section headers) is still a need.
    symbol = f" for {obj.symbols[0]}" if obj.symbols else ""
    return f"{obj.what} needs {obj.version.symbol_version}{symbol}"
