"""What it takes to build CPython with every extension module static, as data.

The build (``build.py``) is generic: it configures CPython, asks configure which
extension modules it enabled and with which link flags, and re-links each one
against static archives. What configure cannot know lives here: which static
archives a static archive needs after it, which Debian package ships each one,
the licenses, and the few modules that cannot be static on this platform.

Bump :data:`RECIPE_VERSION` whenever a change here or in ``build.py`` changes what
a build produces: it is part of every distribution's cache key.
"""

from __future__ import annotations

from dataclasses import dataclass

RECIPE_VERSION = 4

#: CPython minor versions the recipe knows (3.X). 3.12 follows the 3.13 path:
#: both build their extensions from Modules/Setup.stdlib.
SUPPORTED_MINORS = (11, 12, 13)

TARGET_TRIPLE = "x86_64-unknown-linux-gnu"

#: Libraries that are part of glibc: always linked dynamically, by name.
GLIBC_LIBRARIES = frozenset({"c", "m", "dl", "pthread", "rt", "util", "resolv", "anl"})

#: A static archive -> the static archives it needs after it on the link line.
#: Debian's shared libraries record their dependencies; its ``.a`` files do not,
#: so linking statically needs the closure spelled out (it matches
#: ``pkg-config --static --libs`` on Debian 12).
STATIC_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "ssl": ("crypto",),
    "readline": ("tinfo",),
    "ncursesw": ("tinfo",),
    "panelw": ("ncursesw", "tinfo"),
    "gdbm_compat": ("gdbm",),
    "tk8.6": ("tkstub8.6", "Xft", "fontconfig", "freetype", "X11", "Xss", "Xext", "tcl8.6"),
    "tcl8.6": ("tclstub8.6", "z"),
    "Xft": ("Xrender", "fontconfig", "freetype", "X11"),
    "Xss": ("Xext", "X11"),
    "Xext": ("X11",),
    "Xrender": ("X11",),
    "fontconfig": ("freetype", "expat"),
    "freetype": ("png16", "brotlidec", "z"),
    "png16": ("z",),
    "brotlidec": ("brotlicommon",),
    "X11": ("xcb",),
    "xcb": ("Xau", "Xdmcp"),
}

#: Static archive -> the Debian package that ships it (named in errors).
DEBIAN_PACKAGES: dict[str, str] = {
    "ssl": "libssl-dev",
    "crypto": "libssl-dev",
    "ffi": "libffi-dev",
    "sqlite3": "libsqlite3-dev",
    "z": "zlib1g-dev",
    "bz2": "libbz2-dev",
    "lzma": "liblzma-dev",
    "readline": "libreadline-dev",
    "ncursesw": "libncurses-dev",
    "panelw": "libncurses-dev",
    "tinfo": "libncurses-dev",
    "gdbm": "libgdbm-dev",
    "gdbm_compat": "libgdbm-compat-dev",
    "uuid": "uuid-dev",
    "crypt": "libcrypt-dev",
    "tk8.6": "tk8.6-dev",
    "tkstub8.6": "tk8.6-dev",
    "tcl8.6": "tcl8.6-dev",
    "tclstub8.6": "tcl8.6-dev",
    "X11": "libx11-dev",
    "xcb": "libxcb1-dev",
    "Xau": "libxau-dev",
    "Xdmcp": "libxdmcp-dev",
    "Xft": "libxft-dev",
    "Xrender": "libxrender-dev",
    "Xext": "libxext-dev",
    "Xss": "libxss-dev",
    "fontconfig": "libfontconfig-dev",
    "freetype": "libfreetype-dev",
    "png16": "libpng-dev",
    "brotlidec": "libbrotli-dev",
    "brotlicommon": "libbrotli-dev",
    "expat": "libexpat1-dev",
}

#: Debian packages a build needs besides those shipping static archives.
BUILD_TOOL_PACKAGES = ("build-essential", "pkg-config", "dpkg-dev")

_X_ORG = "MIT"

