"""End to end: executables run on an older Linux, alone, with no Python there.

The root is Debian 11 (glibc 2.31) made by debootstrap (tests/roots.py, cached
after the first run). Each executable is built here, copied alone into the
root and run with chroot; its output must be what it prints on this machine.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests import building, roots
from tests.building import ROOT
from tests.distributions import distribution

pytestmark = pytest.mark.slow

VERSION = "3.11"


@pytest.fixture(scope="module")
def debian11() -> Path:
    reason = roots.missing()
    if reason:
        pytest.skip(reason)
    root = roots.debian_root("bullseye")
    assert roots.pythons(root) == []  # so what runs there cannot lean on a Python
    return root


def outcome(done: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return done.returncode, done.stdout, done.stderr


PROBE = r"""
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
    char exe[4096], version[64] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    FILE *f = fopen("/etc/debian_version", "r");
    if (n < 0 || !f || !fgets(version, sizeof version, f)) return 1;
    exe[n] = 0;
    printf("%s %s %s", exe, argv[1], version);
    return 0;
}
"""


def test_a_program_runs_alone_in_the_root_with_proc(debian11: Path, tmp_path: Path) -> None:
    """The harness itself: a static program (glibc's version does not matter to it)
    sees the root's files and a /proc, and leaves neither its copy nor a mount behind."""
    (tmp_path / "probe.c").write_text(PROBE)
    exe = tmp_path / "probe"
    subprocess.run(["cc", "-static", "-o", exe, tmp_path / "probe.c"], check=True)
    done = roots.run_in_root(debian11, exe, "argument")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"/tmp/pyingot-[0-9a-f]+/probe argument 11\.\d+\n", done.stdout)
    assert not (debian11 / done.stdout.split()[0].lstrip("/")).exists()
    assert not list((debian11 / "proc").iterdir())
    assert str(debian11) not in Path("/proc/self/mountinfo").read_text()


@pytest.fixture(scope="module")
def hello(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[int, str, str]]:
    """The hello example built here, and what it prints here.

    Built in a fixture so that a failure to build or to run here is an error,
    never taken for the expected failure below."""
    distribution(VERSION)  # built or cached before the build needs it
    work = tmp_path_factory.mktemp("old-linux")
    project = building.copy_project(ROOT / "examples" / "hello", work / "project")
    building.pin(project, python=VERSION)
    exe = building.build_ok(project, work / "hello")
    here = subprocess.run(
        [exe, "pyingot"], capture_output=True, text=True, timeout=120, env=roots.ENV, check=False
    )
    assert here.returncode == 0 and here.stdout.startswith(f"Hello, pyingot! (Python {VERSION}.")
    return exe, outcome(here)


# Today's distributions and stubs are linked against this machine's glibc (2.36)
# and need GLIBC_2.35: in Debian 11 the loader refuses them ("version
# `GLIBC_2.35' not found"). The portable distribution lowers the floor to 2.17.
@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="needs the portable distribution (issue 9)"
)
def test_hello_runs_on_debian_11(debian11: Path, hello: tuple[Path, tuple[int, str, str]]) -> None:
    exe, here = hello
    assert outcome(roots.run_in_root(debian11, exe, "pyingot")) == here
