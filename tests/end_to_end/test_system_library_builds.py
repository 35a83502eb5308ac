"""End to end: libraries a manylinux wheel expects from the system, embedded and
loaded from memory in a real executable.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pyingot.payload.packing import Kind
from pyingot.payload.reading import find_payload, read_payload
from pyingot.resources.libraries import (
    GLIBC,
    SystemLibraries,
)
from tests import building
from tests import traced as trace
from tests.building import EXAMPLES
from tests.distributions import distribution

NUMPY_CALC = EXAMPLES / "numpy_calc"
MACHINE = "x86_64"
GCC_RUNTIME = "GPL-3.0-or-later WITH GCC-exception-3.1"
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


# --------------------------------------------------------------------- end to end


def _build(version: str, workdir: Path) -> tuple[Path, str]:
    distribution(version)  # built or cached before the build needs it
    project = building.copy_project(NUMPY_CALC, workdir / "project")
    # A floor the build machine's C++ runtime fits (Debian 12's needs glibc 2.36),
    # so it is embedded; at the default, 2.17, no copy fits and it is left to the
    # target system (tests/end_to_end/test_applications.py runs that case).
    building.pin(project, python=version, glibc="2.36")
    exe = workdir / "numpy-calc"
    done = building.build(project, exe)
    assert done.returncode == 0, done.stdout + done.stderr
    return exe, done.stderr


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_numpy_needs_only_glibc_from_the_target(version: str, tmp_path: Path) -> None:
    exe, report = _build(version, tmp_path)
    assert "not embedded: lib" not in report, report
    summary = next(ln for ln in report.splitlines() if "from the build machine" in ln)
    for name in ("libgcc_s.so.1", "libstdc++.so.6", "libz.so.1"):
        assert f" {name} (" in summary, summary
    assert f"license {GCC_RUNTIME}" in summary and "license Zlib" in summary

    entries = {(e.kind, e.name): e for e in read_payload(find_payload(exe.read_bytes()))}
    system = SystemLibraries(MACHINE)
    for name in ("libgcc_s.so.1", "libstdc++.so.6", "libz.so.1"):
        path = system.find(name)
        assert path is not None
        assert entries[(Kind.SHARED_LIBRARY, name)].primary == path.read_bytes()
    order = json.loads(entries[(Kind.META, "extension_libraries")].primary)
    umath = order["numpy._core._multiarray_umath"]
    assert umath.index("libgcc_s.so.1") < umath.index("libstdc++.so.6")
    gfortran = next(n for n in umath if n.startswith("libgfortran-"))
    assert umath.index("libz.so.1") < umath.index(gfortran)

    log = tmp_path / "strace.txt"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(log), str(exe)],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["identity_ok"] is True and result["blas"] is True
    assert result["product"] == [[14.0, 25.0], [12.0, 20.0]]

    lines = log.read_text().splitlines()
    opened = [ln for ln in lines if re.search(r"\b(open|openat|creat)\(", ln)]
    shared = [(ln, m[1]) for ln in opened if (m := re.search(r'"([^"]*\.so(?:\.[0-9.]+)?)"', ln))]
    from_disk = [
        ln
        for ln, path in shared
        if not path.startswith("/proc/self/fd/") and Path(path).name not in GLIBC
    ]
    assert from_disk == [], "\n".join(from_disk)
    in_memory = [ln for ln in opened if re.search(r'"/proc/self/fd/\d+"', ln)]
    assert len(in_memory) >= 6  # the six libraries, then the extension modules
    assert trace.code_from_disk(lines) == []
    assert trace.writes(lines) == []
    # Under /tmp (where the test runs) only the executable itself is opened.
    in_tmp = {m[1] for ln in opened if (m := re.search(r'"(/tmp/[^"]*)"', ln))}
    assert in_tmp <= {str(exe)}, in_tmp
