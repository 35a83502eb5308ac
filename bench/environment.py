"""What the benchmark runs on: the two interpreters, its virtual environments, the wheels.

Two CPythons of the same minor version take part, and each tool is compared
with its own:

* pyingot's static distribution (``pyingot python list``), which every pyingot
  executable embeds;
* the host's CPython with a shared libpython (PyInstaller needs one), which
  PyInstaller, Nuitka, shiv and pex use.

Everything is kept under ``<pyingot cache>/bench/`` and made again only when
missing or when its pinned requirements change (nothing is ever deleted):

``tools-<host version>/``
    a virtual environment with shiv, pex and matplotlib (requirements-tools.txt);
    its pip installs into the others (``pip --python``), which have no pip, so
    that no ``setuptools`` ``.pth`` file runs at their start-up.
``wheels/``
    the applications' dependencies as wheels (apps/requirements.lock), downloaded
    once: every build reads them from here, none from the network.
``build-<host version>/<app>/``
    PyInstaller and Nuitka (requirements-freezers.txt) with the app's
    dependencies and nothing else, as the app's own development environment
    would be: PyInstaller and Nuitka bundle whatever the environment has that is
    imported, so one shared environment would inflate their output.
``run-<interpreter>/<app>/``
    the app's dependencies only: where ``python3.X app.py`` runs, for each of
    the two interpreters.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "src"))

from pyingot import cache  # noqa: E402
from pyingot.distribution import store  # noqa: E402
from pyingot.distribution.model import Distribution  # noqa: E402

TOOLS_REQUIREMENTS = BENCH / "requirements-tools.txt"
FREEZERS_REQUIREMENTS = BENCH / "requirements-freezers.txt"
APPS_LOCK = BENCH / "apps" / "requirements.lock"
#: Written into each environment: the requirements it was made from.
MARKER = "bench-requirements.txt"


class BenchError(Exception):
    """Something the person running the benchmark has to fix; the message says what."""


@dataclass(frozen=True)
class Interpreter:
    """A real CPython binary (never a pyenv shim or a venv's symlink)."""

    label: str  # "host" or "pyingot"
    path: Path
    version: str  # "3.11.7"

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])


def bench_root() -> Path:
    return cache.cache_root() / "bench"


