"""What a library recipe is: pinned sources, a patch policy, build steps, outputs.

A recipe is data. Its JSON form (:func:`recipe_inputs`) is part of the library's
cache key, so every field that changes what the build produces is in it, and
nothing that does not: the URLs a file may come from are not (the same bytes from
Debian, an upstream site or a loopback test server give the same key), nor is
``make``'s ``-j``.

Build commands are argument lists with placeholders, filled in by the build:

``{prefix}``
    the fixed install prefix, :data:`INSTALL_PREFIX`: paths a library compiles
    in (OpenSSL's module directory, for one) are the same on every machine;
``{destdir}``
    where ``make install DESTDIR=`` puts the tree (the staging directory);
``{deps}``
    the merged prefix of the library's dependencies (include/, lib/);
``{jobs}``
    make's job count;
``{cflags}``
    the compiler flags every library gets (:data:`BASE_CFLAGS`, with the source
    directory mapped to ``/usr/src/<name>-<version>`` for reproducible objects)
    plus the recipe's own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

#: Where every library is configured to live; installed under DESTDIR, then moved.
INSTALL_PREFIX = "/opt/pyingot/deps"

#: Bump when the common frame (unpacking, patching, post-processing, the layout
#: of an entry) changes what a build produces: it is in every library's key.
LIBRARY_RECIPE_VERSION = 1

#: Compiler flags of every library. -fPIC: the archives may end up in shared
#: objects (sdists linking them); -O2: zig cc without -O would be a debug build.
BASE_CFLAGS = ("-O2", "-fPIC")


@dataclass(frozen=True)
class SourceFile:
    """One pinned file: Debian's name for it, its bytes' hash, where else it lives."""

    name: str
    sha256: str
    size: int
    #: URLs serving byte-identical copies (upstream release tarballs), tried
    #: after Debian. Not part of the cache key.
    upstream: tuple[str, ...] = ()


@dataclass(frozen=True)
class DebianSource:
    """A Debian source package, pinned to one version and to its files' hashes."""

    package: str
    #: The exact Debian version, epoch included (``1:1.3.dfsg+really1.3.1-1``).
    version: str
    #: The upstream tarball (``.orig.tar.*``) first, then Debian's ``debian.tar.*``
    #: when its patch series is used.
    files: tuple[SourceFile, ...]

    @property
    def orig(self) -> SourceFile:
        return self.files[0]

    @property
    def debian_tarball(self) -> SourceFile | None:
        found = [f for f in self.files[1:] if ".debian.tar." in f.name]
        return found[0] if found else None

    @property
    def pool_dir(self) -> str:
        """The package's directory under ``pool/main/`` of a Debian mirror."""
        initial = self.package[:4] if self.package.startswith("lib") else self.package[0]
        return f"{initial}/{self.package}"


@dataclass(frozen=True)
class Step:
    """One command of a build, run in the source tree."""

    name: str
    argv: tuple[str, ...]


@dataclass(frozen=True)
class Copy:
    """A file the build made, installed by copying (for builds without ``make install``)."""

    source: str  # relative to the source tree
    dest: str  # relative to the install prefix


@dataclass(frozen=True)
class PkgConfig:
    """A ``.pc`` file written for a library that installs none."""

    name: str
    description: str
    libs: str
    cflags: str = "-I${includedir}"
    libs_private: str = ""


@dataclass(frozen=True)
class Recipe:
    name: str
    #: The upstream version (``3.5.7``); the Debian one is ``source.version``.
    version: str
    #: SPDX id of what is linked; ``None``: public domain (no SPDX id exists).
    license: str | None
    source: DebianSource
    #: ``debian``: apply the Debian package's patch series (its security fixes
    #: live there), except ``skip_patches``; ``none``: build the orig as it is,
    #: for the reason in ``patches_reason``.
    patches: Literal["debian", "none"]
    steps: tuple[Step, ...]
    #: Static archives the library installs, as ``-l`` names (``ssl``, ``crypto``).
    archives: tuple[str, ...]
    #: pkg-config module names it installs.
    pkg_config: tuple[str, ...]
    #: License texts, relative to the source tree; ``debian/copyright`` is added
    #: whenever the Debian tarball is used.
    license_files: tuple[str, ...]
    #: Other recipes whose archives and headers this one builds against.
    depends: tuple[str, ...] = ()
    skip_patches: tuple[str, ...] = ()
    patches_reason: str = ""
    #: Compiler flags beyond :data:`BASE_CFLAGS`.
    cflags: tuple[str, ...] = ()
    #: ``False``: no ``CFLAGS`` in the environment (OpenSSL: one there replaces
    #: its release flags).
    cflags_in_env: bool = True
    #: Files installed by copying, after the steps.
    copies: tuple[Copy, ...] = ()
    #: ``.pc`` files to write, for libraries without their own.
    write_pkg_config: tuple[PkgConfig, ...] = ()
    #: ``(link, target)`` symbolic links made in ``lib/`` after installing.
    lib_links: tuple[tuple[str, str], ...] = ()
    #: ``(archive, (archive, ...))``: archives that also carry the members of
    #: others, as a shared library would need them (``gdbm_compat`` -> ``gdbm``), so
    #: that configure's ``-l<archive>`` link tests pass without the others.
    bundles: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: ``(flag, replacement)``: ``Libs`` flags of the installed ``.pc`` files renamed.
    pc_renames: tuple[tuple[str, str], ...] = ()
    #: Programs of the build machine the steps run, beyond make and a shell.
    host_tools: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How messages name the library: name, version and the Debian version pinned."""
        return f"{self.name} {self.version} (Debian {self.source.package} {self.source.version})"

    @property
    def dir_name(self) -> str:
        return f"{self.name}-{self.version}"


def recipe_inputs(recipe: Recipe) -> dict[str, object]:
    """The recipe as cache-key input: everything but where files can be downloaded."""
    data = dataclasses.asdict(recipe)
    for f in data["source"]["files"]:
        del f["upstream"]
    return data
