"""issue 11: a package that reads its files beside ``__file__`` works in an executable.

The fixture (tests/fixtures/file_view) reads its data every way code does —
``open``, ``os.stat``, ``listdir``, ``scandir``, ``walk``, ``glob``, ``pathlib``,
``shutil.copy`` out, ``linecache``/``traceback``, SQLite by path, ``fopen``
and ``dlopen`` through ctypes, OpenSSL's ``cafile`` and ``capath`` — and checks that writes into
the view fail with ``EROFS`` and that paths outside it behave as before. The
run is traced: the view is served inside the process (no path under the
executable reaches the kernel), no code is read from disk and nothing is
written outside the test's own directory.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests import building
from tests import traced as trace
from tests.building import FIXTURES
from tests.distributions import distribution

pytestmark = pytest.mark.slow

CHECKS = {
    "open_text",
    "open_binary_seek",
    "io_open_and_os_open",
    "stat_and_lstat",
    "access",
    "os_path",
    "listdir",
    "scandir",
    "walk",
    "glob_patterns",
    "pathlib_reads",
    "shutil_copy_out",
    "linecache_and_traceback",
    "sqlite_by_path",
    "ctypes_fopen",
    "ctypes_cdll",
    "ssl_cafile",
    "ssl_capath_handshake",
    "writes_fail_with_erofs",
    "missing_and_not_a_directory",
    "namespace_folder_and_sys_path",
    "outside_unchanged",
}


@pytest.mark.parametrize("python", ["3.11", "3.13"])
def test_package_reads_its_files_through_file_paths(python: str, tmp_path: Path) -> None:
    distribution(python)
    project = building.copy_project(FIXTURES / "file_view", tmp_path / "project")
    building.pin(project, python=python)
    native = project / "viewpkg" / "native"
    native.mkdir()
    (native / "answer.c").write_text("int answer(void) { return 42; }\n")
    subprocess.run(
        ["cc", "-shared", "-fPIC", "-o", native / "answer.plugin", native / "answer.c"],
        check=True,
    )
    (native / "answer.c").unlink()
    # A zip archive of modules among the package data (zipimport reads it in the view).
    with zipfile.ZipFile(project / "viewpkg" / "plugins" / "bundle.zip", "w") as bundle:
        bundle.writestr("zipped.py", "ANSWER = 42\n")
    exe = building.build_ok(project, tmp_path / "file-view")
    outside = tmp_path / "outside"
    outside.mkdir()
    log = tmp_path / "strace.txt"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(log), str(exe), str(outside)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(outside)},
    )
    results = json.loads(done.stdout)
    assert set(results) == CHECKS
    assert {k: v for k, v in results.items() if v != "ok"} == {}
    assert done.returncode == 0, done.stderr
    lines = log.read_text().splitlines()
    assert [ln for ln in lines if f'"{exe}/' in ln] == []
    assert trace.code_from_disk(lines) == []
    assert trace.writes(lines, own=outside) == []
