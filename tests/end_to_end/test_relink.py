"""A distribution's extensions can be linked into a new executable one by one.

The interpreter is relinked from PYTHON.json alone (core objects, the chosen
extensions' objects and static libraries, a regenerated inittab) with a
three-line C main, and must have exactly the chosen built-in modules.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pyingot.distribution.model import Distribution
from pyingot.distribution.selection import ExtensionSelection
from pyingot.stub import linking
from tests.distributions import SOURCES, distribution

pytestmark = pytest.mark.slow

#: Built-in modules that are part of the core, not extensions.
CORE_BUILTINS = {
    "_ast",
    "_imp",
    "_string",
    "_tokenize",
    "_warnings",
    "builtins",
    "gc",
    "marshal",
    "sys",
}

MAIN_C = """#include <Python.h>
int main(int argc, char **argv) { return Py_BytesMain(argc, argv); }
"""


@pytest.fixture(params=sorted(SOURCES), scope="module")
def dist(request: pytest.FixtureRequest) -> Distribution:
    return distribution(request.param)


def relink(dist: Distribution, selection: ExtensionSelection, tmp: Path) -> Path:
    (tmp / "main.c").write_text(MAIN_C)
    subprocess.run(
        [
            "cc",
            "-c",
            "-fPIC",
            f"-I{dist.path(dist.include)}",
            str(tmp / "main.c"),
            "-o",
            str(tmp / "main.o"),
        ],
        check=True,
    )
    out = tmp / "bin" / "python"
    linking.link(dist, selection.resolve(dist), main_inputs=[tmp / "main.o"], output=out)
    return out


def builtins_of(exe: Path, dist: Distribution, code: str = "") -> set[str]:
    done = subprocess.run(
        # Not -I: it implies -E, which would ignore PYTHONHOME.
        [str(exe), "-S", "-s", "-c", code + "\nimport sys; print(*sys.builtin_module_names)"],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHOME": str(dist.path("install")), "PATH": "/usr/bin:/bin"},
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("policy", ["minimal", "no-copyleft"])
def test_relinked_interpreter_has_exactly_the_selection(
    dist: Distribution, policy: str, tmp_path: Path
) -> None:
    selection = ExtensionSelection(policy)
    exe = relink(dist, selection, tmp_path)
    code = "import ssl, sqlite3, ctypes, decimal" if policy != "minimal" else ""
    assert builtins_of(exe, dist, code) == set(selection.resolve(dist)) | CORE_BUILTINS
    ldd = subprocess.run(["ldd", str(exe)], capture_output=True, text=True).stdout
    assert "libssl" not in ldd and "libsqlite" not in ldd


def test_inittab_keeps_the_core_entries(dist: Distribution) -> None:
    source = linking.inittab_source(dist, {})
    assert '{"marshal", ' in source and '{"posix"' not in source
