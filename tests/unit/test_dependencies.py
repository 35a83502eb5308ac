"""Dependencies: installed by pip for the target Python, collected with their extension
modules, bundled shared libraries and metadata (src/pyingot/dependencies.py, elf.py,
resources/libraries.py).

Unit tests build small shared objects with ``cc`` and a fake ``pip install --target``
directory, and run the compile worker under the Python running the tests. The slow
tests install real packages from PyPI for the real static distributions (six,
MarkupSafe, numpy; pip caches the downloads) and read the payload of the executable.
"""

from __future__ import annotations

import base64
import csv
import ctypes
import hashlib
import importlib.machinery
import io
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

import pytest

from pyingot import dependencies, elf, stripping
from pyingot.assemble import beside, entries
from pyingot.config import DependencySettings, load_project
from pyingot.dependencies import Target, WheelName, cache_inputs, check_wheel, tag_supported
from pyingot.distribution.model import Distribution
from pyingot.errors import PyingotError
from pyingot.payload.settings import PythonEntry
from pyingot.progress import Progress
from pyingot.resources import CollectRequest, ResourceSet, SkipReason, collect
from pyingot.resources.libraries import LinkedObject, bundled_libraries
from pyingot.resources.model import FileResource
from pyingot.resources.scan import installed_distributions
from tests.binutils import readelf, section_names
from tests.building import FIXTURES, write

HOST = Path(sys.executable)
HOST_STDLIB = Path(sysconfig.get_paths()["stdlib"])
EXT = importlib.machinery.EXTENSION_SUFFIXES[0]  # .cpython-311-x86_64-linux-gnu.so
FIXTURE = FIXTURES / "deps_project"

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")


