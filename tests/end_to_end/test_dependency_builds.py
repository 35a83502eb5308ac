"""Real installs: PyPI dependencies (pure, compiled, numpy with its bundled
libraries, sdists built for the target) built into executables whose payload is read back.
"""

from __future__ import annotations

import importlib.machinery
import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pyingot import dependencies, elf
from pyingot.config import DependencySettings
from pyingot.dependencies import Target
from pyingot.payload.packing import Kind, PayloadEntry
from pyingot.payload.reading import find_payload, read_payload
from pyingot.progress import Progress
from tests import building
from tests.binutils import readelf
from tests.building import FIXTURES, write
from tests.distributions import SOURCES, distribution

HOST = Path(sys.executable)
HOST_STDLIB = Path(sysconfig.get_paths()["stdlib"])
EXT = importlib.machinery.EXTENSION_SUFFIXES[0]  # .cpython-311-x86_64-linux-gnu.so
FIXTURE = FIXTURES / "deps_project"

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")


# --------------------------------------------------------------------------- real installs


def build(project: Path, version: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``pyingot build`` of ``project`` for ``version``, written to project/dist/app.

    ``python=...`` sets ``[tool.pyingot] python`` to something else than the version,
    ``glibc=...`` the floor; the other keywords are environment variables.
    """
    distribution(version)  # built or cached before the build needs it
    floor = {"glibc": env.pop("glibc")} if "glibc" in env else {}
    building.pin(project, python=env.pop("python", version), **floor)
    return building.build(project, project / "dist/app", env=env)


def payload(exe: Path) -> dict[tuple[Kind, str], PayloadEntry]:
    return {(e.kind, e.name): e for e in read_payload(find_payload(exe.read_bytes()))}


@pytest.mark.slow
@pytest.mark.parametrize("version", sorted(SOURCES))
def test_pure_and_compiled_dependencies_are_embedded(version: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project)
    done = build(project, version)
    assert done.returncode == 0, done.stderr
    assert "[3/6] installing dependencies" in done.stderr
    assert "MarkupSafe 3.0.3, six 1.17.0" in done.stderr
    entries = payload(project / "dist/app")
    major, minor = version.split(".")
    for module in ("six", "markupsafe", "markupsafe._native", "deps_app"):
        assert (Kind.MODULE, module) in entries, module
    ext = entries[(Kind.EXTENSION, "markupsafe._speedups")]
    assert elf.parse(ext.primary, name="_speedups").py_init == {"PyInit__speedups"}
    for f in ("METADATA", "RECORD", "WHEEL", "licenses/LICENSE.txt"):
        assert (Kind.METADATA, f"markupsafe-3.0.3.dist-info/{f}") in entries
    for f in ("METADATA", "RECORD", "top_level.txt"):
        assert (Kind.METADATA, f"six-1.17.0.dist-info/{f}") in entries
    assert (Kind.METADATA, "deps_app-1.0.dist-info/METADATA") in entries
    wheel = entries[(Kind.METADATA, "markupsafe-3.0.3.dist-info/WHEEL")].primary.decode()
    assert f"Tag: cp{major}{minor}-cp{major}{minor}-manylinux" in wheel
    # MarkupSafe needs no bundled library: no META entry for them, no SHARED_LIBRARY.
    assert (Kind.META, "extension_libraries") not in entries
    assert not any(kind is Kind.SHARED_LIBRARY for kind, _ in entries)
    # The summary counts every embedded extension module: MarkupSafe's, and the
    # standard library's that the program does not import to start.
    embedded = sum(kind is Kind.EXTENSION for kind, _ in entries)
    counted = re.search(r"^\s*extension modules\s+(\d+)\s", done.stderr, re.M)
    assert counted is not None and int(counted[1]) == embedded
    assert "dependency modules" in done.stderr and "metadata files" in done.stderr

    # A rebuild after an edit does not run pip.
    (project / "src/deps_app/__init__.py").write_text(
        (project / "src/deps_app/__init__.py").read_text() + "\n# edited\n"
    )
    again = build(project, version)
    assert again.returncode == 0, again.stderr
    assert "MarkupSafe 3.0.3, six 1.17.0 (cached)" in again.stderr
    assert "installing 2 requirements" not in again.stderr


@pytest.mark.slow
def test_numpy_and_its_bundled_libraries(tmp_path: Path) -> None:
    """numpy's wheel bundles OpenBLAS, gfortran and quadmath in numpy.libs/."""
    project = tmp_path / "project"
    write(
        project,
        {
            "pyproject.toml": """\
                [project]
                name = "np-app"
                version = "1.0"
                dependencies = ["numpy==2.4.6"]

                [tool.pyingot]
                entry = "np_app:main"
                """,
            "src/np_app.py": "import numpy\n\ndef main():\n    print(numpy.ones(3).sum())\n",
        },
    )
    # numpy 2.4.6 has wheels for glibc 2.28 and later only, and the build
    # machine's C++ runtime (embedded below) needs glibc 2.36: a floor both fit.
    done = build(project, "3.11", glibc="2.36")
    assert done.returncode == 0, done.stderr
    entries = payload(project / "dist/app")
    libraries = {
        name: e.primary for (kind, name), e in entries.items() if kind is Kind.SHARED_LIBRARY
    }
    assert any(n.startswith("libscipy_openblas64_") for n in libraries), sorted(libraries)
    assert any(n.startswith("libgfortran-") for n in libraries), sorted(libraries)
    infos = {name: elf.parse(data, name=name) for name, data in libraries.items()}
    for name, info in infos.items():
        assert info.soname == name  # auditwheel's names are the sonames
    order = json.loads(entries[(Kind.META, "extension_libraries")].primary)
    umath = order["numpy._core._multiarray_umath"]
    assert set(umath) == set(libraries)
    # Each library comes after every bundled library it needs.
    for i, name in enumerate(umath):
        assert {n for n in infos[name].needed if n in libraries} <= set(umath[:i]), umath
    extensions = {name: e.primary for (kind, name), e in entries.items() if kind is Kind.EXTENSION}
    assert "numpy._core._multiarray_umath" in extensions
    assert "numpy.linalg._umath_linalg" in extensions
    for name, libs in order.items():
        needed = elf.parse(extensions[name], name=name).needed
        assert {n for n in needed if n in libraries} <= set(libs)
    assert not any(".tests" in n for _, n in entries)
    assert (Kind.METADATA, "numpy-2.4.6.dist-info/RECORD") in entries
    # OpenBLAS, gfortran, quadmath; libstdc++, libgcc_s, libz from the build machine.
    assert "shared libraries           6" in done.stderr
    # Stored as LZ4 blocks (compression.py) and decoded into their in-memory files.
    ran = subprocess.run(
        [str(project / "dist/app")], capture_output=True, text=True, timeout=120, check=False
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, "3.0\n", "")


@pytest.mark.slow
def test_elf_agrees_with_readelf_on_a_wheel(tmp_path: Path) -> None:
    """The objects of a manylinux wheel (RUNPATH, mangled sonames) as binutils reads them."""
    installed = dependencies.install(
        DependencySettings(requirements=("numpy==2.4.6",)),
        Target.of(distribution("3.11")),
        root=tmp_path,
        pyproject=Path("pyproject.toml"),
        progress=Progress(1, quiet=True),
    )
    assert installed is not None
    objects = sorted(installed.site.glob("numpy*/**/*.so*"))
    assert len(objects) > 10
    for path in objects:
        info = elf.read_file(path)
        soname, needed, runpath = readelf(path)
        assert (info.soname, list(info.needed)) == (soname, needed), path
        assert ":".join(info.runpath or info.rpath) == (runpath[0] if runpath else ""), path


@pytest.mark.slow
def test_source_distributions_build_for_the_target(tmp_path: Path) -> None:
    """docopt has only a source distribution; MarkupSafe's is forced (--no-binary) to
    check that a compiled module builds against the distribution's own headers."""
    (tmp_path / "requirements.txt").write_text(
        "--no-binary markupsafe\nmarkupsafe==3.0.3\ndocopt==0.6.2\n"
    )
    dist = distribution("3.13")
    installed = dependencies.install(
        DependencySettings(requirements_file=tmp_path / "requirements.txt"),
        Target.of(dist),
        root=tmp_path,
        pyproject=Path("pyproject.toml"),
        progress=Progress(1, quiet=True),
    )
    assert installed is not None
    by_name = {d.key: d for d in installed.distributions}
    assert set(by_name) == {"docopt", "markupsafe"}
    assert by_name["markupsafe"].tags == ("cp313-cp313-linux_x86_64",)
    ext = installed.site / "markupsafe" / "_speedups.cpython-313-x86_64-linux-gnu.so"
    assert elf.read_file(ext).py_init == {"PyInit__speedups"}
    assert (installed.site / "docopt.py").is_file()


@pytest.mark.slow
def test_an_unresolvable_requirement_fails_cleanly(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(
        project,
        {
            "pyproject.toml": """\
                [project]
                name = "broken"
                version = "1.0"
                dependencies = ["pyingot-no-such-package-0==1.0"]

                [tool.pyingot]
                entry = "broken"
                """,
            "broken.py": "print('never built')\n",
        },
    )
    cache = tmp_path / "cache"
    dist = distribution("3.11")
    done = build(project, "3.11", python=str(dist.root), PYINGOT_CACHE_DIR=str(cache))
    assert done.returncode == 1, done.stderr
    assert (
        "error: pip could not install the dependencies: No matching distribution found for "
        "pyingot-no-such-package-0==1.0"
    ) in done.stderr
    assert "full log: " in done.stderr and "Traceback" not in done.stderr
    # Nothing half-made: no executable, no cache entry.
    assert not (project / "dist").exists()
    entries = [p.name for p in (cache / "dependencies").iterdir() if not p.name.startswith(".")]
    assert entries == []


@pytest.mark.slow
def test_on_disk_distributions_are_written_beside_the_executable(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(FIXTURE, project)
    with (project / "pyproject.toml").open("a") as f:
        f.write('\n[tool.pyingot.dependencies]\non-disk = ["MarkupSafe"]\n')
    stale = project / "dist" / "app.packages" / "stale.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier build\n")
    done = build(project, "3.11")
    assert done.returncode == 0, done.stderr
    assert "on disk, beside the executable: app.packages/ (MarkupSafe)" in done.stderr
    entries = payload(project / "dist/app")
    assert entries[(Kind.META, "on_disk_path")].primary == b"app.packages"
    assert (Kind.MODULE, "six") in entries
    assert not any(name.startswith("markupsafe") for _, name in entries)
    directory = project / "dist" / "app.packages"
    assert not stale.exists()
    assert (directory / "markupsafe" / "__init__.py").is_file()
    assert (directory / "markupsafe" / "_speedups.cpython-311-x86_64-linux-gnu.so").is_file()
    assert (directory / "markupsafe-3.0.3.dist-info" / "RECORD").is_file()
    assert sorted(p.name for p in directory.iterdir()) == [
        "markupsafe",
        "markupsafe-3.0.3.dist-info",
    ]
