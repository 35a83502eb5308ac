"""A project's settings as the build uses them: typed, frozen, validated.

:func:`pyingot.config.load_project` makes them; the classes check their own
invariants when created, so later stages trust what they hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pyingot import patterns
from pyingot.config import toml
from pyingot.config.keys import DATA, DEPENDENCIES, MODULES, default
from pyingot.distribution.selection import ExtensionSelection
from pyingot.errors import PyingotError
from pyingot.glibc import GlibcVersion

#: Reserved ``entry`` value for an executable that behaves like ``python``.
PYTHON_LIKE = "python"

#: What an executable may be called: a file name, without surprises in a shell.
EXECUTABLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")

_MODULE_PATTERN = re.compile(r"[\w.*?\[\]!]+")


@dataclass(frozen=True)
class EntryPoint:
    """What the executable runs.

    ``function``: import ``module`` and call ``function`` (a dotted attribute path)
    with no arguments; its return value is the exit status, as for a console script.
    ``module``: run ``module`` as ``__main__``, like ``python -m``.
    ``script``: run the file ``script`` (relative to the project root) as ``__main__``.
    ``python``: behave like the ``python`` command (REPL, ``-c``, ``-m``, a script).
    """

    kind: Literal["function", "module", "script", "python"]
    #: Where it was declared, for later messages: ``[project.scripts] hello = "..."``.
    origin: str
    module: str | None = None
    function: str | None = None
    script: Path | None = None

    def __post_init__(self) -> None:
        has = (self.module is not None, self.function is not None, self.script is not None)
        expected = {
            "function": (True, True, False),
            "module": (True, False, False),
            "script": (False, False, True),
            "python": (False, False, False),
        }[self.kind]
        if has != expected:
            raise ValueError(f"inconsistent {self!r}")

    def __str__(self) -> str:
        """The value as written in ``entry``."""
        if self.kind == "function":
            return f"{self.module}:{self.function}"
        if self.kind == "module":
            return str(self.module)
        if self.kind == "script":
            assert self.script is not None
            return self.script.as_posix()
        return PYTHON_LIKE


@dataclass(frozen=True)
class PythonSpec:
    """The CPython to build with.

    ``version``: a cached distribution of 3.``minor``, else one built from
    ``debian:python3.<minor>``; ``debian``: built from Debian's source package;
    ``source``: built from the CPython source tarball or tree at ``path``;
    ``pbs``: the python-build-standalone archive or directory at ``path``.
    ``free_threaded`` (``"3.13t"``): a ``version`` whose interpreter is built
    without the GIL.
    """

    kind: Literal["version", "debian", "source", "pbs"]
    #: The value as written, e.g. ``"3.11"``.
    text: str
    minor: int | None = None
    #: Absolute.
    path: Path | None = None
    free_threaded: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ModulePatterns:
    """Module-name patterns forced in or kept out.

    ``fnmatch`` patterns on dotted names, case-sensitive, matched as
    :func:`pyingot.patterns.module_matches` says: a pattern matching a package
    matches everything in it. Exclusion wins over inclusion.
    """

    include: tuple[str, ...] = default(MODULES, "include")
    exclude: tuple[str, ...] = default(MODULES, "exclude")

    def __post_init__(self) -> None:
        for key, given in (("include", self.include), ("exclude", self.exclude)):
            for p in given:
                if not _MODULE_PATTERN.fullmatch(p):
                    raise PyingotError(
                        f"{key}: {toml.value(p)} is not a module name pattern",
                        hint="use dotted module names with fnmatch wildcards, "
                        'e.g. "mypkg.plugins.*"; data files go in [tool.pyingot.data]',
                    )
        _no_contradiction(self.include, self.exclude)


@dataclass(frozen=True)
class DataPatterns:
    """Glob patterns choosing the package data files that are embedded.

    Paths are ``/``-separated and relative to the directory holding the top-level
    package, so they start with its name: ``mypkg/templates/index.html``.
    """

    include: tuple[str, ...] = default(DATA, "include")
    exclude: tuple[str, ...] = default(DATA, "exclude")

    def __post_init__(self) -> None:
        for key, given in (("include", self.include), ("exclude", self.exclude)):
            for p in given:
                if not p or p.startswith("/") or "\\" in p or ".." in p.split("/"):
                    raise PyingotError(
                        f"{key}: {toml.value(p)} is not a relative glob pattern",
                        hint="patterns are relative to the directory holding the top-level "
                        'package, with "/" separators and no "..", e.g. "mypkg/templates/**"',
                    )
        _no_contradiction(self.include, self.exclude)

    def selects(self, path: str) -> bool:
        """Whether the data file at ``path`` is embedded (exclude wins over include)."""
        return patterns.path_selected(path, self.include, self.exclude)


@dataclass(frozen=True)
class DependencySettings:
    """What ``pyingot build`` installs with pip for the target Python, and what of it
    stays on disk. Empty when the project has no dependencies."""

    #: PEP 508 requirement strings, from ``[project] dependencies`` (unless
    #: ``project = false``), in their order; pip checks them.
    requirements: tuple[str, ...] = ()
    #: A pip requirements file, absolute.
    requirements_file: Path | None = None
    #: Local wheel files, absolute, sorted.
    wheels: tuple[Path, ...] = default(DEPENDENCIES, "wheels")
    #: Distribution names (normalized, sorted) installed as files beside the
    #: executable rather than embedded.
    on_disk: tuple[str, ...] = default(DEPENDENCIES, "on-disk")
    #: Distribution names (normalized, sorted) whose data files are also written
    #: beside the executable, their modules' paths pointing there.
    data_on_disk: tuple[str, ...] = default(DEPENDENCIES, "data-on-disk")
    #: ``requirements`` come from ``[project] dependencies`` (``project = true``).
    from_project: bool = default(DEPENDENCIES, "project")
    #: The project's ``uv.lock``, when it has one and ``project = true``.
    lock_file: Path | None = None
    #: The versions ``lock_file`` pins, as pip constraints (``name==version``), sorted.
    locked: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.requirements or self.requirements_file or self.wheels)


@dataclass(frozen=True)
class ProjectMetadata:
    """The application's own distribution metadata, from ``[project]``: what its
    ``.dist-info`` says, so that ``importlib.metadata`` knows the application.
    A project has it when ``[project]`` gives a name and a version."""

    name: str
    version: str
    #: ``description``.
    summary: str | None = None
    #: ``dependencies``, as written (``Requires-Dist``).
    requires: tuple[str, ...] = ()
    #: ``entry_points.txt``: ``(group, ((name, value), ...))`` sorted by group and
    #: name; ``[project.scripts]`` is the ``console_scripts`` group and
    #: ``[project.gui-scripts]`` the ``gui_scripts`` group.
    entry_points: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()


@dataclass(frozen=True)
class ProjectConfig:
    """A project's pyingot settings, validated. Made by :func:`load_project` only."""

    #: The pyproject.toml as the user named it (relative paths stay relative):
    #: later stages start their messages with it.
    pyproject: Path
    #: The project directory, absolute.
    root: Path
    name: str
    entry: EntryPoint
    python: PythonSpec
    #: Absolute, in search order.
    sources: tuple[Path, ...]
    optimize: Literal[0, 1, 2]
    #: Which modules keep their ``.py`` source (``keep-sources``): every one, none,
    #: or all but the standard library's (``resources.policy.keeps_source``).
    keep_sources: bool | Literal["no-stdlib"]
    stdlib: Literal["reachable", "all"]
    extensions: ExtensionSelection
    #: Link only the modules of ``extensions`` imported at start-up (the other
    #: reachable ones embedded as shared objects), the reachable ones, or all of them.
    link_extensions: Literal["start-up", "reachable", "all"]
    modules: ModulePatterns
    data: DataPatterns
    #: The highest glibc floor the executable may have (``[tool.pyingot] glibc``).
    glibc: GlibcVersion
    dependencies: DependencySettings = DependencySettings()
    #: None without a ``[project]`` name and version: then no ``.dist-info`` is written.
    metadata: ProjectMetadata | None = None


def _no_contradiction(include: tuple[str, ...], exclude: tuple[str, ...]) -> None:
    both = sorted(set(include) & set(exclude))
    if both:
        raise PyingotError(
            f"{toml.value(both[0])} is both included and excluded",
            hint="remove it from one of the two lists (setting a list replaces its default)",
        )
