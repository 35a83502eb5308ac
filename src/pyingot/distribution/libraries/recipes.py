"""The ten C libraries CPython links in a portable distribution, as recipes.

Each is pinned to an exact Debian source package version and to the sha256 of
every file used: Debian's patch series carry the security fixes of the stable
releases (OpenSSL 3.5.7-1~deb13u2: ten CVEs; SQLite: six; xz: one), which bare
upstream tarballs lack. Where Debian's upstream tarball is byte-identical to the
upstream release, its upstream URL is listed too, for machines that are not
Debian (same sha256, same cache key).

Choices that are not obvious:

* libffi comes from bookworm's 3.4.4-1: its orig is the upstream release tarball
  (with ``configure``; the same bytes python-build-standalone, Homebrew and
  Termux pin). trixie's 3.4.8 orig is a GitHub tag archive without
  ``configure``, which would need autoconf, automake and libtool on the build
  machine, and GitHub is not reachable from every build machine.
* SQLite's Debian orig is the full source tree, not the amalgamation: ``make
  sqlite3.c`` generates it with the build machine's ``tclsh``. Debian's
  configure.ac patches take effect only through autoreconf, which we do not run;
  the one that matters (no ``malloc_usable_size``) is a configure variable here.
* libedit (BSD-3-Clause) rather than readline (GPL-3.0-or-later), so that the
  ``readline`` module survives a ``no-copyleft`` selection. Its orig is built as
  it is: trixie's Debian tarball is not downloadable here and bookworm's series
  makes it depend on libbsd.
* ncurses is wide, static, with the terminfo reader inside ``libncursesw.a``
  (no separate tinfo) and the terminfo directories of Debian and RHEL compiled in.
* libuuid only, from util-linux; ``/var`` and ``/run`` as the paths of uuidd's
  socket and clock file, as on the target systems.
"""

from __future__ import annotations

from pyingot.distribution.libraries.model import (
    Copy,
    DebianSource,
    PkgConfig,
    Recipe,
    SourceFile,
    Step,
)

#: ``./configure`` arguments of every autoconf-built library.
_AUTOCONF = (
    "./configure",
    "--prefix={prefix}",
    "--disable-shared",
    "--enable-static",
    "--with-pic",
    "--disable-dependency-tracking",
)

_MAKE = Step("make", ("make", "-j{jobs}"))
_INSTALL = Step("make install", ("make", "install", "DESTDIR={destdir}"))


def _configure(*args: str) -> Step:
    return Step("configure", (*_AUTOCONF, *args))


ZLIB = Recipe(
    name="zlib",
    version="1.3.1",
    license="Zlib",
    source=DebianSource(
        package="zlib",
        version="1:1.3.dfsg+really1.3.1-1",
        files=(
            # A DFSG repack (contrib/ and friends removed): not the upstream bytes.
            SourceFile(
                "zlib_1.3.dfsg+really1.3.1.orig.tar.gz",
                "60dd315c07f616887caa029408308a018ace66e3d142726a97db164b3b8f69fb",
                1325737,
            ),
            SourceFile(
                "zlib_1.3.dfsg+really1.3.1-1.debian.tar.xz",
                "9ed525955ce9fb0c1b39be8ff98f73450dbfc6305a9a27e6149c8972d38a0a9e",
                16576,
            ),
        ),
    ),
    patches="debian",
    steps=(
        # zlib's own configure script reads CC, AR, RANLIB and CFLAGS from the environment.
        Step("configure", ("./configure", "--static", "--prefix={prefix}")),
        Step("make", ("make", "-j{jobs}", "libz.a")),
        _INSTALL,
    ),
    archives=("z",),
    pkg_config=("zlib",),
    license_files=("LICENSE",),
)

