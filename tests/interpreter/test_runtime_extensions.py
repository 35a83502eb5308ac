"""End to end: compiled extension modules loaded from memory, and multiprocessing.

Extension modules: the C sources in ``tests/fixtures/ext_project/csrc`` are
compiled against the distribution's headers into the layout of a manylinux
wheel (``extpkg/_fixture.so`` needs ``libfixture.so.1``, which needs
``libfixturedep.so.1``, both in ``fixture.libs/``, found through
``RUNPATH $ORIGIN/../fixture.libs``), then added to the payload of a built
python-like executable the way the build adds them: EXTENSION and
SHARED_LIBRARY entries and the META entry ``extension_libraries``
(docs/packed-format.md). The same files are first loaded from disk by the
distribution's own interpreter, so that a failure is the runtime's, not the
fixture's.

multiprocessing: ``tests/fixtures/ext_multiprocessing`` built with each kind of
entry point, running pools with every start method; the process must exit 0
and leave no process behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import textwrap
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from pyingot.payload import packing, reading
from pyingot.payload.compression import Compression
from pyingot.payload.packing import Codec, Kind, PayloadEntry
from tests import building
from tests import traced as trace
from tests.building import FIXTURES
from tests.distributions import distribution
from tests.roots import GLIBC_FILES

pytestmark = pytest.mark.slow

EXT_PROJECT = FIXTURES / "ext_project"
MP_PROJECT = FIXTURES / "ext_multiprocessing"
VERSIONS = ["3.11", "3.13"]
#: The META entry the runtime reads (runtime/stub/src/extensions.rs).
META_EXTENSION_LIBRARIES = "extension_libraries"
META_START_EXTENSIONS = "start_extensions"
LIBRARIES = {"extpkg._fixture": ["libfixturedep.so.1", "libfixture.so.1"]}
ENV = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}


def build(source: Path, root: Path, version: str, entry: str | None = None) -> Path:
    """Copy ``source`` under ``root``, pin the Python version (and the entry point), build."""
    project = building.copy_project(source, root / "project")
    building.pin(project, python=version, **({"entry": entry} if entry else {}))
    return building.build_ok(project, root / "app").resolve()


def run(exe: Path | str, *args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    options: dict[str, object] = {"cwd": "/", "env": ENV, "timeout": 120, **kw}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, check=False, **options)  # type: ignore[call-overload]


# -- extension modules -----------------------------------------------------------------


def compile_fixture(version: str, out: Path) -> Path:
    """The fixture's shared objects, laid out as an installed manylinux wheel."""
    dist = distribution(version)
    csrc = EXT_PROJECT / "csrc"
    libs, pkg = out / "fixture.libs", out / "extpkg"
    libs.mkdir(parents=True)
    pkg.mkdir()
    shutil.copy(EXT_PROJECT / "src" / "extpkg" / "__init__.py", pkg)
    include = f"-I{dist.path(dist.include)}"
    runpath = "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../fixture.libs"

    def cc(output: Path, source: str, *args: str) -> None:
        cmd = ["cc", "-shared", "-fPIC", "-O1", "-o", str(output), str(csrc / source), *args]
        subprocess.run(cmd, check=True, capture_output=True)

    cc(libs / "libfixturedep.so.1", "libfixturedep.c", "-Wl,-soname,libfixturedep.so.1")
    cc(
        libs / "libfixture.so.1",
        "libfixture.c",
        "-Wl,-soname,libfixture.so.1",
        f"-L{libs}",
        "-l:libfixturedep.so.1",
        "-Wl,--enable-new-dtags,-rpath,$ORIGIN",
    )
    cc(pkg / "_fixture.so", "fixture_ext.c", include, f"-L{libs}", "-l:libfixture.so.1", runpath)
    cc(out / "_fixture_single.so", "single.c", include)
    cc(pkg / "noinit.so", "noinit.c")
    cc(out / "libabsent.so.1", "libabsent.c", "-Wl,-soname,libabsent.so.1")
    cc(pkg / "needs_absent.so", "needs_absent.c", include, f"-L{out}", "-l:libabsent.so.1")
    return out


