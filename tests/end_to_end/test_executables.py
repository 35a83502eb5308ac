"""End to end: build real executables from projects, run them, watch what they touch.

Each project is copied to a temporary directory, built with ``pyingot build``
for Python 3.11 and 3.13, and run as a user would run it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyingot.payload import packing, reading
from pyingot.stub import exports
from tests import binutils, building
from tests import traced as trace
from tests.building import ROOT
from tests.distributions import SOURCES, distribution
from tests.roots import GLIBC_FILES

pytestmark = pytest.mark.slow

VERSIONS = sorted(SOURCES)


def build_project(
    source: Path,
    workdir: Path,
    version: str,
    *,
    output: str = "app",
    edit: dict[str, str] | None = None,
) -> Path:
    """Copy ``source`` to ``workdir``, pin the Python version, build; return the executable."""
    distribution(version)  # built or cached before the first build needs it
    project = building.copy_project(source, workdir / "project")
    for rel, content in (edit or {}).items():
        (project / rel).write_text(content)
    # After the edits, which may replace pyproject.toml.
    building.pin(project, python=version)
    return building.build_ok(project, workdir / output)


_built: dict[tuple[str, str], Path] = {}


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("executables")


def built(name: str, version: str, workdir: Path) -> Path:
    key = (name, version)
    if key not in _built:
        source = {
            "hello": ROOT / "examples" / "hello",
            "tour": ROOT / "examples" / "stdlib_tour",
            "behaviour": ROOT / "tests" / "fixtures" / "behaviour",
        }[name]
        _built[key] = build_project(source, workdir / f"{name}-{version}", version)
    return _built[key]


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def run(
    exe: Path, *args: str, env: dict[str, str] | None = None, **kw: object
) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        **kw,
    )  # type: ignore[call-overload]


# -- the examples run --------------------------------------------------------------


def test_hello(version: str, workdir: Path) -> None:
    done = run(built("hello", version, workdir), "pyingot")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Hello, pyingot! (Python {version}.")
    assert done.stderr == ""


def test_stdlib_tour(version: str, workdir: Path) -> None:
    done = run(built("tour", version, workdir), "--json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert len(results) >= 36
    assert results["sqlite"] == 42 and results["asyncio"] == 42 and results["xml"] == "x"


# -- what the executable touches ----------------------------------------------------------


def traced(exe: Path, tmp: Path, *args: str) -> list[str]:
    log = tmp / "strace.txt"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(log), str(exe), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return log.read_text().splitlines()


@pytest.mark.parametrize("name", ["hello", "tour"])
def test_nothing_is_imported_from_disk_or_written_to_tmp(
    name: str, version: str, workdir: Path, tmp_path: Path
) -> None:
    lines = traced(built(name, version, workdir), tmp_path)
    assert trace.code_from_disk(lines) == []
    assert trace.writes_under_tmp(lines) == []


@pytest.mark.parametrize("name", ["hello", "tour"])
def test_runs_alone_in_an_empty_chroot(
    name: str, version: str, workdir: Path, tmp_path: Path
) -> None:
    if os.geteuid() != 0:
        pytest.skip("chroot needs root")
    root = tmp_path / "root"
    for f in GLIBC_FILES:
        dest = root / f.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(f).resolve(), dest)
    shutil.copy(built(name, version, workdir), root / "app")
    # Nothing but the executable and glibc's own libraries.
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == sorted(
        ["app", *(Path(f).name for f in GLIBC_FILES)]
    )
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    done = subprocess.run(
        [chroot, str(root), "/app"], capture_output=True, text=True, timeout=120, env={}
    )
    assert done.returncode == 0, done.stderr
    assert ("Hello, world!" if name == "hello" else "checks passed") in done.stdout


def test_two_builds_are_byte_identical(version: str, tmp_path: Path) -> None:
    first = build_project(ROOT / "examples" / "hello", tmp_path / "a", version)
    second = build_project(ROOT / "examples" / "hello", tmp_path / "b", version)
    assert first.read_bytes() == second.read_bytes()


# -- behaving like python -----------------------------------------------------------------


def test_process_facts(version: str, workdir: Path) -> None:
    exe = built("behaviour", version, workdir)
    done = run(
        exe, "report", "--flag", env={"PYTHONIOENCODING": "latin-1", "PYTHONPATH": "/nonexistent"}
    )
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert facts["argv"] == [str(exe), "report", "--flag"]
    assert facts["executable"] == str(exe)
    assert facts["frozen"] is True and facts["isolated"] == 1 and facts["no_site"] == 1
    assert "/nonexistent" not in facts["path"]  # PYTHON* variables are ignored
    assert facts["stdout_encoding"] == "utf-8"
    assert facts["file"] == f"{exe}/behaviour.py"
    assert facts["name"] == "behaviour" and facts["snowman"] == "\u2603"


@pytest.mark.parametrize(
    ("args", "status", "stderr"),
    [
        (("exit", "3"), 3, ""),
        (("sys-exit", "7"), 7, ""),
        (("exit-message",), 1, "a message for stderr\n"),
    ],
)
def test_exit_statuses(
    args: tuple[str, ...], status: int, stderr: str, version: str, workdir: Path
) -> None:
    done = run(built("behaviour", version, workdir), *args)
    assert (done.returncode, done.stderr) == (status, stderr)


def test_daemon_threads_end_with_the_process(version: str, workdir: Path) -> None:
    """The stub has no unwind tables; glibc's pthread_exit, which ends each daemon
    thread at shutdown, unwinds to the first frame without them and then returns to
    the thread's start (pyingot.stub.exports)."""
    exe = built("behaviour", version, workdir)
    for _ in range(20):
        done = run(exe, "daemon-threads")
        assert (done.returncode, done.stdout, done.stderr) == (0, "bye\n", "")


