"""Tier 2: the importer inside the real embedded interpreter.

One python-like executable (``entry = "python"``) is built per Python version
and test session from ``tests/fixtures/importer_project``; each test runs its
snippet in a fresh process (``exe -c CODE``), because the interpreter and its
import state are global. Expected values are read from the fixture's files on
the host, so the tests hold the executable to what is on disk, not to itself.

A snippet binds ``result``; :meth:`Exe.result` prints it as JSON and returns it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import building
from tests.building import FIXTURES

pytestmark = pytest.mark.slow

FIXTURE = FIXTURES / "importer_project"
SRC = FIXTURE / "src"
VERSIONS = ["3.11", "3.13"]
RESULT_MARK = "@@result@@"


@dataclass(frozen=True)
class Exe:
    path: Path
    version: str
    #: The copy of the fixture project it was built from.
    project: Path
    #: An empty directory: the current directory of the snippets.
    workdir: Path

    def run(
        self,
        code: str,
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
        prefix_args: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*prefix, str(self.path), *prefix_args, "-c", textwrap.dedent(code)],
            cwd=cwd or self.workdir,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
            | (env or {}),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def result(self, code: str, **kwargs: Any) -> Any:
        """Run ``code``, which binds ``result``, and return ``result`` (through JSON)."""
        code = (
            textwrap.dedent(code) + f"\nimport json\nprint({RESULT_MARK!r} + json.dumps(result))\n"
        )
        done = self.run(code, **kwargs)
        assert done.returncode == 0, f"snippet failed ({done.returncode}):\n{done.stderr}"
        for line in reversed(done.stdout.splitlines()):
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        raise AssertionError(f"no result printed:\n{done.stdout}\n{done.stderr}")

    def virtual(self, rel: str) -> str:
        """The virtual path of ``rel`` inside the executable (how ``__file__`` looks)."""
        return f"{self.path}/{rel}"


@pytest.fixture(scope="session", params=VERSIONS)
def exe(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Exe:
    version: str = request.param
    root = tmp_path_factory.mktemp(f"importer-{version}")
    project = building.copy_project(FIXTURE, root / "project")
    assert "\n[tool.pyingot]\n" in (project / "pyproject.toml").read_text()
    building.pin(project, python=version)
    out = root / "bin" / "fixture-python"
    done = building.build(project, out)
    if done.returncode != 0:
        pytest.fail(f"pyingot build failed:\n{done.stdout}\n{done.stderr}")
    workdir = root / "cwd"
    workdir.mkdir()
    # The runtime reports the executable's resolved path (/proc/self/exe).
    return Exe(out.resolve(), version, project, workdir)


def source_of(rel: str) -> str:
    return (SRC / rel).read_text(encoding="utf-8")


def line_number(rel: str, text: str) -> int:
    lines = source_of(rel).splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def data_files(package_dir: str) -> dict[str, bytes]:
    """Package data under ``src/<package_dir>``: every file that is not a module."""
    base = SRC / package_dir
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
    }


def submodules(package_dir: str) -> list[list[Any]]:
    """``[name, ispkg]`` of the direct submodules of ``src/<package_dir>``, as pkgutil gives."""
    base = SRC / package_dir
    found = [[p.stem, False] for p in base.glob("*.py") if p.name != "__init__.py"]
    found += [[p.name, True] for p in base.iterdir() if (p / "__init__.py").is_file()]
    return sorted(found)


# -- finding modules ----------------------------------------------------------------


def test_finder_spec_for_module_package_and_missing(exe: Exe) -> None:
    got = exe.result(
        """
        import _pyingot

        def describe(name):
            spec = _pyingot.find_spec(name)
            if spec is None:
                return None
            return {
                "name": spec.name,
                "origin": spec.origin,
                "has_location": spec.has_location,
                "locations": spec.submodule_search_locations,
                # One loader per module, named as importlib's file loaders are.
                "loader": [type(spec.loader).__name__, spec.loader.name, spec.loader.path],
                "parent": spec.parent,
            }

        names = ["fixturepkg", "fixturepkg.core", "fixturepkg.sub.helper", "json", "nope_top",
                 "fixturepkg.nope"]
        result = {name: describe(name) for name in names}
        """
    )
    assert got["fixturepkg"] == {
        "name": "fixturepkg",
        "origin": exe.virtual("fixturepkg/__init__.py"),
        "has_location": True,
        "locations": [exe.virtual("fixturepkg")],
        "loader": ["Loader", "fixturepkg", exe.virtual("fixturepkg/__init__.py")],
        "parent": "fixturepkg",
    }
    assert got["fixturepkg.core"] == {
        "name": "fixturepkg.core",
        "origin": exe.virtual("fixturepkg/core.py"),
        "has_location": True,
        "locations": None,
        "loader": ["Loader", "fixturepkg.core", exe.virtual("fixturepkg/core.py")],
        "parent": "fixturepkg",
    }
    assert got["fixturepkg.sub.helper"]["origin"] == exe.virtual("fixturepkg/sub/helper.py")
    assert got["json"]["origin"] == exe.virtual("json/__init__.py")
    assert got["json"]["locations"] == [exe.virtual("json")]
    assert got["nope_top"] is None
    assert got["fixturepkg.nope"] is None


def test_importlib_util_find_spec(exe: Exe) -> None:
    got = exe.result(
        """
        import importlib.util, sys
        spec = importlib.util.find_spec("fixturepkg.sub.helper")
        result = {
            "origin": spec.origin,
            "parent_imported": "fixturepkg.sub" in sys.modules,
            "module_imported": "fixturepkg.sub.helper" in sys.modules,
            "missing_sub": importlib.util.find_spec("fixturepkg.sub.nope") is None,
            "missing_top": importlib.util.find_spec("no_such_module_anywhere") is None,
            "package_locations": importlib.util.find_spec("fixturepkg.sub")
                                     .submodule_search_locations,
        }
        """
    )
    assert got == {
        "origin": exe.virtual("fixturepkg/sub/helper.py"),
        "parent_imported": True,  # find_spec imports the parents, as in python
        "module_imported": False,
        "missing_sub": True,
        "missing_top": True,
        "package_locations": [exe.virtual("fixturepkg/sub")],
    }


# -- the loader protocol ---------------------------------------------------------------


def test_loader_methods(exe: Exe) -> None:
    got = exe.result(
        """
        import importlib, types
        import fixturepkg.core as core
        loader = core.__spec__.loader
        code = loader.get_code("fixturepkg.core")
        namespace = {}
        exec(code, namespace)
        try:
            loader.get_source("fixturepkg.nope")
            missing = "no error"
        except ImportError as e:
            missing = type(e).__name__
        core.double = None
        reloaded = importlib.reload(core)
        result = {
            "is_code": isinstance(code, types.CodeType),
            "co_filename": code.co_filename,
            "exec_double": namespace["double"](21),
            "source": loader.get_source("fixturepkg.core"),
            "package_source": loader.get_source("fixturepkg"),
            "is_package": [loader.is_package(n) for n in ("fixturepkg", "fixturepkg.core",
                                                          "fixturepkg.sub", "fixturens")],
            "filenames": [loader.get_filename(n) for n in ("fixturepkg", "fixturepkg.core")],
            "missing": missing,
            "reloaded": reloaded is core and core.double(4) == 8,
        }
        """
    )
    assert got == {
        "is_code": True,
        "co_filename": exe.virtual("fixturepkg/core.py"),
        "exec_double": 42,
        "source": source_of("fixturepkg/core.py"),
        "package_source": source_of("fixturepkg/__init__.py"),
        "is_package": [True, False, True, True],
        "filenames": [exe.virtual("fixturepkg/__init__.py"), exe.virtual("fixturepkg/core.py")],
        "missing": "ImportError",
        "reloaded": True,
    }


def test_inspect_getsource(exe: Exe) -> None:
    got = exe.result(
        """
        import inspect
        import fixturepkg.core as core
        result = {
            "function": inspect.getsource(core.double),
            "module": inspect.getsource(core),
            "file": inspect.getsourcefile(core.double),
            "lines": inspect.getsourcelines(core.double)[1],
        }
        """
    )
    source = source_of("fixturepkg/core.py")
    start = line_number("fixturepkg/core.py", "def double")
    function = "".join(source.splitlines(keepends=True)[start - 1 : start + 2])
    assert got == {
        "function": function,
        "module": source,
        "file": exe.virtual("fixturepkg/core.py"),
        "lines": start,
    }


def test_uncaught_exception_traceback_shows_source_lines(exe: Exe) -> None:
    done = exe.run(
        """
        from fixturepkg import boom
        boom.explode()
        """
    )
    assert done.returncode == 1
    line = line_number("fixturepkg/boom.py", "raise RuntimeError")
    expected = (
        f'  File "{exe.virtual("fixturepkg/boom.py")}", line {line}, in explode\n'
        '    raise RuntimeError("fixture explosion")  # distinctive line for the traceback\n'
    )
    assert expected in done.stderr, done.stderr
    assert done.stderr.rstrip().endswith("RuntimeError: fixture explosion")


def test_source_lines_never_come_from_same_named_files_in_cwd(exe: Exe, tmp_path: Path) -> None:
    # Paths relative to the current directory in co_filename would make
    # linecache read these decoys instead of the embedded sources.
    decoy = tmp_path / "fixturepkg"
    decoy.mkdir()
    for name in ("boom.py", "core.py"):
        (decoy / name).write_text("DECOY FROM DISK\n" * 20)
    got = exe.result(
        """
        import inspect, traceback
        import fixturepkg.core as core
        from fixturepkg import boom
        try:
            boom.explode()
        except RuntimeError:
            formatted = traceback.format_exc()
        result = {"source": inspect.getsource(core.double), "traceback": formatted}
        """,
        cwd=tmp_path,
    )
    assert got["source"].startswith("def double(value):")
    assert "DECOY" not in got["traceback"]
    assert 'raise RuntimeError("fixture explosion")' in got["traceback"]
    done = exe.run("from fixturepkg import boom\nboom.explode()\n", cwd=tmp_path)
    assert done.returncode == 1
    assert "DECOY" not in done.stderr
    assert 'raise RuntimeError("fixture explosion")' in done.stderr


def test_namespace_package(exe: Exe) -> None:
    got = exe.result(
        """
        import fixturens, fixturens.direct, fixturens.inner.portion
        import fixturens.inner as inner
        result = {
            "path": list(fixturens.__path__),
            "inner_path": list(inner.__path__),
            "file": getattr(fixturens, "__file__", None),
            "origin": fixturens.__spec__.origin,
            "has_location": fixturens.__spec__.has_location,
            "loader": type(fixturens.__loader__).__name__,
            "spec_loader_is_loader": fixturens.__spec__.loader is fixturens.__loader__,
            "path_type": type(fixturens.__path__).__name__,
            "where": fixturens.inner.portion.WHERE,
            "portion_file": fixturens.inner.portion.__file__,
            "direct": fixturens.direct.DIRECT,
        }
        """
    )
    assert got == {
        "path": [exe.virtual("fixturens")],
        "inner_path": [exe.virtual("fixturens/inner")],
        "file": None,  # as python: a namespace package has no __file__
        "origin": None,
        "has_location": False,
        # As importlib's PathFinder makes them.
        "loader": "NamespaceLoader",
        "spec_loader_is_loader": True,
        "path_type": "_NamespacePath",
        "where": "fixturens.inner.portion",
        "portion_file": exe.virtual("fixturens/inner/portion.py"),
        "direct": 1,
    }


def test_sources_with_a_pep263_encoding_declaration(exe: Exe) -> None:
    """latin-1 and koi8-r sources are embedded as written, run, and read back
    decoded as CPython's own SourceLoader decodes them."""
    got = exe.result(
        """
        import inspect, linecache
        import fixturepkg.latin1 as latin1, fixturepkg.koi8 as koi8
        result = {
            "words": [latin1.WORD, koi8.WORD],
            "sources": [latin1.__loader__.get_source(m.__name__) for m in (latin1, koi8)],
            "getsource": inspect.getsource(koi8),
            "line": linecache.getline(latin1.__file__, 4, vars(latin1)),
        }
        """
    )
    sources = [(SRC / f"fixturepkg/{m}.py").read_bytes() for m in ("latin1", "koi8")]
    assert got == {
        "words": ["café crème", "привет"],
        "sources": [importlib.util.decode_source(b) for b in sources],
        "getsource": importlib.util.decode_source(sources[1]),
        "line": 'WORD = "café crème"\n',
    }