def with_entries(
    exe: Path,
    extra: list[PayloadEntry],
    out: Path,
    drop: tuple[str, ...] = (),
    store: packing.BlobStore | None = None,
) -> Path:
    """``exe`` with ``extra`` entries in its payload (replacing those of the same
    kind and name) and without the META entries named in ``drop``; every blob raw,
    or as ``store`` stores it."""
    data = exe.read_bytes()
    payload = reading.find_payload(data)
    stub = data[: len(data) - packing.TRAILER_SIZE - len(payload)]
    out.parent.mkdir(parents=True, exist_ok=True)
    replaced = {(e.kind, e.name) for e in extra} | {(Kind.META, name) for name in drop}
    entries = [e for e in reading.read_payload(payload) if (e.kind, e.name) not in replaced]
    out.write_bytes(packing.append(stub, packing.write_payload(entries + extra, store)))
    out.chmod(0o755)
    return out


def extension_entries(wheel: Path, libraries: str | None) -> list[PayloadEntry]:
    def so(rel: str) -> bytes:
        return (wheel / rel).read_bytes()

    entries = [
        PayloadEntry(Kind.EXTENSION, "extpkg._fixture", so("extpkg/_fixture.so")),
        PayloadEntry(Kind.EXTENSION, "_fixture_single", so("_fixture_single.so")),
        PayloadEntry(Kind.EXTENSION, "extpkg.noinit", so("extpkg/noinit.so")),
        PayloadEntry(Kind.EXTENSION, "extpkg.needs_absent", so("extpkg/needs_absent.so")),
        PayloadEntry(Kind.EXTENSION, "extpkg.broken", b"this is not an ELF file\n" * 8),
        PayloadEntry(Kind.EXTENSION, "extpkg.lib_missing", so("extpkg/_fixture.so")),
        PayloadEntry(Kind.SHARED_LIBRARY, "libfixture.so.1", so("fixture.libs/libfixture.so.1")),
        PayloadEntry(
            Kind.SHARED_LIBRARY, "libfixturedep.so.1", so("fixture.libs/libfixturedep.so.1")
        ),
    ]
    if libraries is not None:
        entries.append(PayloadEntry(Kind.META, META_EXTENSION_LIBRARIES, libraries.encode()))
    return entries


@dataclass(frozen=True)
class ExtExe:
    path: Path
    version: str
    wheel: Path
    #: The executable without extension modules.
    base: Path

    def snippet(self, code: str, exe: Path | None = None) -> subprocess.CompletedProcess[str]:
        return run(exe or self.path, "-c", textwrap.dedent(code))

    def result(self, code: str) -> object:
        done = self.snippet(code + "\nimport json\nprint(json.dumps(result))\n")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module", params=VERSIONS)
