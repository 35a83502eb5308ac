"""Distribution names, normalised once for the whole build tool."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them: ``Markup_Safe`` is ``markup-safe``."""
    return _SEPARATORS.sub("-", name).lower()


def dist_info_stem(name: str) -> str:
    """The name as a ``.dist-info`` directory spells it (``my-app`` -> ``my_app``),
    the binary distribution format's escaping."""
    return _SEPARATORS.sub("_", name)