def cc_shared(
    out: Path,
    source: str,
    *,
    soname: str | None = None,
    link: tuple[Path, ...] = (),
    rpath: str | None = None,
    flags: tuple[str, ...] = (),
) -> Path:
    """A shared object built by cc; ``link`` are libraries it needs (by their soname)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.parent / f".{out.name}.c"
    src.write_text(source)
    cmd = ["cc", "-shared", "-fPIC", *flags, "-o", str(out), str(src)]
    if soname:
        cmd.append(f"-Wl,-soname,{soname}")
    for lib in link:
        cmd += [f"-L{lib.parent}", f"-l:{lib.name}"]
    if rpath:
        cmd.append(f"-Wl,-rpath,{rpath},--enable-new-dtags")
    subprocess.run(cmd, check=True, capture_output=True)
    src.unlink()
    return out


# --------------------------------------------------------------------------- ELF


@needs_cc
def test_elf_reads_soname_needed_runpath_and_init_function(tmp_path: Path) -> None:
    libs = tmp_path / "pkg.libs"
    b = cc_shared(libs / "libb-1234.so.1", "int b(void) { return 1; }\n", soname="libb-1234.so.1")
    a = cc_shared(
        libs / "liba-5678.so",
        "int b(void);\nint a(void) { return b(); }\n",
        soname="liba-5678.so",
        link=(b,),
        rpath="$ORIGIN",
    )
    ext = cc_shared(
        tmp_path / "pkg" / f"_ext{EXT}",
        "int a(void);\nvoid *PyInit__ext(void) { a(); return 0; }\n",
        link=(a,),
        rpath="$ORIGIN/../pkg.libs",
    )
    info = elf.read_file(ext)
    assert info.machine == "x86_64"
    assert info.soname is None
    assert info.needed == ("liba-5678.so",)  # cc links libc only when used
    assert info.runpath == ("$ORIGIN/../pkg.libs",) and info.rpath == ()
    assert info.search_path(ext.parent) == (tmp_path / "pkg" / ".." / "pkg.libs",)
    assert info.py_init == frozenset({"PyInit__ext"})
    lib = elf.read_file(a)
    assert (lib.soname, lib.needed[0], lib.py_init) == ("liba-5678.so", "libb-1234.so.1", set())
    # Bytes parse as the mapped file does.
    assert elf.parse(ext.read_bytes(), name="ext") == info


def _system_libraries() -> list[Path]:
    names = ["libc.so.6", "libm.so.6", "libz.so.1", "libstdc++.so.6", "libssl.so.3"]
    dirs = [Path("/lib/x86_64-linux-gnu"), Path("/usr/lib/x86_64-linux-gnu")]
    found = {n: d / n for d in reversed(dirs) for n in names if (d / n).is_file()}
    return [found[n] for n in names if n in found]


@pytest.mark.skipif(shutil.which("readelf") is None, reason="needs binutils")
@pytest.mark.parametrize("path", _system_libraries(), ids=lambda p: p.name)
def test_elf_agrees_with_readelf_on_system_libraries(path: Path) -> None:
    info = elf.read_file(path)
    soname, needed, runpath = readelf(path)
    assert (info.soname, list(info.needed)) == (soname, needed)
    assert ":".join(info.runpath or info.rpath) == (runpath[0] if runpath else "")
    assert info.machine == "x86_64"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "x.so: not an ELF file"),
        (b"MZ\x90\x00" + bytes(60), "x.so: not an ELF file"),
        (
            b"\x7fELF\x01\x01\x01" + bytes(60),
            "x.so: a 32-bit little-endian ELF file; only 64-bit little-endian objects are "
            "supported",
        ),
        (
            b"\x7fELF\x02\x02\x01" + bytes(60),
            "x.so: a 64-bit big-endian ELF file; only 64-bit little-endian objects are supported",
        ),
        (b"\x7fELF\x02\x01\x01" + bytes(20), "x.so: truncated ELF header"),
    ],
)
def test_elf_errors_say_what_the_file_is(data: bytes, message: str) -> None:
    with pytest.raises(elf.ElfError) as e:
        elf.parse(data, name="x.so")
    assert e.value.message == message


@needs_cc
def test_elf_refuses_objects_that_are_not_shared_and_cut_files(tmp_path: Path) -> None:
    src = tmp_path / "x.c"
    src.write_text("int x(void) { return 0; }\n")
    subprocess.run(["cc", "-c", "-fPIC", "-o", str(tmp_path / "x.o"), str(src)], check=True)
    with pytest.raises(elf.ElfError, match=r"x\.o: a relocatable object \(\.o\), not a shared"):
        elf.read_file(tmp_path / "x.o")
    lib = cc_shared(tmp_path / "libx.so", "int x(void) { return 0; }\n", soname="libx.so")
    with pytest.raises(elf.ElfError, match=r"^cut: .* out of bounds"):
        elf.parse(lib.read_bytes()[:200], name="cut")
    (tmp_path / "empty.so").write_bytes(b"")
    with pytest.raises(elf.ElfError, match=r"empty\.so: not an ELF file \(it is empty\)"):
        elf.read_file(tmp_path / "empty.so")


# --------------------------------------------------------------------------- bundled libraries


@needs_cc
def test_strip_keeps_what_the_loader_reads(tmp_path: Path) -> None:
    """Stripping drops the symbol table, debugging information and compiler notes,
    keeps every loaded byte, and the object still loads and runs."""
    lib = cc_shared(
        tmp_path / "libfull.so",
        "static int hidden(int x) { return x * 3; }\nint triple(int x) { return hidden(x); }\n",
        soname="libfull.so",
        flags=("-g",),
    )
    data = lib.read_bytes()
    assert {".symtab", ".strtab", ".debug_info", ".comment"} <= section_names(lib)
    stripped = stripping.strip(data)
    assert len(stripped) < len(data)
    out = tmp_path / "libstripped.so"
    out.write_bytes(stripped)
    sections = section_names(out)
    assert not {".symtab", ".strtab", ".comment"} & sections
    assert not any(s.startswith(".debug") for s in sections)
    assert {".dynsym", ".dynstr", ".text", ".shstrtab"} <= sections
    # What the loader reads is the same, and the object works.
    assert elf.parse(stripped, name="s") == elf.parse(data, name="d")
    assert ctypes.CDLL(str(out)).triple(14) == 42
    # Nothing left to strip: the same object back.
    assert stripping.strip(stripped) is stripped
    not_elf = b"#!/bin/sh\n"
    assert stripping.strip(not_elf) is not_elf


@needs_cc
def test_installed_shared_objects_are_stripped_once_with_their_record(site: Path) -> None:
    dists = installed_distributions(site)
    before = {p: p.read_bytes() for p in site.rglob("*.so*")}
    count, saved = stripping.strip_shared_objects(dists)
    assert count == len(before) == 3 and saved > 0
    for path, data in before.items():
        assert len(path.read_bytes()) < len(data)
        assert ".symtab" not in section_names(path)
    # RECORD names the stripped files' hashes and sizes.
    rows = {r[0]: r for r in csv.reader((site / "fastpkg-1.0.dist-info/RECORD").open())}
    ext = site / "fastpkg" / f"_speed{EXT}"
    digest = base64.urlsafe_b64encode(hashlib.sha256(ext.read_bytes()).digest()).rstrip(b"=")
    assert rows[f"fastpkg/_speed{EXT}"][1:] == [
        f"sha256={digest.decode()}",
        str(ext.stat().st_size),
    ]
    assert rows["fastpkg/__init__.py"][1:] == ["", ""]
    assert stripping.strip_shared_objects(installed_distributions(site)) == (0, 0)


@needs_cc
def test_a_stripped_copy_that_cannot_be_written_names_the_file(site: Path) -> None:
    ext = site / "fastpkg" / f"_speed{EXT}"
    before = ext.read_bytes()
    (ext.parent / f".{ext.name}.strip").mkdir()  # where the copy would be written
    with pytest.raises(PyingotError) as e:
        stripping.strip_shared_objects(installed_distributions(site))
    assert e.value.message.startswith(f"cannot write the stripped copy of {ext} (")
    assert e.value.hint is not None and "PYINGOT_CACHE_DIR" in e.value.hint
    assert ext.read_bytes() == before


@needs_cc
def test_bundled_libraries_are_listed_in_load_order(tmp_path: Path) -> None:
    site = tmp_path / "site"
    libs = site / "pkg.libs"
    c = cc_shared(libs / "libc-9.so.2", "int c(void) { return 2; }\n", soname="libc-9.so.2")
    b = cc_shared(
        libs / "libb-1234.so.1",
        "int c(void);\nint b(void) { return c(); }\n",
        soname="libb-1234.so.1",
        link=(c,),
        rpath="$ORIGIN",
    )
    a = cc_shared(
        libs / "liba-5678.so",
        "int b(void); int c(void);\nint a(void) { return b() + c(); }\n",
        soname="liba-5678.so",
        link=(c, b),  # c first: its order in DT_NEEDED must not decide the load order
        rpath="$ORIGIN",
    )
    gone = cc_shared(tmp_path / "elsewhere" / "libgone.so.3", "int g(void) { return 3; }\n",
                     soname="libgone.so.3")  # fmt: skip
    ext = cc_shared(
        site / "pkg" / f"_ext{EXT}",
        "int a(void);\nvoid *PyInit__ext(void) { a(); return 0; }\n",
        link=(a,),
        rpath="$ORIGIN/../pkg.libs",
    )
    other = cc_shared(
        site / "pkg" / f"_other{EXT}",
        "int g(void);\nvoid *PyInit__other(void) { g(); return 0; }\n",
        link=(gone,),
    )
    plain = cc_shared(site / "pkg" / f"_plain{EXT}", "void *PyInit__plain(void) { return 0; }\n")
    relative = {p: p.relative_to(site).as_posix() for p in (a, b, c, ext, other, plain)}
    result = bundled_libraries(
        [
            LinkedObject(name, path, elf.read_file(path))
            for name, path in (("pkg._ext", ext), ("pkg._other", other), ("pkg._plain", plain))
        ],
        roots=[site],
        machine="x86_64",
        relative=relative,
        owner={p: "pkg 1.0" for p in relative},
    )
    assert dict(result.load_order) == {
        "pkg._ext": ("libc-9.so.2", "libb-1234.so.1", "liba-5678.so")
    }
    assert [lib.name for lib in result.libraries] == [
        "liba-5678.so",
        "libb-1234.so.1",
        "libc-9.so.2",
    ]
    by_name = {lib.name: lib for lib in result.libraries}
    assert by_name["liba-5678.so"].data == a.read_bytes()
    assert by_name["liba-5678.so"].needed[:2] == ("libc-9.so.2", "libb-1234.so.1")
    assert by_name["libb-1234.so.1"].origin == "pkg.libs/libb-1234.so.1"
    assert by_name["libb-1234.so.1"].distribution == "pkg 1.0"
    # glibc's libraries are the target machine's; any other is reported, once.
    assert result.problems == (
        "libgone.so.3 (needed by pkg._other) is bundled by no installed wheel and is not "
        "on the build machine: the machine running the executable must provide it",
    )


@needs_cc
def test_a_library_for_another_machine_stops_the_build(tmp_path: Path) -> None:
    lib = cc_shared(tmp_path / "pkg.libs" / "libx.so", "int x(void) { return 0; }\n",
                    soname="libx.so")  # fmt: skip
    ext = cc_shared(
        tmp_path / "pkg" / f"_ext{EXT}",
        "int x(void);\nvoid *PyInit__ext(void) { x(); return 0; }\n",
        link=(lib,),
        rpath="$ORIGIN/../pkg.libs",
    )
    data = bytearray(lib.read_bytes())
    data[18:20] = (183).to_bytes(2, "little")  # e_machine: AArch64
    lib.write_bytes(bytes(data))
    assert elf.read_file(lib).machine == "aarch64"
    with pytest.raises(PyingotError) as e:
        bundled_libraries(
            [LinkedObject("pkg._ext", ext, elf.read_file(ext))],
            roots=[tmp_path],
            machine="x86_64",
            relative={lib: "pkg.libs/libx.so"},
            owner={lib: "pkg 1.0"},
        )
    assert e.value.message == (
        "pkg.libs/libx.so (from pkg 1.0) is built for aarch64, and this build targets x86_64"
    )


# --------------------------------------------------------------------------- collecting


def record(site: Path, dist_info: str, top: list[str]) -> None:
    """Write RECORD for the files under ``top`` (paths relative to ``site``)."""
    rows = []
    for t in [*top, dist_info]:
        base = site / t
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        rows += [(p.relative_to(site).as_posix(), "", "") for p in paths]
    rows.append((f"{dist_info}/RECORD", "", ""))
    rows.append(("../../bin/fast-tool", "", ""))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    (site / dist_info / "RECORD").write_text(out.getvalue())


def dist_info(
    site: Path, name: str, version: str, tag: str, *, extra: Mapping[str, str] = {}
) -> str:
    directory = f"{name.lower()}-{version}.dist-info"
    base = site / directory
    base.mkdir(parents=True)
    (base / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (base / "WHEEL").write_text(f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")
    (base / "INSTALLER").write_text("pip\n")
    for rel, text in extra.items():
        (base / rel).parent.mkdir(parents=True, exist_ok=True)
        (base / rel).write_text(text)
    return directory


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A ``pip install --target`` directory: FastPkg (with a compiled module and bundled
    libraries), Unused (never imported) and PlainPkg (pure Python)."""
    site = tmp_path / "site"
    write(
        site,
        {
            "fastpkg/__init__.py": "from ._speed import go\n",
            "fastpkg/helpers.py": "import json\n",
            "fastpkg/broken.py": "print 'python 2'\n",
            "fastpkg/tests/__init__.py": "",
            "fastpkg/tests/test_speed.py": "import pytest\n",
            "fastpkg/data/table.csv": "a,b\n",
            "fastpkg/data/tests/sample.txt": "test data\n",
            "unused/__init__.py": "",
            "plainpkg/__init__.py": "import fastpkg.helpers\n",
        },
    )
    libs = site / "fastpkg.libs"
    b = cc_shared(libs / "libb-1234.so.1", "int b(void) { return 1; }\n", soname="libb-1234.so.1")
    a = cc_shared(
        libs / "liba-5678.so",
        "int b(void);\nint a(void) { return b(); }\n",
        soname="liba-5678.so",
        link=(b,),
        rpath="$ORIGIN",
    )
    cc_shared(
        site / "fastpkg" / f"_speed{EXT}",
        "int a(void);\nvoid *PyInit__speed(void) { a(); return 0; }\n",
        link=(a,),
        rpath="$ORIGIN/../fastpkg.libs",
    )
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}-cp{sys.version_info[0]}"
    tag += f"{sys.version_info[1]}-manylinux_2_17_x86_64"
    fast = dist_info(
        site,
        "FastPkg",
        "1.0",
        tag,
        extra={
            "direct_url.json": '{"url": "file:///home/someone/wheels/fastpkg.whl"}',
            "licenses/LICENSE": "MIT\n",
        },
    )
    record(site, fast, ["fastpkg", "fastpkg.libs"])
    unused = dist_info(site, "Unused", "2.0", "py3-none-any")
    record(site, unused, ["unused"])
    plain = dist_info(site, "PlainPkg", "3.0", "py3-none-any")
    record(site, plain, ["plainpkg"])
    return site