def ext(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> ExtExe:
    version: str = request.param
    root = tmp_path_factory.mktemp(f"ext-{version}")
    wheel = compile_fixture(version, root / "wheel")
    base = build(EXT_PROJECT, root, version)
    needs = json.dumps({**LIBRARIES, "extpkg.lib_missing": ["libnot-in-payload.so.3"]})
    exe = with_entries(base, extension_entries(wheel, needs), root / "bin" / "ext-app")
    return ExtExe(exe.resolve(), version, wheel, base)


USE = """
import importlib.machinery, importlib.util, os, pkgutil, sys
import extpkg, extpkg._fixture as fixture, _fixture_single as single
first = single.count()
del sys.modules["_fixture_single"]
import _fixture_single as again
maps = [line.split(None, 5)[-1].strip() for line in open("/proc/self/maps")]
result = {
    "answer": fixture.answer(),
    "phases": [fixture.phase, single.phase],
    "files": [fixture.__file__, single.__file__, fixture.__spec__.origin, single.__spec__.origin],
    "found": importlib.util.find_spec("extpkg._fixture").origin,
    "loader": [type(fixture.__loader__).__name__, fixture.__loader__.path == fixture.__file__],
    "suffix": os.path.splitext(fixture.__file__)[1] in importlib.machinery.EXTENSION_SUFFIXES,
    "listed": [m.name for m in pkgutil.iter_modules(extpkg.__path__)],
    "top": "_fixture_single" in {m.name for m in pkgutil.iter_modules()},
    "counts": [first, again.count()],
    "memfds": sorted({m for m in maps if m.startswith("/memfd:")}),
}
"""


def test_same_files_load_from_disk_with_the_distributions_python(ext: ExtExe) -> None:
    """The control: the fixture is a correct wheel layout ($ORIGIN runpaths work on disk)."""
    dist = distribution(ext.version)
    code = "import extpkg._fixture as f, _fixture_single as s; print(f.answer(), s.phase)"
    done = subprocess.run(
        [str(dist.path(dist.python_exe)), "-I", "-c", f"import sys; sys.path[:0] = ['.']; {code}"],
        cwd=ext.wheel,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "42 single\n"), done.stderr


def test_extension_modules_load_from_memory(ext: ExtExe) -> None:
    r = ext.result(USE)
    assert isinstance(r, dict)
    assert r["answer"] == 42  # extension -> libfixture.so.1 -> libfixturedep.so.1
    assert r["phases"] == ["multi", "single"]
    fixture_so, single_so = f"{ext.path}/extpkg/_fixture.so", f"{ext.path}/_fixture_single.so"
    assert r["files"] == [fixture_so, single_so, fixture_so, single_so]
    assert r["found"] == fixture_so
    assert r["loader"] == ["Loader", True]
    assert r["suffix"] is True
    assert r["listed"] == ["_fixture", "broken", "lib_missing", "needs_absent", "noinit"]
    assert r["top"] is True
    # Imported again after `del sys.modules[...]`: the same loaded object (its
    # static counter goes on), not a second copy of the library.
    assert r["counts"] == [1, 2]
    assert r["memfds"] == [
        "/memfd:_fixture_single.so (deleted)",
        "/memfd:extpkg._fixture.so (deleted)",
        "/memfd:libfixture.so.1 (deleted)",
        "/memfd:libfixturedep.so.1 (deleted)",
    ]


def imports(*names: str, then: str = "") -> list[str]:
    """Arguments for a snippet that imports ``names`` and prints their ImportErrors
    (message, name, path) as JSON, after running ``then``."""
    code = f"""
import json, sys
result = {{}}
for name in sys.argv[1:]:
    try:
        __import__(name)
    except ImportError as e:
        result[name] = [str(e), e.name, e.path]
{then}
print(json.dumps(result))
"""
    return ["-c", code, *names]


def test_extensions_that_cannot_load_raise_import_error(ext: ExtExe) -> None:
    names = ["extpkg.broken", "extpkg.noinit", "extpkg.needs_absent", "extpkg.lib_missing"]
    then = "import extpkg._fixture\nresult['after'] = extpkg._fixture.answer()"
    done = run(ext.path, *imports(*names, then=then))
    assert done.returncode == 0, done.stderr
    r = json.loads(done.stdout)
    where = {n: f"{ext.path}/{n.replace('.', '/')}.so" for n in names}
    assert r == {
        "extpkg.broken": [
            f"cannot load extension module extpkg.broken: {where['extpkg.broken']}: "
            "invalid ELF header",
            "extpkg.broken",
            where["extpkg.broken"],
        ],
        "extpkg.noinit": [
            "cannot load extension module extpkg.noinit: dynamic module does not define "
            "module export function (PyInit_noinit)",
            "extpkg.noinit",
            where["extpkg.noinit"],
        ],
        "extpkg.needs_absent": [
            "cannot load extension module extpkg.needs_absent: libabsent.so.1: "
            "cannot open shared object file: No such file or directory",
            "extpkg.needs_absent",
            where["extpkg.needs_absent"],
        ],
        "extpkg.lib_missing": [
            "cannot load extension module extpkg.lib_missing: it needs the bundled library "
            "libnot-in-payload.so.3, which is not in this executable",
            "extpkg.lib_missing",
            where["extpkg.lib_missing"],
        ],
        "after": 42,
    }


CLOSED = """
import json, os
import _fixture_single
def target(fd):
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the descriptor listdir itself used
        return None
memfds = [
    int(fd) for fd in os.listdir("/proc/self/fd")
    if target(fd) == "/memfd:_fixture_single.so (deleted)"
]
for fd in memfds:
    os.close(fd)  # as a daemon closing every descriptor would
import extpkg._fixture  # its first in-memory file gets the same number
print(json.dumps([len(memfds), extpkg._fixture.answer(), extpkg._fixture.phase]))
"""


def test_a_closed_in_memory_file_is_not_mistaken_for_a_new_one(ext: ExtExe) -> None:
    """The dynamic loader knows objects by name: a reused /proc/self/fd/N would
    return the old object, so the runtime never hands it the same name twice."""
    done = run(ext.path, "-c", CLOSED)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [1, 42, "multi"]


CHILDREN = """
import json, multiprocessing, os
import _fixture_single
_fixture_single.count()
pid = os.fork()
if pid == 0:  # inherits the loaded module; loads another one from memory
    import extpkg._fixture
    os._exit(0 if (extpkg._fixture.answer(), _fixture_single.count()) == (42, 2) else 3)
_, status = os.waitpid(pid, 0)
# A new process of the executable (builtins.eval pickles by reference).
expression = "__import__('extpkg._fixture', fromlist=['x']).answer()"
with multiprocessing.get_context("spawn").Pool(1) as pool:
    spawned = pool.map(eval, [expression])
print(json.dumps([os.waitstatus_to_exitcode(status), spawned]))
"""


def test_extensions_in_forked_and_spawned_children(ext: ExtExe) -> None:
    done = run_alone(str(ext.path), "-c", CHILDREN)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [0, [42]]


def test_without_the_setting_no_library_is_loaded(ext: ExtExe, tmp_path: Path) -> None:
    exe = with_entries(
        ext.base, extension_entries(ext.wheel, None), tmp_path / "app", (META_EXTENSION_LIBRARIES,)
    )
    done = run(exe, *imports("_fixture_single", "extpkg._fixture"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "extpkg._fixture": [
            "cannot load extension module extpkg._fixture: libfixture.so.1: "
            "cannot open shared object file: No such file or directory",
            "extpkg._fixture",
            f"{exe.resolve()}/extpkg/_fixture.so",
        ]
    }


def test_a_damaged_setting_is_an_import_error(ext: ExtExe, tmp_path: Path) -> None:
    exe = with_entries(ext.base, extension_entries(ext.wheel, '{"x": [1]}'), tmp_path / "app")
    done = run(exe, "-c", "import _fixture_single")
    assert done.returncode == 1
    assert done.stderr.endswith(
        "ImportError: cannot load extension module _fixture_single: payload is damaged: "
        "bad extension_libraries setting (expected '\"' at byte 7)\n"
    )


def test_extensions_are_not_read_from_disk(ext: ExtExe, tmp_path: Path) -> None:
    log = tmp_path / "strace.txt"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(log), str(ext.path), "-c", USE],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = log.read_text().splitlines()
    assert trace.code_from_disk(lines) == []
    opened = [ln for ln in lines if re.search(r"\b(open|openat|creat)\(", ln)]
    in_memory = [ln for ln in opened if re.search(r'"/proc/self/fd/\d+"', ln)]
    assert len(in_memory) == 4  # two libraries, two extension modules
    assert trace.writes(lines) == []


def test_without_proc_an_extension_is_an_import_error(ext: ExtExe, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("chroot needs root")
    root = tmp_path / "root"
    for f in GLIBC_FILES:
        dest = root / f.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(Path(f).resolve(), dest)
    shutil.copy(ext.path, root / "app")
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    done = subprocess.run(
        [chroot, str(root), "/app", *imports("_fixture_single")],
        capture_output=True,
        text=True,
        timeout=120,
        env={},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "_fixture_single": [
            "cannot load extension module _fixture_single: /proc is not mounted, and "
            "pyingot loads compiled extension modules from memory through /proc/self/fd",
            "_fixture_single",
            "/app/_fixture_single.so",
        ]
    }


def test_on_disk_distributions_are_imported_from_beside_the_executable(
    ext: ExtExe, tmp_path: Path
) -> None:
    """META ``on_disk_path``: a directory beside the executable's real path, on sys.path."""
    extra = [PayloadEntry(Kind.META, "on_disk_path", b"app.packages")]
    exe = with_entries(ext.base, extra, tmp_path / "bin" / "app")
    (tmp_path / "bin" / "app.packages" / "ondisk").mkdir(parents=True)
    (tmp_path / "bin" / "app.packages" / "ondisk" / "__init__.py").write_text("VALUE = 7\n")
    (tmp_path / "elsewhere").mkdir()
    link = tmp_path / "elsewhere" / "app"
    link.symlink_to(exe)
    code = "import json, ondisk, sys; print(json.dumps([ondisk.VALUE, ondisk.__file__, sys.path]))"
    done = run(link, "-c", code)
    assert done.returncode == 0, done.stderr
    where = str((tmp_path / "bin" / "app.packages").resolve())
    # A python-like executable's sys.path is python's for -c ('' first), with
    # the executable where the standard library would be, then the directory.
    real = str(exe.resolve())
    assert json.loads(done.stdout) == [7, f"{where}/ondisk/__init__.py", ["", real, where]]


# -- multiprocessing ----------------------------------------------------------------------

METHODS = ["spawn", "fork", "forkserver", "executor", "executor-spawn"]
SQUARES = [x * x for x in range(8)]
_mp_built: dict[tuple[str, str], Path] = {}


def mp_exe(version: str, entry: str, workdir: Path) -> Path:
    key = (version, entry)
    if key not in _mp_built:
        _mp_built[key] = build(MP_PROJECT, workdir / f"mp-{version}-{entry}", version, entry)
    return _mp_built[key]


@pytest.fixture(scope="module")
def mp_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("multiprocessing")


def session_survivors(sid: int) -> list[str]:
    """Live (not zombie) processes of session ``sid``: ``pid state command``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            found.append(f"{proc.name} {fields[0]} {stat[: stat.rindex(')') + 1]}")
    return found


def run_alone(*cmd: str, cwd: Path | str = "/") -> subprocess.CompletedProcess[str]:
    """Run in a new session, then wait for every process of the session to be gone."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out, err = proc.communicate(timeout=180)
    deadline = time.monotonic() + 15
    while (left := session_survivors(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == [], f"processes left behind: {left}"
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("entry", "args"),
    [
        ("mpapp:main", ()),  # functions in module mpapp
        ("mpapp", ()),  # run as __main__: functions are __main__.square
        ("mpapp.py", ()),  # a script: __main__ again, found by its virtual path
        ("python", ("-m", "mpapp")),
        ("python", ("mpapp.py",)),  # a script on disk
    ],
    ids=["function", "module", "script", "python-m", "python-script"],
)
def test_multiprocessing_start_methods(
    version: str, entry: str, args: tuple[str, ...], mp_workdir: Path, tmp_path: Path
) -> None:
    exe = mp_exe(version, entry, mp_workdir)
    shutil.copy(MP_PROJECT / "mpapp.py", tmp_path)
    done = run_alone(str(exe), *args, *METHODS, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    expected = {"results": SQUARES, "elsewhere": True}
    assert json.loads(done.stdout) == {m: expected for m in METHODS}


@pytest.mark.parametrize("version", VERSIONS)
def test_the_resource_tracker_command_runs_the_tracker(version: str, mp_workdir: Path) -> None:
    """The exact command multiprocessing gives a frozen app's resource tracker."""
    exe = mp_exe(version, "mpapp:main", mp_workdir)
    read, write = os.pipe()
    os.close(write)  # the tracker reads until end of file, then exits
    try:
        code = f"from multiprocessing.resource_tracker import main;main({read})"
        done = run(exe, "-B", "-S", "-I", "-c", code, pass_fds=[read])
    finally:
        os.close(read)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "print('the app gets its -c')"],
        ["-c", "from multiprocessing.resource_tracker import main;main(3); print(1)"],
        ["-c", "from multiprocessing.resource_tracker import main;main(__import__('os'))"],
        ["-c", "from multiprocessing.spawn import main;main(3)"],
        ["--app-flag", "-c", "from multiprocessing.resource_tracker import main;main(3)"],
        ["--multiprocessing-fork", "pipe_handle=3", "--verbose"],
        ["--multiprocessing-fork", "pipe_handle=three"],
        ["--multiprocessing-fork", "tracker_fd=3"],
    ],
)
def test_other_command_lines_reach_the_app(args: list[str], mp_workdir: Path) -> None:
    exe = mp_exe("3.11", "mpapp:main", mp_workdir)
    done = run(exe, *args)
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout) == {"argv": args}


