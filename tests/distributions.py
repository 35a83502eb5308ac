"""The real distributions the slow tests use: built once, then from the cache."""

from __future__ import annotations

import functools

from pyingot.distribution import build
from pyingot.distribution.model import Distribution
from pyingot.progress import Progress

#: Debian source packages of the versions the suite builds and checks.
SOURCES = {"3.11": "debian:python3.11", "3.13": "debian:python3.13"}


@functools.cache
def distribution(version: str) -> Distribution:
    return build.build(SOURCES[version], progress=Progress(build.STAGES))