def test_invalidate_caches(exe: Exe) -> None:
    """importlib.invalidate_caches() calls every meta-path finder's
    invalidate_caches(); imports work as before after it."""
    got = exe.result(
        """
        import importlib, sys
        importlib.invalidate_caches()
        import fixturepkg.core
        finders = [f.invalidate_caches() for f in sys.meta_path if hasattr(f, "invalidate_caches")]
        result = {"core": fixturepkg.core.__name__, "returned": finders}
        """
    )
    assert got["core"] == "fixturepkg.core"
    assert got["returned"] and set(map(str, got["returned"])) == {"None"}


# -- pkgutil ------------------------------------------------------------------------------


def test_pkgutil_iter_modules_of_a_package(exe: Exe) -> None:
    got = exe.result(
        """
        import pkgutil, fixturepkg, fixturepkg.sub, fixturens
        import fixturepkg.scanner
        def listing(package):
            return sorted([m.name, m.ispkg] for m in pkgutil.iter_modules(package.__path__))
        result = {
            "fixturepkg": listing(fixturepkg),
            "sub": listing(fixturepkg.sub),
            "fixturens": listing(fixturens),
            "scanner": fixturepkg.scanner.submodules(),
        }
        """
    )
    assert got["fixturepkg"] == submodules("fixturepkg")
    assert got["sub"] == submodules("fixturepkg/sub")
    assert got["fixturens"] == [["direct", False], ["inner", True]]
    assert got["scanner"] == [[f"fixturepkg.{n}", p] for n, p in submodules("fixturepkg")]


