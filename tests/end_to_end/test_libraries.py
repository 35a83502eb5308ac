"""The real C libraries of a portable distribution, built from their pinned sources (slow, cached).

The first run builds all ten (about five minutes on two cores), later runs find
them in the cache. A program linking every one of them, built with the
toolchain, runs here and needs nothing above glibc 2.17; the archives export
nothing; and the upstream URLs serve the same bytes, so a build that fetched
from them has the same key and the same archives.
"""

from __future__ import annotations

import subprocess
import textwrap
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pyingot.distribution.libraries import fetch, hide
from pyingot.distribution.libraries.build import build_library
from pyingot.distribution.libraries.model import Recipe
from pyingot.distribution.libraries.prefix import Libraries, build_all
from pyingot.distribution.libraries.recipes import BY_NAME, RECIPES
from pyingot.distribution.toolchain import Toolchain
from tests.compiling import glibc_floor, run_with
from tests.loopback import serve

pytestmark = pytest.mark.slow

PROGRAM = r"""
#include <bzlib.h>
#include <ffi.h>
#include <gdbm.h>
#include <histedit.h>
#include <lzma.h>
#include <ncursesw/curses.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <uuid.h>
#include <zlib.h>

static int add(int a, int b) { return a + b; }

int main(void) {
    unsigned char md[32]; unsigned int n = 0;
    EVP_Digest("abc", 3, md, &n, EVP_sha256(), NULL);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    sqlite3 *db; sqlite3_stmt *st;
    sqlite3_open(":memory:", &db);
    sqlite3_prepare_v2(db, "select 6 * 7", -1, &st, NULL);
    sqlite3_step(st);
    ffi_cif cif; ffi_type *args[2] = {&ffi_type_sint, &ffi_type_sint};
    int a = 40, b = 2; void *values[2] = {&a, &b}; ffi_arg sum;
    ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 2, &ffi_type_sint, args);
    ffi_call(&cif, FFI_FN(add), &sum, values);
    uuid_t u; char text[37];
    uuid_generate(u); uuid_unparse(u, text);
    HistEvent ev; History *h = history_init();
    history(h, &ev, H_SETSIZE, 10);
    history_end(h);
    printf("sha256 %02x%02x tls %d sqlite %d ffi %d uuid %zu\n", md[0], md[1], ctx != NULL,
           sqlite3_column_int(st, 0), (int)sum, sizeof text - 1);
    printf("%s|%s|%s|%s|%s|%s|%s\n", zlibVersion(), BZ2_bzlibVersion(), lzma_version_string(),
           sqlite3_libversion(), OpenSSL_version(OPENSSL_VERSION), curses_version(), gdbm_version);
    return 0;
}
"""

#: The pkg-config modules PROGRAM links.
MODULES = ("openssl", "sqlite3", "zlib", "bzip2", "liblzma", "libffi", "uuid", "libedit")


@pytest.fixture(scope="module")
def libraries(zig_toolchain: Toolchain) -> Libraries:
    return build_all(zig_toolchain)


def test_every_archive_is_built_and_exports_nothing(libraries: Libraries) -> None:
    assert [lib.name for lib in libraries.libraries] == [r.name for r in RECIPES]
    for lib in libraries.libraries:
        recipe = BY_NAME[lib.name]
        assert lib.version == recipe.version and lib.license == recipe.license
        assert set(lib.sources) == {f.name for f in recipe.source.files}
        assert lib.license_files
        for name in recipe.archives:
            archive = libraries.archive(name)
            assert archive.is_file(), archive
            assert libraries.owner(name) == lib
            assert hide.visible_symbols(archive) == [], archive
            readelf = subprocess.run(
                ["readelf", "-sW", str(archive)], capture_output=True, text=True, check=True
            ).stdout
            for line in readelf.splitlines():
                fields = line.split()
                if len(fields) == 8 and fields[4] in ("GLOBAL", "WEAK") and fields[6] != "UND":
                    assert fields[5] != "DEFAULT", f"{archive}: {line}"
    assert not list(libraries.lib_dir.glob("*.so*")) and not list(libraries.lib_dir.glob("*.la"))