BZIP2 = Recipe(
    name="bzip2",
    version="1.0.8",
    license="bzip2-1.0.6",
    source=DebianSource(
        package="bzip2",
        version="1.0.8-6",
        files=(
            SourceFile(
                "bzip2_1.0.8.orig.tar.gz",
                "ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269",
                810029,
                upstream=("https://sourceware.org/pub/bzip2/bzip2-1.0.8.tar.gz",),
            ),
            SourceFile(
                "bzip2_1.0.8-6.debian.tar.bz2",
                "648ed0dac9a041ba6951e0cca521628aa39947cefee78139f7b934a5dc502095",
                26991,
            ),
        ),
    ),
    patches="debian",
    steps=(
        # No configure; the Makefile sets CC=gcc, so the tools go on its command line.
        Step(
            "make",
            (
                "make",
                "-j{jobs}",
                "libbz2.a",
                "CC=cc",
                "AR=ar",
                "RANLIB=ranlib",
                "CFLAGS={cflags}",
            ),
        ),
    ),
    cflags=("-D_FILE_OFFSET_BITS=64",),
    copies=(Copy("libbz2.a", "lib/libbz2.a"), Copy("bzlib.h", "include/bzlib.h")),
    write_pkg_config=(PkgConfig("bzip2", "A file compression library", "-L${libdir} -lbz2"),),
    archives=("bz2",),
    pkg_config=("bzip2",),
    license_files=("LICENSE",),
)

XZ = Recipe(
    name="xz",
    version="5.8.1",
    license="0BSD",  # liblzma; the xz tools (not built) are partly GPL
    source=DebianSource(
        package="xz-utils",
        version="5.8.1-1+deb13u1",
        files=(
            SourceFile(
                "xz-utils_5.8.1.orig.tar.xz",
                "0b54f79df85912504de0b14aec7971e3f964491af1812d83447005807513cd9e",
                1461872,
                upstream=(
                    "https://github.com/tukaani-project/xz/releases/download/v5.8.1/xz-5.8.1.tar.xz",
                    "https://tukaani.org/xz/xz-5.8.1.tar.xz",
                ),
            ),
            SourceFile(
                "xz-utils_5.8.1-1+deb13u1.debian.tar.xz",
                "0e48427971a9ce674ddbba26e34ac1dd009c683f3816ce17852d99dc7b0a8e46",
                25696,
            ),
        ),
    ),
    patches="debian",
    steps=(
        _configure(
            "--disable-xz",
            "--disable-xzdec",
            "--disable-lzmadec",
            "--disable-lzmainfo",
            "--disable-lzma-links",
            "--disable-scripts",
            "--disable-doc",
            "--disable-nls",
        ),
        _MAKE,
        _INSTALL,
    ),
    archives=("lzma",),
    pkg_config=("liblzma",),
    license_files=("COPYING", "COPYING.0BSD"),
)

LIBFFI = Recipe(
    name="libffi",
    version="3.4.4",
    license="MIT",
    source=DebianSource(
        package="libffi",
        version="3.4.4-1",
        files=(
            SourceFile(
                "libffi_3.4.4.orig.tar.gz",
                "d66c56ad259a82cf2a9dfc408b32bf5da52371500b84745f7fb8b645712df676",
                1362394,
                upstream=(
                    "https://github.com/libffi/libffi/releases/download/v3.4.4/libffi-3.4.4.tar.gz",
                ),
            ),
            SourceFile(
                "libffi_3.4.4-1.debian.tar.xz",
                "161b210bfd2ada0b15b0d2a2a98ffc779cd4a68661a7fdf46f61732493db0895",
                10380,
            ),
        ),
    ),
    patches="debian",
    steps=(
        # --disable-multi-os-directory: lib/, not lib/../lib64.
        _configure("--disable-docs", "--disable-multi-os-directory"),
        _MAKE,
        _INSTALL,
    ),
    # 3.4.4's tramp.c calls open_temp_exec_file() (an int function of closures.c)
    # without a declaration, an error for clang 16 and later (libffi#760, fixed
    # in 3.4.5); implicitly declared, it is called correctly.
    cflags=("-Wno-error=implicit-function-declaration",),
    archives=("ffi",),
    pkg_config=("libffi",),
    license_files=("LICENSE",),
)