def test_pkgutil_iter_modules_top_level(exe: Exe) -> None:
    got = exe.result(
        """
        import pkgutil
        found = [[m.name, m.ispkg] for m in pkgutil.iter_modules()]
        result = {"found": found, "unique": len({n for n, _ in found}) == len(found)}
        """
    )
    found = dict(got["found"])
    assert got["unique"]
    assert found["fixture_top"] is False
    assert found["fixturepkg"] is True
    assert found["fixturens"] is True
    assert found["json"] is True  # the standard library is in the payload too
    assert found["textwrap"] is False


def test_pkgutil_walk_packages(exe: Exe) -> None:
    got = exe.result(
        """
        import pkgutil, fixturepkg, fixturens
        def walk(package):
            walked = pkgutil.walk_packages(package.__path__, package.__name__ + ".")
            return sorted(m.name for m in walked)
        result = {"fixturepkg": walk(fixturepkg), "fixturens": walk(fixturens)}
        """
    )
    modules = [p.relative_to(SRC).with_suffix("") for p in (SRC / "fixturepkg").rglob("*.py")]
    expected = {".".join(m.parts[:-1] if m.name == "__init__" else m.parts) for m in modules}
    assert got["fixturepkg"] == sorted(expected - {"fixturepkg"})
    assert got["fixturens"] == ["fixturens.direct", "fixturens.inner", "fixturens.inner.portion"]


# -- importlib.resources -----------------------------------------------------------------


