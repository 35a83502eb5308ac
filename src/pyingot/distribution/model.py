"""The typed model of a static CPython distribution.

One model serves distributions pyingot builds and python-build-standalone (PBS)
archives it reads; ``pbs.py`` maps it to and from ``PYTHON.json``. Paths inside
the model are relative to the distribution's ``python/`` directory, as in the
file, and :meth:`Distribution.path` makes them absolute.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pyingot.distribution.recipe import is_copyleft

T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class Link:
    """One library an object set must be linked with."""

    name: str
    path_static: str | None = None
    path_dynamic: str | None = None
    system: bool = False
    framework: bool = False

    def describe(self) -> str:
        if self.path_static:
            return f"{self.name} (static: {self.path_static})"
        if self.system:
            return f"{self.name} (system)"
        if self.path_dynamic:
            return f"{self.name} (shared: {self.path_dynamic})"
        return self.name


def link_order(archives: Iterable[T]) -> list[T]:
    """Static archives in an order a one-pass linker accepts, given them listed
    each after its user: each keeps its last position, so it follows every
    archive that uses it."""
    seen: set[T] = set()
    ordered: list[T] = []
    for archive in reversed(list(archives)):
        if archive not in seen:
            seen.add(archive)
            ordered.append(archive)
    ordered.reverse()
    return ordered


@dataclass(frozen=True)
class ExtensionModule:
    """One variant of an extension module, as PBS describes it."""

    name: str
    init_fn: str | None
    objs: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    #: SPDX ids of the third-party code linked in; ``None`` when unknown. Code
    #: that is CPython's own is covered by the distribution's license.
    licenses: tuple[str, ...] | None = ()
    license_paths: tuple[str, ...] = ()
    license_public_domain: bool = False
    required: bool = False
    in_core: bool = False
    variant: str = "default"
    static_lib: str | None = None
    shared_lib: str | None = None

    @property
    def is_static(self) -> bool:
        """Can be linked into an executable (objects or a static library, or in core)."""
        return self.in_core or bool(self.objs) or self.static_lib is not None

    @property
    def copyleft(self) -> bool:
        return any(is_copyleft(spdx) for spdx in self.licenses or ())

    def license_summary(self) -> str:
        parts = list(self.licenses or ())
        if self.license_public_domain:
            parts.append("public domain")
        if self.licenses is None and not parts:
            return "unknown"
        return ", ".join(parts) if parts else "Python-2.0 (CPython's own code)"


@dataclass(frozen=True)
class Distribution:
    """A static CPython distribution in PBS "full" layout, rooted at ``root``."""

    root: Path
    format_version: int
    target_triple: str
    python_version: str
    python_tag: str
    python_exe: str
    python_paths: Mapping[str, str]
    build_options: str
    object_file_format: str
    core_objs: tuple[str, ...]
    core_links: tuple[Link, ...]
    inittab_object: str | None
    inittab_source: str | None
    inittab_cflags: tuple[str, ...]
    extensions: Mapping[str, tuple[ExtensionModule, ...]]
    licenses: tuple[str, ...] | None
    license_path: str | None
    #: Keys of PYTHON.json this model does not interpret, kept for round trips.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def major_minor(self) -> str:
        return ".".join(self.python_version.split(".")[:2])

    @property
    def freethreaded(self) -> bool:
        """Built without the GIL (PEP 703), as python-build-standalone records it:
        ``freethreaded`` among the ``+``-separated build options (a ``python_tag``
        with the ABI flag, ``cp313t``, says it too)."""
        return "freethreaded" in self.build_options.split("+") or self.python_tag.endswith("t")

    @property
    def abiflags(self) -> str:
        """``t`` for a free-threaded interpreter: in its ABI tag, library and paths."""
        return "t" if self.freethreaded else ""

    @property
    def abi_tag(self) -> str:
        """The ABI tag of its extension modules, as wheels spell it: ``cp313``,
        ``cp313t`` free-threaded (PBS writes it as ``python_abi_tag``, and keeps
        ``python_tag`` the interpreter's, ``cp313``)."""
        tag = self.python_tag
        return tag if tag.endswith(self.abiflags) else tag + self.abiflags

    @property
    def ldversion(self) -> str:
        """``3.13`` or ``3.13t``: what names ``libpython3.13t.a`` and ``lib/python3.13t``."""
        return self.major_minor + self.abiflags

    @property
    def name(self) -> str:
        """The cache directory's name, or for a PBS archive its folder's name."""
        return self.root.parent.name

    @property
    def stdlib(self) -> str:
        return self.python_paths["stdlib"]

    @property
    def include(self) -> str:
        return self.python_paths["include"]

    def path(self, relative: str) -> Path:
        return self.root / relative

    def extension(self, name: str) -> ExtensionModule:
        """The default (first) variant of extension ``name``."""
        return self.extensions[name][0]

    def builtin_extensions(self) -> list[ExtensionModule]:
        """Default variants that can be linked statically, sorted by name."""
        return [v[0] for _, v in sorted(self.extensions.items()) if v[0].is_static]