#: Debian's compile-time options (debian/rules), so that the module behaves as the
#: one linking Debian's libsqlite3 did.
_SQLITE_DEFINES = (
    "-fno-strict-aliasing",
    "-DSQLITE_SECURE_DELETE",
    "-DSQLITE_ENABLE_COLUMN_METADATA",
    "-DSQLITE_ENABLE_FTS3",
    "-DSQLITE_ENABLE_FTS3_PARENTHESIS",
    "-DSQLITE_ENABLE_RTREE=1",
    "-DSQLITE_SOUNDEX=1",
    "-DSQLITE_ENABLE_UNLOCK_NOTIFY",
    "-DSQLITE_ENABLE_DBSTAT_VTAB",
    "-DSQLITE_ENABLE_DBPAGE_VTAB",
    "-DSQLITE_ALLOW_ROWID_IN_VIEW",
    "-DSQLITE_ENABLE_UPDATE_DELETE_LIMIT=1",
    "-DSQLITE_ENABLE_LOAD_EXTENSION",
    "-DSQLITE_ENABLE_JSON1",
    "-DSQLITE_LIKE_DOESNT_MATCH_BLOBS",
    "-DSQLITE_THREADSAFE=1",
    "-DSQLITE_ENABLE_FTS3_TOKENIZER=1",
    "-DSQLITE_USE_URI=1",
    "-DSQLITE_MAX_SCHEMA_RETRY=25",
    "-DSQLITE_ENABLE_PREUPDATE_HOOK",
    "-DSQLITE_ENABLE_SESSION",
    "-DSQLITE_ENABLE_STMTVTAB",
    "-DSQLITE_STRICT_SUBTYPE=1",
    "-DSQLITE_MAX_VARIABLE_NUMBER=250000",
)

SQLITE = Recipe(
    name="sqlite3",
    version="3.46.1",
    license=None,  # public domain
    source=DebianSource(
        package="sqlite3",
        version="3.46.1-7+deb13u2",
        files=(
            # The full source tree, not sqlite-autoconf-3460100.tar.gz: no upstream copy.
            SourceFile(
                "sqlite3_3.46.1.orig.tar.xz",
                "d0cdd2ece271b29e7ce18095745d892517ee26d0f270065b3a25c2e9eb11639c",
                8456776,
            ),
            SourceFile(
                "sqlite3_3.46.1-7+deb13u2.debian.tar.xz",
                "59d33bc436258603702bb051d645743ab03612b82f79e7c7d638c65127c21261",
                37084,
            ),
        ),
    ),
    patches="debian",
    steps=(
        _configure(
            "--disable-tcl",
            "--disable-readline",
            "--enable-threadsafe",
            "--enable-load-extension",
            "--enable-fts4",
            "--enable-fts5",
            # Debian's 10-665363 patch, which its configure.ac gets through autoreconf.
            "ac_cv_func_malloc_usable_size=no",
        ),
        # tool/mksqlite3c.tcl, run by the build machine's tclsh.
        Step("make sqlite3.c", ("make", "sqlite3.c")),
        Step("make", ("make", "-j{jobs}", "libsqlite3.la")),
    ),
    cflags=_SQLITE_DEFINES,
    copies=(
        Copy(".libs/libsqlite3.a", "lib/libsqlite3.a"),
        Copy("sqlite3.h", "include/sqlite3.h"),
        Copy("src/sqlite3ext.h", "include/sqlite3ext.h"),
    ),
    write_pkg_config=(
        PkgConfig(
            "sqlite3",
            "SQL database engine",
            "-L${libdir} -lsqlite3",
            libs_private="-lm -ldl -lpthread",
        ),
    ),
    archives=("sqlite3",),
    pkg_config=("sqlite3",),
    license_files=("LICENSE.md",),
    host_tools=("tclsh",),
)