def test_resources_read_every_data_file(exe: Exe) -> None:
    expected = data_files("fixturepkg")
    assert {"data/blob.bin", "data/nested/deep.txt", "sub/settings.json"} <= set(expected)
    got = exe.result(
        f"""
        from importlib.resources import files
        root = files("fixturepkg")
        result = {{}}
        for rel in {sorted(expected)!r}:
            by_join = root.joinpath(rel).read_bytes()
            node = root
            for part in rel.split("/"):
                node = node / part
            result[rel] = [by_join.hex(), node.read_bytes().hex(), node.is_file(), node.is_dir()]
        sub = files("fixturepkg.sub")
        result["sub/settings.json via subpackage"] = (sub / "settings.json").read_text()
        result["text"] = (root / "data" / "greeting.txt").read_text(encoding="utf-8")
        """
    )
    for rel, data in expected.items():
        assert got[rel] == [data.hex(), data.hex(), True, False], rel
    assert got["sub/settings.json via subpackage"] == expected["sub/settings.json"].decode()
    assert got["text"] == expected["data/greeting.txt"].decode("utf-8")
    assert "café" in got["text"]


def test_resources_directories(exe: Exe) -> None:
    got = exe.result(
        """
        import fixturepkg
        from importlib.resources import files
        root = files("fixturepkg")
        def names(node):
            return sorted(child.name for child in node.iterdir())
        result = {
            "root": names(root),
            "data": names(root / "data"),
            "nested": names(root.joinpath("data", "nested")),
            "sub": names(root / "sub"),
            "sub_direct": names(files("fixturepkg.sub")),
            "templates": names(files("fixturepkg.sub") / "templates"),
            "dirs": [(root / d).is_dir() for d in ("data", "data/nested", "sub", "sub/templates")],
            "not_files": [(root / d).is_file() for d in ("data", "data/nested", "sub")],
            "root_is_dir": root.is_dir(),
            "init_is_file": (root / "__init__.py").is_file()
            and (root / "__init__.py").read_bytes() == open(fixturepkg.__file__, "rb").read(),
        }
        """
    )
    # Directories list their data files, subpackages and, as on disk, the modules' files.
    assert {"data", "sub", "__init__.py"} <= set(got["root"])
    assert got["init_is_file"] is True
    assert "__pycache__" not in got["root"]
    assert got["data"] == ["blob.bin", "greeting.txt", "nested"]
    assert got["nested"] == ["deep.txt"]
    assert got["sub"] == got["sub_direct"]
    assert {"settings.json", "templates"} <= set(got["sub"])
    assert got["templates"] == ["page.html"]
    assert got["dirs"] == [True, True, True, True]
    assert got["not_files"] == [False, False, False]
    assert got["root_is_dir"] is True


def test_resources_open(exe: Exe) -> None:
    got = exe.result(
        """
        from importlib.resources import files
        data = files("fixturepkg") / "data"
        with (data / "blob.bin").open("rb") as f:
            head = f.read(4)
            rest = f.read()
        with (data / "greeting.txt").open("r", encoding="utf-8") as f:
            lines = f.readlines()
        with (data / "greeting.txt").open() as f:
            default = f.read()
        result = {"head": head.hex(), "rest": rest.hex(), "lines": lines, "default": default}
        """
    )
    blob = (SRC / "fixturepkg/data/blob.bin").read_bytes()
    text = (SRC / "fixturepkg/data/greeting.txt").read_text(encoding="utf-8")
    assert got == {
        "head": blob[:4].hex(),
        "rest": blob[4:].hex(),
        "lines": text.splitlines(keepends=True),
        "default": text,
    }


def test_resources_missing_file(exe: Exe) -> None:
    got = exe.result(
        """
        from importlib.resources import files
        missing = files("fixturepkg") / "data" / "missing.txt"
        errors = []
        for read in (missing.read_bytes, missing.read_text, lambda: missing.open("rb"),
                     lambda: (files("fixturepkg.sub") / "nope" / "deeper.json").read_text()):
            try:
                read()
                errors.append(None)
            except FileNotFoundError as e:
                errors.append(str(e))
        result = {"errors": errors, "is_file": missing.is_file(), "is_dir": missing.is_dir()}
        """
    )
    assert got["errors"][:3] == [exe.virtual("fixturepkg/data/missing.txt")] * 3
    assert got["errors"][3] is not None
    assert got["is_file"] is False
    assert got["is_dir"] is False


def test_resources_as_file_gives_the_path_in_the_view(exe: Exe, tmp_path: Path) -> None:
    # as_file() must give a real path. For embedded data it is the file's (or the
    # directory's) own path in the executable's read-only view, under its own name
    # as python hands out resources on disk, instead of the generic temporary copy:
    # nothing is written to TMPDIR (certifi.where() relies on this).
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    got = exe.result(
        """
        import os
        from importlib.resources import as_file, files
        with as_file(files("fixturepkg") / "data" / "blob.bin") as path:
            inside = [str(path), os.path.isfile(path), open(path, "rb").read().hex()]
        with as_file(files("fixturepkg") / "data") as folder:
            listed = sorted(os.listdir(folder))
        result = {"inside": inside, "folder": str(folder), "listed": listed,
                  "after": os.path.exists(path)}
        """,
        env={"TMPDIR": str(tmpdir)},
    )
    path, is_file, data = got["inside"]
    assert path == exe.virtual("fixturepkg/data/blob.bin")
    assert is_file is True
    assert data == (SRC / "fixturepkg/data/blob.bin").read_bytes().hex()
    assert got["folder"] == exe.virtual("fixturepkg/data")
    assert "blob.bin" in got["listed"]
    assert got["after"] is True  # a path handed out stays valid
    assert list(tmpdir.iterdir()) == []


# -- importlib.metadata --------------------------------------------------------------------


