"""Lay several library entries out as one prefix (include/, lib/, lib/pkgconfig/).

What a build compiles against: libedit against ncurses, CPython against all of
them, through ``-I<prefix>/include -L<prefix>/lib`` and
``PKG_CONFIG_LIBDIR=<prefix>/lib/pkgconfig``. The ``.pc`` files get the merged
prefix's absolute path, so that what pkg-config answers names it plainly.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from pyingot.distribution.libraries.entry import PC_PREFIX, BuiltLibrary
from pyingot.errors import InternalError

#: The parts of an entry that a prefix holds (BUILD.json stays with its entry).
_PARTS = ("include", "lib", "share")


def merge(libraries: Sequence[BuiltLibrary], dest: Path, *, final: Path | None = None) -> Path:
    """Copy the entries of ``libraries`` into ``dest``; return ``dest``.

    ``final`` is where ``dest`` will be renamed to, if it will: the path the
    ``.pc`` files name. Two libraries installing the same file with different contents is a
    recipe bug, reported as such.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for library in libraries:
        for part in _PARTS:
            top = library.path / part
            if not top.is_dir():
                continue
            for dirpath, _, filenames in os.walk(top):
                for name in sorted(filenames):
                    src = Path(dirpath, name)
                    rel = src.relative_to(library.path)
                    _place(library, src, dest / rel, dest, final or dest)
    return dest


def _place(library: BuiltLibrary, src: Path, target: Path, dest: Path, final: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        same = (
            os.readlink(src) == os.readlink(target)
            if src.is_symlink() and target.is_symlink()
            else filecmp.cmp(src, target, shallow=False)
        )
        if not same:
            raise InternalError(
                f"two libraries install {target.relative_to(dest)} with different "
                f"contents ({library.name} is the second)"
            )
        return
    if src.is_symlink():
        target.symlink_to(os.readlink(src))
    elif src.suffix == ".pc":
        target.write_text(src.read_text().replace(PC_PREFIX, str(final)))
    else:
        shutil.copy2(src, target)