def test_a_program_links_them_all_and_needs_glibc_2_17(
    libraries: Libraries, zig_toolchain: Toolchain, tmp_path: Path
) -> None:
    (tmp_path / "all.c").write_text(textwrap.dedent(PROGRAM))
    pkg = subprocess.run(
        # No --static: every .pc's Libs carries what a static link needs (as configure asks).
        ["pkg-config", "--cflags", "--libs", *MODULES],
        capture_output=True,
        text=True,
        check=True,
        env={"PKG_CONFIG_LIBDIR": str(libraries.pkg_config_dir), "PATH": "/usr/bin:/bin"},
    ).stdout.split()
    assert f"-I{libraries.include_dir}" in pkg
    assert "-lncursesw" in pkg  # libedit's, through its .pc
    flags = [*pkg, libraries.cppflags, libraries.ldflags, "-lgdbm"]  # gdbm installs no .pc
    run_with(zig_toolchain, "cc", "-O2", "-rdynamic", "all.c", "-o", "all", *flags, cwd=tmp_path)
    out = run_with(zig_toolchain, "./all", cwd=tmp_path).stdout.splitlines()
    assert out[0] == "sha256 ba78 tls 1 sqlite 42 ffi 42 uuid 36"
    versions = out[1].split("|")
    assert versions[:4] == ["1.3.1", "1.0.8, 13-Jul-2019", "5.8.1", "3.46.1"]
    assert versions[4].startswith("OpenSSL 3.5.7 ")
    assert versions[5].startswith("ncurses 6.5")
    assert "1.24" in versions[6]
    assert glibc_floor(tmp_path / "all") <= (2, 17)
    dynamic = subprocess.run(
        ["objdump", "-T", str(tmp_path / "all")], capture_output=True, text=True, check=True
    ).stdout
    for symbol in ("EVP_Digest", "sqlite3_open", "zlibVersion", "ffi_call", "uuid_generate"):
        assert symbol not in dynamic, symbol


def test_gdbm_compat_links_alone_as_cpython_configure_tries_it(
    libraries: Libraries, zig_toolchain: Toolchain, tmp_path: Path
) -> None:
    """CPython's configure looks for gdbm-ndbm.h and links dbm_open with -lgdbm_compat
    alone; Debian's shared library satisfies that, so must the static one."""
    (tmp_path / "ndbm.c").write_text(
        "#include <gdbm-ndbm.h>\n#include <fcntl.h>\n#include <stdio.h>\n"
        'int main(void) { DBM *db = dbm_open("db", O_RDWR | O_CREAT, 0600);\n'
        '  datum k = {"k", 1}, v = {"v", 1};\n'
        "  dbm_store(db, k, v, DBM_REPLACE);\n"
        '  printf("%.*s\\n", dbm_fetch(db, k).dsize, dbm_fetch(db, k).dptr);\n'
        "  dbm_close(db); return 0; }\n"
    )
    flags = (libraries.cppflags, libraries.ldflags, "-lgdbm_compat")
    run_with(zig_toolchain, "cc", "-O2", "ndbm.c", "-o", "ndbm", *flags, cwd=tmp_path)
    assert run_with(zig_toolchain, "./ndbm", cwd=tmp_path).stdout == "v\n"


def _at(base: str, recipe: Recipe) -> Recipe:
    """``recipe`` with its upstream URLs moved to the server at ``base`` (same paths)."""
    files = tuple(
        replace(f, upstream=tuple(base + urlparse(u).path for u in f.upstream))
        for f in recipe.source.files
    )
    return replace(recipe, source=replace(recipe.source, files=files))


def test_upstream_urls_serve_the_same_tarballs(
    libraries: Libraries, zig_toolchain: Toolchain, tmp_path: Path, isolated_cache: Path
) -> None:
    """A loopback server serves every pinned file under its upstream URL's path, and
    Debian tarballs under a mirror's pool. Fetched from there alone (no apt) into an
    empty cache, each matches its pin; bzip2 built from them has the same key and
    the same archive as the one built from Debian's sources."""
    real_sources = libraries.prefix.parents[1] / "sources" / "sha256"
    www = tmp_path / "www"
    for recipe in RECIPES:
        for f in recipe.source.files:
            cached = real_sources / f.sha256 / f.name
            for url in f.upstream:
                dest = www / urlparse(url).path.lstrip("/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(cached.read_bytes())
            if f is recipe.source.debian_tarball:
                pool = www / "debian" / "pool" / "main" / recipe.source.pool_dir
                pool.mkdir(parents=True, exist_ok=True)
                (pool / f.name).write_bytes(cached.read_bytes())
    with serve(www) as (base, served):
        upstream_only = fetch.Sites(apt=False, debian_mirrors=())
        for recipe in RECIPES:
            with_upstream = [f for f in recipe.source.files if f.upstream]
            if with_upstream:
                only = replace(recipe.source, files=tuple(with_upstream))
                fetch.fetch(_at(base, replace(recipe, source=only)), upstream_only)
        assert len(served) == 6  # openssl, xz, libffi, bzip2, libedit, gdbm
        sites = fetch.Sites(apt=False, debian_mirrors=(f"{base}/debian",))
        built = build_library(_at(base, BY_NAME["bzip2"]), zig_toolchain, {}, sites=sites)
    assert "/pub/bzip2/bzip2-1.0.8.tar.gz" in served
    assert "/debian/pool/main/b/bzip2/bzip2_1.0.8-6.debian.tar.bz2" in served
    real = libraries.library("bzip2")
    assert built.path.parent != real.path.parent
    assert built.key == real.key
    assert dict(built.archives) == dict(real.archives)