def test_metadata_of_the_application(exe: Exe) -> None:
    project = tomllib.loads((FIXTURE / "pyproject.toml").read_text())["project"]
    got = exe.result(
        """
        import sys
        from importlib import metadata
        meta = metadata.metadata("importer-fixture")
        result = {
            "version": metadata.version("importer-fixture"),
            "normalized": metadata.version("Importer_Fixture"),
            "name": meta["Name"],
            "summary": meta["Summary"],
            "requires": metadata.requires("importer-fixture"),
            "distributions": [d.metadata["Name"] for d in metadata.distributions()],
            # A search of given paths finds the embedded ones only in the executable.
            "elsewhere": [d.metadata["Name"] for d in metadata.distributions(path=["/nowhere"])],
            "in_exe": [d.metadata["Name"] for d in metadata.distributions(path=[sys.executable])],
        }
        """
    )
    assert got == {
        "version": project["version"],
        "normalized": project["version"],
        "name": project["name"],
        "summary": project["description"],
        "requires": project["dependencies"],
        "distributions": [project["name"]],
        "elsewhere": [],
        "in_exe": [project["name"]],
    }


def test_metadata_entry_points_load_the_plugin(exe: Exe) -> None:
    got = exe.result(
        """
        from importlib.metadata import entry_points
        plugins = entry_points(group="fixture.plugins")
        scripts = entry_points(group="console_scripts")
        result = {
            "plugins": sorted((ep.name, ep.value) for ep in plugins),
            "loaded": [ep.load()("hello") for ep in plugins],
            "dist": [ep.dist.metadata["Name"] for ep in plugins],
            "scripts": sorted((ep.name, ep.value) for ep in scripts),
            "no_group": list(entry_points(group="no.such.group")),
        }
        """
    )
    project = tomllib.loads((FIXTURE / "pyproject.toml").read_text())["project"]
    assert got == {
        "plugins": [["shout", "fixturepkg.plugins:shout"]],
        "loaded": ["HELLO!"],
        "dist": [project["name"]],
        "scripts": sorted([k, v] for k, v in project["scripts"].items()),
        "no_group": [],
    }


def test_metadata_files(exe: Exe) -> None:
    got = exe.result(
        """
        from importlib import metadata
        import fixturepkg.core
        files = {str(p): p for p in metadata.files("importer-fixture")}
        core = files["fixturepkg/core.py"]
        result = {
            "files": sorted(files),
            "core_located": str(core.locate()),
            "core_file": fixturepkg.core.__file__,
            "core_text": core.read_text(),
            "blob": files["fixturepkg/data/blob.bin"].read_binary().hex(),
            "packages": metadata.packages_distributions(),
        }
        """
    )
    modules = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")]
    data = [f"fixturepkg/{rel}" for rel in data_files("fixturepkg")]
    dist_info = "importer_fixture-2.5.1.dist-info"
    record = [f"{dist_info}/{f}" for f in ("METADATA", "RECORD", "entry_points.txt")]
    assert got["files"] == sorted(modules + data + record)
    assert got["core_located"] == got["core_file"] == exe.virtual("fixturepkg/core.py")
    assert got["core_text"] == source_of("fixturepkg/core.py")
    assert got["blob"] == (SRC / "fixturepkg/data/blob.bin").read_bytes().hex()
    for top in ("fixturepkg", "fixturens", "fixture_top"):
        assert got["packages"][top] == ["importer-fixture"]


def test_metadata_unknown_distribution(exe: Exe) -> None:
    got = exe.result(
        """
        from importlib import metadata
        errors = []
        for call in (metadata.version, metadata.distribution, metadata.metadata, metadata.files):
            try:
                call("no-such-distribution")
                errors.append(None)
            except metadata.PackageNotFoundError as e:
                errors.append(type(e).__name__)
        result = errors
        """
    )
    assert got == ["PackageNotFoundError"] * 4


# -- __file__, sys, and where modules come from ---------------------------------------------


def test_file_attributes_are_virtual_paths_under_the_executable(exe: Exe) -> None:
    got = exe.result(
        """
        import os, pkgutil, sys
        import fixturepkg, fixturepkg.names as names, fixturepkg.sub.helper
        try:
            names.__loader__.get_data(os.path.join(names.HERE, "data", "missing.txt"))
            missing = None
        except OSError as e:
            missing = type(e).__name__
        result = {
            "executable": sys.executable,
            "package": fixturepkg.__file__,
            "module": names.__file__,
            "deep": fixturepkg.sub.helper.__file__,
            "here": names.HERE,
            "package_name": names.PACKAGE_NAME,
            "greeting_path": names.GREETING_PATH,
            "get_data": names.__loader__.get_data(names.GREETING_PATH).decode(),
            "pkgutil_get_data": pkgutil.get_data("fixturepkg", "data/nested/deep.txt").decode(),
            "pkgutil_sub": pkgutil.get_data("fixturepkg.sub", "templates/page.html").decode(),
            "missing": missing,
        }
        """
    )
    assert got == {
        "executable": str(exe.path),
        "package": exe.virtual("fixturepkg/__init__.py"),
        "module": exe.virtual("fixturepkg/names.py"),
        "deep": exe.virtual("fixturepkg/sub/helper.py"),
        "here": exe.virtual("fixturepkg"),
        "package_name": "fixturepkg",
        "greeting_path": exe.virtual("fixturepkg/data/greeting.txt"),
        "get_data": (SRC / "fixturepkg/data/greeting.txt").read_text(encoding="utf-8"),
        "pkgutil_get_data": (SRC / "fixturepkg/data/nested/deep.txt").read_text(),
        "pkgutil_sub": (SRC / "fixturepkg/sub/templates/page.html").read_text(),
        "missing": "FileNotFoundError",
    }


