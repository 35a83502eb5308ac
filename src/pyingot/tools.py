"""The external programs pyingot drives (cc, cargo, make, dpkg, objdump ...).

One place runs them, so that a program missing from PATH is always reported the
same way: by name, with how to install it, and never as a crash.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from pyingot.errors import PyingotError

_RUST = "install Rust (https://rustup.rs) so that cargo and rustc are on PATH"
_BUILD = "install a C toolchain (Debian: apt-get install build-essential)"
_DEBIAN = "Debian's apt tools (apt-get, dpkg-dev) are needed for debian: sources"

#: How to get each program pyingot may run; the default is the C toolchain.
INSTALL_HINTS: Mapping[str, str] = {
    "cargo": _RUST,
    "rustc": _RUST,
    "apt-get": _DEBIAN,
    "apt-cache": _DEBIAN,
    "dpkg-source": _DEBIAN,
    "dpkg-query": _DEBIAN,
    "dpkg": _DEBIAN,
    "pkg-config": "install pkg-config (Debian: apt-get install pkg-config)",
    "objdump": "install binutils (Debian: apt-get install binutils)",
    "readelf": "install binutils (Debian: apt-get install binutils)",
    "make": "install GNU make (Debian: apt-get install make)",
    "patch": "install GNU patch (Debian: apt-get install patch)",
    "perl": "install perl with its core modules (Debian: apt-get install perl; "
    "Fedora: dnf install perl-core)",
    "tclsh": "install Tcl's shell, tclsh 8.4 or later (Debian: apt-get install tcl)",
}


def not_installed(program: str, purpose: str | None = None) -> PyingotError:
    """The error for a program that is not on PATH."""
    why = f" ({purpose})" if purpose else ""
    return PyingotError(
        f"cannot run '{program}': it is not installed{why}",
        hint=INSTALL_HINTS.get(Path(program).name, _BUILD),
    )


def run(
    cmd: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    purpose: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` to completion, capturing its output as text; never raises on
    a non-zero exit (the caller decides), only when the program is missing."""
    try:
        return subprocess.run(
            [str(c) for c in cmd],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError as e:
        raise not_installed(str(cmd[0]), purpose) from e


def check(
    cmd: Sequence[str | Path],
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; a non-zero exit is a :class:`PyingotError` naming ``what``
    with the end of the program's error output."""
    done = run(cmd, cwd=cwd, env=env, purpose=what)
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip())[-4000:]
        raise PyingotError(f"{what} failed (exit status {done.returncode}):\n{output}")
    return done


def version(cmd: Sequence[str]) -> str:
    """The first line a ``--version`` style command prints ('' if it prints nothing)."""
    done = run(cmd)
    return done.stdout.strip().split("\n", 1)[0]
