"""A project's settings: ``[project]`` and ``[tool.pyingot]`` of pyproject.toml, read
into typed, frozen classes, checked once, documented from one declaration per key.

=================  ==========================================================
keys.py            every setting declared once: type, default, documentation
infer.py           the defaults that depend on the project (sources, entry, stdlib)
model.py           the typed classes later stages receive (:class:`ProjectConfig`)
project_table.py   ``[project]``, read once (name, scripts, dependencies, metadata)
toml.py, table.py  TOML parsed and written; typed table access naming file and key
load.py            :func:`load_project`: pyproject.toml -> :class:`ProjectConfig`
init.py            ``pyingot init``: a starter section from the declarations
reference.py       docs/configuration.md, generated (``python -m pyingot.config``)
=================  ==========================================================
"""

from pyingot.config.init import InitResult, init_project, starter_section
from pyingot.config.keys import DATA, DEPENDENCIES, EXTENSIONS, KEYS, MODULES, TABLES, TOOL, Key
from pyingot.config.load import load_project
from pyingot.config.model import (
    PYTHON_LIKE,
    DataPatterns,
    DependencySettings,
    EntryPoint,
    ModulePatterns,
    ProjectConfig,
    ProjectMetadata,
    PythonSpec,
)
from pyingot.config.reference import reference_markdown

__all__ = [
    "DATA",
    "DEPENDENCIES",
    "EXTENSIONS",
    "KEYS",
    "MODULES",
    "PYTHON_LIKE",
    "TABLES",
    "TOOL",
    "DataPatterns",
    "DependencySettings",
    "EntryPoint",
    "InitResult",
    "Key",
    "ModulePatterns",
    "ProjectConfig",
    "ProjectMetadata",
    "PythonSpec",
    "init_project",
    "load_project",
    "reference_markdown",
    "starter_section",
]
