"""The glibc floor: symbol versions read from ELF objects (src/pyingot/elf.py, held to
``objdump``), glibc versions as settings and tags spell them (glibc.py), wheels chosen
and checked for the floor (dependencies.py, PEP 600's hook), and the executable's floor
computed and held to the setting (assemble/floor.py).

Unit tests read real system libraries and small objects built with ``cc``; the slow
tests run pip for a real static distribution.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pyingot import dependencies, elf
from pyingot.assemble.floor import FloorObject, GlibcFloor, check_floor, glibc_floor
from pyingot.config import DependencySettings
from pyingot.dependencies import Target, cache_inputs, check_wheel, tag_supported
from pyingot.errors import PyingotError
from pyingot.glibc import GlibcVersion
from pyingot.progress import Progress
from pyingot.resources.model import (
    ExtensionResource,
    FileResource,
    ResourceSet,
    SharedLibraryResource,
)
from pyingot.resources.scan import InstalledDistribution
from tests.binutils import objdump_version_needs, objdump_version_references

needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
needs_objdump = pytest.mark.skipif(shutil.which("objdump") is None, reason="needs binutils")

V = GlibcVersion.parse

#: A function of each kind the C library versions: old (2.2.5), memcpy (2.14 on
#: x86-64), the threads that moved into libc in 2.34, and libm.
USES_GLIBC = """
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
static void *run(void *p) { return p; }
int use(char *d, const char *s, unsigned n, double x) {
    pthread_t t;
    memcpy(d, s, n);
    printf("%f\\n", hypot(x, x));
    return pthread_create(&t, 0, run, 0);
}
"""
MAIN = 'int main(void) { char d[4]; return use(d, "abc", 4, 1); }\n'


def cc(out: Path, source: str, *flags: str) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.parent / f".{out.name}.c"
    src.write_text(source)
    subprocess.run(["cc", "-o", str(out), str(src), *flags, "-lm"], check=True, capture_output=True)
    src.unlink()
    return out


def mine(path: Path) -> set[tuple[str, str]]:
    return {(n.version, s) for n in elf.read_version_needs(path) for s in n.symbols}


def objdump_glibc(path: Path) -> tuple[GlibcVersion, list[str]] | None:
    """The highest GLIBC_2.N and its symbols, as objdump -T shows them."""
    pairs = [(GlibcVersion.of_symbol_version(v), s) for v, s in objdump_version_needs(path)]
    versions = [(v, s) for v, s in pairs if v is not None]
    if not versions:
        return None
    top = max(v for v, _ in versions)
    return top, sorted(s for v, s in versions if v == top)


# --------------------------------------------------------------------------- ELF


def _system_objects() -> list[Path]:
    names = ["libc.so.6", "libm.so.6", "libz.so.1", "libstdc++.so.6", "libssl.so.3"]
    dirs = [Path("/lib/x86_64-linux-gnu"), Path("/usr/lib/x86_64-linux-gnu")]
    found = {n: (d / n).resolve() for d in reversed(dirs) for n in names if (d / n).is_file()}
    return [found[n] for n in names if n in found] + [
        p for p in (Path("/usr/bin/ls"), Path(sys.executable).resolve()) if p.is_file()
    ]


@needs_objdump
@pytest.mark.parametrize("path", _system_objects(), ids=lambda p: p.name)
def test_version_needs_agree_with_objdump_on_system_objects(path: Path) -> None:
    needs = elf.read_version_needs(path)
    assert [(n.file, n.version) for n in needs] == objdump_version_references(path)
    assert mine(path) == objdump_version_needs(path)
    highest = elf.highest_glibc(elf.glibc_of(needs))
    expected = objdump_glibc(path)
    assert ((highest[0], list(highest[1])) if highest else None) == expected
    # Bytes read as the mapped file does.
    assert elf.version_needs(path.read_bytes(), name="x") == needs


@needs_cc
@needs_objdump
@pytest.mark.parametrize(
    "flags",
    [
        ("-shared", "-fPIC"),
        ("-shared", "-fPIC", "-Wl,--hash-style=sysv"),
        ("-shared", "-fPIC", "-Wl,--hash-style=both"),
        ("-fPIE", "-pie"),
        ("-no-pie",),
    ],
    ids=["shared", "sysv-hash", "both-hashes", "pie", "executable"],
)
def test_version_needs_agree_with_objdump_on_objects_built_with_cc(
    tmp_path: Path, flags: tuple[str, ...]
) -> None:
    obj = cc(tmp_path / "obj", USES_GLIBC + ("" if "-shared" in flags else MAIN), *flags)
    assert mine(obj) == objdump_version_needs(obj)
    glibc = elf.glibc_needs(obj.read_bytes(), name="obj")
    assert "pthread_create" in next(s for v, s in glibc.items() if "pthread_create" in s)
    assert {"memcpy", "printf", "hypot"} <= {s for symbols in glibc.values() for s in symbols}
    highest = elf.highest_glibc(glibc)
    assert highest is not None and (highest[0], list(highest[1])) == objdump_glibc(obj)


@needs_cc
@pytest.mark.parametrize(
    ("source", "flags"),
    [(USES_GLIBC, ("-shared", "-fPIC")), (USES_GLIBC + MAIN, ("-no-pie",))],
    ids=["shared", "executable"],
)
def test_symbols_are_found_without_section_headers(
    tmp_path: Path, source: str, flags: tuple[str, ...]
) -> None:
    """The loader needs no section headers; neither does the reader (sstrip removes them).
    An executable exporting nothing has an empty hash table: its relocations count."""
    obj = cc(tmp_path / "obj", source, *flags)
    data = bytearray(obj.read_bytes())
    data[0x28:0x30] = bytes(8)  # e_shoff
    data[0x3C:0x40] = bytes(4)  # e_shnum, e_shstrndx
    assert elf.version_needs(bytes(data), name="x") == elf.read_version_needs(obj)
    assert all(n.symbols for n in elf.read_version_needs(obj))


@needs_cc
def test_an_object_without_versions_needs_none(tmp_path: Path) -> None:
    obj = cc(tmp_path / "libn.so", "int n(void) { return 1; }\n", "-shared", "-nostdlib")
    assert elf.read_version_needs(obj) == ()
    assert elf.glibc_needs(obj.read_bytes(), name="n") == {}
    assert elf.highest_glibc({}) is None


@needs_cc
def test_version_needs_refuse_relocatable_objects_and_cut_files(tmp_path: Path) -> None:
    src = tmp_path / "x.c"
    src.write_text("int x(void) { return 0; }\n")
    subprocess.run(["cc", "-c", "-o", str(tmp_path / "x.o"), str(src)], check=True)
    with pytest.raises(elf.ElfError, match=r"x\.o: a relocatable object \(\.o\), not a shared "
                       r"object or an executable"):  # fmt: skip
        elf.read_version_needs(tmp_path / "x.o")
    lib = cc(tmp_path / "libx.so", USES_GLIBC, "-shared", "-fPIC")
    with pytest.raises(elf.ElfError, match=r"^cut: .* out of bounds"):
        elf.version_needs(lib.read_bytes()[:300], name="cut")


def test_highest_glibc_compares_versions_as_numbers() -> None:
    needs = {
        "GLIBC_2.2.5": ("printf",),
        "GLIBC_2.14": ("memcpy",),
        "GLIBC_2.9": ("pipe2",),
        "GLIBC_PRIVATE": ("_dl_x",),
        "GLIBCXX_3.4.30": ("_ZNSt",),
    }
    assert elf.highest_glibc(needs) == (V("2.14"), ("memcpy",))


# --------------------------------------------------------------------------- glibc versions


def test_glibc_versions_as_settings_symbols_and_tags_spell_them() -> None:
    assert V("2.2.5") < V("2.17") < V("2.28") and V("2.17") == GlibcVersion.of_setting("2.17")
    assert str(V("2.2.5")) == "2.2.5" and V("2.17").symbol_version == "GLIBC_2.17"
    assert V("2.28").manylinux == "manylinux_2_28"
    with pytest.raises(ValueError):
        GlibcVersion.of_setting("2.2.5")
    assert GlibcVersion.of_symbol_version("GLIBC_2.34") == V("2.34")
    assert GlibcVersion.of_symbol_version("GLIBC_PRIVATE") is None
    assert GlibcVersion.of_symbol_version("GLIBCXX_3.4.30") is None
    tags = {
        "manylinux_2_28_x86_64": V("2.28"),
        "manylinux_2_17_aarch64": V("2.17"),
        "manylinux2014_x86_64": V("2.17"),
        "manylinux2010_x86_64": V("2.12"),
        "manylinux1_x86_64": V("2.5"),
        "linux_x86_64": None,
        "musllinux_1_2_x86_64": None,
        "any": None,
    }
    assert {t: GlibcVersion.of_platform_tag(t) for t in tags} == tags


# --------------------------------------------------------------------------- wheels


def target(glibc: str | None = "2.17") -> Target:
    return Target(
        Path("/nonexistent/python3"),
        "3.11.2",
        "cp311",
        "x86_64",
        "x86_64-unknown-linux-gnu",
        None if glibc is None else V(glibc),
    )


@pytest.mark.parametrize(
    ("tag", "floor_2_17", "no_floor"),
    [
        ("cp311-cp311-manylinux_2_17_x86_64", True, True),
        ("cp311-cp311-manylinux2014_x86_64", True, True),
        ("cp311-cp311-manylinux1_x86_64", True, True),
        ("cp311-cp311-manylinux_2_28_x86_64", False, True),
        ("cp38-abi3-manylinux_2_34_x86_64", False, True),
        ("cp311-cp311-linux_x86_64", True, True),
        ("py3-none-any", True, True),
        ("cp312-cp312-manylinux_2_17_x86_64", False, False),
    ],
)
def test_a_manylinux_tag_above_the_floor_is_not_supported(
    tag: str, floor_2_17: bool, no_floor: bool
) -> None:
    assert tag_supported(tag, target("2.17")) is floor_2_17
    assert tag_supported(tag, target(None)) is no_floor
    assert tag_supported(tag, target("2.34")) is no_floor


def test_a_wheel_for_a_newer_glibc_names_the_package_its_tag_and_the_setting(
    tmp_path: Path,
) -> None:
    wheel = tmp_path / "fakepkg-1.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
    with pytest.raises(PyingotError) as e:
        check_wheel(wheel, target("2.17"), where="w")
    assert e.value.message == (
        f"w: {wheel.name} needs a newer glibc than the build's floor: fakepkg 1.0 is tagged "
        "cp311-cp311-manylinux_2_27_x86_64, for glibc 2.27 and later, and [tool.pyingot] glibc "
        'is "2.17"'
    )
    assert e.value.hint == (
        'raise [tool.pyingot] glibc to "2.27" (the executable then needs glibc 2.27 or later '
        "where it runs), or use a release of fakepkg with a wheel for manylinux_2_17 or "
        "older, or its source distribution"
    )
    assert check_wheel(wheel, target("2.28"), where="w").distribution == "fakepkg"
    both = tmp_path / "fakepkg-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    assert check_wheel(both, target("2.17"), where="w").version == "1.0"
    # Another platform is still reported as such, whatever its glibc.
    other = tmp_path / "fakepkg-1.0-cp311-cp311-manylinux_2_28_aarch64.whl"
    with pytest.raises(PyingotError, match="is for another Python or platform"):
        check_wheel(other, target("2.17"), where="w")


def test_an_installed_wheel_above_the_floor_stops_the_build() -> None:
    numpy = InstalledDistribution(
        "numpy", "2.4.6", "numpy-2.4.6.dist-info", Path("/site"), (),
        ("cp311-cp311-manylinux_2_27_x86_64", "cp311-cp311-manylinux_2_28_x86_64"),
    )  # fmt: skip
    dependencies.check_installed_tags([numpy], target("2.28"))
    with pytest.raises(PyingotError) as e:
        dependencies.check_installed_tags([numpy], target("2.17"))
    assert e.value.message == (
        "a dependency was installed from a wheel for a newer glibc than the floor: numpy "
        "2.4.6 is tagged cp311-cp311-manylinux_2_27_x86_64, for glibc 2.27 and later, and "
        '[tool.pyingot] glibc is "2.17"'
    )


def test_the_floor_is_part_of_the_dependency_cache_key() -> None:
    settings = DependencySettings(("numpy",))

    def key(glibc: str | None) -> dict[str, object]:
        return cache_inputs(settings, target(glibc), pip="23.2.1", environ={})

    assert key("2.17") != key("2.28") != key(None)
    assert key("2.17")["glibc"] == "2.17" and key("2.17") == key("2.17")


def test_the_manylinux_hook_accepts_tags_up_to_the_floor(tmp_path: Path) -> None:
    env = dependencies.pip_environment(target("2.17"), tmp_path)
    assert env["PYTHONPATH"].split(":")[0] == str(tmp_path)
    spec = importlib.util.spec_from_file_location("_manylinux", tmp_path / "_manylinux.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    assert hook.manylinux_compatible(2, 17, "x86_64") is True
    assert hook.manylinux_compatible(2, 5, "x86_64") is True
    assert hook.manylinux_compatible(2, 18, "x86_64") is False
    assert hook.manylinux_compatible(3, 0, "x86_64") is False
    # No floor, no hook: pip decides by the build machine's glibc.
    empty = tmp_path / "none"
    empty.mkdir()
    env = dependencies.pip_environment(target(None), empty)
    assert str(empty) not in env.get("PYTHONPATH", "") and not list(empty.iterdir())


def _wheel(directory: Path, name: str, version: str, tag: str) -> Path:
    """A minimal wheel of one module, ``name``, that records its version."""
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n",
        f"{name}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        ),
        f"{name}-{version}.dist-info/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: false\nTag: {tag}\n"
        ),
    }
    record = f"{name}-{version}.dist-info/RECORD"
    lines = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        lines.append(f"{path},sha256={digest.decode()},{len(text.encode())}")
    files[record] = "\n".join([*lines, f"{record},,"]) + "\n"
    wheel = directory / f"{name}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return wheel


@pytest.mark.slow
@pytest.mark.parametrize(("floor", "chosen"), [("2.17", "1.0"), ("2.28", "2.0")])
def test_pip_installs_the_newest_wheel_within_the_floor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, floor: str, chosen: str
) -> None:
    """pip, run as the build runs it for the target interpreter, honours the hook."""
    from tests.distributions import distribution

    # The distribution from the shared cache first; only pip's entry goes elsewhere.
    dist = distribution("3.11")
    monkeypatch.setenv("PYINGOT_CACHE_DIR", str(tmp_path / "cache"))
    index = tmp_path / "index"
    index.mkdir()
    _wheel(index, "floorpkg", "1.0", "cp311-cp311-manylinux_2_17_x86_64")
    _wheel(index, "floorpkg", "2.0", "cp311-cp311-manylinux_2_28_x86_64")
    (tmp_path / "requirements.txt").write_text(f"--no-index\n--find-links {index}\nfloorpkg\n")
    installed = dependencies.install(
        DependencySettings(requirements_file=tmp_path / "requirements.txt"),
        Target.of(dist, V(floor)),
        root=tmp_path,
        pyproject=Path("pyproject.toml"),
        progress=Progress(1, quiet=True),
    )
    assert installed is not None
    assert [d.describe() for d in installed.distributions] == [f"floorpkg {chosen}"]
    # The hook was the run's: nothing of it is in the cache entry.
    assert not list(installed.site.parent.rglob("_manylinux.py"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("floor", "platform"), [("2.17", "manylinux_2_17"), ("2.28", "manylinux_2_28")]
)
def test_pip_picks_numpy_wheels_for_the_floor(tmp_path: Path, floor: str, platform: str) -> None:
    """The real case: numpy's newest releases have manylinux_2_28 wheels only (with 2_27);
    with a floor of 2.17 pip takes the newest release that has a manylinux_2_17 one."""
    from tests.distributions import distribution

    dist = distribution("3.11")
    report = tmp_path / "report.json"
    env = dependencies.pip_environment(Target.of(dist, V(floor)), tmp_path)
    done = subprocess.run(
        [
            sys.executable, "-m", "pip", "--python", str(dist.path(dist.python_exe)), "install",
            "--dry-run", "--only-binary", ":all:", "--quiet", "--target", str(tmp_path / "t"),
            "--report", str(report), "numpy",
        ],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (item,) = json.loads(report.read_text())["install"]
    wheel = item["download_info"]["url"].rsplit("/", 1)[1]
    tags = wheel.removesuffix(".whl").split("-")[-1].split(".")
    assert platform + "_x86_64" in tags, wheel
    versions = [GlibcVersion.of_platform_tag(t) for t in tags]
    assert min(v for v in versions if v is not None) <= V(floor), wheel


# --------------------------------------------------------------------------- the executable's floor


@needs_cc
@needs_objdump
def test_the_floor_is_the_highest_need_of_everything_inside(tmp_path: Path) -> None:
    stub = cc(tmp_path / "stub", "int main(void) { return 0; }\n")
    lib = cc(tmp_path / "libx.so", USES_GLIBC, "-shared", "-fPIC")
    plain = cc(tmp_path / "libp.so", "int p(void) { return 1; }\n", "-shared", "-nostdlib")
    resources = ResourceSet(
        modules={},
        data=(),
        extensions={"pkg._ext": ExtensionResource("pkg._ext", plain.read_bytes(), "pkg/_ext.so")},
        shared_libraries=(
            SharedLibraryResource(
                "libx.so", lib.read_bytes(), (), "libx.so", "pkg.libs/libx.so", "pkg 1.0"
            ),
        ),
        on_disk=(FileResource("other/README", b"text"),),
    )
    floor = glibc_floor(stub, resources, python_version="3.11.2")
    expected = objdump_glibc(lib)
    assert expected is not None
    assert floor.version == expected[0]
    top = floor.objects[0]
    assert (top.kind, top.what, list(top.symbols)) == (
        "library",
        "shared library libx.so (pkg 1.0)",
        expected[1],
    )
    assert [o.kind for o in floor.objects] == ["library", "stub"]  # the plain one needs none
    check_floor(floor, expected[0], Path("pyproject.toml"))  # at the floor: fine


def test_a_floor_above_the_setting_names_the_object_the_symbol_and_the_fix() -> None:
    floor = GlibcFloor(
        (
            FloorObject("stub", "the runtime stub (CPython 3.11.2)", V("2.35"),
                        ("_dl_find_object", "hypot")),
            FloorObject("extension", "extension module pkg._ext (pkg)", V("2.34"),
                        ("pthread_create",)),
            FloorObject("library", "shared library libz.so.1 (Debian package zlib1g)", V("2.14"),
                        ("memcpy",)),
        )
    )  # fmt: skip
    assert floor.describe() == (
        "glibc floor 2.35: the runtime stub (CPython 3.11.2) needs GLIBC_2.35 for _dl_find_object"
    )
    with pytest.raises(PyingotError) as e:
        check_floor(floor, V("2.17"), Path("pyproject.toml"))
    assert e.value.message == (
        'pyproject.toml: [tool.pyingot] glibc = "2.17": the executable would need glibc 2.35: '
        "the runtime stub (CPython 3.11.2) needs GLIBC_2.35 for _dl_find_object"
    )
    assert e.value.hint == (
        "build with a CPython distribution made for glibc 2.17 ([tool.pyingot] python); or "
        'raise [tool.pyingot] glibc to "2.35" (the executable then runs only where glibc is '
        "2.35 or later)\nalso above 2.17: extension module pkg._ext (pkg)"
    )
    with pytest.raises(PyingotError) as e:
        check_floor(GlibcFloor(floor.objects[1:]), V("2.17"), Path("pyproject.toml"))
    assert "extension module pkg._ext (pkg) needs GLIBC_2.34 for pthread_create" in e.value.message
    assert e.value.hint is not None and e.value.hint.startswith(
        "use a wheel built for manylinux_2_17 or older, or its source distribution built "
        "for glibc 2.17; or raise"
    )
    check_floor(floor, V("2.35"), Path("pyproject.toml"))
    assert GlibcFloor(()).version is None and GlibcFloor(()).describe() is None
    # A long list is cut; a version no symbol names is still named.
    many = [FloorObject("extension", f"extension module m{i}", V("2.28"), ()) for i in range(9)]
    with pytest.raises(PyingotError) as e:
        check_floor(GlibcFloor(tuple(many)), V("2.17"), Path("pyproject.toml"))
    assert e.value.message.endswith("extension module m0 needs GLIBC_2.28")
    assert e.value.hint is not None and e.value.hint.endswith(
        "also above 2.17: extension module m1, extension module m2, extension module m3, "
        "extension module m4, extension module m5, and 3 more"
    )
