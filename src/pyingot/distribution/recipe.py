"""What it takes to build CPython with every extension module static, as data.

The build (``build.py``) is generic: it builds the libraries CPython links from
source (``libraries/``) with a toolchain targeting an old glibc
(``toolchain.py``), configures CPython against them, asks configure which
extension modules it enabled and with which link flags, and re-links each one
against static archives. What configure cannot know lives here: which static
archives a static archive needs after it, the licenses of what CPython bundles,
and the modules a portable distribution does not build.

Bump :data:`RECIPE_VERSION` whenever a change here or in ``build.py`` changes what
a build produces: it is part of every distribution's cache key.
"""

from __future__ import annotations

from dataclasses import dataclass

#: 5: portable (zig, glibc 2.17, every library from source). Distributions of
#: recipe 4 (host gcc, Debian's static archives) stay readable, never picked.
RECIPE_VERSION = 5

#: The glibc every distribution of this recipe targets: the lowest any
#: executable built from it can run on.
TARGET_GLIBC = "2.17"
#: CPython minor versions the recipe knows (3.X). 3.12 follows the 3.13 path:
#: both build their extensions from Modules/Setup.stdlib.
SUPPORTED_MINORS = (11, 12, 13)
#: Minor versions with a free-threaded build (PEP 703: configure --disable-gil).
FREE_THREADED_MINORS = tuple(m for m in SUPPORTED_MINORS if m >= 13)

TARGET_TRIPLE = "x86_64-unknown-linux-gnu"

#: Libraries that are part of glibc: always linked dynamically, by name.
GLIBC_LIBRARIES = frozenset({"c", "m", "dl", "pthread", "rt", "util", "resolv", "anl"})

#: A static archive -> the static archives it needs after it on the link line
#: (static archives record no dependencies; this matches the libraries' own
#: ``pkg-config --static --libs``).
STATIC_DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "ssl": ("crypto",),
    "panelw": ("ncursesw",),
    "edit": ("ncursesw",),
    "gdbm_compat": ("gdbm",),
}

#: Host programs a build runs (make, the libraries' build systems) and the
#: Debian packages that ship them; no ``-dev`` package: zig is the compiler.
BUILD_TOOLS: dict[str, str] = {
    "make": "make",
    "perl": "perl",
    "patch": "patch",
    "tclsh": "tcl",
    "pkg-config": "pkg-config",
    "dpkg-source": "dpkg-dev",
}

#: The libraries bundled in CPython's own tree (build.py prefixes their
#: archives with ``cpython_``) -> SPDX license ids. The others' licenses come
#: from their recipes (``libraries/recipes.py``).
BUNDLED_LICENSES: dict[str, tuple[str, ...]] = {
    "cpython_mpdec": ("BSD-2-Clause",),
    "cpython_expat": ("MIT",),
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
    "cpython_expat": "Modules/expat/COPYING",
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
    # libedit (BSD) in readline's place: configure --with-readline=editline.
    # libedit declares GNU readline's rl_*_t function types, which 3.11's
    # readline.c uses only when it sees the macro GNU readline defines with them.
    "readline": ExtraModule("-D_RL_FUNCTION_TYPEDEF -I{prefix}/include", "-ledit -lncursesw"),
    "_curses": ExtraModule("-DHAVE_NCURSESW=1 -I{prefix}/include/ncursesw", "-lncursesw"),
    "_curses_panel": ExtraModule(
        "-DHAVE_NCURSESW=1 -I{prefix}/include/ncursesw", "-lpanelw -lncursesw"
    ),
    "_dbm": ExtraModule("-DUSE_GDBM_COMPAT -I{prefix}/include", "-lgdbm_compat"),
    "_ctypes": ExtraModule(
        "-DHAVE_FFI_PREP_CIF_VAR=1 -DHAVE_FFI_PREP_CLOSURE_LOC=1 -DHAVE_FFI_CLOSURE_ALLOC=1 "
        "-I{prefix}/include",
        "-lffi -ldl",
    ),
}

#: Extension modules that exist for Linux but are not built in, and why. Each is
#: disabled at configure time so no stray shared module lands in the install.
CANNOT_BE_STATIC: dict[str, str] = {
    "nis": (
        "needs libtirpc, whose static archive refers to Kerberos GSS-API; "
        "nis is deprecated (PEP 594) and gone in 3.13"
    ),
    "_tkinter": (
        "portable distributions do not build Tcl/Tk and the X11 client libraries "
        "it needs (docs/distributions.md)"
    ),
    "_crypt": (
        "the portable toolchain has no libcrypt; crypt is deprecated (PEP 594) and gone in 3.13"
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
    return sorted(set(BUILD_TOOLS.values()))
