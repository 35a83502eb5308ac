"""Free-threaded executables (``python = "3.13t"``, PEP 703), built and run for real.

The example app (examples/freethreaded) runs two CPU-bound threads in parallel
and numpy from its ``cp313t`` wheel with the GIL off, under ``strace`` as the
other examples; a stress app imports embedded modules, data files and compiled
extension modules from eight threads at once, in fifty fresh processes; an
extension module that does not declare it runs without the GIL turns the GIL on
with CPython's own warning; ``pyingot inspect`` says the executable is
free-threaded.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pyingot.distribution.model import Distribution
from tests import building
from tests import traced as trace
from tests.building import EXAMPLES
from tests.distributions import distribution

pytestmark = pytest.mark.slow

VERSION = "3.13t"
#: The issue's bar for two CPU-bound threads on two cores against one after the other.
SPEEDUP = 1.5
ATTEMPTS = 10


@pytest.fixture(scope="module")
def free() -> Distribution:
    return distribution(VERSION)


@pytest.fixture(scope="module")
def demo(free: Distribution, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = building.copy_project(
        EXAMPLES / "freethreaded", tmp_path_factory.mktemp("demo") / "freethreaded"
    )
    return building.build_ok(project, project / "dist" / "demo", timeout=1200)


def run(
    exe: Path, *args: str, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})},
    )


def test_example_runs_threads_in_parallel_and_numpy_without_the_gil(
    demo: Path, tmp_path: Path
) -> None:
    log = tmp_path / "strace.txt"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(log), str(demo), "1"],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "GIL" not in done.stderr, done.stderr
    out = json.loads(done.stdout)
    assert out["gil_enabled_at_start"] is False
    assert out["gil_enabled_after_numpy"] is False
    assert out["product"] == [[14.0, 25.0], [12.0, 20.0]]
    assert out["inverse"] == [[0.6, -0.7], [-0.2, 0.4]]
    assert out["identity_ok"] is True
    lines = log.read_text().splitlines()
    assert trace.code_from_disk(lines, own=tmp_path) == []
    assert trace.writes_under_tmp(lines, own=tmp_path) == []
    # numpy's extension modules came from memory.
    assert any("/proc/self/fd/" in ln and "openat" in ln for ln in lines)

    # Timed outside strace, which serialises the threads' system calls. The
    # machine's two cores are shared (other builds, other tests): a few tries,
    # each the best of five rounds, for one run with both cores free.
    speedups = []
    for _ in range(ATTEMPTS):
        speedups.append(json.loads(run(demo, "5").stdout)["speedup"])
        if speedups[-1] >= SPEEDUP:
            break
    assert max(speedups) >= SPEEDUP, speedups


def test_inspect_shows_free_threaded(demo: Path) -> None:
    shown = building.pyingot("inspect", demo)
    assert shown.returncode == 0, shown.stderr
    assert "python:          3.13.5 (free-threaded: no GIL)" in shown.stdout


# --------------------------------------------------------------------------- stress

THREADS = 8
MODULES = 24
DATA_FILES = 6
PROCESSES = 50

#: A compiled extension module that declares it runs without the GIL.
EXTENSION_C = """\
#include <Python.h>
static int exec_module(PyObject *m) {
    return PyModule_AddStringConstant(m, "NAME", "stress.ext%(i)d");
}
static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};
static struct PyModuleDef def = {
    PyModuleDef_HEAD_INIT, "stress.ext%(i)d", NULL, 0, NULL, slots,
};
PyMODINIT_FUNC PyInit_ext%(i)d(void) { return PyModuleDef_Init(&def); }
"""

#: Single-phase, with no word about the GIL: CPython turns the GIL on to load it.
GIL_NEEDING_C = """\
#include <Python.h>
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "gilly", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_gilly(void) { return PyModule_Create(&def); }
"""

STRESS_MAIN = f"""\
import importlib, importlib.metadata, importlib.resources, pkgutil, sys, threading

THREADS, MODULES, DATA_FILES = {THREADS}, {MODULES}, {DATA_FILES}
barrier = threading.Barrier(THREADS)
errors = []


def worker(i):
    try:
        barrier.wait()
        pkg = f"stress.p{{i}}"
        for j in range(MODULES):
            # Every thread also imports the shared modules, in its own order.
            shared = importlib.import_module(f"stress.shared.s{{(i + j) % MODULES}}")
            assert shared.VALUE == f"stress.shared.s{{(i + j) % MODULES}}", shared
            mod = importlib.import_module(f"{{pkg}}.m{{j}}")
            assert mod.VALUE == f"{{pkg}}.m{{j}}" and mod.SQUARES[-1] == 99 * 99, mod
        ext = importlib.import_module(f"stress.ext{{i}}")
        assert ext.NAME == f"stress.ext{{i}}", ext.NAME
        files = importlib.resources.files(pkg) / "data"
        for k in range(DATA_FILES):
            want = f"{{pkg}} file {{k}}\\n" * 50
            assert (files / f"f{{k}}.txt").read_text() == want
            assert pkgutil.get_data(pkg, f"data/f{{k}}.txt").decode() == want
            with importlib.resources.as_file(files / f"f{{k}}.txt") as path:
                assert path.read_text() == want
        assert importlib.metadata.version("stress-app") == "1.0"
    except BaseException as e:
        errors.append(f"thread {{i}}: {{e!r}}")


