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


def outcome(done: subprocess.CompletedProcess[str], exe: Path) -> tuple[int, str, str]:
    """Status and output, with the executable's path (which differs between the root
    and here) written as ``<exe>``: requests_certs prints certifi's bundle path, which
    lies in the executable's view."""
    inside = re.compile(r'[^\s"]*/' + re.escape(exe.name) + "/")
    return done.returncode, inside.sub("<exe>/", done.stdout), inside.sub("<exe>/", done.stderr)


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


#: The examples that must run on Debian 11, and the arguments they run with.
EXAMPLES = {
    "hello": ("pyingot",),
    "stdlib_tour": (),
    "requests_certs": (),
    "numpy_calc": (),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    distribution(VERSION)  # built or cached before the first build needs it
    return tmp_path_factory.mktemp("old-linux")


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_runs_alone_on_debian_11(debian11: Path, workdir: Path, example: str) -> None:
    """Built here, copied alone into a Debian 11 root (glibc 2.31, no Python):
    it prints there exactly what it prints here."""
    project = building.copy_project(ROOT / "examples" / example, workdir / example)
    building.pin(project, python=VERSION)
    exe = building.build_ok(project, workdir / f"{example}-exe")
    args = EXAMPLES[example]
    here = subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=300, env=roots.ENV, check=False
    )
    assert here.returncode == 0, here.stderr
    there = roots.run_in_root(debian11, exe, *args, timeout=300)
    assert outcome(there, exe) == outcome(here, exe)