def _version_of(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-I", "-S", "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def host_interpreter(requested: str | None) -> Interpreter:
    """The host CPython: ``requested``, else the one running this script, resolved."""
    path = Path(os.path.realpath(requested or sys.executable))
    if not path.is_file():
        raise BenchError(f"--host-python {requested}: no such file")
    probe = "import sysconfig; print(sysconfig.get_config_var('Py_ENABLE_SHARED'))"
    shared = subprocess.run(
        [str(path), "-I", "-S", "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    if shared != "1":
        raise BenchError(
            f"{path} has no shared libpython, which PyInstaller needs: pass --host-python "
            "with one that has (pyenv: PYTHON_CONFIGURE_OPTS=--enable-shared)"
        )
    return Interpreter("host", path, _version_of(path))


def pyingot_distribution(minor: str) -> Distribution:
    dists = [d for d in store.cached() if d.major_minor == minor and store.is_current(d)]
    if not dists:
        raise BenchError(
            f"no cached pyingot distribution of CPython {minor}: "
            f"pyingot python build --source debian:python{minor}"
        )
    return dists[0]


def pyingot_interpreter(dist: Distribution) -> Interpreter:
    path = Path(os.path.realpath(dist.path(dist.python_exe)))
    return Interpreter("pyingot", path, _version_of(path))


def python_environment() -> dict[str, str]:
    """The variables of this process that change how Python behaves (``PYTHON*``)."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith("PYTHON")}


def _requirements(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def app_dependencies(project: Path) -> list[str]:
    with (project / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f).get("project", {}).get("dependencies", []))


def _run(argv: list[str], what: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise BenchError(f"{what} failed ({' '.join(argv)}):\n{tail}")


class Environments:
    """The virtual environments and the wheelhouse, made on first use."""

    def __init__(self, host: Interpreter, dist_python: Interpreter, dist_name: str) -> None:
        self.host = host
        self.dist_python = dist_python
        self.dist_name = dist_name
        self.root = cache.ensure_dir(bench_root())
        self.tools = self.root / f"tools-{host.version}"
        self.wheels = self.root / "wheels"

    # ------------------------------------------------------------------ the tools

    def tool(self, name: str) -> Path:
        return self.tools / "bin" / name

    def ensure_tools(self) -> None:
        wanted = TOOLS_REQUIREMENTS.read_text()
        if self._current(self.tools, wanted):
            return
        print(f"  setting up {self.tools} (shiv, pex, matplotlib)", flush=True)
        if not (self.tools / "bin" / "python").exists():
            _run([str(self.host.path), "-m", "venv", str(self.tools)], "creating the tools venv")
        _run(
            [str(self.tool("pip")), "install", "-q", "-r", str(TOOLS_REQUIREMENTS)],
            "installing the tools",
        )
        (self.tools / MARKER).write_text(wanted)

    def ensure_wheels(self) -> None:
        wanted = APPS_LOCK.read_text()
        if self._current(self.wheels, wanted):
            return
        print(f"  downloading the apps' dependencies to {self.wheels}", flush=True)
        self.wheels.mkdir(parents=True, exist_ok=True)
        _run(
            [
                str(self.tool("pip")),
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "-r",
                str(APPS_LOCK),
                "-d",
                str(self.wheels),
            ],
            "downloading the apps' dependencies",
        )
        (self.wheels / MARKER).write_text(wanted)

    # ------------------------------------------------------------------ per-app venvs

    def build_venv(self, app: str, dependencies: list[str]) -> Path:
        """PyInstaller and Nuitka with the app's dependencies (for the host interpreter)."""
        venv = self.root / f"build-{self.host.version}" / app
        pins = _requirements(FREEZERS_REQUIREMENTS)
        self._ensure_venv(venv, self.host, pins, dependencies, online=True)
        return venv

    def run_venv(self, interpreter: Interpreter, app: str, dependencies: list[str]) -> Path:
        """The app's dependencies only, for ``python3.X app.py`` with ``interpreter``."""
        tag = self.host.version if interpreter.label == "host" else self.dist_name
        venv = self.root / f"run-{interpreter.label}-{tag}" / app
        self._ensure_venv(venv, interpreter, [], dependencies, online=False)
        return venv

    def _ensure_venv(
        self,
        venv: Path,
        interpreter: Interpreter,
        pins: list[str],
        dependencies: list[str],
        *,
        online: bool,
    ) -> None:
        wanted = "\n".join([*pins, *dependencies]) + "\n"
        if self._current(venv, wanted):
            return
        print(f"  setting up {venv}", flush=True)
        if not (venv / "bin" / "python").exists():
            venv.parent.mkdir(parents=True, exist_ok=True)
            _run(
                [str(interpreter.path), "-m", "venv", "--without-pip", str(venv)],
                f"creating {venv}",
            )
        requirements = [*pins, *dependencies]
        if requirements:
            # Applications' dependencies come from the wheelhouse; PyInstaller and
            # Nuitka (online) from the index, their pins in requirements-freezers.txt.
            source = ["--find-links", str(self.wheels)]
            if not online:
                source.insert(0, "--no-index")
            _run(
                [
                    str(self.tool("pip")),
                    "--python",
                    str(venv / "bin" / "python"),
                    "install",
                    "-q",
                    *source,
                    "-c",
                    str(APPS_LOCK),
                    *requirements,
                ],
                f"installing into {venv}",
            )
        (venv / MARKER).write_text(wanted)

    @staticmethod
    def _current(path: Path, wanted: str) -> bool:
        marker = path / MARKER
        return marker.is_file() and marker.read_text() == wanted

    # ------------------------------------------------------------------ versions

    def versions(self, venvs: list[Path]) -> dict[str, dict[str, str]]:
        """What is installed in the tools environment and in each given venv."""
        found: dict[str, dict[str, str]] = {}
        for venv in [self.tools, *venvs]:
            out = subprocess.run(
                [str(self.tool("pip")), "--python", str(venv / "bin" / "python"), "freeze"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            pins = (line.split("==", 1) for line in out.splitlines() if "==" in line)
            found[str(venv.relative_to(self.root))] = {n.lower(): v for n, v in sorted(pins)}
        return found


def locked_versions() -> dict[str, str]:
    """The applications' dependencies as apps/requirements.lock pins them."""
    pins = (line.split("==", 1) for line in _requirements(APPS_LOCK))
    return {name.lower(): version for name, version in pins}