OPENSSL = Recipe(
    name="openssl",
    version="3.5.7",
    license="Apache-2.0",
    source=DebianSource(
        package="openssl",
        version="3.5.7-1~deb13u2",
        files=(
            SourceFile(
                "openssl_3.5.7.orig.tar.gz",
                "a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8",
                53153930,
                upstream=(
                    "https://github.com/openssl/openssl/releases/download/openssl-3.5.7/"
                    "openssl-3.5.7.tar.gz",
                ),
            ),
            SourceFile(
                "openssl_3.5.7-1~deb13u2.debian.tar.xz",
                "593a47654ead460a3b609503733f80bef552ff0802799d3b47784faacc50809f",
                74836,
            ),
        ),
    ),
    patches="debian",
    steps=(
        # No CFLAGS: OpenSSL's own release flags (-O3 -fPIC ...), and its sources
        # are compiled by relative paths. It records the compiler line in the
        # library (OpenSSL_version(OPENSSL_CFLAGS)): CC=cc, found on PATH, keeps
        # the toolchain's path out of it. no-module: no loadable providers or
        # engines in a static executable; no-legacy: MD4 and friends (Python does
        # not load the legacy provider). /etc/ssl: the certificate store of
        # Debian, Ubuntu, SUSE and Alpine.
        Step(
            "Configure",
            (
                "perl",
                "./Configure",
                "linux-x86_64",
                "CC=cc",
                "--prefix={prefix}",
                "--libdir=lib",
                "--openssldir=/etc/ssl",
                "no-shared",
                "no-module",
                "no-legacy",
                "no-tests",
                "no-docs",
                "no-apps",
                "no-makedepend",
            ),
        ),
        _MAKE,
        Step("make install_dev", ("make", "install_dev", "DESTDIR={destdir}")),
    ),
    cflags_in_env=False,
    archives=("ssl", "crypto"),
    pkg_config=("openssl", "libssl", "libcrypto"),
    license_files=("LICENSE.txt",),
    host_tools=("perl",),
)

NCURSES = Recipe(
    name="ncurses",
    version="6.5-20250216",
    license="X11",
    source=DebianSource(
        package="ncurses",
        version="6.5+20250216-2",
        files=(
            # Thomas Dickey's signed patch snapshot ncurses-6.5-20250216.tgz; his
            # snapshot directory rotates, so Debian's pool is the lasting copy.
            SourceFile(
                "ncurses_6.5+20250216.orig.tar.gz",
                "b37baafa436e7133bb12a185cb8f60e1599b1947e9f0181c76f3190acf28b6eb",
                3774714,
            ),
            SourceFile(
                "ncurses_6.5+20250216-2.debian.tar.xz",
                "546930a8992ae3325d8c38378f290265d969cf6333cfae9648ac6d69e1e8a8a6",
                50420,
            ),
        ),
    ),
    patches="debian",
    steps=(
        # Static and without programs: no tic is built or run, no terminfo database
        # installed; the target's own is read, where Debian and RHEL keep it.
        Step(
            "configure",
            (
                "./configure",
                "--prefix={prefix}",
                "--without-shared",
                "--with-normal",
                "--without-debug",
                "--without-cxx",
                "--without-cxx-binding",
                "--without-ada",
                "--without-manpages",
                "--without-progs",
                "--without-tests",
                "--enable-widec",
                "--enable-pc-files",
                "--with-pkg-config-libdir={prefix}/lib/pkgconfig",
                "--disable-db-install",
                "--disable-stripping",
                "--with-default-terminfo-dir=/usr/share/terminfo",
                "--with-terminfo-dirs=/etc/terminfo:/lib/terminfo:/usr/share/terminfo",
            ),
        ),
        _MAKE,
        _INSTALL,
    ),
    # libedit's configure looks for tgetent in -lncurses (then curses, termcap, tinfo).
    lib_links=(("libncurses.a", "libncursesw.a"),),
    archives=("ncursesw", "panelw", "formw", "menuw"),
    pkg_config=("ncursesw", "panelw", "formw", "menuw"),
    license_files=("COPYING",),
)

LIBEDIT = Recipe(
    name="libedit",
    version="20250104-3.1",
    license="BSD-3-Clause",
    source=DebianSource(
        package="libedit",
        version="3.1-20250104-1",
        files=(
            SourceFile(
                "libedit_3.1-20250104.orig.tar.gz",
                "23792701694550a53720630cd1cd6167101b5773adddcb4104f7345b73a568ac",
                546745,
                upstream=("https://thrysoee.dk/editline/libedit-20250104-3.1.tar.gz",),
            ),
        ),
    ),
    patches="none",
    patches_reason=(
        "trixie's debian.tar is not on the mirrors, and bookworm's series makes "
        "libedit depend on libbsd"
    ),
    steps=(_configure("--disable-examples"), _MAKE, _INSTALL),
    depends=("ncurses",),
    cflags=("-I{deps}/include/ncursesw",),
    # Its configure found tgetent in -lncurses, ncurses' alias for -lncursesw.
    pc_renames=(("-lncurses", "-lncursesw"),),
    archives=("edit",),
    pkg_config=("libedit",),
    license_files=("COPYING",),
)