AHEAD = """
import json, os, time
def copies(name):
    fds = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == f"/memfd:{name} (deleted)":
                fds.append(fd)
        except OSError:
            pass
    return len(fds)
def mapped(name):
    return sum(f"/memfd:{name} (deleted)" in line for line in open("/proc/self/maps"))
import extpkg
deadline = time.monotonic() + 10
while copies("libfixture.so.1") + copies("extpkg._fixture.so") < 2 and time.monotonic() < deadline:
    time.sleep(0.01)
before = [copies("libfixture.so.1"), copies("extpkg._fixture.so"), mapped("libfixture.so.1")]
import extpkg._fixture
after = [copies("libfixture.so.1"), copies("extpkg._fixture.so"), mapped("libfixture.so.1") > 0]
print(json.dumps([before, after, extpkg._fixture.answer()]))
"""


def test_a_package_s_libraries_are_copied_before_its_extensions_are_imported(
    ext: ExtExe,
) -> None:
    """Finding the package starts copying the libraries its extension modules need, and
    those modules, on a thread (prefetch.rs); the import then takes those copies and
    makes no second one."""
    done = run(ext.path, "-c", AHEAD)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[1, 1, 0], [1, 1, True], 42]


AT_START = """
import json, os, sys, time
def copies(name):
    fds = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds += os.readlink(f"/proc/self/fd/{fd}") == f"/memfd:{name} (deleted)"
        except OSError:
            pass
    return fds
wanted = ["libfixturedep.so.1", "libfixture.so.1", "extpkg._fixture.so"]
deadline = time.monotonic() + float(sys.argv[1])
while sum(map(copies, wanted)) < 3 and time.monotonic() < deadline:
    time.sleep(0.01)
before = [copies(n) for n in wanted]
import extpkg._fixture
after = [copies(n) for n in wanted]
print(json.dumps([before, after, extpkg._fixture.answer()]))
"""