@pytest.mark.skipif(shutil.which("nm") is None, reason="needs binutils")
def test_the_stub_exports_the_c_api_and_the_interposed_functions(
    version: str, workdir: Path
) -> None:
    exe = built("hello", version, workdir)
    assert not {".eh_frame", ".eh_frame_hdr", ".symtab"} & binutils.section_names(exe)
    out = subprocess.run(
        ["nm", "-D", "--defined-only", str(exe)], capture_output=True, text=True, check=True
    ).stdout
    names = {line.split()[-1] for line in out.splitlines() if line.strip()}
    api = {n for n in names if n.startswith(("Py", "_Py", "PY_"))}  # 3.13: PY_TIMEOUT_MAX
    assert {"Py_Initialize", "PyObject_GetAttr", "_Py_NoneStruct"} <= api
    assert set(exports.INTERPOSED) <= names
    # Besides, only the C runtime's own symbols: none of the Rust runtime's, no main.
    crt = {"_IO_stdin_used", "__data_start", "data_start", "_start"}
    crt |= {"__libc_csu_init", "__libc_csu_fini"}
    assert names - api - set(exports.INTERPOSED) <= crt


def test_uncaught_exception_prints_traceback_with_source(version: str, workdir: Path) -> None:
    exe = built("behaviour", version, workdir)
    done = run(exe, "raise")
    assert done.returncode == 1
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert f'File "{exe}/behaviour.py"' in done.stderr or 'File "behaviour.py"' in done.stderr
    assert 'raise ValueError("boom from the fixture")' in done.stderr
    assert done.stderr.rstrip().endswith("ValueError: boom from the fixture")