def collect_with(tmp_path: Path, site: Path, app: Mapping[str, str], **kw: object) -> ResourceSet:
    src = tmp_path / "src"
    write(src, app)
    return collect(
        CollectRequest(
            interpreter=HOST,
            stdlib_dir=HOST_STDLIB,
            app_paths=[src],
            entry_module="main",
            entry_script=None,
            dependency_paths=[site],
            **kw,  # type: ignore[arg-type]
        )
    )


@needs_cc
def test_dependencies_are_collected_with_extensions_libraries_and_metadata(
    tmp_path: Path, site: Path
) -> None:
    rs = collect_with(tmp_path, site, {"main.py": "import fastpkg\n"})
    # The compiled module is embedded; reaching it reaches its whole distribution
    # (helpers), but not its tests, and a file that does not compile is left out.
    assert set(rs.extensions) == {"fastpkg._speed"}
    ext = rs.extensions["fastpkg._speed"]
    assert ext.origin == f"fastpkg/_speed{EXT}" and ext.distribution == "FastPkg"
    assert ext.data == (site / ext.origin).read_bytes()
    assert {"fastpkg", "fastpkg.helpers", "json"} <= set(rs.modules)
    assert not any(n.startswith("fastpkg.tests") or n == "unused" for n in rs.modules)
    helpers = rs.modules["fastpkg.helpers"]
    assert helpers.is_dependency and not helpers.is_stdlib and helpers.distribution == "FastPkg"
    assert not rs.modules["main"].is_dependency and rs.modules["json"].distribution is None
    assert {s.name: s.reason for s in rs.skipped}["fastpkg.broken"] is SkipReason.SYNTAX_ERROR
    # Data: a test directory of a dependency is left out.
    assert [d.key for d in rs.data if d.package == "fastpkg"] == ["fastpkg/data/table.csv"]
    # The libraries it needs, in load order.
    assert [lib.name for lib in rs.shared_libraries] == ["liba-5678.so", "libb-1234.so.1"]
    assert dict(rs.extension_libraries) == {"fastpkg._speed": ("libb-1234.so.1", "liba-5678.so")}
    # Metadata of the distributions that have a module in, every file but direct_url.json.
    assert [m.key for m in rs.metadata] == [
        "fastpkg-1.0.dist-info/INSTALLER",
        "fastpkg-1.0.dist-info/METADATA",
        "fastpkg-1.0.dist-info/RECORD",
        "fastpkg-1.0.dist-info/WHEEL",
        "fastpkg-1.0.dist-info/licenses/LICENSE",
    ]
    summary = rs.summary()
    assert summary.dependencies.count == len([m for m in rs.modules.values() if m.is_dependency])
    assert (summary.extensions.count, summary.shared_libraries.count) == (1, 2)
    assert summary.metadata.count == 5
    text = summary.render()
    assert "dependency modules" in text and "shared libraries" in text