def main():
    if sys.argv[1:] == ["gil"]:
        import gilly

        print(gilly.__name__, sys._is_gil_enabled())
        return 0
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(*errors, sep="\\n", file=sys.stderr)
        return 1
    print("ok", sys._is_gil_enabled(), len(sys.modules))
    return 0
"""


def compile_extension(dist: Distribution, source: str, out: Path) -> None:
    c = out.parent / (out.name.split(".")[0] + ".c")
    c.write_text(source)
    subprocess.run(
        ["cc", "-shared", "-fPIC", "-O1", f"-I{dist.path(dist.include)}", "-o", str(out), str(c)],
        check=True,
    )
    c.unlink()


@pytest.fixture(scope="module")
def stress(free: Distribution, tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("stress")
    files = {
        "pyproject.toml": (
            '[project]\nname = "stress-app"\nversion = "1.0"\n\n'
            '[project.scripts]\nstress = "stress.__main__:main"\n\n'
            f'[tool.pyingot]\npython = "{VERSION}"\n\n'
            # Imported by computed names, which no analysis sees.
            '[tool.pyingot.modules]\ninclude = ["stress.*", "gilly"]\n'
        ),
        "src/stress/__init__.py": "",
        "src/stress/__main__.py": STRESS_MAIN,
        "src/stress/shared/__init__.py": "",
    }
    for j in range(MODULES):
        files[f"src/stress/shared/s{j}.py"] = f'VALUE = "stress.shared.s{j}"\n'
    for i in range(THREADS):
        pkg = f"stress.p{i}"
        files[f"src/stress/p{i}/__init__.py"] = ""
        for j in range(MODULES):
            files[f"src/stress/p{i}/m{j}.py"] = (
                f'VALUE = "{pkg}.m{j}"\nSQUARES = [n * n for n in range(100)]\n'
            )
        for k in range(DATA_FILES):
            files[f"src/stress/p{i}/data/f{k}.txt"] = f"{pkg} file {k}\n" * 50
    building.write(project, files)
    suffix = ".cpython-313t-x86_64-linux-gnu.so"
    for i in range(THREADS):
        compile_extension(free, EXTENSION_C % {"i": i}, project / f"src/stress/ext{i}{suffix}")
    compile_extension(free, GIL_NEEDING_C, project / f"src/gilly{suffix}")
    return building.build_ok(project, project / "dist" / "stress")


def test_the_interpreter_has_the_import_race_fix_and_the_sbom_says_so(
    free: Distribution, stress: Path
) -> None:
    """CPython 3.13.5's importlib looks a submodule's parent up while another
    thread may be re-inserting it (KeyError: 'stress.shared' in about one process
    in fifty of the stress test below); pyingot patches the free-threaded build."""
    frozen = subprocess.run(
        [
            str(free.path(free.python_exe)),
            "-c",
            "import _frozen_importlib as f; print(f._parent_module)",
        ],
        capture_output=True,
        text=True,
    )
    assert frozen.returncode == 0 and "_parent_module" in frozen.stdout, frozen.stderr
    recorded = [p["name"] for p in free.extra["pyingot"]["patches"]]
    assert recorded == ["importlib-parent-lookup-race"]
    sbom = json.loads((stress.parent / f"{stress.name}.cdx.json").read_text())
    cpython = next(c for c in sbom["components"] if c["name"] == "cpython")
    fixes = [r["name"] for p in cpython["pedigree"]["patches"] for r in p["resolves"]]
    assert fixes == ["importlib-parent-lookup-race"]


def test_eight_threads_import_at_once_in_fifty_processes(stress: Path) -> None:
    failures = []
    for n in range(PROCESSES):
        try:
            done = run(stress, timeout=60)
        except subprocess.TimeoutExpired:
            failures.append(f"run {n}: no answer in 60 s (deadlock?)")
            continue
        if done.returncode != 0 or not done.stdout.startswith("ok False "):
            failures.append(f"run {n}: exit {done.returncode}: {done.stdout}{done.stderr}")
    assert failures == []


def test_an_extension_without_free_threading_support_turns_the_gil_on(stress: Path) -> None:
    done = run(stress, "gil")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "gilly True\n"
    # CPython's own warning (Python/import.c, _PyImport_CheckGILForModule).
    assert (
        "RuntimeWarning: The global interpreter lock (GIL) has been enabled to load "
        "module 'gilly', which has not declared that it can run safely without the GIL."
        in done.stderr
    ), done.stderr
    # ... and the override it names, PYTHON_GIL=0, keeps the GIL off.
    kept_off = run(stress, "gil", env={"PYTHON_GIL": "0"})
    assert (kept_off.returncode, kept_off.stdout, kept_off.stderr) == (0, "gilly False\n", "")