def test_ctrl_c_raises_keyboard_interrupt_and_exits_130(version: str, workdir: Path) -> None:
    proc = subprocess.Popen(
        [str(built("behaviour", version, workdir)), "sleep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "KeyboardInterrupt" in err


def test_closed_stdout_pipe_is_quiet(version: str, workdir: Path) -> None:
    exe = built("behaviour", version, workdir)
    done = subprocess.run(
        f"'{exe}' flood | head -n 2",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        executable="/bin/bash",
    )
    assert done.stdout == "line 0\nline 1\n"
    assert done.stderr == ""


# -- damaged executables ------------------------------------------------------------------


def _stored_ranges(exe: bytes) -> list[tuple[str, range]]:
    """Each blob's stored bytes in ``exe``, with the name of its entry."""
    payload = reading.find_payload(exe)
    start = len(exe) - packing.TRAILER_SIZE - len(payload)
    header = packing.HEADER.struct.unpack_from(payload)
    count, index, data = header[2], header[3], header[5]
    out = []
    for i in range(count):
        f = packing.ENTRY.struct.unpack_from(payload, index + i * packing.ENTRY_SIZE)
        for offset, length in ((f[7], f[8]), (f[10], f[12])):
            at = start + data + offset
            out.append((f"entry {i} ", range(at, at + length)))
    # The zstd dictionary, checked when the first compressed blob is read.
    at = start + data + header[7]
    out.append(("the compression dictionary ", range(at, at + header[8])))
    return out


def test_damaged_or_truncated_executable_fails_cleanly(workdir: Path, tmp_path: Path) -> None:
    """Damage to the header, index or names (or a cut) stops the executable at start;
    damage to a blob stops it when the blob is read, naming the entry; damage to a blob
    it never reads goes unnoticed until `pyingot verify`, which names the entry."""
    good = built("hello", "3.11", workdir).read_bytes()
    payload_len = int.from_bytes(good[-24:-16], "little")
    payload_start = len(good) - 32 - payload_len
    data_start = payload_start + packing.HEADER.struct.unpack_from(good, payload_start)[5]
    blobs = _stored_ranges(good)
    import random

    rng = random.Random(2026)
    cases = [("flip", payload_start + rng.randrange(data_start - payload_start)) for _ in range(8)]
    cases += [("flip", data_start + rng.randrange(len(good) - 32 - data_start)) for _ in range(8)]
    cases += [("flip", len(good) - 1 - rng.randrange(32)) for _ in range(4)]
    # A blob that hello reads at every start: the module `encodings` (its bytecode).
    encodings = _module_blob(good, "encodings")
    cases += [("flip", encodings.start + len(encodings) // 2)]
    # Cuts inside the payload or trailer. A cut inside the runtime's own ELF
    # segments kills the system's dynamic loader before any pyingot code runs
    # (docs/executables.md, "Limits"): only a cut that leaves the stub whole
    # can be reported.
    cuts = (
        len(good) - 1,
        len(good) - 33,
        payload_start + 100,
        payload_start + 1,
        payload_start + payload_len // 2,
    )
    cases += [("cut", n) for n in cuts]
    unnoticed = 0
    for i, (how, at) in enumerate(cases):
        data = bytearray(good)
        if how == "flip":
            data[at] ^= 1 << rng.randrange(8)
        else:
            del data[at:]
        exe = tmp_path / f"damaged-{i}"
        exe.write_bytes(bytes(data))
        exe.chmod(0o755)
        done = run(exe)
        assert "Traceback" not in done.stderr, (how, at, done.stderr)
        in_blob = [name for name, r in blobs if at in r]
        if done.returncode == 0:
            # Only a flip in a blob that this run never read (or in the padding
            # between blobs, which nothing reads) goes unnoticed; verify finds the first.
            assert how == "flip" and at >= data_start, (how, at, done.stderr)
            assert done.stdout.startswith("Hello, world!"), done.stdout
            checked = building.pyingot("verify", str(exe))
            if in_blob:
                assert checked.returncode == 1, checked.stdout
                assert f"payload is damaged: {in_blob[0]}(" in checked.stderr, checked.stderr
                unnoticed += 1
            else:
                assert checked.returncode == 0, checked.stderr
            continue
        assert done.returncode == 1, (how, at, done.returncode, done.stderr)
        if how == "flip" and at >= data_start and at < len(good) - 32:
            assert in_blob, (at, done.stderr)
            damaged = f"{exe}: cannot continue: payload is damaged: "
            if in_blob[0] == "the compression dictionary ":
                assert f"{damaged}the compression dictionary fails its checksum" in done.stderr
            else:
                assert f"{damaged}{in_blob[0]}(" in done.stderr
        else:
            assert f"{exe}: cannot start: " in done.stderr, (how, at, done.stderr)
            assert re.search(
                r"payload is damaged|no payload found|unsupported payload", done.stderr
            )
    # hello imports a few dozen of its 200 modules: most blob damage goes unnoticed.
    assert unnoticed > 0


def _module_blob(exe: bytes, name: str) -> range:
    """Where the stored bytecode of module ``name`` lies in ``exe``."""
    payload = reading.find_payload(exe)
    start = len(exe) - packing.TRAILER_SIZE - len(payload)
    header = packing.HEADER.struct.unpack_from(payload)
    count, index, names, data = header[2], header[3], header[4], header[5]
    for i in range(count):
        f = packing.ENTRY.struct.unpack_from(payload, index + i * packing.ENTRY_SIZE)
        entry_name = payload[names + f[5] : names + f[5] + f[4]].decode()
        if f[0] == packing.Kind.MODULE and entry_name == name:
            at = start + data + f[7]
            return range(at, at + f[8])
    raise AssertionError(f"no module {name}")


# -- build-time errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("behavior:main", "entry point module 'behavior' not found"),
        ("behaviour:mian", "defines no 'mian'"),
    ],
)
def test_missing_entry_point_fails_the_build(entry: str, message: str, tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(ROOT / "tests" / "fixtures" / "behaviour", project)
    text = (project / "pyproject.toml").read_text().replace('"behaviour:main"', f'"{entry}"')
    (project / "pyproject.toml").write_text(text)
    done = building.build(project, timeout=300)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / "dist").exists()


def test_module_entry_point_runs_as_main(tmp_path: Path) -> None:
    """``entry = "hello"`` runs the module as ``__main__`` through runpy, which the
    build adds for this kind of entry point only."""
    exe = build_project(
        ROOT / "examples" / "hello",
        tmp_path,
        "3.11",
        edit={"pyproject.toml": '[tool.pyingot]\nname = "m"\nentry = "hello"\nsources = ["."]\n'},
    )
    done = run(exe, "module")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Hello, module!")


# -- python-like executables ------------------------------------------------------------------


@pytest.fixture(scope="session")
def python_like(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    out = {}
    for v in VERSIONS:
        work = tmp_path_factory.mktemp(f"pylike-{v}")
        out[v] = build_project(
            ROOT / "examples" / "hello",
            work,
            v,
            edit={
                "pyproject.toml": '[tool.pyingot]\nname = "py"\nentry = "python"\nsources = ["."]\n'
            },
        )
    yield out


def test_python_like_executable(version: str, python_like: dict[str, Path], tmp_path: Path) -> None:
    exe = python_like[version]
    done = run(exe, "-c", "import sys, json; print(sys.argv, json.dumps([1]))")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "['-c'] [1]\n"
    done = run(exe, "-m", "json.tool", input='{"a": 1}')
    assert done.stdout == '{\n    "a": 1\n}\n'
    script = tmp_path / "script.py"
    script.write_text("import sys\nprint('script', sys.argv[1:])\nraise SystemExit(4)\n")
    done = run(exe, str(script), "x")
    assert (done.returncode, done.stdout) == (4, "script ['x']\n")
    done = run(exe, input="print(6 * 7)\n")
    assert done.stdout == "42\n"
    done = run(exe, "-c", "import hello; hello.main()")
    assert done.stdout.startswith("Hello, world!")


SUBINTERPRETERS = """
import _interpreters, os, sys
code = (
    "import encodings, json, sys\\n"
    "top = sys.executable + '/lib-python'\\n"
    "assert encodings.__file__ == top + '/encodings/__init__.py', encodings.__file__\\n"
    "assert top in sys.path and json.loads('[1]') == [1]\\n"
)
for config in ("legacy", "isolated"):
    interp = _interpreters.create(config)
    failed = _interpreters.exec(interp, code)
    assert failed is None, failed
    _interpreters.destroy(interp)
top = os.path.join(sys.executable, "lib-python")
print(top in sys.path, sorted(os.listdir(top))[:1])
"""


def test_python_like_executable_starts_sub_interpreters(
    python_like: dict[str, Path],
) -> None:
    """A sub-interpreter imports `encodings` (and any other module) with CPython's own
    finders, from the view's directory of the top-level modules, which the main
    interpreter's sys.path does not show (3.13's `_interpreters`; 3.11 has none)."""
    done = run(python_like["3.13"], "-c", SUBINTERPRETERS)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False ['__future__.py']\n"


def test_rebuild_after_edit_changes_only_the_payload(tmp_path: Path) -> None:
    exe = build_project(ROOT / "examples" / "hello", tmp_path, "3.11")
    first = exe.read_bytes()
    source = (tmp_path / "project" / "hello.py").read_text()
    started = time.monotonic()
    exe = build_project(
        ROOT / "examples" / "hello",
        tmp_path,
        "3.11",
        edit={"hello.py": source.replace("Hello,", "Howdy,")},
    )
    elapsed = time.monotonic() - started
    assert run(exe, "you").stdout.startswith("Howdy, you!")
    second = exe.read_bytes()
    stub_len = len(first) - 32 - int.from_bytes(first[-24:-16], "little")
    assert first[: stub_len - 16] == second[: stub_len - 16]  # the cached stub, reused
    assert elapsed < 60  # generous: the figure that matters is measured in bench/


def _dictionary(exe: Path) -> bytes:
    data = exe.read_bytes()
    offset, length = (int.from_bytes(data[i : i + 8], "little") for i in (-32, -24))
    payload = data[offset : offset + length]
    header = packing.HEADER.struct.unpack_from(payload)
    at, size = header[7], header[8]
    start = header[5]  # data_offset
    return payload[start + at : start + at + size]


def test_an_edit_importing_more_of_the_stdlib_keeps_the_dictionary(tmp_path: Path) -> None:
    """The zstd dictionary comes from what every application reaches: an edit that
    reaches more of the standard library changes no other stored blob."""
    exe = build_project(ROOT / "examples" / "hello", tmp_path, "3.11")
    before = _dictionary(exe)
    source = (tmp_path / "project" / "hello.py").read_text()
    exe = build_project(
        ROOT / "examples" / "hello",
        tmp_path,
        "3.11",
        edit={"hello.py": "import json, colorsys, difflib\n" + source},
    )
    assert len(before) > 1000
    assert _dictionary(exe) == before
    assert run(exe, "you").stdout.startswith("Hello, you!")


def test_inspect_reads_back_what_is_inside(workdir: Path) -> None:
    exe = built("tour", "3.11", workdir)
    done = subprocess.run(
        [sys.executable, "-m", "pyingot", "inspect", str(exe), "--verbose"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    assert re.search(r"^python:\s+3\.11\.\d+$", out, re.M), out
    assert re.search(r"^entry point:\s+function:stdlib_tour:main$", out, re.M)
    assert re.search(r"^modules:\s+\d+ \(", out, re.M)
    assert re.search(r"^  json\s+\d+", out, re.M) and re.search(r"^  stdlib_tour\s+1", out, re.M)
    assert re.search(r"^  _ssl\s+Apache-2\.0$", out, re.M)
    assert "stdlib_tour-1.0.dist-info/METADATA" in out
    assert re.search(r"^  CPython: Python-2\.0$", out, re.M)


def glibc_needs_by_objdump(exe: Path) -> dict[str, set[str]]:
    """GLIBC_2.N -> the symbols needing it, as ``objdump -T`` reads the executable."""
    out = subprocess.run(["objdump", "-T", str(exe)], capture_output=True, text=True).stdout
    found: dict[str, set[str]] = {}
    for version, symbol in re.findall(r"\((GLIBC_\d+(?:\.\d+)+)\)\s+(\S+)$", out, re.M):
        found.setdefault(version, set()).add(symbol)
    return found


def highest(versions: dict[str, set[str]]) -> str:
    return max(versions, key=lambda v: tuple(int(p) for p in v[len("GLIBC_") :].split(".")))


@pytest.mark.skipif(shutil.which("objdump") is None, reason="needs binutils")
@pytest.mark.parametrize("version", VERSIONS)
def test_inspect_prints_the_glibc_floor(version: str, workdir: Path) -> None:
    exe = built("hello", version, workdir)
    done = subprocess.run(
        [sys.executable, "-m", "pyingot", "inspect", str(exe)],
        capture_output=True,
        text=True,
        check=True,
    )
    m = re.search(r"^glibc floor:     (\S+)$", done.stdout, re.M)
    assert m is not None, done.stdout
    # The highest version objdump finds in the executable (the stub is all of hello).
    assert f"GLIBC_{m[1]}" == highest(glibc_needs_by_objdump(exe))


@pytest.mark.skipif(shutil.which("objdump") is None, reason="needs binutils")
def test_hello_above_the_glibc_floor_is_not_built_and_the_stub_is_named(
    tmp_path: Path, workdir: Path
) -> None:
    # 2.2 is below any x86-64 object (they need GLIBC_2.2.5 at least).
    setting = "2.2"
    project = building.copy_project(ROOT / "examples" / "hello", tmp_path / "hello")
    building.pin(project, python="3.11", glibc=setting)
    output = tmp_path / "out" / "hello"
    done = building.build(project, output, timeout=600)
    assert done.returncode == 1, done.stderr
    m = re.search(
        rf"^error: {re.escape(str(project / 'pyproject.toml'))}: \[tool\.pyingot\] glibc = "
        rf'"{re.escape(setting)}": the executable would need glibc ([\d.]+): the runtime stub '
        r"\(CPython 3\.11\.\d+\) needs GLIBC_([\d.]+) for (\S+)$",
        done.stderr,
        re.M,
    )
    assert m is not None, done.stderr
    assert m[1] == m[2]
    assert f'raise [tool.pyingot] glibc to "{m[1]}"' in done.stderr
    assert "Traceback" not in done.stderr
    # Nothing written; and objdump agrees on the symbol and its version.
    assert not output.parent.exists() and not (project / "dist").exists()
    needs = glibc_needs_by_objdump(built("hello", "3.11", workdir))
    assert highest(needs) == f"GLIBC_{m[1]}" and m[3] in needs[f"GLIBC_{m[1]}"]


def test_inspect_of_a_file_that_is_not_an_executable(tmp_path: Path) -> None:
    f = tmp_path / "plain"
    f.write_bytes(b"\x7fELF" + b"\0" * 100)
    done = subprocess.run(
        [sys.executable, "-m", "pyingot", "inspect", str(f)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert f"error: {f}: no payload found" in done.stderr


def test_run_builds_then_runs_with_arguments(tmp_path: Path) -> None:
    project = tmp_path / "hello"
    shutil.copytree(
        ROOT / "examples" / "hello", project, ignore=shutil.ignore_patterns("dist", "__pycache__")
    )
    building.pin(project)
    done = subprocess.run(
        [sys.executable, "-m", "pyingot", "run", str(project), "--", "runner"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Hello, runner!")
    assert (project / "dist" / "hello").is_file()


def linked(exe: Path) -> set[str]:
    """The built-in extension modules ``pyingot inspect`` lists."""
    out = subprocess.run(
        [sys.executable, "-m", "pyingot", "inspect", "-v", str(exe)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    block = out.split("built-in extension modules:", 1)[1].split("licenses:", 1)[0]
    return {line.split()[0] for line in block.splitlines()[1:] if line.strip()}


def test_only_reachable_extensions_are_linked(workdir: Path) -> None:
    hello, tour = linked(built("hello", "3.11", workdir)), linked(built("tour", "3.11", workdir))
    assert {"posix", "_io"} <= hello and not {"_tkinter", "_ssl", "_sqlite3"} & hello
    assert {"_ssl", "_sqlite3", "_asyncio", "_decimal"} <= tour and "_tkinter" not in tour


@pytest.mark.skipif(shutil.which("strings") is None, reason="needs binutils")
def test_hello_links_no_openssl_or_lzma(version: str, workdir: Path) -> None:
    """hello reached OpenSSL's libcrypto through random -> hashlib, which random
    imports only when its built-in sha512 is missing, and lzma through the boot
    module's runpy, which only a module entry point uses (issue 10)."""

    def openssl(exe: Path) -> list[str]:
        return [s for s in binutils.strings(exe) if "OpenSSL" in s or s.startswith("crypto/")]

    hello = built("hello", version, workdir)
    assert not {"_hashlib", "_lzma"} & linked(hello)
    assert openssl(hello) == []
    assert not [s for s in binutils.strings(hello) if "liblzma" in s]
    # The check sees OpenSSL where it is linked: the tour reaches ssl.
    assert openssl(built("tour", version, workdir))


def test_an_application_reaching_tkinter_is_told_it_is_not_built(tmp_path: Path) -> None:
    # Portable distributions leave Tcl/Tk out (docs/distributions.md); the build
    # says so instead of listing _tkinter among the modules merely not found.
    distribution("3.11")
    project = tmp_path / "gui"
    building.write(
        project,
        {
            "pyproject.toml": """\
                [project]
                name = "gui"
                version = "1.0"

                [tool.pyingot]
                entry = "gui:main"
                """,
            "gui.py": "import tkinter\n\ndef main():\n    print(tkinter.TkVersion)\n",
        },
    )
    building.pin(project, python="3.11")
    done = building.build(project, tmp_path / "gui-exe")
    assert done.returncode == 0, done.stderr
    assert (
        "not embedded: _tkinter: not in this distribution: portable distributions do not "
        "build Tcl/Tk" in done.stderr
    ), done.stderr