GDBM = Recipe(
    name="gdbm",
    version="1.24",
    license="GPL-3.0-or-later",
    source=DebianSource(
        package="gdbm",
        version="1.24-2",
        files=(
            SourceFile(
                "gdbm_1.24.orig.tar.gz",
                "695e9827fdf763513f133910bc7e6cfdb9187943a4fec943e57449723d2b8dbf",
                1195931,
                upstream=("https://ftp.gnu.org/gnu/gdbm/gdbm-1.24.tar.gz",),
            ),
            SourceFile(
                "gdbm_1.24-2.debian.tar.xz",
                "736d23450674c1bf0b03a2f65b83870b0801bc3747df3099df970c1479b0ab63",
                16880,
            ),
        ),
    ),
    patches="debian",
    steps=(
        # libgdbm_compat: the ndbm interface of the _dbm module.
        _configure(
            "--enable-libgdbm-compat", "--without-readline", "--disable-nls", "--disable-rpath"
        ),
        _MAKE,
        _INSTALL,
    ),
    # As Debian installs it: CPython's configure takes gdbm-ndbm.h as the sign of
    # gdbm's ndbm interface, and links dbm_open with -lgdbm_compat alone, which a
    # static libgdbm_compat passes only if it carries libgdbm too.
    copies=(Copy("compat/ndbm.h", "include/gdbm-ndbm.h"),),
    bundles=(("gdbm_compat", ("gdbm",)),),
    archives=("gdbm", "gdbm_compat"),
    pkg_config=(),
    license_files=("COPYING",),
)

LIBUUID = Recipe(
    name="libuuid",
    version="2.41.5",
    license="BSD-3-Clause",  # libuuid's own; util-linux as a whole is mixed
    source=DebianSource(
        package="util-linux",
        version="2.41.5-0+deb13u1",
        files=(
            SourceFile(
                "util-linux_2.41.5.orig.tar.xz",
                "f586e35d320ff537aab3ffeca37e9ecd482ccbe013590db4429a414d8aa6a728",
                9474992,
            ),
            SourceFile(
                "util-linux_2.41.5-0+deb13u1.debian.tar.xz",
                "5b327ccd22f0f4ed28a389870aa51d04ecedb8693e52a1d122850f2b3188cbf6",
                107604,
            ),
        ),
    ),
    patches="debian",
    steps=(
        _configure(
            "--localstatedir=/var",
            "--runstatedir=/run",
            "--disable-all-programs",
            "--enable-libuuid",
            "--disable-nls",
            "--without-python",
            "--without-systemd",
            "--without-udev",
            "--without-tinfo",
            "--without-ncursesw",
            "--without-readline",
            "--without-libmagic",
            "--without-cap-ng",
            "--without-btrfs",
            "--without-selinux",
            "--without-audit",
            "--without-econf",
            "--disable-bash-completion",
            "--disable-asciidoc",
            "--disable-poman",
            "--disable-liblastlog2",
            "--disable-pylibmount",
        ),
        Step("make", ("make", "-j{jobs}", "libuuid.la")),
    ),
    copies=(
        Copy(".libs/libuuid.a", "lib/libuuid.a"),
        Copy("libuuid/src/uuid.h", "include/uuid/uuid.h"),
    ),
    write_pkg_config=(
        PkgConfig(
            "uuid",
            "Universally unique id library",
            "-L${libdir} -luuid",
            cflags="-I${includedir}/uuid",
        ),
    ),
    archives=("uuid",),
    pkg_config=("uuid",),
    license_files=("libuuid/COPYING", "Documentation/licenses/COPYING.BSD-3-Clause"),
)

#: Every recipe, in an order that builds dependencies first.
RECIPES: tuple[Recipe, ...] = (
    OPENSSL,
    SQLITE,
    ZLIB,
    BZIP2,
    XZ,
    LIBFFI,
    NCURSES,
    LIBEDIT,
    GDBM,
    LIBUUID,
)

BY_NAME = {r.name: r for r in RECIPES}
