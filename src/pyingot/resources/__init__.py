"""Resources: find an application's modules and data, decide what goes in, compile it.

``request`` builds the one typed :class:`CollectRequest` from the settings,
``collect`` is the stage's entry point, ``model`` is the typed result. ``scan``
finds files (and the distributions pip installed), ``reachability`` follows
imports, ``data`` lists the files that are not code, ``policy`` decides what goes
in and what is left out; ``libraries`` finds the shared libraries extension modules
need and orders them, ``dynamic`` lists the imports static analysis cannot see,
``compile`` runs ``_worker.py`` under the target interpreter.
"""

from __future__ import annotations

from pyingot.resources.collect import collect
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
from pyingot.resources.policy import EXCLUDED_FROM_ALL, StdlibMode
from pyingot.resources.request import RUNTIME_HELPERS, CollectRequest, request_for

__all__ = [
    "EXCLUDED_FROM_ALL",
    "RUNTIME_HELPERS",
    "CollectRequest",
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
    "request_for",
]