@needs_cc
def test_an_application_module_shadows_a_dependency(tmp_path: Path, site: Path) -> None:
    rs = collect_with(
        tmp_path, site, {"main.py": "import plainpkg\n", "plainpkg/__init__.py": "x = 1\n"}
    )
    assert not rs.modules["plainpkg"].is_dependency
    assert "fastpkg" not in rs.modules and not rs.metadata and not rs.extensions


def test_a_packages_pyinstaller_hook_declares_hidden_and_excluded_imports(
    tmp_path: Path, site: Path
) -> None:
    """A package's own PyInstaller hook: its hidden imports are reached with it, and
    the imports it excludes are not followed from inside the package, only from
    elsewhere. Only literal lists are read; the hook is never run."""
    write(
        site,
        {
            "hookpkg/__init__.py": "def build():\n    import hookpkg.builder, tool_only\n",
            "hookpkg/builder.py": "import json\n",
            "hookpkg/_hidden.py": "",
            "tool_only.py": "",
            "hookpkg/_pyinstaller/__init__.py": "",
            "hookpkg/_pyinstaller/hook-hookpkg.py": (
                "from PyInstaller.utils.hooks import collect_data_files\n"
                "hiddenimports = ['hookpkg._hidden']\n"
                "excludedimports = ['hookpkg.builder']\n"
                "excludedimports += ['tool_only']\n"
                "datas = collect_data_files('hookpkg')\n"
            ),
        },
    )
    info = dist_info(
        site,
        "HookPkg",
        "1.0",
        "py3-none-any",
        extra={"entry_points.txt": "[pyinstaller40]\nhook-dirs = hookpkg:_hooks\n"},
    )
    record(site, info, ["hookpkg", "tool_only.py"])
    rs = collect_with(tmp_path, site, {"main.py": "import hookpkg\n"})
    assert "hookpkg._hidden" in rs.modules
    assert not {"hookpkg.builder", "tool_only"} & set(rs.modules)
    reasons = {s.name: s for s in rs.skipped}
    assert reasons["hookpkg.builder"].reason is SkipReason.HOOK_EXCLUDED
    assert reasons["tool_only"].importer == "hookpkg"
    assert "HookPkg's hook for hookpkg" in reasons["tool_only"].describe()
    # Imported by the application itself, or named by include: embedded.
    both = collect_with(
        tmp_path / "b",
        site,
        {"main.py": "import hookpkg\nimport hookpkg.builder\n"},
        include=["tool_only"],
    )
    assert {"hookpkg.builder", "tool_only"} <= set(both.modules)
    assert not {"hookpkg.builder", "tool_only"} & {s.name for s in both.skipped}


