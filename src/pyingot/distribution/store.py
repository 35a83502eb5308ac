"""The distributions in the cache, and finding one by name."""

from __future__ import annotations

import shutil
from pathlib import Path

from pyingot import cache
from pyingot.distribution import patches, pbs
from pyingot.distribution.model import Distribution
from pyingot.distribution.recipe import RECIPE_VERSION
from pyingot.errors import PyingotError


def distributions_dir() -> Path:
    """Where built and unpacked distributions are kept, one directory each."""
    return cache.cache_root() / "distributions"


def cached() -> list[Distribution]:
    root = distributions_dir()
    if not root.is_dir():
        return []
    out = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("cpython-") and (entry / "python" / "PYTHON.json").exists():
            out.append(pbs.load_json(entry / "python"))
    return out


def is_current(dist: Distribution) -> bool:
    """Built by this version of pyingot's recipe, with the source patches it gets
    today (older builds are never picked implicitly)."""
    own = dist.extra.get("pyingot")
    if not isinstance(own, dict) or own.get("recipe_version") != RECIPE_VERSION:
        return False
    minor = int(dist.major_minor.split(".")[1])
    wanted = {p.name: p.digest for p in patches.selected(minor, dist.freethreaded)}
    recorded = own.get("patches") or []
    have = {p.get("name"): p.get("sha256") for p in recorded if isinstance(p, dict)}
    return have == wanted


def prune() -> list[Path]:
    """Remove cached distributions built by an older recipe; return what was removed.

    Such builds are never picked implicitly (see :func:`is_current`), only by
    their full name, so they only take space.
    """
    removed = []
    for dist in cached():
        if not is_current(dist):
            entry = dist.root.parent
            # Renamed first so that a half-removed entry never looks like a distribution.
            doomed = entry.with_name(f".removing-{entry.name}")
            entry.rename(doomed)
            shutil.rmtree(doomed)
            removed.append(entry)
    root = distributions_dir()
    if root.is_dir():
        for lock in root.glob(".pending-*.lock"):
            lock.unlink(missing_ok=True)
    return removed


def find(name: str) -> Distribution:
    """A cached distribution by full name or unique substring, or a PBS archive path."""
    path = Path(name).expanduser()
    if path.exists():
        return pbs.load(path)
    dists = cached()
    exact = [d for d in dists if d.name == name]
    if exact:
        return exact[0]
    matches = [d for d in dists if name in d.name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(d.name for d in dists) or "none"
        raise PyingotError(
            f"no cached distribution matches '{name}' (cached: {known})",
            hint="build one with: pyingot python build --source debian:python3.11",
        )
    raise PyingotError(
        f"'{name}' matches several cached distributions: " + ", ".join(d.name for d in matches),
        hint="give more of the name",
    )