#: Static archive -> SPDX license ids. ``None``: public domain (no SPDX id exists).
LIBRARY_LICENSES: dict[str, tuple[str, ...] | None] = {
    "ssl": ("Apache-2.0",),
    "crypto": ("Apache-2.0",),
    "ffi": ("MIT",),
    "sqlite3": None,
    "z": ("Zlib",),
    "bz2": ("bzip2-1.0.6",),
    "lzma": None,  # xz 5.4's liblzma is in the public domain
    "readline": ("GPL-3.0-or-later",),
    "ncursesw": ("X11",),
    "panelw": ("X11",),
    "tinfo": ("X11",),
    "gdbm": ("GPL-3.0-or-later",),
    "gdbm_compat": ("GPL-3.0-or-later",),
    "uuid": ("BSD-3-Clause",),
    "crypt": ("LGPL-2.1-or-later",),
    "tk8.6": ("TCL",),
    "tkstub8.6": ("TCL",),
    "tcl8.6": ("TCL",),
    "tclstub8.6": ("TCL",),
    "X11": (_X_ORG,),
    "xcb": (_X_ORG,),
    "Xau": (_X_ORG,),
    "Xdmcp": (_X_ORG,),
    "Xft": ("HPND",),
    "Xrender": ("HPND",),
    "Xext": (_X_ORG,),
    "Xss": (_X_ORG,),
    "fontconfig": ("HPND-sell-variant",),
    "freetype": ("FTL",),
    "png16": ("Libpng",),
    "brotlidec": ("MIT",),
    "brotlicommon": ("MIT",),
    "expat": ("MIT",),
    # Libraries bundled in CPython's own source tree (see build.py for the prefix).
    "cpython_mpdec": ("BSD-2-Clause",),
    "cpython_Hacl_Hash_SHA2": ("MIT",),
}

#: Modules whose own sources include third-party code from CPython's tree.
MODULE_SOURCE_LICENSES: dict[str, tuple[str, ...]] = {
    # HACL* (formally verified hash implementations), MIT, vendored in Modules/_hacl.
    "_md5": ("MIT",),
    "_sha1": ("MIT",),
    "_sha2": ("MIT",),
    "_sha3": ("MIT",),
}

#: The license files, in CPython's source tree, of the libraries it bundles.
BUNDLED_LICENSE_FILES: dict[str, str] = {
    "cpython_Hacl_Hash_SHA2": "Modules/_hacl/Hacl_Hash_SHA2.c",
}

COPYLEFT_PREFIXES = ("GPL-", "AGPL-")


def is_copyleft(spdx: str) -> bool:
    """Strong copyleft: linking it in puts the whole executable under its terms."""
    return spdx.startswith(COPYLEFT_PREFIXES)


@dataclass(frozen=True)
class ExtraModule:
    """A Setup line CPython 3.11 leaves commented out (setup.py built these)."""

    cflags: str
    ldflags: str


#: 3.11 builds these with setup.py, which a static build bypasses, so their
#: Setup.stdlib lines ship commented out. The flags are the ones setup.py uses.
SETUP_311_EXTRAS: dict[str, ExtraModule] = {
    "readline": ExtraModule("", "-lreadline"),
    "_curses": ExtraModule("-DHAVE_NCURSESW=1 -I/usr/include/ncursesw", "-lncursesw"),
    "_curses_panel": ExtraModule(
        "-DHAVE_NCURSESW=1 -I/usr/include/ncursesw", "-lpanelw -lncursesw"
    ),
    "_dbm": ExtraModule("-DUSE_GDBM_COMPAT", "-lgdbm_compat"),
    "_ctypes": ExtraModule(
        "-DHAVE_FFI_PREP_CIF_VAR=1 -DHAVE_FFI_PREP_CLOSURE_LOC=1 -DHAVE_FFI_CLOSURE_ALLOC=1",
        "-lffi -ldl",
    ),
}

#: Extension modules that exist for Linux but are not built in, and why. Each is
#: disabled at configure time so no stray shared module lands in the install.
CANNOT_BE_STATIC: dict[str, str] = {
    "nis": (
        "needs libtirpc, whose static archive refers to Kerberos GSS-API "
        "(libgssapi_krb5), which Debian ships only as a shared library; "
        "nis is deprecated (PEP 594) and gone in 3.13"
    ),
}


def is_test_module(name: str) -> bool:
    """CPython's own test modules (``_testcapi``, ``_ctypes_test``, ``xxlimited``...).

    They are built as shared libraries in lib-dynload, for CPython's test suite,
    and are never linked into executables.
    """
    return name.startswith(("_test", "_xxtest", "xx")) or name == "_ctypes_test"


def debian_build_packages() -> list[str]:
    """Every Debian package a distribution build needs (scripts/setup-system installs them)."""
    return sorted({*BUILD_TOOL_PACKAGES, *DEBIAN_PACKAGES.values()})
