"""Resources: find an application's modules and data, decide what goes in, compile it.

``model`` is the typed result, ``scan`` finds files, ``policy`` decides (and
holds :func:`collect`, the entry point), ``dynamic`` lists the imports static
analysis cannot see, ``compile`` runs ``_worker.py`` under the target interpreter.
"""

from __future__ import annotations

from pyingot.resources.model import (
    DataResource,
    ModuleResource,
    ResourceSet,
    ResourceSummary,
    SkippedModule,
    SkipReason,
    SummaryRow,
)
from pyingot.resources.policy import EXCLUDED_FROM_ALL, StdlibMode, collect

__all__ = [
    "EXCLUDED_FROM_ALL",
    "DataResource",
    "ModuleResource",
    "ResourceSet",
    "ResourceSummary",
    "SkipReason",
    "SkippedModule",
    "StdlibMode",
    "SummaryRow",
    "collect",
]