def test_sys_frozen_and_executable(exe: Exe) -> None:
    got = exe.result(
        """
        import sys
        result = [sys.frozen, sys.executable, sys.argv, "%d.%d" % sys.version_info[:2]]
        """
    )
    assert got == [True, str(exe.path), ["-c"], exe.version]


def test_sys_path_is_pythons_with_the_executable_for_the_stdlib(exe: Exe, tmp_path: Path) -> None:
    """As python: the current directory (for -c) and PYTHONPATH's directories come first
    on sys.path, then the executable where python's standard library directories would
    be. A top-level module in the directories before it shadows the payload's, as they
    shadow python's standard library; with -I only the executable is left."""
    on_path = tmp_path / "pythonpath"
    on_path.mkdir()
    (on_path / "from_pythonpath.py").write_text("X = 1\n")
    (tmp_path / "from_cwd.py").write_text("X = 1\n")
    (tmp_path / "decimal.py").write_text("SHADOW = 'cwd'\n")
    (on_path / "fixture_top.py").write_text("SHADOW = 'pythonpath'\n")
    code = """
        import os, sys, decimal, fixture_top, fixturepkg.core
        outcomes = {}
        for name in ("from_cwd", "from_pythonpath"):
            try:
                __import__(name)
                outcomes[name] = "imported"
            except ModuleNotFoundError:
                outcomes[name] = "not found"
        result = {
            "path": sys.path,
            "outcomes": outcomes,
            "shadows": [getattr(m, "SHADOW", m.__file__) for m in (decimal, fixture_top)],
            "payload": fixturepkg.core.__file__,
        }
        """
    env = {"PYTHONPATH": f"{on_path}:relative"}
    got = exe.result(code, cwd=tmp_path, env=env)
    assert got == {
        "path": ["", str(on_path), str(tmp_path / "relative"), str(exe.path)],
        "outcomes": {"from_cwd": "imported", "from_pythonpath": "imported"},
        "shadows": ["cwd", "pythonpath"],
        "payload": exe.virtual("fixturepkg/core.py"),
    }
    isolated = exe.result(code, cwd=tmp_path, env=env, prefix_args=("-I",))
    assert isolated == {
        "path": [str(exe.path)],
        "outcomes": {"from_cwd": "not found", "from_pythonpath": "not found"},
        "shadows": [exe.virtual("decimal.py"), exe.virtual("fixture_top.py")],
        "payload": exe.virtual("fixturepkg/core.py"),
    }


def test_pth_file_beside_the_executable_adds_nothing_to_sys_path(exe: Exe, tmp_path: Path) -> None:
    copy = tmp_path / "app"
    shutil.copy2(exe.path, copy)
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "from_pth.py").write_text("X = 1\n")
    Path(f"{copy}._pth").write_text(f"{mods}\n")
    done = subprocess.run(
        [str(copy), "-c", "import sys; print(sys.path); import from_pth"],
        capture_output=True,
        text=True,
        cwd=exe.workdir,
        timeout=60,
    )
    assert "ModuleNotFoundError" in done.stderr, done.stdout + done.stderr


def test_modules_come_from_the_payload(exe: Exe) -> None:
    got = exe.result(
        """
        import importlib, pkgutil, sys, _imp, _pyingot
        from importlib.machinery import BuiltinImporter, FrozenImporter
        import fixturepkg, fixturens.inner.portion, fixture_top
        import json, email.parser, encodings, decimal, importlib.metadata
        importlib.metadata.version("importer-fixture")  # imports _pyingot_metadata
        for m in pkgutil.walk_packages(fixturepkg.__path__, "fixturepkg."):
            importlib.import_module(m.name)
        kinds = {}
        for name, module in sorted(sys.modules.items()):
            if not isinstance(module, type(sys)):
                continue  # typing.io and typing.re are classes in sys.modules
            loader = getattr(module, "__loader__", None)
            if type(loader).__name__ == "Loader" and loader.path == module.__file__:
                # As python's loaders (through exec), so that C code importing
                # from inside the module finds its builtins.
                if module.__spec__.origin.endswith(".so"):
                    # A standard-library module embedded as a shared object
                    # (link = "start-up"): C code, no __builtins__.
                    kind = "extension in the payload"
                elif "__builtins__" in vars(module):
                    kind = "payload"
                else:
                    kind = "payload, no __builtins__"
            elif isinstance(loader, importlib.machinery.NamespaceLoader):
                # As python: a namespace package has importlib's loader and runs no
                # code; its first portion is the executable's.
                inside = list(module.__path__)[0].startswith(_pyingot.executable + "/")
                kind = "namespace in the payload" if inside else f"other: {loader!r}"
            elif loader is BuiltinImporter and (name in sys.builtin_module_names
                                                or name == "__main__"):
                kind = "built-in"
            elif loader is FrozenImporter and _imp.is_frozen(module.__spec__.name):
                kind = "frozen"
            else:
                kind = f"other: {loader!r}"
            kinds[name] = kind
        result = kinds
        """
    )
    others = {name: kind for name, kind in got.items() if kind.startswith(("other", "payload,"))}
    assert others == {}
    for name in (
        "fixturepkg",
        "fixturepkg.sub.helper",
        "fixturens.inner.portion",
        "fixture_top",
        "json",
        "email.parser",
        "encodings",
        "importlib.metadata",
        "_pyingot_metadata",
    ):
        assert got[name] == "payload", name
    assert got["fixturens"] == got["fixturens.inner"] == "namespace in the payload"
    # A python-like executable links every extension module (link's default for it);
    # test_cold_extensions.py covers those embedded under link = "start-up".
    assert got["_decimal"] == "built-in"
    assert got["sys"] == "built-in"
    assert got["_pyingot"] == "built-in"