def test_the_start_extensions_are_copied_before_anything_imports_them(
    ext: ExtExe, tmp_path: Path
) -> None:
    """With the ``start_extensions`` setting, the extension module and the libraries it
    needs are being copied before any import finds their package (``prefetch::at_start``),
    and the import takes those copies; without it, nothing is copied until then."""
    start = PayloadEntry(Kind.META, META_START_EXTENSIONS, b"extpkg._fixture")
    exe = with_entries(ext.path, [start], tmp_path / "start")
    done = run(exe, "-c", AT_START, "10")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[1, 1, 1], [1, 1, 1], 42]
    done = run(ext.path, "-c", AT_START, "0.3")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[0, 0, 0], [1, 1, 1], 42]


IMPORT_AT_ONCE = AT_START.replace("deadline = time.monotonic() + float(sys.argv[1])", "").replace(
    "while sum(map(copies, wanted)) < 3 and time.monotonic() < deadline:\n    time.sleep(0.01)\n",
    "",
)


def test_an_import_copies_what_is_still_queued_while_a_big_library_is_being_copied(
    ext: ExtExe, tmp_path: Path
) -> None:
    """With ``libfixture.so.1`` made 48 MiB (random bytes after its ELF contents, which
    the loader ignores), the thread copying ahead is still copying it when the
    interpreter imports ``extpkg._fixture`` at once: the import copies what is still
    queued itself (``prefetch::copy_queued``), waits for the library, and loads. Each
    file is copied once, however the threads interleave (five runs)."""
    big = (ext.wheel / "fixture.libs" / "libfixture.so.1").read_bytes() + os.urandom(48 << 20)
    exe = with_entries(
        ext.path,
        [
            PayloadEntry(Kind.SHARED_LIBRARY, "libfixture.so.1", big),
            PayloadEntry(Kind.META, META_START_EXTENSIONS, b"extpkg._fixture"),
        ],
        tmp_path / "big",
    )
    assert "deadline" not in IMPORT_AT_ONCE
    for _ in range(5):
        done = run(exe, "-c", IMPORT_AT_ONCE)
        assert done.returncode == 0, done.stderr
        before, after, answer = json.loads(done.stdout)
        assert after == [1, 1, 1], (before, after)
        assert answer == 42