@needs_cc
def test_on_disk_distributions_are_files_not_resources(tmp_path: Path, site: Path) -> None:
    rs = collect_with(tmp_path, site, {"main.py": "import plainpkg\n"}, on_disk=["fastpkg"])
    assert not any(n.startswith("fastpkg") for n in rs.modules)
    assert not rs.extensions and not rs.shared_libraries and not rs.extension_libraries
    assert {m.dist_info for m in rs.metadata} == {"plainpkg-3.0.dist-info"}
    files = {f.path: f for f in rs.on_disk}
    assert "fastpkg-1.0.dist-info/direct_url.json" not in files
    assert {
        "fastpkg/__init__.py",
        "fastpkg/tests/test_speed.py",
        f"fastpkg/_speed{EXT}",
        "fastpkg.libs/liba-5678.so",
        "fastpkg-1.0.dist-info/RECORD",
    } <= set(files)
    assert files["fastpkg/helpers.py"].data == b"import json\n"
    assert rs.on_disk_distributions == ("FastPkg",)
    # What the on-disk package imports is embedded.
    assert "json" in rs.modules


@needs_cc
def test_an_extension_for_another_machine_names_its_package(tmp_path: Path, site: Path) -> None:
    ext = site / "fastpkg" / f"_speed{EXT}"
    data = bytearray(ext.read_bytes())
    data[18:20] = (183).to_bytes(2, "little")
    ext.write_bytes(bytes(data))
    with pytest.raises(PyingotError) as e:
        collect_with(tmp_path, site, {"main.py": "import fastpkg\n"})
    assert e.value.message == (
        f"fastpkg/_speed{EXT} (from FastPkg 1.0) is built for aarch64, "
        "and this build targets x86_64"
    )


