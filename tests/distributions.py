"""The real distributions the slow tests use: built once, then from the cache."""

from __future__ import annotations

import functools

from pyingot.distribution import build
from pyingot.distribution.model import Distribution
from pyingot.progress import Progress

#: Debian source packages of the versions the suite builds and checks.
SOURCES = {"3.11": "debian:python3.11", "3.13": "debian:python3.13"}
#: The free-threaded builds (PEP 703) the suite checks, by their LDVERSION
#: (``Distribution.ldversion``): the same sources, ``--free-threaded``.
FREE_THREADED = {"3.13t": "debian:python3.13"}


def build_arguments(version: str) -> list[str]:
    """``pyingot python build`` arguments that build the distribution of ``version``."""
    if version in FREE_THREADED:
        return ["--source", FREE_THREADED[version], "--free-threaded"]
    return ["--source", SOURCES[version]]


@functools.cache
def distribution(version: str) -> Distribution:
    """``3.11``, ``3.13`` or ``3.13t``: built once, then from the cache."""
    if version in FREE_THREADED:
        options = build.BuildOptions(free_threaded=True)
        return build.build(FREE_THREADED[version], options, progress=Progress(build.STAGES))
    return build.build(SOURCES[version], progress=Progress(build.STAGES))
