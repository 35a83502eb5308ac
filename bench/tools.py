"""The applications, and how each tool builds and runs one.

Every tool builds from its own copy of the application's project, in its own
work directory, with its caches redirected into that directory: the first
build (``cold``) starts from nothing the tool made before, and the rebuild
after a one-line change reuses exactly what the first build left.

What "nothing made before" means per tool (bench/README.md):

* pyingot: empty stub and bytecode caches; the CPython distribution and the
  compiled Rust runtime library stay (they are what installing pyingot gives,
  as a wheel gives PyInstaller its prebuilt bootloader);
* PyInstaller: empty work, spec and dist directories and an empty
  ``PYINSTALLER_CONFIG_DIR`` (its binary cache);
* Nuitka: empty output directory and ``NUITKA_CACHE_DIR`` (ccache included);
* shiv: nothing to clear (pip installs from local wheels, without a cache);
* pex: an empty ``PEX_ROOT`` (its wheel and install cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from environment import ROOT, Environments, app_dependencies

from pyingot import cache

#: Directories of pyingot's cache that a cold build keeps (see the module docstring).
PYINGOT_KEPT = ("distributions", "runtime", "cargo-target", "sources")


@dataclass(frozen=True)
class App:
    key: str  # "hello", "stdlib-tour", ...
    project: Path
    module: str  # the entry module, a file of the project
    function: str
    expect: str  # printed by a successful run
    about: str

    @property
    def dependencies(self) -> list[str]:
        return app_dependencies(self.project)


APPS = (
    App("hello", ROOT / "examples" / "hello", "hello", "main", "Hello, world!", "prints a line"),
    App(
        "stdlib-tour",
        ROOT / "examples" / "stdlib_tour",
        "stdlib_tour",
        "main",
        "checks passed",
        "about 40 stdlib modules",
    ),
    App(
        "rich-cli",
        ROOT / "bench" / "apps" / "rich_cli",
        "rich_cli",
        "main",
        "rows, total",
        "click + rich",
    ),
    App(
        "numpy-stats",
        ROOT / "bench" / "apps" / "numpy_stats",
        "numpy_stats",
        "main",
        "solve residual",
        "numpy",
    ),
)


@dataclass
class Context:
    """What every builder needs: the environments and the interpreter for the shebangs."""

    envs: Environments
    python_minor: str


class Builder:
    key = ""
    #: Output of a build that shows it did work that is not part of building the app
    #: (pyingot rebuilding its Rust runtime because its sources changed mid-run).
    not_the_app = ""
    label = ""
    #: Whose interpreter this tool's executables run: "host" or "pyingot".
    interpreter = "host"
    #: Is the output a directory (its size is the sum of its files)?
    directory = False
    #: A note for the report about what the size counts.
    size_note = ""

    def __init__(self, ctx: Context, app: App, work: Path) -> None:
        self.ctx = ctx
        self.app = app
        self.work = work
        self.src = work / "src"
        self.cache = work / "cache"
        self.out = work / "out"
        self._original: str | None = None

    def prepare(self) -> None:
        """A fresh copy of the project and empty caches: the state of a cold build."""
        if self.work.exists():
            shutil.rmtree(self.work)
        shutil.copytree(
            self.app.project, self.src, ignore=shutil.ignore_patterns("dist", "__pycache__")
        )
        self.cache.mkdir()
        self.out.mkdir()

    def edit(self, n: int) -> str:
        """The one-line change; returns what the changed app writes to stderr.

        A line that runs at import is put before ``if __name__ == "__main__":``
        (replacing the previous edit's), so a run tells whether the rebuilt output
        has the change: a tool that rebuilt nothing would fail the check.
        """
        path = self.src / f"{self.app.module}.py"
        if self._original is None:
            self._original = path.read_text()
        marker = f"bench edit {n}"
        line = f'__import__("sys").stderr.write("{marker}\\n")\n'
        main = 'if __name__ == "__main__":'
        if main not in self._original:
            raise ValueError(f"{path}: no {main!r} line to put the edit before")
        # Tools that compare modification times (PyInstaller) must see a later one,
        # as they would after a person's edit: not within the same second.
        time.sleep(1.1)
        path.write_text(self._original.replace(main, line + "\n\n" + main, 1))
        return marker

    def command(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def artifact(self) -> Path:
        raise NotImplementedError

    def run_argv(self) -> list[str]:
        return [str(self.artifact())]

    def run_env(self, base: dict[str, str], run_dir: Path) -> dict[str, str]:
        return dict(base)

    def size(self) -> int:
        path = self.artifact()
        if path.is_dir():
            return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size

    def base_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(extra)
        return env

    def build_venv(self) -> Path:
        return self.ctx.envs.build_venv(self.app.key, self.app.dependencies)


class Pyingot(Builder):
    key = "pyingot"
    label = "pyingot"
    interpreter = "pyingot"
    not_the_app = "building the Rust runtime"

    def prepare(self) -> None:
        super().prepare()
        pyproject = self.src / "pyproject.toml"
        text = pyproject.read_text()
        pin = f'[tool.pyingot]\npython = "{self.ctx.python_minor}"\n'
        pyproject.write_text(text.replace("[tool.pyingot]\n", pin, 1))
        real = cache.cache_root()
        for name in PYINGOT_KEPT:
            if (real / name).exists():
                (self.cache / name).symlink_to(real / name)

    def command(self) -> tuple[list[str], dict[str, str]]:
        argv = [sys.executable, "-m", "pyingot", "build", str(self.src)]
        argv += ["-o", str(self.artifact())]
        # Dependencies come from the wheelhouse, as for shiv and pex (pyingot runs pip).
        return argv, self.base_env(
            PYINGOT_CACHE_DIR=str(self.cache),
            PYTHONPATH=str(ROOT / "src"),
            PIP_NO_INDEX="1",
            PIP_FIND_LINKS=str(self.ctx.envs.wheels),
        )

    def artifact(self) -> Path:
        return self.out / self.app.key


class PyInstaller(Builder):
    mode = ""

    def command(self) -> tuple[list[str], dict[str, str]]:
        venv = self.build_venv()
        argv = [
            str(venv / "bin" / "pyinstaller"),
            f"--{self.mode}",
            "--noconfirm",
            "--log-level=WARN",
            f"--name={self.app.key}",
            f"--distpath={self.out}",
            f"--workpath={self.work / 'build'}",
            f"--specpath={self.work / 'spec'}",
            str(self.src / f"{self.app.module}.py"),
        ]
        path = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return argv, self.base_env(PYINSTALLER_CONFIG_DIR=str(self.cache), PATH=path)


class PyInstallerOnefile(PyInstaller):
    key = "pyinstaller-onefile"
    label = "PyInstaller --onefile"
    mode = "onefile"

    def artifact(self) -> Path:
        return self.out / self.app.key


class PyInstallerOnedir(PyInstaller):
    key = "pyinstaller-onedir"
    label = "PyInstaller --onedir"
    mode = "onedir"
    directory = True
    size_note = "the whole directory"

    def artifact(self) -> Path:
        return self.out / self.app.key

    def run_argv(self) -> list[str]:
        return [str(self.artifact() / self.app.key)]


class Nuitka(Builder):
    key = "nuitka-onefile"
    label = "Nuitka --onefile"

    def command(self) -> tuple[list[str], dict[str, str]]:
        venv = self.build_venv()
        argv = [
            str(venv / "bin" / "python"),
            "-m",
            "nuitka",
            "--onefile",
            f"--output-dir={self.out}",
            f"--output-filename={self.app.key}",
            str(self.src / f"{self.app.module}.py"),
        ]
        path = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
        return argv, self.base_env(NUITKA_CACHE_DIR=str(self.cache), PATH=path)

    def artifact(self) -> Path:
        return self.out / self.app.key


class Shiv(Builder):
    key = "shiv"
    label = "shiv"
    size_note = "the .pyz; it needs the host Python, and extracts itself to SHIV_ROOT"

    def command(self) -> tuple[list[str], dict[str, str]]:
        envs = self.ctx.envs
        argv = [
            str(envs.tool("shiv")),
            "--site-packages",
            str(self.src),
            "-e",
            f"{self.app.module}:{self.app.function}",
            "-p",
            str(envs.host.path),
            "-o",
            str(self.artifact()),
        ]
        if self.app.dependencies:
            argv += ["--no-index", "--find-links", str(envs.wheels), *self.app.dependencies]
        return argv, self.base_env(PIP_NO_CACHE_DIR="1")

    def artifact(self) -> Path:
        return self.out / f"{self.app.key}.pyz"

    def run_env(self, base: dict[str, str], run_dir: Path) -> dict[str, str]:
        return {**base, "SHIV_ROOT": str(run_dir / "shiv-root" / self.app.key)}


class Pex(Builder):
    key = "pex"
    label = "pex"
    size_note = "the .pex; it needs the host Python, and installs itself into PEX_ROOT"

    def command(self) -> tuple[list[str], dict[str, str]]:
        envs = self.ctx.envs
        argv = [
            str(envs.tool("pex")),
            "-D",
            str(self.src),
            "-e",
            f"{self.app.module}:{self.app.function}",
            "--python-shebang",
            str(envs.host.path),
            "-o",
            str(self.artifact()),
        ]
        if self.app.dependencies:
            argv += ["--no-pypi", "--find-links", str(envs.wheels), *self.app.dependencies]
        return argv, self.base_env(PEX_ROOT=str(self.cache))

    def artifact(self) -> Path:
        return self.out / f"{self.app.key}.pex"

    def run_env(self, base: dict[str, str], run_dir: Path) -> dict[str, str]:
        return {**base, "PEX_ROOT": str(run_dir / "pex-root" / self.app.key)}


BUILDERS: tuple[type[Builder], ...] = (
    Pyingot,
    PyInstallerOnefile,
    PyInstallerOnedir,
    Nuitka,
    Shiv,
    Pex,
)


def timed(argv: list[str], env: dict[str, str], log: Path) -> tuple[float, int, str]:
    """Run a build: (seconds, exit status, its output), the output appended to ``log``."""
    started = time.perf_counter()
    proc = subprocess.run(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    with log.open("a") as f:
        f.write(
            f"$ {' '.join(argv)}\n{proc.stdout}[exit {proc.returncode} after {elapsed:.2f} s]\n"
        )
    return elapsed, proc.returncode, proc.stdout
