"""End to end: extension modules not imported at start-up are embedded, not linked
(``[tool.pyingot.extensions] link = "start-up"``, issue 10).

The fixture imports unicodedata, a CJK codec (by name), ssl, hashlib's OpenSSL
and sqlite3 only inside functions of another module, which the analysis does
not follow into: none of them may be built in, each must work, loaded from
memory, in the process and in a spawned child.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests import building, roots
from tests import traced as trace
from tests.building import FIXTURES, ROOT
from tests.distributions import distribution

pytestmark = pytest.mark.slow

LAZY = ("unicodedata", "_codecs_jp", "_multibytecodec", "_hashlib", "_ssl", "_sqlite3")


def _build(source: Path, tmp_path: Path, version: str, **settings: str) -> Path:
    distribution(version)
    project = building.copy_project(source, tmp_path / "project")
    building.pin(project, python=version)
    if settings:
        text = (project / "pyproject.toml").read_text() + "\n[tool.pyingot.extensions]\n"
        text += "".join(f'{k} = "{v}"\n' for k, v in settings.items())
        (project / "pyproject.toml").write_text(text)
    return building.build_ok(project, tmp_path / "app")


def _run(exe: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*args, str(exe)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )


def _inspect(exe: Path) -> str:
    return subprocess.run(
        [sys.executable, "-m", "pyingot", "inspect", "-v", str(exe)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("version", ["3.11", "3.13", "3.13t"])
def test_lazily_imported_extensions_are_embedded_and_work(version: str, tmp_path: Path) -> None:
    exe = _build(FIXTURES / "lazy_extensions", tmp_path, version)
    done = _run(exe)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no GIL warning from the free-threaded build either
    out = json.loads(done.stdout)
    assert out["before"] == []
    # 3.13t's _ssl reads the hidden thread-state variable: it is linked instead.
    assert out["builtin"] == (["_ssl"] if version == "3.13t" else [])
    for name in set(LAZY) - set(out["builtin"]):
        assert out["loaded"][name] == f"{exe}/{name}.so", name
    assert out["name"] == "LATIN SMALL LETTER A"
    assert out["shift_jis"] == "93fa967b"
    assert out["sha256"].startswith("ba7816bf")
    assert out["hashlib_from_openssl"] and out["ssl"] == "OpenSSL"
    assert out["context"] == "SSLContext" and out["sqlite"] == "日本"
    assert out["child"] == "CJK UNIFIED IDEOGRAPH-65E5"
    # One shared object holds both OpenSSL modules (one copy of OpenSSL), stored once
    # and loaded once; 3.13t links _ssl, and _hashlib alone carries it.
    assert out["openssl_files"] == ["_hashlib.so"]

    # inspect lists them with what they carry, the bill of materials OpenSSL.
    shown = _inspect(exe)
    assert "unicodedata" in shown.split("extension modules (loaded from memory):")[1]
    assert "Apache-2.0: 2 extension modules" in shown  # _ssl and _hashlib: OpenSSL 3
    if version != "3.13t":
        assert re.search(r"\n  _ssl +[0-9.]+ MiB \(stored with _hashlib\)", shown), shown
    sbom = json.loads(Path(f"{exe}.cdx.json").read_text())
    assert "openssl" in {c["name"] for c in sbom["components"]}


def test_embedded_extensions_are_read_from_memory_only(tmp_path: Path) -> None:
    exe = _build(FIXTURES / "lazy_extensions", tmp_path, "3.11")
    log = tmp_path / "strace.log"
    done = _run(exe, "strace", "-f", "-e", "trace=%file,memfd_create", "-o", str(log))
    assert done.returncode == 0, done.stderr
    lines = log.read_text().splitlines()
    assert trace.code_from_disk(lines) == []
    assert trace.writes_under_tmp(lines) == []
    assert any("memfd_create(" in ln and "unicodedata" in ln for ln in lines)


@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_hello_loads_no_extension_module_at_start(version: str, tmp_path: Path) -> None:
    """hello reaches unicodedata, the CJK codecs, _pickle, _datetime... through
    lazy imports and codec names: embedded, not one of them is loaded to say hello."""
    exe = _build(ROOT / "examples" / "hello", tmp_path, version)
    log = tmp_path / "strace.log"
    done = _run(exe, "strace", "-f", "-e", "trace=memfd_create", "-o", str(log))
    assert done.returncode == 0 and done.stdout.startswith("Hello, world!"), done.stderr
    assert [ln for ln in log.read_text().splitlines() if "memfd_create(" in ln] == []
    shown = _inspect(exe)
    embedded = shown.split("extension modules (loaded from memory):")[1].split("built-in")[0]
    assert {"unicodedata", "_codecs_jp", "_bz2"} <= {
        ln.split()[0] for ln in embedded.splitlines()[1:] if ln.strip()
    }
    # "reachable" links them all again: the same modules, no shared objects.
    reachable = _build(ROOT / "examples" / "hello", tmp_path / "r", version, link="reachable")
    assert "extension modules (loaded from memory)" not in _inspect(reachable)
    # 3.13: 6.64 against 7.63 MB (unicodedata and the CJK codecs alone are 1.9 MB
    # linked, 0.7 MB embedded).
    assert exe.stat().st_size < 0.9 * reachable.stat().st_size


def test_embedded_extensions_work_alone_on_debian_11(tmp_path: Path) -> None:
    """Their shared objects need nothing from the system but glibc (2.31 there)."""
    reason = roots.missing()
    if reason:
        pytest.skip(reason)
    root = roots.debian_root("bullseye")
    exe = _build(FIXTURES / "lazy_extensions", tmp_path, "3.11")
    # The root has no /dev/shm, which a multiprocessing pool needs.
    there = roots.run_in_root(root, exe, "--no-child", timeout=300)
    assert there.returncode == 0, there.stderr
    out = json.loads(there.stdout)
    assert out["builtin"] == [] and out["name"] == "LATIN SMALL LETTER A"
    assert out["sqlite"] == "日本" and out["shift_jis"] == "93fa967b"


@pytest.mark.parametrize("version", ["3.11", "3.13", "3.13t"])
def test_a_python_like_executable_imports_every_embedded_module(
    version: str, tmp_path: Path
) -> None:
    """Under link = "start-up", a python-like executable links only what python
    imports to start; every other module of the policy's set is embedded, and each
    one imports (on the free-threaded build without turning the GIL on). By default
    it links them all."""
    distribution(version)
    project = tmp_path / "project"
    building.write(
        project,
        {
            "pyproject.toml": f"""
                [project]
                name = "py"
                version = "1"

                [tool.pyingot]
                entry = "python"
                python = "{version}"

                [tool.pyingot.extensions]
                link = "start-up"
            """
        },
    )
    exe = building.build_ok(project, tmp_path / "py")
    shown = _inspect(exe)
    block = shown.split("extension modules (loaded from memory):")[1].split("built-in")[0]
    embedded = [ln.split()[0] for ln in block.splitlines()[1:] if ln.strip()]
    assert {"_decimal", "_sqlite3", "_codecs_jp", "_elementtree"} <= set(embedded)
    # 3.13's that read the hidden thread state are linked (shared_objects.unresolved).
    if version == "3.11":
        assert {"unicodedata", "_ctypes", "readline", "math"} <= set(embedded)
    code = (
        "import importlib, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        f"names = {embedded!r}\n"
        "for n in names: importlib.import_module(n)\n"
        "import ctypes; assert ctypes.CDLL(None).strlen(b'abc') == 3\n"
        "print(sorted(set(names) & set(sys.builtin_module_names)),"
        " getattr(sys, '_is_gil_enabled', lambda: True)())\n"
    )
    done = subprocess.run(
        [str(exe), "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"[] {version != '3.13t'}\n"

    # The default: every module linked, as python has them ready.
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('link = "start-up"', ""))
    exe = building.build_ok(project, tmp_path / "py-default")
    check = (
        "import sys\n"
        "print(sorted({'_decimal', '_sqlite3', '_codecs_jp'} - set(sys.builtin_module_names)))"
    )
    done = subprocess.run(
        [str(exe), "-c", check], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}
    )
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


LIB_DYNLOAD = """
import importlib.machinery as m, importlib.util, json, os, sys
import _testmultiphase
here = os.path.join(sys.executable, "lib-dynload")
finder = m.FileFinder(here, (m.ExtensionFileLoader, m.EXTENSION_SUFFIXES))
spec = finder.find_spec("_testmultiphase")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({
    "file": _testmultiphase.__file__ == os.path.join(here, "_testmultiphase.so"),
    "path": sys.path[-1] == here if len(sys.argv) > 1 else here not in sys.path,
    "isdir": os.path.isdir(here),
    "listed": "_testmultiphase.so" in os.listdir(here),
    "not at the top": not os.path.exists(os.path.join(sys.executable, "_testmultiphase.so")),
    "found": spec.origin == os.path.join(here, "_testmultiphase.so"),
    "loaded": hasattr(module, "Example"),
}))
"""


@pytest.mark.parametrize("entry", ["python", "script"])
def test_the_distribution_s_shared_library_modules_are_in_lib_dynload(
    entry: str, tmp_path: Path
) -> None:
    """An extension module that the distribution builds only as a shared library
    (CPython's test modules, included by name) lies in the view's ``lib-dynload``
    directory, as in python's layout; a python-like executable puts that directory on
    ``sys.path`` after its own entry, where importlib's FileFinder finds and loads it."""
    project = tmp_path / "project"
    script = {"main.py": LIB_DYNLOAD} if entry == "script" else {}
    building.write(
        project,
        {
            "pyproject.toml": f"""
                [project]
                name = "dyn"
                version = "1"

                [tool.pyingot]
                python = "3.11"
                {'entry = "python"' if entry == "python" else 'entry = "main.py"'}

                [tool.pyingot.extensions]
                include = ["_testmultiphase"]
            """,
            **script,
        },
    )
    exe = building.build_ok(project, tmp_path / "dyn")
    argv = [str(exe), "-c", LIB_DYNLOAD, "python-like"] if entry == "python" else [str(exe)]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 0, done.stderr
    assert all(json.loads(done.stdout).values()), done.stdout