def test_on_disk_files_replace_the_directory_as_a_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    directory = beside.on_disk_directory(tmp_path / "dist" / "app")
    assert directory == tmp_path / "dist" / "app.packages"
    beside.write_on_disk([FileResource("old/gone.py", b"")], directory)
    beside.write_on_disk(
        [FileResource("pkg/__init__.py", b"x = 1\n"), FileResource("pkg/tool", b"#!", True)],
        directory,
    )
    files = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*"))
    assert files == ["pkg", "pkg/__init__.py", "pkg/tool"]
    assert (directory / "pkg/__init__.py").stat().st_mode & 0o777 == 0o644
    assert (directory / "pkg/tool").stat().st_mode & 0o777 == 0o755
    assert (directory / "pkg/__init__.py").stat().st_mtime == 1700000000
    assert sorted(p.name for p in directory.parent.iterdir()) == ["app.packages"]


def test_meta_entries_for_extension_libraries_and_on_disk() -> None:
    dist = distribution_stub()
    plain = entries.runtime_settings(
        name="a", entry=PythonEntry(), dist=dist, selected={}
    ).to_entries()
    assert {e.name for e in plain} == {
        "entry", "extensions", "name", "pyingot_version", "python_version"
    }  # fmt: skip
    full = entries.runtime_settings(
        name="a",
        entry=PythonEntry(),
        dist=dist,
        selected={},
        extension_libraries={"z.ext": ["libb.so.1", "liba.so"], "a.ext": ["liba.so"]},
        on_disk_path="a.packages",
    ).to_entries()
    meta = {e.name: e.primary for e in full}
    assert meta["extension_libraries"] == (b'{"a.ext":["liba.so"],"z.ext":["libb.so.1","liba.so"]}')
    assert meta["on_disk_path"] == b"a.packages"


def distribution_stub() -> Distribution:
    return Distribution(
        root=Path("/nonexistent"),
        format_version=7,
        target_triple="x86_64-unknown-linux-gnu",
        python_version="3.11.2",
        python_tag="cp311",
        python_exe="install/bin/python3.11",
        python_paths={},
        build_options="",
        object_file_format="elf",
        core_objs=(),
        core_links=(),
        inittab_object=None,
        inittab_source=None,
        inittab_cflags=(),
        extensions={},
        licenses=("Python-2.0",),
        license_path=None,
    )


# --------------------------------------------------------------------------- configuration


def load(tmp_path: Path, body: str, files: Mapping[str, str] = {}) -> DependencySettings:
    project = tmp_path / "proj"
    project.mkdir(exist_ok=True)
    write(project, {"pyproject.toml": body, **files})
    return load_project(project).dependencies


def error(tmp_path: Path, body: str, files: Mapping[str, str] = {}) -> PyingotError:
    with pytest.raises(PyingotError) as e:
        load(tmp_path, body, files)
    return e.value


APP = '[project]\nname = "app"\nversion = "1"\n'


def test_dependency_settings(tmp_path: Path) -> None:
    assert load(tmp_path, APP) == DependencySettings()
    assert load(tmp_path, APP).empty
    got = load(
        tmp_path,
        APP.replace('version = "1"', 'version = "1"\ndependencies = ["six>=1", "rich"]')
        + "[tool.pyingot.dependencies]\n"
        'requirements = "req/prod.txt"\n'
        'wheels = ["wheels/*.whl", "wheels/a-*.whl"]\n'
        'on-disk = ["NumPy", "py_yaml"]\n',
        {
            "req/prod.txt": "numpy\n",
            "wheels/b-1.0-py3-none-any.whl": "",
            "wheels/a-1.0-py3-none-any.whl": "",
        },
    )
    root = (tmp_path / "proj").resolve()
    assert got.requirements == ("six>=1", "rich")
    assert got.requirements_file == root / "req/prod.txt"
    assert got.wheels == (
        root / "wheels/a-1.0-py3-none-any.whl",
        root / "wheels/b-1.0-py3-none-any.whl",
    )
    assert got.on_disk == ("numpy", "py-yaml")
    assert not got.empty
    off = load(
        tmp_path,
        APP.replace('version = "1"', 'version = "1"\ndependencies = ["six"]')
        + "[tool.pyingot.dependencies]\nproject = false\n",
    )
    assert off.requirements == () and not off.from_project and off.empty


