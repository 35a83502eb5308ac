"""CPython's own test modules, inside a python-like executable and under the stock interpreter.

One executable per Python version and session is built from
``tests/fixtures/cpython_tests``: ``entry = "python"``, the whole standard library and
CPython's ``test`` package (modules and data files). Each test module in ``MODULES`` runs
by name with unittest (regrtest would list the ``test`` package's directory) inside the
executable and under the static interpreter of the same distribution
(``<dist>/python/install/bin/python3.X``). The executable embeds CPython's test extension
modules (``_testcapi``, ``_testsinglephase``..., built only as shared libraries) through
``[tool.pyingot.extensions] include``, loaded from memory. Every test that passes under the
stock interpreter must pass in the executable, but for the few differences ``BY_DESIGN``
names with their reasons (and any that still needs a test extension module left out).

Both runs' outcomes are kept, with the classified difference, under
``$PYINGOT_CPYTHON_TESTS_REPORT`` (a directory; pytest's temporary directory if unset):
``<version>/<module>.stock.json``, ``.exe.json`` and ``.diff.txt``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import building
from tests.building import FIXTURES
from tests.distributions import distribution

pytestmark = pytest.mark.slow

FIXTURE = FIXTURES / "cpython_tests"
RUNNER = (Path(__file__).parent / "cpython_tests_runner.py").read_text()
MARK = "@@outcomes@@\n"
VERSIONS = ["3.11", "3.13"]

MODULES = [
    "test_email",
    "test_unittest",
    "test_runpy",
    "test_cmd_line_script",
    "test_cmd_line",
    "test_pkgutil",
    "test_linecache",
    "test_importlib",
    "test_json",
    "test_zipimport",
]

#: Tests that pass under python and cannot pass in an executable, and why.
BY_DESIGN = {
    "test.test_cmd_line.CmdLineTest.test_relativedir_bug46421": (
        "changes the current directory into its module's directory, which inside an "
        "executable is the executable's view, not a directory the kernel knows "
        "(docs/executables.md: the view's limits)"
    ),
}
_CHILD_IN_VIEW = (
    "starts `python -m unittest` with the working directory set to its test package's "
    "directory, which inside an executable is in the executable's view, where the kernel "
    "cannot chdir (docs/executables.md: the view's limits)"
)
for _prefix in ("unittest.test", "test.test_unittest"):  # 3.11, 3.13
    BY_DESIGN[f"{_prefix}.test_program.TestCommandLineArgs.testSelectedTestNamesFunctionalTest"] = (
        _CHILD_IN_VIEW
    )
    BY_DESIGN[f"{_prefix}.test_runner.Test_TextTestRunner.test_warnings"] = _CHILD_IN_VIEW

#: Modules that still differ from the stock interpreter, each a strict xfail (it fails
#: the run once the module passes, so the entry is removed then). None today.
NEEDS_FILE_VIEW: set[str] = set()

#: A detail mentioning one of these: the test needs a CPython test extension module that
#: the fixture does not include.
TESTCAPI = re.compile(
    r"\b_test(capi|internalcapi|limitedcapi|singlephase|multiphase|importmultiple|buffer)\b"
)


@dataclass(frozen=True)
class Interpreters:
    version: str
    exe: Path
    stock: Path
    report: Path


@pytest.fixture(scope="session", params=VERSIONS)
def interpreters(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Interpreters:
    version: str = request.param
    root = tmp_path_factory.mktemp(f"cpython-tests-{version}")
    project = building.copy_project(FIXTURE, root / "project")
    building.pin(project, python=version)
    if version == "3.11":
        # 3.11 keeps unittest's own tests in unittest.test (3.13 in test.test_unittest),
        # a test package that `stdlib = "all"` leaves out too.
        pyproject = project / "pyproject.toml"
        text = pyproject.read_text()
        text = text.replace(
            'include = ["test", "test.*"]',
            'include = ["test", "test.*", "unittest.test", "unittest.test.*"]',
        )
        text = text.replace('include = ["test/**"]', 'include = ["test/**", "unittest/test/**"]')
        pyproject.write_text(text)
    else:
        # Test extension modules that 3.12 added.
        pyproject = project / "pyproject.toml"
        added = '"_testbuffer", "_testsinglephase", "_testlimitedcapi"]'
        pyproject.write_text(pyproject.read_text().replace('"_testbuffer"]', added))
    out = root / "bin" / "python-like"
    done = building.build(project, out, quiet=True)
    if done.returncode != 0:
        pytest.fail(f"pyingot build failed:\n{done.stdout}\n{done.stderr}")
    dist = distribution(version)
    report = Path(os.environ.get("PYINGOT_CPYTHON_TESTS_REPORT") or root / "report") / version
    report.mkdir(parents=True, exist_ok=True)
    return Interpreters(version, out.resolve(), dist.path(dist.python_exe), report)


def run_module(program: Path, module: str, cwd: Path) -> dict[str, list[str]]:
    """``{test id: [outcome, detail]}`` of ``test.<module>`` run by ``program``."""
    cwd.mkdir()
    done = subprocess.run(
        [str(program), "-c", RUNNER, f"test.{module}"],
        cwd=cwd,
        # A clean environment: no PYTHON* variable of the caller's, a HOME of its own.
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C.UTF-8",
            "HOME": str(cwd),
        },
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if MARK not in done.stdout:
        raise AssertionError(
            f"{program} did not finish test.{module} (status {done.returncode}):\n"
            f"{done.stderr[-4000:]}"
        )
    outcomes: dict[str, list[str]] = json.loads(done.stdout.split(MARK, 1)[1])
    return outcomes


def classify(test_id: str, detail: str, exe: Path) -> str:
    """Why a test that passes under python does not pass in the executable."""
    if TESTCAPI.search(detail):
        return "needs _testcapi"
    if test_id in BY_DESIGN:
        return "by design: " + BY_DESIGN[test_id]
    # The executable is a file: a path below it is "not a directory" (or not found)
    # until the file view serves it.
    if "Not a directory" in detail or "Start directory is not importable" in detail:
        return "needs file view"
    if f"{exe}/" in detail:
        return "needs file view"
    return "other"


def difference(
    stock: dict[str, list[str]], exe: dict[str, list[str]], exe_path: Path
) -> dict[str, list[str]]:
    """Tests passing under python but not in the executable, by class:
    ``{class: ["test id: outcome in the executable", ...]}``."""
    classes: dict[str, list[str]] = {}
    for test_id, (outcome, _) in sorted(stock.items()):
        if outcome != "pass":
            continue
        got, detail = exe.get(test_id, ["missing", ""])
        if got == "pass":
            continue
        if got == "missing":
            # A module that did not load reports one error (or skip) for the whole module.
            detail = "\n".join(d for o, d in exe.values() if o in ("error", "skip"))
        kind = classify(test_id, detail, exe_path)
        classes.setdefault(kind, []).append(f"{test_id}: {got}")
    return classes


def summary(outcomes: dict[str, list[str]]) -> str:
    return ", ".join(
        f"{n} {o}" for o, n in sorted(Counter(o for o, _ in outcomes.values()).items())
    )


@pytest.mark.parametrize("module", MODULES)
def test_cpython_test_module(
    interpreters: Interpreters, module: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if module in NEEDS_FILE_VIEW:
        request.applymarker(
            pytest.mark.xfail(reason="still differs from the stock interpreter", strict=True)
        )
    stock = run_module(interpreters.stock, module, tmp_path / "stock")
    exe = run_module(interpreters.exe, module, tmp_path / "exe")
    classes = difference(stock, exe, interpreters.exe)
    report = interpreters.report
    for name, outcomes in (("stock", stock), ("exe", exe)):
        (report / f"{module}.{name}.json").write_text(json.dumps(outcomes, indent=1) + "\n")
    lines = [
        f"test.{module}, CPython {interpreters.version}",
        f"  stock interpreter: {summary(stock)}",
        f"  executable:        {summary(exe)}",
    ]
    for kind, tests in sorted(classes.items()):
        lines.append(f"  passing under python, not in the executable ({kind}): {len(tests)}")
        lines += [f"    {t}" for t in tests]
    text = "\n".join(lines) + "\n"
    (report / f"{module}.diff.txt").write_text(text)
    failing = {
        k: v for k, v in classes.items() if k != "needs _testcapi" and not k.startswith("by design")
    }
    assert stock, f"the stock interpreter ran no test of test.{module}"
    assert failing == {}, f"{text}(outcomes and this difference in {report})"
    # Kept honest: an entry whose test now passes in the executable is removed.
    passing = sorted(t for t in BY_DESIGN if exe.get(t, [""])[0] == "pass")
    assert not passing, f"BY_DESIGN names tests that pass in the executable: {passing}"
