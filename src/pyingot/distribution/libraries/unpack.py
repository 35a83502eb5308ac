"""A recipe's verified source files -> one patched source tree.

The upstream tarball is unpacked, Debian's ``debian/`` directory is unpacked into
it, and the patches ``debian/patches/series`` lists are applied in order, as
``dpkg-source`` would for a "3.0 (quilt)" package, with GNU ``patch``: no Debian
tool is needed, so the same works on any build machine.
"""

from __future__ import annotations

import os
import shlex
import tarfile
import time
from pathlib import Path

from pyingot.distribution.libraries.model import Recipe
from pyingot.errors import PyingotError
from pyingot.progress import run_logged


def source_tree(recipe: Recipe, files: dict[str, Path], into: Path, log: Path) -> Path:
    """Unpack and patch ``recipe``'s sources under ``into``; return the tree's top."""
    into.mkdir(parents=True, exist_ok=True)
    orig = files[recipe.source.orig.name]
    _extract(recipe, orig, into)
    tops = [p for p in into.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise PyingotError(
            f"{orig.name} of {recipe.label} does not hold one top directory "
            f"(found {', '.join(sorted(p.name for p in tops)) or 'none'})"
        )
    tree = tops[0]
    debian = recipe.source.debian_tarball
    if debian is not None:
        _extract(recipe, files[debian.name], tree)
    if recipe.patches == "debian" and apply_series(recipe, tree, log):
        _same_mtime(tree)
    return tree


def _same_mtime(tree: Path) -> None:
    """Give every file of ``tree`` one modification time.

    A patched ``Makefile.am`` or ``configure.ac`` is newer than the generated
    ``Makefile.in`` or ``configure``, and make would run automake or autoconf
    (which the build machine need not have, in a version that need not match).
    Debian regenerates them with dh_autoreconf; the orig's generated files are
    what we build with.
    """
    now = time.time()
    for dirpath, _, filenames in os.walk(tree):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.utime(path, (now, now))


def _extract(recipe: Recipe, tarball: Path, into: Path) -> None:
    try:
        with tarfile.open(tarball) as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        raise PyingotError(
            f"cannot unpack {tarball.name} of {recipe.label}: {e}",
            hint=f"delete {tarball.parent} from the cache so that it is downloaded again",
        ) from e


def series(tree: Path) -> list[tuple[str, list[str]]]:
    """The patches of ``debian/patches/series``: (file, extra patch options)."""
    path = tree / "debian" / "patches" / "series"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, *options = shlex.split(line)
            out.append((name, options))
    return out


def apply_series(recipe: Recipe, tree: Path, log: Path) -> list[str]:
    """Apply Debian's patch series, except the recipe's ``skip_patches``; return
    the names applied."""
    applied = []
    for name, options in series(tree):
        if name in recipe.skip_patches:
            continue
        strip = [o for o in options if o.startswith("-p")] or ["-p1"]
        run_logged(
            [
                "patch",
                *strip,
                "--forward",
                "--batch",
                "--no-backup-if-mismatch",
                "-i",
                str(tree / "debian" / "patches" / name),
            ],
            cwd=tree,
            log=log,
            step=f"applying Debian's patch {name} to {recipe.label}",
        )
        applied.append(name)
    return applied