@pytest.mark.parametrize(
    ("body", "message", "hint"),
    [
        (
            'requirements = "nope.txt"\n',
            '[tool.pyingot.dependencies] requirements = "nope.txt": no such file',
            "the path is relative to the project directory",
        ),
        (
            'requirements = "/etc/requirements.txt"\n',
            '[tool.pyingot.dependencies] requirements = "/etc/requirements.txt": must be a '
            "path relative to the project directory",
            None,
        ),
        (
            'wheels = ["wheels/*.whl"]\n',
            '[tool.pyingot.dependencies] wheels: "wheels/*.whl" matches no file',
            "patterns are relative to the project directory",
        ),
        (
            'wheels = ["dist/*"]\n',
            '[tool.pyingot.dependencies] wheels: "dist/*" matches dist/app.tar.gz, which is not '
            "a wheel (.whl)",
            None,
        ),
        (
            'wheels = ["/tmp/x.whl"]\n',
            '[tool.pyingot.dependencies] wheels: "/tmp/x.whl" is not a relative path',
            "use a glob relative to the project directory",
        ),
        (
            'on-disk = ["not a name"]\n',
            '[tool.pyingot.dependencies] on-disk: "not a name" is not a distribution name',
            'name distributions as in the requirements, e.g. "numpy", "PyYAML"',
        ),
        (
            'on-disk = ["PyYAML", "pyyaml"]\n',
            '[tool.pyingot.dependencies] on-disk: "pyyaml" is listed twice',
            None,
        ),
        ("project = 1\n", "[tool.pyingot.dependencies] project = 1: must be true or false", None),
        (
            'requirement = "r.txt"\n',
            "unknown key [tool.pyingot.dependencies] requirement (did you mean 'requirements'?)",
            "the keys of [tool.pyingot.dependencies] are: project, requirements, wheels, on-disk",
        ),
    ],
)
def test_dependency_setting_errors(
    tmp_path: Path, body: str, message: str, hint: str | None
) -> None:
    e = error(tmp_path, APP + "[tool.pyingot.dependencies]\n" + body, {"dist/app.tar.gz": ""})
    assert e.message.endswith(message), e.message
    assert e.message.startswith(str(tmp_path / "proj" / "pyproject.toml"))
    if hint is not None:
        assert e.hint is not None and e.hint.startswith(hint), e.hint


def test_project_dependencies_must_be_strings_and_readable(tmp_path: Path) -> None:
    e = error(tmp_path, APP.replace('version = "1"', 'version = "1"\ndependencies = "six"'))
    assert e.message.endswith('[project] dependencies = "six": must be an array of strings')
    e = error(tmp_path, APP + 'dynamic = ["dependencies"]\n')
    assert e.message.endswith("[project] dependencies is dynamic, so pyingot cannot read it")
    assert e.hint is not None and "project = false" in e.hint
    # ... unless they are not installed.
    assert load(
        tmp_path,
        APP + 'dynamic = ["dependencies"]\n[tool.pyingot.dependencies]\nproject = false\n',
    ).empty


# --------------------------------------------------------------------------- wheel tags


def target(version: str = "3.11.2", abi: str = "cp311", machine: str = "x86_64") -> Target:
    return Target(
        Path("/nonexistent/python3"), version, abi, machine, f"{machine}-unknown-linux-gnu"
    )


@pytest.mark.parametrize(
    ("tag", "supported"),
    [
        ("py3-none-any", True),
        ("py2-none-any", False),
        ("py311-none-any", True),
        ("py312-none-any", False),
        ("cp311-none-any", True),
        ("cp310-none-any", False),
        ("cp311-cp311-manylinux_2_17_x86_64", True),
        ("cp311-cp311-manylinux2014_x86_64", True),
        ("cp311-cp311-linux_x86_64", True),
        ("cp311-cp311-musllinux_1_1_x86_64", False),
        ("cp311-cp311-manylinux_2_17_aarch64", False),
        ("cp311-cp311-win_amd64", False),
        ("cp311-cp311-macosx_11_0_arm64", False),
        ("cp311-cp311-any", False),
        ("cp312-cp312-manylinux_2_17_x86_64", False),
        ("cp310-cp310-manylinux_2_17_x86_64", False),
        ("cp38-abi3-manylinux_2_17_x86_64", True),
        ("cp312-abi3-manylinux_2_17_x86_64", False),
        ("cp311-abi3-any", False),
        ("py3-none-manylinux_2_17_x86_64", True),
        ("pp310-pypy310_pp73-manylinux_2_17_x86_64", False),
    ],
)
def test_tag_supported(tag: str, supported: bool) -> None:
    assert tag_supported(tag, target()) is supported


def test_free_threaded_targets_take_no_abi3() -> None:
    ft = target("3.13.5", "cp313t")
    assert tag_supported("cp313-cp313t-manylinux_2_17_x86_64", ft)
    assert not tag_supported("cp313-abi3-manylinux_2_17_x86_64", ft)
    assert not tag_supported("cp313-cp313-manylinux_2_17_x86_64", ft)


