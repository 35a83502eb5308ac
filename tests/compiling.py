"""Compiling, linking and running with the portable toolchain, in tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pyingot.distribution.toolchain import Toolchain


def run_with(tc: Toolchain, *argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd`` with the toolchain's environment; fail the test on error."""
    zig_cache = cwd / ".zig-cache"
    if not zig_cache.exists():
        tc.seed_zig_cache(zig_cache)
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=tc.env(zig_cache=zig_cache),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done


def glibc_floor(binary: Path) -> tuple[int, ...]:
    """The highest GLIBC_x.y version ``objdump -T`` shows ``binary`` needs."""
    out = subprocess.run(["objdump", "-T", str(binary)], capture_output=True, text=True).stdout
    versions = [tuple(int(x) for x in v.split(".")) for v in re.findall(r"GLIBC_([\d.]+)", out)]
    return max(versions)
