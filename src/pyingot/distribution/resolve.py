"""The distribution a project asks for: a cached build, a new build, or a PBS archive."""

from __future__ import annotations

import re

from pyingot.config import PythonSpec
from pyingot.distribution import pbs, store
from pyingot.distribution.model import Distribution
from pyingot.errors import InternalError
from pyingot.progress import Progress


def resolve(spec: PythonSpec, progress: Progress) -> Distribution:
    """``[tool.pyingot] python`` -> a distribution, building one if none is cached."""
    if spec.kind == "pbs":
        if spec.path is None:
            raise InternalError(f"a PBS python setting without a path: {spec!r}")
        return pbs.load(spec.path)
    if spec.kind == "version":
        cached = [
            d
            for d in store.cached()
            if d.major_minor == f"3.{spec.minor}"
            and d.freethreaded == spec.free_threaded
            and store.is_current(d)
        ]
        if cached:
            return max(cached, key=lambda d: _version_key(d.python_version))
        variant = " (free-threaded)" if spec.free_threaded else ""
        progress.note(
            f"no cached CPython 3.{spec.minor}{variant}: building one from Debian's source"
        )
        from pyingot.distribution import build  # the recipe: needed only to build one

        return build.build(
            f"debian:python3.{spec.minor}",
            build.BuildOptions(free_threaded=spec.free_threaded),
            progress=progress.child(build.STAGES),
        )
    source = str(spec.path) if spec.kind == "source" and spec.path else spec.text
    from pyingot.distribution import build

    # The distribution build counts its own stages, under this one.
    return build.build(source, progress=progress.child(build.STAGES))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:3])