def test_pip_for_a_free_threaded_target_is_one_that_knows_cp313t(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYINGOT_CACHE_DIR", str(tmp_path / "cache"))
    progress = Progress(1, quiet=True)
    running = dependencies.pip_version()
    # A GIL target: the running pip, whatever its version.
    assert dependencies.pip_for(target(), progress) == dependencies.Pip(running)
    # A free-threaded one: the running pip if it knows the tags, else the cached one.
    cached = tmp_path / "cache" / "pip" / dependencies.PIP_FOR_FREE_THREADED
    (cached / "pip").mkdir(parents=True)
    (cached / "pip" / "__init__.py").write_text("")
    pip = dependencies.pip_for(target("3.13.5", "cp313t"), progress)
    if dependencies._version_numbers(running) >= dependencies.PIP_FREE_THREADED_MINIMUM:
        assert pip == dependencies.Pip(running)
    else:
        assert pip == dependencies.Pip(dependencies.PIP_FOR_FREE_THREADED, cached)
        env = dependencies.pip_environment(target("3.13.5", "cp313t"), tmp_path, pip)
        assert env["PYTHONPATH"].split(":")[0] == str(cached)


def test_wheel_names() -> None:
    name = WheelName.parse("six-1.17.0-py2.py3-none-any.whl")
    assert name is not None and name.tags() == ["py2-none-any", "py3-none-any"]
    name = WheelName.parse(
        "numpy-2.1.0-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    assert name is not None and (name.distribution, name.version) == ("numpy", "2.1.0")
    assert len(name.tags()) == 2
    assert WheelName.parse("six-1.17.0.tar.gz") is None


@pytest.mark.parametrize(
    ("file_name", "tags"),
    [
        ("fakepkg-1.0-cp311-cp311-win_amd64.whl", "cp311-cp311-win_amd64"),
        ("fakepkg-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", "cp312-cp312-manylinux_2_17_x86_64"),
    ],
)
def test_a_wheel_for_another_platform_or_python_names_the_package(
    tmp_path: Path, file_name: str, tags: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYINGOT_CACHE_DIR", str(tmp_path / "cache"))
    wheel = tmp_path / "wheels" / file_name
    wheel.parent.mkdir()
    wheel.write_bytes(b"PK")
    settings = DependencySettings(wheels=(wheel,))
    with pytest.raises(PyingotError) as e:
        dependencies.install(
            settings,
            target(),
            root=tmp_path,
            pyproject=Path("pyproject.toml"),
            progress=Progress(1, quiet=True),
        )
    assert e.value.message == (
        f"pyproject.toml: [tool.pyingot.dependencies] wheels: {file_name} is for another "
        f"Python or platform: fakepkg 1.0 is tagged {tags}, and this build targets "
        "CPython 3.11 (cp311) on Linux x86_64"
    )
    assert e.value.hint is not None and "a pure-Python wheel (py3-none-any)" in e.value.hint
    # Checked before pip runs: nothing in the cache.
    assert not (tmp_path / "cache" / "dependencies").exists()


def test_a_wheel_with_a_bad_name(tmp_path: Path) -> None:
    with pytest.raises(PyingotError, match=r"w: fakepkg\.whl is not a wheel file name"):
        check_wheel(tmp_path / "fakepkg.whl", target(), where="w")


def test_nothing_to_install(tmp_path: Path) -> None:
    none = dependencies.install(
        DependencySettings(),
        target(),
        root=tmp_path,
        pyproject=Path("pyproject.toml"),
        progress=Progress(1, quiet=True),
    )
    assert none is None
    with pytest.raises(PyingotError) as e:
        dependencies.install(
            DependencySettings(on_disk=("numpy",)),
            target(),
            root=tmp_path,
            pyproject=Path("pyproject.toml"),
            progress=Progress(1, quiet=True),
        )
    assert e.value.message == (
        'pyproject.toml: [tool.pyingot.dependencies] on-disk: "numpy" is not an installed '
        "dependency"
    )


# --------------------------------------------------------------------------- the cache key


def test_cache_key_covers_what_decides_the_installation(tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    base = tmp_path / "base.txt"
    req.write_text("-r base.txt\nsix==1.17.0\n")
    base.write_text("markupsafe==3.0.3\n")
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"one")
    settings = DependencySettings(("rich",), req, (wheel,))
    env = {"HOME": "/root", "PIP_INDEX_URL": "https://mirror.example/simple"}

    def key(
        s: DependencySettings = settings,
        t: Target | None = None,
        pip: str = "23.2.1",
        e: dict[str, str] = env,
    ) -> dict[str, object]:
        return cache_inputs(s, t or target(), pip=pip, environ=e)

    first = key()
    assert key(e={**env, "HOME": "/home/other", "PATH": "/bin"}) == first
    assert key(e={"HOME": "/root"}) != first
    assert key(pip="24.0") != first
    assert key(t=target("3.11.9")) != first
    assert key(t=target(abi="cp311t")) != first
    assert key(s=DependencySettings(("rich>=13",), req, (wheel,))) != first
    base.write_text("markupsafe==3.0.2\n")  # an included file counts by content
    assert key() != first
    base.write_text("markupsafe==3.0.3\n")
    wheel.write_bytes(b"two")
    assert key() != first
    wheel.write_bytes(b"one")
    assert key() == first
    # Where the project is does not count.
    moved = tmp_path / "moved"
    shutil.copytree(tmp_path, moved, ignore=shutil.ignore_patterns("moved"))
    assert (
        key(
            s=DependencySettings(
                ("rich",), moved / "requirements.txt", (moved / "demo-1.0-py3-none-any.whl",)
            )
        )
        == first
    )