def test_a_damaged_library_stops_the_import_naming_it(ext: ExtExe, tmp_path: Path) -> None:
    """Damage found by the thread that copies ahead is reported as the import's own
    copy reports it: the process stops, naming the entry."""
    data = bytearray(ext.path.read_bytes())
    library = (ext.wheel / "fixture.libs" / "libfixture.so.1").read_bytes()
    at = data.index(library) + len(library) // 2
    data[at] ^= 0x10
    exe = tmp_path / "damaged"
    exe.write_bytes(bytes(data))
    exe.chmod(0o755)
    done = run(exe, "-c", "import extpkg._fixture\nprint('imported')")
    assert done.returncode == 1, done.stderr
    assert "imported" not in done.stdout
    assert f"{exe}: cannot continue: payload is damaged: entry " in done.stderr, done.stderr
    assert "libfixture.so.1" in done.stderr, done.stderr


# -- extension modules and libraries stored as LZ4 blocks (as `pyingot build` stores them) --


def _lz4_exe(ext: ExtExe, out: Path) -> Path:
    needs = json.dumps(LIBRARIES)
    return with_entries(ext.base, extension_entries(ext.wheel, needs), out, store=Compression())


def _primary(payload: bytes, kind: Kind, name: str) -> tuple[int, dict[str, int]]:
    """The index of entry (``kind``, ``name``) and its record's fields by name."""
    fields = [f.name for f in packing.ENTRY.fields]
    index_offset = dict(
        zip(
            [f.name for f in packing.HEADER.fields],
            packing.HEADER.struct.unpack_from(payload),
            strict=True,
        )
    )["index_offset"]
    for i, e in enumerate(reading.read_payload(payload)):
        if (e.kind, e.name) == (kind, name):
            at = index_offset + i * packing.ENTRY_SIZE
            return at, dict(zip(fields, packing.ENTRY.struct.unpack_from(payload, at), strict=True))
    raise AssertionError(name)


