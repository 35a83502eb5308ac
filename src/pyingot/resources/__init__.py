"""Resources: find an application's modules and data, decide what goes in, compile it.

``model`` is the typed result, ``scan`` finds files (and the distributions pip
installed), ``policy`` decides (and holds :func:`collect`, the entry point),
``libraries`` finds the shared libraries extension modules need and orders them,
``dynamic`` lists the imports static analysis cannot see, ``compile`` runs
``_worker.py`` under the target interpreter.
"""

from __future__ import annotations

from pyingot.resources.model import (
    DataResource,
    ExtensionResource,
    FileResource,
    MetadataResource,
    ModuleResource,
    ResourceSet,
    ResourceSummary,
    SharedLibraryResource,
    SkippedModule,
    SkipReason,
    SummaryRow,
)
from pyingot.resources.policy import EXCLUDED_FROM_ALL, StdlibMode, collect

__all__ = [
    "EXCLUDED_FROM_ALL",
    "DataResource",
    "ExtensionResource",
    "FileResource",
    "MetadataResource",
    "ModuleResource",
    "ResourceSet",
    "ResourceSummary",
    "SharedLibraryResource",
    "SkipReason",
    "SkippedModule",
    "StdlibMode",
    "SummaryRow",
    "collect",
]
