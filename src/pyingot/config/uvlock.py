"""``uv.lock``: the versions a uv project has locked, as pins for pip.

uv writes the whole resolution of a project (for every platform and Python it
supports) into ``uv.lock`` beside pyproject.toml. pyingot does not run uv; it
hands pip each package's locked version as a constraint (``name==version``), so
pip installs exactly what the lock says for the packages the target needs and
nothing the lock does not list. Only packages from an index are pinned: the
project itself (``editable``/``virtual`` source) is not a dependency, and a git,
path or URL source is not a version pip could be held to. A package locked at two
versions (uv forks the resolution by environment markers) is left unpinned
rather than pinned to the wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyingot import names
from pyingot.config import toml
from pyingot.errors import PyingotError

FILE = "uv.lock"


@dataclass(frozen=True)
class Lock:
    """The pins of one ``uv.lock``."""

    path: Path
    #: ``name==version`` for each package locked from an index, sorted.
    pins: tuple[str, ...]
    #: Names locked at more than one version (left unpinned).
    forked: tuple[str, ...] = ()


def read(root: Path) -> Lock | None:
    """The lock in the project directory ``root``; None when it has none."""
    path = root / FILE
    if not path.is_file():
        return None
    data = toml.parse(path.read_bytes(), path)
    packages = data.get("package", [])
    if not isinstance(packages, list):
        raise PyingotError(f"{path}: [[package]] is not an array of tables", hint=_HINT)
    versions: dict[str, set[str]] = {}
    for i, package in enumerate(packages):
        if not isinstance(package, dict):
            raise PyingotError(f"{path}: package {i + 1} is not a table", hint=_HINT)
        name, version, source = package.get("name"), package.get("version"), package.get("source")
        if not isinstance(name, str) or not isinstance(source, dict):
            raise PyingotError(f"{path}: package {i + 1} has no name or source", hint=_HINT)
        if "registry" not in source:
            continue
        if not isinstance(version, str):
            raise PyingotError(f"{path}: package {name!r} has no version", hint=_HINT)
        versions.setdefault(names.normalize(name), set()).add(version)
    pins = tuple(f"{n}=={next(iter(v))}" for n, v in sorted(versions.items()) if len(v) == 1)
    forked = tuple(n for n, v in sorted(versions.items()) if len(v) > 1)
    return Lock(path, pins, forked)


_HINT = "regenerate it with: uv lock"