def test_lz4_libraries_and_extension_modules_load_from_memory(ext: ExtExe, tmp_path: Path) -> None:
    """Decoded straight into their in-memory files, ahead of the import (prefetch.rs)
    and by the import itself (``_fixture_single``, which needs no library)."""
    exe = _lz4_exe(ext, tmp_path / "lz4")
    payload = reading.find_payload(exe.read_bytes())
    for kind, name in [
        (Kind.SHARED_LIBRARY, "libfixture.so.1"),
        (Kind.EXTENSION, "extpkg._fixture"),
        (Kind.EXTENSION, "_fixture_single"),
    ]:
        assert _primary(payload, kind, name)[1]["primary_codec"] == Codec.LZ4, name
    done = run(exe, "-c", AHEAD)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[1, 1, 0], [1, 1, True], 42]
    done = run(exe, "-c", "import _fixture_single as s; print(s.phase)")
    assert (done.returncode, done.stdout) == (0, "single\n"), done.stderr


@pytest.mark.parametrize("damage", ["corrupt-block", "declared-size"])
def test_a_damaged_lz4_library_stops_the_import_naming_it(
    ext: ExtExe, tmp_path: Path, damage: str
) -> None:
    """A block that passes its checksum (resealed after the damage) but does not decode
    to its declared size: the import stops with the entry's name, never a crash."""
    data = _lz4_exe(ext, tmp_path / "lz4").read_bytes()
    payload = bytearray(reading.find_payload(data))
    stub = data[: len(data) - packing.TRAILER_SIZE - len(payload)]
    at, f = _primary(bytes(payload), Kind.SHARED_LIBRARY, "libfixture.so.1")
    offsets = {name: o for name, o, _ in packing.ENTRY.offsets()}
    data_offset = dict(
        zip(
            [f.name for f in packing.HEADER.fields],
            packing.HEADER.struct.unpack_from(payload),
            strict=True,
        )
    )["data_offset"]
    start = data_offset + f["primary_offset"]
    stored = slice(start, start + f["primary_len"])
    if damage == "corrupt-block":
        # The first block (after its length) starts with a match reaching before its
        # start.
        payload[start + 4 : start + 12] = b"\x0f\x00\x00\xff\xff\xff\xff\xff"
        problem = "cannot be decompressed (not an LZ4 block"
    else:
        size_at = at + offsets["primary_size"]
        payload[size_at : size_at + 4] = (f["primary_size"] - 100).to_bytes(4, "little")
        problem = (
            f"cannot be decompressed (it expands past its declared {f['primary_size'] - 100} bytes)"
        )
    crc_at = at + offsets["primary_crc32"]
    payload[crc_at : crc_at + 4] = zlib.crc32(payload[stored]).to_bytes(4, "little")
    exe = tmp_path / "damaged"
    exe.write_bytes(packing.append(stub, bytes(payload)))
    exe.chmod(0o755)
    done = run(exe, "-c", "import extpkg._fixture\nprint('imported')")
    assert done.returncode == 1, done.stderr
    assert "imported" not in done.stdout
    assert "Traceback" not in done.stderr, done.stderr
    assert f"{exe}: cannot continue: payload is damaged: entry " in done.stderr, done.stderr
    assert f"(SHARED_LIBRARY 'libfixture.so.1') {problem}" in done.stderr, done.stderr
    checked = building.pyingot("verify", str(exe))
    assert checked.returncode == 1, checked.stdout
    assert "libfixture.so.1" in checked.stderr, checked.stderr
