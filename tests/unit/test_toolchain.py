"""The portable toolchain: zig's wrappers build for the glibc floor, on any build machine."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from pyingot.distribution.toolchain import WRAPPERS, ZIG_NAME, Toolchain, toolchain
from pyingot.errors import PyingotError
from tests.compiling import glibc_floor, run_with

#: Functions whose newest versions are far above 2.17 on the build machine.
HELLO = """
    #define _GNU_SOURCE
    #include <fcntl.h>
    #include <pthread.h>
    #include <stdio.h>
    #include <sys/stat.h>
    double distance(double x, double y);
    static void *run(void *arg) { return arg; }
    int main(int argc, char **argv) {
        struct stat st;
        pthread_t t;
        pthread_create(&t, NULL, run, NULL);
        pthread_join(t, NULL);
        int fd = open(argv[0], O_RDONLY);
        int ok = fcntl(fd, F_GETFD) >= 0;
        printf("%.0f %d %d\\n", distance(3.0, 4.0 * argc), stat(argv[0], &st), ok);
        return 0;
    }
    """

GEOMETRY = "#include <math.h>\ndouble distance(double x, double y) { return hypot(x, y); }\n"


def test_wrappers_build_for_the_glibc_floor(tmp_path: Path, zig_toolchain: Toolchain) -> None:
    assert sorted(p.name for p in zig_toolchain.bin_dir.iterdir()) == sorted(WRAPPERS)
    (tmp_path / "hello.c").write_text(textwrap.dedent(HELLO))
    (tmp_path / "geometry.c").write_text(GEOMETRY)
    run_with(zig_toolchain, "cc", "-O2", "-c", "geometry.c", cwd=tmp_path)
    run_with(zig_toolchain, "ld", "-r", "geometry.o", "-o", "combined.o", cwd=tmp_path)
    # ncurses archives with "curvU": U (real dates) is dropped, archives stay deterministic.
    run_with(zig_toolchain, "ar", "rcU", "libgeometry.a", "combined.o", cwd=tmp_path)
    header = (tmp_path / "libgeometry.a").read_bytes()[8:68]
    assert header[:16].strip() in (b"/", b"combined.o/") and header[16:28].strip() == b"0"
    run_with(zig_toolchain, "ranlib", "libgeometry.a", cwd=tmp_path)
    # Flags zig rejects or that would tune for this machine are dropped.
    flags = ("-Wl,--exclude-libs,ALL", "-march=native", "-static-libgcc")
    link = ("-o", "hello", "-L.", "-lgeometry", "-lm")
    run_with(zig_toolchain, "cc", "-O2", *flags, "hello.c", *link, cwd=tmp_path)
    assert run_with(zig_toolchain, "./hello", cwd=tmp_path).stdout == "5 0 1\n"
    assert glibc_floor(tmp_path / "hello") <= (2, 17)
    # No debug information unless asked for (zig's default has it, with its own paths).
    sections = subprocess.run(
        ["readelf", "-SW", str(tmp_path / "geometry.o")], capture_output=True, text=True
    ).stdout
    assert ".debug_info" not in sections


def test_questions_configure_asks_get_answers(tmp_path: Path, zig_toolchain: Toolchain) -> None:
    assert run_with(zig_toolchain, "cc", "-dumpmachine", cwd=tmp_path).stdout == (
        "x86_64-pc-linux-gnu\n"
    )
    ld = run_with(zig_toolchain, "cc", "-print-prog-name=ld", cwd=tmp_path).stdout.strip()
    assert ld == str(zig_toolchain.tool("ld"))


def test_no_sanitizer_in_debug_builds(tmp_path: Path, zig_toolchain: Toolchain) -> None:
    """zig cc alone turns UBSan on at -O0: configure's overflow probes would abort."""
    (tmp_path / "overflow.c").write_text(
        "int main(int argc, char **argv) { volatile int x = 2147483647; (void)argv; "
        "return x + argc == 0 ? 3 : 0; }\n"
    )
    run_with(zig_toolchain, "cc", "-O0", "-g", "overflow.c", "-o", "overflow", cwd=tmp_path)
    run_with(zig_toolchain, "./overflow", cwd=tmp_path)


