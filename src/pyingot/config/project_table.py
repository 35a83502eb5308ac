"""The ``[project]`` table of pyproject.toml (PEP 621), read once, for every stage.

pyingot reads the name (the default executable name), the scripts (the default
entry point), the dependencies (installed unless ``project = false``) and what
the application's own ``.dist-info`` says. Each field is type-checked here; what
a field must further be depends on its use, which the loader checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pyingot.config.model import ProjectMetadata
from pyingot.config.table import Table


@dataclass(frozen=True)
class ProjectTable:
    """The fields of ``[project]`` that pyingot reads, typed; unset ones are empty."""

    name: str | None = None
    version: str | None = None
    description: str | None = None
    #: ``requires-python``, the Python versions the project supports (a specifier set).
    requires_python: str | None = None
    dependencies: tuple[str, ...] = ()
    #: The fields left to the build backend, which pyingot therefore cannot read.
    dynamic: tuple[str, ...] = ()
    #: ``[project.scripts]``: name -> ``"module:function"``, in file order.
    scripts: Mapping[str, str] = field(default_factory=dict)
    #: ``[project.gui-scripts]``, likewise.
    gui_scripts: Mapping[str, str] = field(default_factory=dict)
    #: ``[project.entry-points]``: group -> name -> value.
    entry_points: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def metadata(self) -> ProjectMetadata | None:
        """The application's distribution metadata; None without a name and a version."""
        if self.name is None or self.version is None:
            return None
        groups: dict[str, Mapping[str, str]] = {
            "console_scripts": self.scripts,
            "gui_scripts": self.gui_scripts,
        }
        groups.update(self.entry_points)
        return ProjectMetadata(
            name=self.name,
            version=self.version,
            summary=self.description,
            requires=self.dependencies,
            entry_points=tuple(
                (group, tuple(sorted(items.items())))
                for group, items in sorted(groups.items())
                if items
            ),
        )


def read(document: Table) -> ProjectTable:
    """The ``[project]`` table of the parsed pyproject.toml ``document``."""
    project = document.table("project")
    entry_points = project.table("entry-points")
    return ProjectTable(
        name=project.string("name"),
        version=project.string("version"),
        description=project.string("description"),
        requires_python=project.string("requires-python"),
        dependencies=project.strings("dependencies") or (),
        dynamic=project.strings("dynamic") or (),
        scripts=project.table("scripts").string_values(),
        gui_scripts=project.table("gui-scripts").string_values(),
        entry_points={g: entry_points.table(g).string_values() for g in entry_points.data},
    )