# -- nothing from disk -------------------------------------------------------------------


STRACE_SYSCALLS = "open,openat,stat,lstat,newfstatat,statx"
PATH_ARG = re.compile(r'^\d+\s+(\w+)\((?:AT_FDCWD, |\d+, )?"([^"]*)".*= (-?\d+)')


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_importing_the_whole_fixture_opens_no_module_file(exe: Exe, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    code = """
        import importlib, inspect, pkgutil, traceback
        import fixturepkg, fixturens, fixture_top
        for root in (fixturepkg, fixturens):
            for m in pkgutil.walk_packages(root.__path__, root.__name__ + "."):
                importlib.import_module(m.name)
        import fixturepkg.core, fixturepkg.boom, fixturepkg.plugins
        import importlib.resources, importlib.metadata, json, email.parser, decimal
        importlib.resources.files("fixturepkg").joinpath("data/blob.bin").read_bytes()
        importlib.metadata.entry_points(group="fixture.plugins")["shout"].load()
        inspect.getsource(fixturepkg.core.double)
        try:
            fixturepkg.boom.explode()
        except RuntimeError:
            traceback.format_exc()
        result = len(importlib.metadata.files("importer-fixture"))
        """
    # Run under strace from the fixture's source directory, where every module
    # exists as a file: nothing may be read from there. Isolated (-I), since the
    # current directory is on python's sys.path (a namespace package's portions
    # there would be merged, as in python).
    got = exe.result(
        code,
        cwd=exe.project / "src",
        prefix_args=("-I",),
        prefix=("strace", "-f", "-qq", "-e", f"trace={STRACE_SYSCALLS}", "-o", str(trace)),
    )
    assert got > 0
    calls = [m.groups() for m in map(PATH_ARG.match, trace.read_text().splitlines()) if m]
    assert any(path == str(exe.path) for _, path, _ in calls), "strace saw nothing"
    module_files = [
        (syscall, path, rc)
        for syscall, path, rc in calls
        if path.endswith((".py", ".pyc", ".so")) or "__pycache__" in path
        # linecache and inspect stat a virtual path; it fails (ENOTDIR): the
        # executable is a file, not a directory.
        if not (path.startswith(f"{exe.path}/") and rc == "-1" and "stat" in syscall)
    ]
    assert module_files == []
    # Nothing relative to the current directory, nothing of the project's
    # sources. (CPython 3.13's traceback module tries to open "<unknown>", a
    # pseudo file name, as plain python does.)
    local = [
        (syscall, path, rc)
        for syscall, path, rc in calls
        if path
        and not (path.startswith("<") and path.endswith(">"))
        and (not path.startswith("/") or path.startswith(str(exe.project)))
    ]
    assert local == []


# -- behaving like python ------------------------------------------------------------------
#
# The same command lines under the distribution's own interpreter (the fixture's sources on
# PYTHONPATH) are the expected values: the executable must behave as python does.


def stock_python(exe: Exe) -> Path:
    from tests.distributions import distribution

    dist = distribution(exe.version)
    return dist.path(dist.python_exe)


def run_both(
    exe: Exe, args: list[str], env: dict[str, str] | None = None, *, stdin: str = ""
) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """``(returncode, stdout, stderr)`` of ``args`` under the executable and under the
    stock interpreter, with each one's path in its output replaced by ``PYTHON``."""
    outcomes = []
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    for program, extra in ((exe.path, {}), (stock_python(exe), {"PYTHONPATH": str(SRC)})):
        done = subprocess.run(
            [str(program), *args],
            cwd=exe.workdir,
            env=base | extra | (env or {}),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        clean = [t.replace(str(program), "PYTHON") for t in (done.stdout, done.stderr)]
        outcomes.append((done.returncode, clean[0], clean[1]))
    return outcomes[0], outcomes[1]


REPORT = (
    "import sys, warnings; "
    "print(sys.flags, sys.stdout.encoding, sys.stdout.errors, sys.warnoptions, sys._xoptions, "
    "__debug__, sys.argv, sys.dont_write_bytecode, sys.pycache_prefix, sep='\\n')"
)


@pytest.mark.parametrize(
    ("options", "env"),
    [
        ([], {}),
        ([], {"PYTHONIOENCODING": "latin-1:replace", "PYTHONOPTIMIZE": "2"}),
        (["-E"], {"PYTHONIOENCODING": "latin-1", "PYTHONDONTWRITEBYTECODE": "1"}),
        (["-I"], {"PYTHONIOENCODING": "latin-1", "PYTHONSAFEPATH": "1"}),
        (["-O", "-B", "-s", "-S", "-u", "-b", "-P"], {}),
        (["-OO", "-W", "error::DeprecationWarning", "-X", "utf8", "-X", "dev"], {}),
        (["-X", "pycache_prefix=/nowhere", "-q", "-R"], {"PYTHONWARNINGS": "ignore"}),
        ([], {"PYTHONUTF8": "1", "PYTHONNOUSERSITE": "1", "PYTHONVERBOSE": ""}),
    ],
)
def test_options_and_environment_as_python(
    exe: Exe, options: list[str], env: dict[str, str]
) -> None:
    """sys.flags, stdio, warnings, -X options and sys.argv follow the command line and
    the PYTHON* variables (ignored with -E or -I) exactly as in python."""
    got, expected = run_both(exe, [*options, "-c", REPORT, "arg"], env)
    assert got == expected
    assert got[0] == 0, got[2]


@pytest.mark.parametrize("value", ["on", "off", ""])
def test_frozen_modules_option_as_python(exe: Exe, value: str) -> None:
    """-X frozen_modules=off: the standard library is imported from its sources with
    importlib's SourceFileLoader (from the view here, from Lib/ in python), those
    imported at start-up included; otherwise os is frozen in both."""
    code = (
        "import os, json\n"
        "loader = os.__spec__.loader\n"
        "print(getattr(loader, '__name__', type(loader).__name__), json.loads('[1]'))\n"
        "if type(loader).__name__ == 'SourceFileLoader':\n"
        "    json_loader = json.__spec__.loader\n"
        "    print(type(json_loader).__name__, json_loader.get_source('json')[:4])\n"
    )
    got, expected = run_both(exe, ["-X", f"frozen_modules={value}", "-c", code])
    assert got == expected
    assert got[0] == 0, got[2]
    assert ("SourceFileLoader" in got[1]) == (value == "off")


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "fixturemain", "a", "b"],  # a package's __main__
        ["-m", "fixturemain.sub", "c"],  # a subpackage's
        ["-m", "fixturemain.tool", "3"],  # a module; its SystemExit status
        ["-m", "fixturemainns", "x"],  # a namespace package's __main__
        ["-m", "fixturens"],  # a namespace package without one
        ["-m", "fixturepkg"],  # a package without one
        ["-m", "fixturemain.nope"],
        ["-m", "fixturemain.tool.nope"],
        ["-m", "no_such_module_anywhere"],
        ["-m", "fixturemain.py"],
        ["-m", "fixturemain.__main__"],
        ["-m", "json.tool", "--sort-keys"],
        ["-c", "raise KeyboardInterrupt"],  # dies of SIGINT, as python does
        ["-c", "import sys; sys.exit('bye')"],
        ["-I", "-c", "import fixturepkg.core, sys; print(fixturepkg.core.__name__, sys.path)"],
        ["-nosuchoption"],
        ["-m"],
    ],
)
def test_command_lines_as_python(exe: Exe, args: list[str]) -> None:
    """-m with packages, namespace packages and __main__ submodules, and python's
    messages and exit statuses for what cannot run."""
    got, expected = run_both(exe, args, stdin='{"b": 1, "a": 2}')
    if args[:1] == ["-I"]:  # isolated python does not see PYTHONPATH: the fixture is not there
        assert got == (0, "fixturepkg.core ['PYTHON']\n", ""), got
        return
    assert got == expected


