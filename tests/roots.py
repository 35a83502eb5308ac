"""Older Linux systems to run executables in: a Debian root made by debootstrap.

An executable that runs here only proves it runs on this machine's glibc. The
promise is older systems too, so tier-3 tests copy an executable alone into a
minimal Debian 11 root (glibc 2.31, no Python) and run it there with chroot.

Making a root downloads about 40 packages (a minute or two), so it is done once
and kept in pyingot's user cache, keyed by suite and variant, through the same
all-or-nothing entries the distributions use: concurrent test processes wait
for one another, and an interrupted debootstrap leaves nothing behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from pyingot import cache, tools

MIRROR = "http://deb.debian.org/debian"
VARIANT = "minbase"
#: The environment a run in a root gets unless the caller gives one.
#: What an empty root needs to run an executable: glibc's own files.
GLIBC_FILES = (
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/x86_64-linux-gnu/libm.so.6",
    # Before glibc 2.34 these were libraries of their own; an executable linked
    # for glibc 2.17 names them, and a newer glibc ships them as empty stubs.
    "/lib/x86_64-linux-gnu/libpthread.so.0",
    "/lib/x86_64-linux-gnu/libdl.so.2",
    "/lib/x86_64-linux-gnu/librt.so.1",
    "/lib/x86_64-linux-gnu/libutil.so.1",
)

ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


def missing() -> str | None:
    """Why no root can be made or used here (a reason to skip), or ``None``."""
    if os.geteuid() != 0:
        return "debootstrap and chroot need root"
    for program in ("debootstrap", "unshare", "chroot"):
        if shutil.which(program) is None and not Path("/usr/sbin", program).exists():
            return f"{program} is not installed (scripts/setup-system installs it)"
    return None


def debian_root(suite: str = "bullseye") -> Path:
    """A ``debootstrap --variant=minbase SUITE`` root, made on first use and cached."""
    final = cache.cache_root() / "roots" / f"debian-{suite}-{VARIANT}"
    with cache.entry_lock(final):
        if final.is_dir():
            return final
        with cache.staging_dir(final) as tmp:
            try:
                tools.check(
                    [_program("debootstrap"), f"--variant={VARIANT}", suite, tmp, MIRROR],
                    what=f"debootstrap of Debian {suite} into {tmp}",
                )
            finally:
                # debootstrap mounts /proc and /sys in the root while it installs and
                # unmounts them when it exits; if it was killed they may still be there,
                # and the staging directory's removal must not walk into them.
                _unmount_below(tmp)
            tmp.chmod(0o755)  # mkdtemp's 0700 would be the root's /
            cache.commit(tmp, final)
    return final


def pythons(root: Path) -> list[str]:
    """Any Python interpreter or standard library in ``root`` (paths inside it)."""
    found = []
    for pattern in ("usr/bin/python*", "usr/local/bin/python*", "usr/lib/python3*"):
        found += [f"/{p.relative_to(root)}" for p in root.glob(pattern)]
    return sorted(found)


def run_in_root(
    root: Path,
    exe: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Copy ``exe`` alone into a fresh directory of ``root`` and run it there with chroot.

    ``/proc`` is mounted inside the root for the run (extension modules load
    through ``/proc/self/fd``) in a mount namespace of the run's own, so the
    mount vanishes with the process, however it ends; the copy is removed after.
    """
    inside = Path("/tmp") / f"pyingot-{secrets.token_hex(6)}"
    workdir = root / inside.relative_to("/")
    workdir.mkdir(parents=True)
    try:
        shutil.copy2(exe, workdir / exe.name)
        return subprocess.run(
            [
                _program("unshare"),
                f"--mount-proc={root / 'proc'}",
                _program("chroot"),
                str(root),
                str(inside / exe.name),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(ENV if env is None else env),
            check=False,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _program(name: str) -> str:
    """``name`` on PATH, or in /usr/sbin (not on every root user's PATH)."""
    return shutil.which(name) or str(Path("/usr/sbin", name))


def _unmount_below(directory: Path) -> None:
    """Lazily unmount every mount point at or below ``directory``, deepest first."""
    prefix = str(directory.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