def test_env_keeps_the_host_out(
    tmp_path: Path, zig_toolchain: Toolchain, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("CFLAGS", "CXX", "PKG_CONFIG_PATH", "MAKEFLAGS", "LDFLAGS"):
        monkeypatch.setenv(name, "from-the-host")
    env = zig_toolchain.env(
        zig_cache=tmp_path / "zc", pkg_config_libdir=[tmp_path / "pc"], source_date_epoch=7
    )
    assert env["PATH"].split(os.pathsep)[0] == str(zig_toolchain.bin_dir)
    assert env["CC"] == str(zig_toolchain.tool("cc"))
    assert {env["AR"], env["RANLIB"], env["LD"]} == {
        str(zig_toolchain.tool(t)) for t in ("ar", "ranlib", "ld")
    }
    assert "CXX" not in env  # zig's first C++ compile builds libc++ (50 s)
    for name in ("CFLAGS", "PKG_CONFIG_PATH", "MAKEFLAGS", "LDFLAGS"):
        assert name not in env
    assert env["PKG_CONFIG_LIBDIR"] == str(tmp_path / "pc")
    assert zig_toolchain.env(zig_cache=tmp_path)["PKG_CONFIG_LIBDIR"] == ""
    assert env["ZIG_GLOBAL_CACHE_DIR"] == env["ZIG_LOCAL_CACHE_DIR"] == str(tmp_path / "zc")
    assert (env["LC_ALL"], env["TZ"], env["SOURCE_DATE_EPOCH"]) == ("C", "UTC", "7")


def test_fingerprint_is_what_changes_output(zig_toolchain: Toolchain, tmp_path: Path) -> None:
    other_place = dataclasses.replace(zig_toolchain, bin_dir=tmp_path, zig=tmp_path / "zig")
    assert other_place.fingerprint == zig_toolchain.fingerprint
    assert dataclasses.replace(zig_toolchain, glibc="2.28").fingerprint != (
        zig_toolchain.fingerprint
    )
    assert dataclasses.replace(zig_toolchain, zig_sha256="0" * 64).fingerprint != (
        zig_toolchain.fingerprint
    )
    assert zig_toolchain.target == "x86_64-linux-gnu.2.17"


def _fake_zig(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_missing_zig_names_the_package_and_the_fix(tmp_path: Path, isolated_cache: Path) -> None:
    with pytest.raises(PyingotError) as e:
        toolchain(zig=tmp_path / "no-zig")
    assert ZIG_NAME == "zig 0.17.1 (pip package ziglang)"
    assert ZIG_NAME in e.value.message
    assert "pip install --force-reinstall ziglang==0.17.1" in (e.value.hint or "")


def test_wrong_zig_version(tmp_path: Path, isolated_cache: Path) -> None:
    zig = _fake_zig(tmp_path / "zig", 'echo "0.13.0"')
    with pytest.raises(PyingotError) as e:
        toolchain(zig=zig)
    assert f"{zig} is zig 0.13.0" in e.value.message
    assert ZIG_NAME in e.value.message


def test_broken_zig_leaves_nothing_in_the_cache(tmp_path: Path, isolated_cache: Path) -> None:
    zig = _fake_zig(
        tmp_path / "zig",
        'if [ "$1" = version ]; then echo 0.17.1; else echo "zig: cannot link" >&2; exit 3; fi',
    )
    with pytest.raises(PyingotError) as e:
        toolchain(zig=zig)
    assert f"{ZIG_NAME} at {zig} is broken: compiling hello.c" in e.value.message
    assert "zig: cannot link" in e.value.message
    entries = isolated_cache / "toolchains"
    assert [p.name for p in entries.iterdir() if not p.name.endswith(".lock")] == []


def test_glibc_must_be_a_version(isolated_cache: Path) -> None:
    with pytest.raises(PyingotError, match="glibc 'latest' is not a glibc version"):
        toolchain(glibc="latest")
