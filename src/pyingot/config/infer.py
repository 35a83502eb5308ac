"""Inferred defaults: the settings whose default depends on the project.

Each is worked out here once, for the loader and for ``pyingot init`` (which
writes out what the loader would infer); keys.py's ``inferred`` texts describe
them for the reference page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.specifiers import SpecifierSet

from pyingot.config.model import PYTHON_LIKE
from pyingot.config.project_table import ProjectTable


@dataclass(frozen=True)
class InferredEntry:
    """``entry`` as ``[project.scripts]`` implies it."""

    #: As ``entry`` would be written: a console script's value, or ``"python"``.
    value: str
    #: The script it comes from (the first by name); None for a python-like executable.
    script: str | None = None
    #: The other scripts. The loader refuses to guess among several; ``init`` must
    #: write a file that loads, so it takes ``script`` and says so.
    others: tuple[str, ...] = ()


#: The CPython minor versions (3.X) pyingot picks by itself, oldest first: those it
#: can build here from a Debian source package (bookworm's 3.11, trixie's 3.13).
#: 3.12 is built when asked for (``[tool.pyingot] python``) from a source it is
#: given, but is never picked: there is no Debian source package of it.
PICKED_MINORS = (11, 13)


def python_minor(requires_python: str | None) -> int | None:
    """The newest of :data:`PICKED_MINORS` that ``[project] requires-python``
    allows (the oldest without one); None when it allows none of them.
    ``packaging.specifiers.InvalidSpecifier`` when it is not a specifier.

    A minor version is allowed when some release of it is (``>=3.13.1`` allows 3.13).
    """
    if requires_python is None:
        return PICKED_MINORS[0]
    allowed = allows(requires_python)
    return max((m for m in PICKED_MINORS if allowed(m)), default=None)


def allows(requires_python: str) -> Callable[[int], bool]:
    """Whether ``requires_python`` allows some release of 3.``minor``."""
    spec = SpecifierSet(requires_python)
    return lambda minor: any(spec.contains(f"3.{minor}.{patch}") for patch in range(100))


def scripts(project: ProjectTable) -> Mapping[str, str]:
    """The scripts the entry point is chosen among: ``[project.scripts]``, or without
    any, ``[project.gui-scripts]`` (on Linux a GUI script is a console script that
    opens windows; a project with both is a command line with a GUI besides)."""
    return project.scripts or project.gui_scripts


def entry(project: ProjectTable) -> InferredEntry:
    """The single ``[project.scripts]`` or ``[project.gui-scripts]`` entry; python-like
    when there is none."""
    found = scripts(project)
    if not found:
        return InferredEntry(PYTHON_LIKE)
    script = min(found)
    others = tuple(sorted(set(found) - {script}))
    return InferredEntry(found[script], script, others)


def sources(root: Path) -> tuple[str, ...]:
    """The project's ``src/`` directory if it has one, else the project directory."""
    return ("src",) if (root / "src").is_dir() else (".",)


def link(python_like: bool) -> Literal["start-up", "all"]:
    """Which extension modules are linked (``[tool.pyingot.extensions] link``): those
    imported at start-up; all of them for a python-like executable, whose user may
    import any at any time."""
    return "all" if python_like else "start-up"


def keep_sources(python_like: bool) -> bool | Literal["no-stdlib"]:
    """Whose sources are embedded: all but the standard library's (the application's
    and its dependencies' tracebacks show their source lines); every module's in a
    python-like executable, an interpreter whose user reads any module's source."""
    return True if python_like else "no-stdlib"


def stdlib(python_like: bool) -> Literal["reachable", "all"]:
    """What the entry point reaches; everything for a python-like executable, since
    whoever runs it can import anything."""
    return "all" if python_like else "reachable"