def test_namespace_package_spread_over_the_payload_and_the_disk(exe: Exe, tmp_path: Path) -> None:
    """A namespace package holds the modules of every portion, the executable's first,
    then those on sys.path, as importlib's PathFinder merges them; pkgutil lists them."""
    (tmp_path / "fixturens").mkdir()
    (tmp_path / "fixturens" / "on_disk.py").write_text("WHERE = 'disk'\n")
    got = exe.result(
        """
        import importlib.util, pkgutil, sys
        import fixturens, fixturens.on_disk, fixturens.direct
        result = {
            "path": list(fixturens.__path__),
            "where": [fixturens.on_disk.WHERE, fixturens.direct.__file__],
            "listed": sorted(m.name for m in pkgutil.iter_modules(fixturens.__path__)),
            "find_spec": importlib.util.find_spec("fixturens.on_disk").origin,
        }
        """,
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert got == {
        "path": [exe.virtual("fixturens"), str(tmp_path / "fixturens")],
        "where": ["disk", exe.virtual("fixturens/direct.py")],
        "listed": ["direct", "inner", "on_disk"],
        "find_spec": str(tmp_path / "fixturens" / "on_disk.py"),
    }


def test_path_entry_finder_finds_only_its_directory(exe: Exe) -> None:
    """A virtual package directory on a path finds the modules directly inside it, as
    FileFinder does, and reports a namespace package there as a portion."""
    got = exe.result(
        """
        import sys
        from importlib.machinery import PathFinder
        import fixturens, fixturepkg
        def origin(name, path):
            spec = PathFinder.find_spec(name, path)
            if spec is None:
                return None
            return [spec.origin, list(spec.submodule_search_locations or [])]
        result = {
            "child": origin("fixturepkg.core", fixturepkg.__path__),
            "elsewhere": origin("json.decoder", fixturepkg.__path__),
            "grandchild": origin("fixturepkg.sub.helper", fixturepkg.__path__),
            "portion": origin("fixturens.inner", fixturens.__path__),
        }
        """
    )
    assert got == {
        "child": [exe.virtual("fixturepkg/core.py"), []],
        "elsewhere": None,
        "grandchild": None,
        "portion": [None, [exe.virtual("fixturens/inner")]],
    }
