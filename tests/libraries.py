"""Small made-up library recipes and their source tarballs, for the library tests.

A real recipe takes seconds to minutes to build; these take a fraction of one,
with the same fetching, unpacking, patching, building, hiding and caching.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import textwrap
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from pyingot.distribution.libraries import fetch
from pyingot.distribution.libraries.model import DebianSource, Recipe, SourceFile, Step

#: A library with one function per kind of symbol the hider must handle.
TINY_SOURCES = {
    "tiny.c": """\
        int tiny_counter = 1;
        __attribute__((weak)) int tiny_weak(void) { return 2; }
        __attribute__((visibility("default"))) int tiny_api(int x) { return x + tiny_counter; }
        static int tiny_private(void) { return 3; }
        int tiny_uses_private(void) { return tiny_private(); }
        """,
    "tiny.h": "int tiny_api(int x);\n",
    "Makefile": """\
        libtiny.a: tiny.o
        \t$(AR) rc $@ tiny.o
        tiny.o: tiny.c
        \t$(CC) $(CFLAGS) -c tiny.c -o tiny.o
        install: libtiny.a
        \tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
        \tcp libtiny.a $(DESTDIR)$(PREFIX)/lib/
        \tcp libtiny.a $(DESTDIR)$(PREFIX)/lib/libtiny.so
        \tcp tiny.h $(DESTDIR)$(PREFIX)/include/
        \techo '#!/bin/sh' > $(DESTDIR)$(PREFIX)/bin/tiny-config
        """,
    "COPYING": "tiny: do what you like\n",
}


def tarball(path: Path, top: str, files: Mapping[str, str]) -> SourceFile:
    """Write a .tar.gz of ``files`` (dedented) under ``top/``; its pin."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in sorted(files.items()):
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(f"{top}/{name}" if top else name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buf.getvalue())
    return SourceFile(path.name, hashlib.sha256(buf.getvalue()).hexdigest(), len(buf.getvalue()))


def tiny_recipe(workdir: Path, *, steps: tuple[Step, ...] | None = None) -> Recipe:
    """A recipe building libtiny.a from a tarball written into ``workdir``."""
    orig = tarball(workdir / "tiny_1.0.orig.tar.gz", "tiny-1.0", TINY_SOURCES)
    return Recipe(
        name="tiny",
        version="1.0",
        license="MIT",
        source=DebianSource(package="tiny", version="1.0-1", files=(orig,)),
        patches="none",
        patches_reason="made up for tests",
        steps=steps
        or (
            Step("make", ("make", "-j{jobs}", "CFLAGS={cflags}")),
            Step("make install", ("make", "install", "DESTDIR={destdir}", "PREFIX={prefix}")),
        ),
        archives=("tiny",),
        pkg_config=(),
        license_files=("COPYING",),
    )


def seed_cache(recipe: Recipe, workdir: Path) -> None:
    """Put the recipe's files (from ``workdir``) where fetch finds them in the cache."""
    for f in recipe.source.files:
        dest = fetch.cached_path(f)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((workdir / f.name).read_bytes())


def with_files(recipe: Recipe, *files: SourceFile) -> Recipe:
    return replace(recipe, source=replace(recipe.source, files=files))
