"""Inferred defaults: the settings whose default depends on the project.

Each is worked out here once, for the loader and for ``pyingot init`` (which
writes out what the loader would infer); keys.py's ``inferred`` texts describe
them for the reference page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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


def entry(project: ProjectTable) -> InferredEntry:
    """The single ``[project.scripts]`` entry; python-like when there is none."""
    if not project.scripts:
        return InferredEntry(PYTHON_LIKE)
    script = min(project.scripts)
    others = tuple(sorted(set(project.scripts) - {script}))
    return InferredEntry(project.scripts[script], script, others)


def sources(root: Path) -> tuple[str, ...]:
    """The project's ``src/`` directory if it has one, else the project directory."""
    return ("src",) if (root / "src").is_dir() else (".",)


def stdlib(python_like: bool) -> Literal["reachable", "all"]:
    """What the entry point reaches; everything for a python-like executable, since
    whoever runs it can import anything."""
    return "all" if python_like else "reachable"
