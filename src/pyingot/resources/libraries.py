"""The shared libraries that embedded extension modules need, in the order to load them.

Wheels for Linux bundle the libraries their extension modules link to (auditwheel
puts them in ``<package>.libs/`` under mangled, unique sonames, and points the
extensions' ``RPATH`` at them). An executable loads extension modules from memory,
where the dynamic loader cannot search a directory; the runtime loads each library
an extension needs first, dependencies before dependents, and the loader then
matches the extension's ``DT_NEEDED`` against the sonames already loaded. This
module finds those libraries the way ``ld.so`` would (``RUNPATH``/``RPATH`` with
``$ORIGIN``, then any bundled library of that name) and orders them.

Libraries that glibc provides are the target machine's. The manylinux policy lets
a wheel assume a few more (``libstdc++.so.6``, ``libgcc_s.so.1``, ``libz.so.1``),
which no wheel bundles; so that the target needs glibc only, those are taken from
the build machine, found as ``ld.so`` finds them there (``ldconfig -p``, then the
default directories), with what they need in turn, and loaded from memory like
the bundled ones. The build names each one, with its system package and license:
the user ships them. A library found nowhere is reported: the executable would
need it installed where it runs.

A library from the build machine is embedded only when its own glibc floor (the
highest ``GLIBC_2.N`` it needs) is within the build's (``[tool.pyingot] glibc``):
otherwise it would raise the executable's. Then a library of the manylinux
policy's list (:data:`MANYLINUX_SYSTEM`) is left to the machine that runs the
executable, as the policy intends: every manylinux system has one, and one new
enough for a wheel whose tag fits the floor. Any other fails the build, named.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyingot import cache, digests, elf, tools
from pyingot.errors import PyingotError
from pyingot.glibc import GlibcVersion
from pyingot.resources.model import SharedLibraryResource
from pyingot.resources.scan import SHARED_OBJECT

#: The libraries of glibc itself (its ``shlib-versions``, as distributions ship
#: them): every Linux machine that runs the executable has them, matching the
#: loader it starts with, so they are never embedded. ``libcrypt.so.1`` is not
#: one: distributions build it from libxcrypt (glibc 2.39 dropped its own), so it
#: is embedded like any other library. Nor is ``libnsl.so.2`` (libnsl2's; glibc's
#: is ``.1``).
GLIBC = frozenset(
    {
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
        "libBrokenLocale.so.1",
        "libanl.so.1",
        "libc.so.6",
        "libc_malloc_debug.so.0",
        "libdl.so.2",
        "libm.so.6",
        "libmvec.so.1",
        "libnsl.so.1",
        "libnss_compat.so.2",
        "libnss_dns.so.2",
        "libnss_files.so.2",
        "libnss_hesiod.so.2",
        "libpthread.so.0",
        "libresolv.so.2",
        "librt.so.1",
        "libthread_db.so.1",
        "libutil.so.1",
    }
)

#: The libraries a manylinux wheel may expect the system to provide, as auditwheel's
#: policy (``lib_whitelist``, the same for every ``manylinux_2_N``) lists them:
#: PEP 599's list, with ``libz.so.1``, ``libexpat.so.1``, ``libanl.so.1`` and
#: ``libatomic.so.1`` added since. When the build machine's copy needs a newer glibc
#: than the floor, one of these is left to the target system rather than embedded.
MANYLINUX_SYSTEM = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libpthread.so.0",
        "libresolv.so.2",
        "libutil.so.1",
        "libnsl.so.1",
        "libanl.so.1",
        "libgcc_s.so.1",
        "libstdc++.so.6",
        "libatomic.so.1",
        "libz.so.1",
        "libexpat.so.1",
        "libX11.so.6",
        "libXext.so.6",
        "libXrender.so.1",
        "libICE.so.6",
        "libSM.so.6",
        "libGL.so.1",
        "libgobject-2.0.so.0",
        "libgthread-2.0.so.0",
        "libglib-2.0.so.0",
    }
)

#: Never taken from the build machine: the executable is the Python interpreter
#: (linked statically), and a second libpython would be a second interpreter.
NOT_FROM_SYSTEM = re.compile(r"libpython\d.*")

#: The licenses (SPDX) of the libraries that the manylinux policy lets wheels
#: leave out, or that those need, by soname: the build reports them for what it
#: takes from the build machine.
SYSTEM_LICENSES = {
    "libstdc++.so.6": "GPL-3.0-or-later WITH GCC-exception-3.1",
    "libgcc_s.so.1": "GPL-3.0-or-later WITH GCC-exception-3.1",
    "libgomp.so.1": "GPL-3.0-or-later WITH GCC-exception-3.1",
    "libatomic.so.1": "GPL-3.0-or-later WITH GCC-exception-3.1",
    "libgfortran.so.5": "GPL-3.0-or-later WITH GCC-exception-3.1",
    "libquadmath.so.0": "LGPL-2.1-or-later",
    "libz.so.1": "Zlib",
    "libexpat.so.1": "MIT",
    "libffi.so.8": "MIT",
    "libcrypt.so.1": "LGPL-2.1-or-later",
}

#: Debian's multiarch directory names, where they are not ``<machine>-linux-gnu``.
_MULTIARCH = {"ppc64le": "powerpc64le-linux-gnu", "arm": "arm-linux-gnueabihf"}

#: A line of ``ldconfig -p``: ``<tab>libz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1``.
_LDCONFIG_LINE = re.compile(r"\s+(\S+) \((.*)\) => (/.*)")


@dataclass(frozen=True)
class LinkedObject:
    """An embedded extension module, as this module needs it."""

    module: str
    path: Path
    info: elf.DynamicInfo


@dataclass(frozen=True)
class BundledLibraries:
    #: Sorted by name: those wheels bundle and those taken from the build machine.
    libraries: tuple[SharedLibraryResource, ...]
    #: Extension module -> library names in load order (only those that need some).
    load_order: Mapping[str, tuple[str, ...]]
    problems: tuple[str, ...]
    #: Libraries of :data:`MANYLINUX_SYSTEM` whose build machine's copy is above the
    #: glibc floor: not embedded, the target system's are loaded (names, as found).
    left_to_system: tuple[str, ...] = ()


class _Index:
    """Every shared object under the roots, by file name and (read on demand) by soname."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = tuple(roots)
        self.by_name: dict[str, Path] = {}
        for root in self.roots:
            for directory, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in sorted(files):
                    if SHARED_OBJECT.fullmatch(name):
                        self.by_name.setdefault(name, Path(directory) / name)
        self._by_soname: dict[str, Path] | None = None

    def by_soname(self, soname: str) -> Path | None:
        if self._by_soname is None:
            self._by_soname = {}
            for path in self.by_name.values():
                try:
                    info = elf.read_file(path)
                except PyingotError:
                    continue
                if info.soname:
                    self._by_soname.setdefault(info.soname, path)
        return self._by_soname.get(soname)


class SystemLibraries:
    """The build machine's shared libraries, found as its ``ld.so`` finds them.

    First in ``ld.so``'s cache (``ldconfig -p``), then in the default directories
    (:func:`default_directories`); a candidate built for another machine, or a
    32-bit one, is passed over, as the loader passes it over. Symbolic links are
    followed to the real file. ``cache`` and ``directories`` replace the machine's,
    for tests.
    """

    def __init__(
        self,
        machine: str,
        *,
        cache: Sequence[tuple[str, Path]] | None = None,
        directories: Sequence[Path] | None = None,
    ) -> None:
        self.machine = machine
        self._cache = tuple(cache) if cache is not None else None
        self.directories = (
            tuple(directories) if directories is not None else default_directories(machine)
        )
        self._found: dict[str, Path | None] = {}

    def find(self, name: str) -> Path | None:
        """The real file of the library ``name`` (a ``DT_NEEDED`` entry), or ``None``.

        Never one of glibc's (:data:`GLIBC`) or a libpython (:data:`NOT_FROM_SYSTEM`).
        """
        if name not in self._found:
            self._found[name] = self._find(name)
        return self._found[name]

    def _find(self, name: str) -> Path | None:
        if "/" in name or name in GLIBC or NOT_FROM_SYSTEM.fullmatch(name):
            return None
        cache = self._cache if self._cache is not None else ldconfig_cache()
        candidates = [path for entry, path in cache if entry == name]
        candidates += [directory / name for directory in self.directories]
        for candidate in candidates:
            try:
                real = candidate.resolve(strict=True)
            except (OSError, RuntimeError):  # missing, or a loop of links
                continue
            if not real.is_file():
                continue
            try:
                info = elf.read_file(real)
            except PyingotError:
                continue  # 32-bit, or not a shared object: the loader skips it too
            if info.machine == self.machine:
                return real
        return None


def default_directories(machine: str) -> tuple[Path, ...]:
    """Where ``ld.so`` looks after its cache: the multiarch directories, then ``lib64``, ``lib``."""
    multiarch = _MULTIARCH.get(machine, f"{machine}-linux-gnu")
    return (
        Path("/lib") / multiarch,
        Path("/usr/lib") / multiarch,
        Path("/lib64"),
        Path("/usr/lib64"),
        Path("/lib"),
        Path("/usr/lib"),
    )


@functools.cache
def ldconfig_cache() -> tuple[tuple[str, Path], ...]:
    """``ld.so``'s cache as ``ldconfig -p`` prints it; empty without ``ldconfig``.

    ``ldconfig`` is often outside a user's ``PATH`` (``/sbin``).
    """
    ldconfig = shutil.which("ldconfig") or next(
        (p for p in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.access(p, os.X_OK)), None
    )
    if ldconfig is None:
        return ()
    try:
        done = tools.run([ldconfig, "-p"], env={**os.environ, "LC_ALL": "C"})
    except (PyingotError, OSError):
        return ()  # gone since it was found, or not executable: as if missing
    return parse_ldconfig(done.stdout) if done.returncode == 0 else ()


def parse_ldconfig(text: str) -> tuple[tuple[str, Path], ...]:
    """``(name, path)`` for each library line of ``ldconfig -p``, in its order."""
    out = []
    for line in text.splitlines():
        match = _LDCONFIG_LINE.fullmatch(line)
        if match:
            out.append((match[1], Path(match[3])))
    return tuple(out)


def bundled_libraries(
    extensions: Sequence[LinkedObject],
    *,
    roots: Sequence[Path],
    machine: str,
    relative: Mapping[Path, str],
    owner: Mapping[Path, str],
    system: SystemLibraries | None = None,
    floor: GlibcVersion | None = None,
) -> BundledLibraries:
    """The libraries ``extensions`` need, found under ``roots`` (the dependency roots)
    or, when no wheel bundles them, on the build machine (``system``, by default
    :class:`SystemLibraries` for ``machine``).

    ``relative`` gives a library's path relative to its root (for messages and
    :attr:`SharedLibraryResource.origin`), ``owner`` the distribution that installed
    it. A library for another machine than ``machine`` fails the build. With a glibc
    ``floor``, a library from the build machine that needs a newer glibc is left to
    the target system if the manylinux policy allows, else it fails the build;
    without one, every library found is embedded.
    """
    index = _Index(roots)
    system = system if system is not None else SystemLibraries(machine)
    infos: dict[Path, elf.DynamicInfo] = {}
    #: Per object: the libraries its DT_NEEDED entries resolve to, and those found nowhere.
    edges: dict[Path, tuple[list[Path], list[str]]] = {}
    missing: dict[str, set[str]] = {}
    left: dict[str, None] = {}
    #: Libraries from the build machine above the floor that cannot be left to the target.
    refused: dict[str, tuple[Path, GlibcVersion, str]] = {}

    def info_of(path: Path) -> elf.DynamicInfo:
        if path not in infos:
            infos[path] = elf.read_file(path)
            check_machine(infos[path], path, machine, relative, owner)
        return infos[path]

    def resolve(needed: str, obj: Path, info: elf.DynamicInfo) -> Path | None:
        if "/" in needed:
            return None
        for directory in info.search_path(obj.parent):
            candidate = Path(os.path.normpath(directory / needed))
            if candidate.is_file():
                return candidate
        return index.by_name.get(needed) or index.by_soname(needed) or system.find(needed)

    def needs(obj: Path, info: elf.DynamicInfo) -> tuple[list[Path], list[str]]:
        if obj not in edges:
            found: list[Path] = []
            lost: list[str] = []
            for needed in info.needed:
                if needed in GLIBC:
                    continue
                lib = resolve(needed, obj, info)
                above = None
                if lib is not None and floor is not None and from_system(lib):
                    above = _above_floor(lib, floor)
                if above is not None and needed in MANYLINUX_SYSTEM:
                    left[needed] = None
                elif above is not None:
                    assert lib is not None
                    refused.setdefault(needed, (lib, *above))
                    lost.append(needed)
                elif lib is None:
                    lost.append(needed)
                elif lib not in found:
                    found.append(lib)
            edges[obj] = (found, lost)
        return edges[obj]

    def closure(ext: LinkedObject) -> list[Path]:
        """The libraries ``ext`` needs, transitively, each after those it needs (in a
        cycle, which the loader resolves itself, in any order)."""
        out: list[Path] = []
        seen = {ext.path}

        def visit(obj: Path, info: elf.DynamicInfo) -> None:
            found, lost = needs(obj, info)
            for name in lost:
                missing.setdefault(name, set()).add(ext.module)
            for lib in found:
                if lib not in seen:
                    seen.add(lib)
                    visit(lib, info_of(lib))
                    out.append(lib)

        visit(ext.path, ext.info)
        return out

    def from_system(path: Path) -> bool:
        return not any(path.is_relative_to(root) for root in index.roots)

    by_name: dict[str, SharedLibraryResource] = {}
    path_of: dict[str, Path] = {}
    problems: list[str] = []
    load_order: dict[str, tuple[str, ...]] = {}
    for ext in sorted(extensions, key=lambda e: e.module):
        names: list[str] = []
        for path in closure(ext):
            info = info_of(path)
            system_file = from_system(path)
            lib = SharedLibraryResource(
                file_name=path.name,
                data=b"",
                needed=info.needed,
                soname=info.soname,
                origin=str(path) if system_file else relative.get(path, path.name),
                distribution=system_package(path) if system_file else owner.get(path),
                from_system=system_file,
                license=SYSTEM_LICENSES.get(info.soname or path.name) if system_file else None,
            )
            if lib.name not in by_name:
                by_name[lib.name] = lib
                path_of[lib.name] = path
            elif path_of[lib.name] != path and (
                path_of[lib.name].read_bytes() != path.read_bytes()
            ):
                problems.append(
                    f"{relative.get(path, str(path))}: another library named {lib.name} "
                    f"({by_name[lib.name].origin}) is embedded instead; the dynamic loader "
                    "knows one library per name"
                )
            names.append(lib.name)
        if names:
            load_order[ext.module] = tuple(names)
    for needed, (path, version, symbol) in refused.items():
        assert floor is not None
        users = ", ".join(sorted(missing[needed]))
        raise PyingotError(
            f"{needed} (needed by {users}) is bundled by no installed wheel, and the build "
            f"machine's ({path}) needs {version.symbol_version} ({symbol}), above the glibc "
            f"floor {floor}",
            hint="the manylinux policy does not let a wheel expect it from the system: "
            f"use wheels that bundle it (built for {floor.manylinux} or older), "
            f'or raise [tool.pyingot] glibc to "{version}"',
        )
    for needed, modules in sorted(missing.items()):
        users = ", ".join(sorted(modules))
        problems.append(
            f"{needed} (needed by {users}) is bundled by no installed wheel and is not "
            "on the build machine: the machine running the executable must provide it"
        )
    libraries = tuple(
        dataclasses.replace(lib, data=_read(path_of[name])) for name, lib in sorted(by_name.items())
    )
    return BundledLibraries(libraries, load_order, tuple(problems), tuple(left))


def _above_floor(path: Path, floor: GlibcVersion) -> tuple[GlibcVersion, str] | None:
    """The highest glibc ``path`` needs and a symbol needing it, when above ``floor``."""
    highest = elf.highest_glibc(elf.glibc_of(elf.read_version_needs(path)))
    if highest is None or highest[0] <= floor:
        return None
    return highest[0], highest[1][0] if highest[1] else "no symbol named"


#: dpkg's database: what `dpkg-query` answers changes only with it.
_DPKG_STATUS = Path("/var/lib/dpkg/status")


@functools.cache
def system_package(path: Path) -> str | None:
    """The system package that installed ``path``: ``Debian package zlib1g 1:1.2.13.dfsg-1``.

    From dpkg; ``None`` on a machine without it, or for a file no package installed.
    The answer is kept in the cache until the file or dpkg's database changes: two
    runs of dpkg-query took 0.2 s of every build of an application that bundles a
    library of the build machine (numpy's wheel needs its libz).
    """
    if shutil.which("dpkg-query") is None:
        return None
    inputs = {"file": cache.identity(path), "dpkg": cache.identity(_DPKG_STATUS)}
    return cache.memo("dpkg-package", inputs, lambda: _system_package(path) or "") or None


def _system_package(path: Path) -> str | None:
    # With /lib a link to /usr/lib, dpkg knows a file under either name.
    text = str(path)
    other = text.removeprefix("/usr") if text.startswith("/usr/") else "/usr" + text
    try:
        owners = tools.run(["dpkg-query", "-S", text, other]).stdout
    except (PyingotError, OSError):
        return None
    # "libstdc++6:amd64: /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30" (or
    # "diversion by …" lines, passed over).
    packages = [line.partition(": ")[0] for line in owners.splitlines()]
    package = next((p for p in packages if p and " " not in p), None)
    if package is None:
        return None
    package = package.split(",")[0]
    try:
        version = tools.run(["dpkg-query", "-W", "-f", "${Version}", package]).stdout.strip()
    except (PyingotError, OSError):
        version = ""
    name = package.partition(":")[0]
    return " ".join(part for part in (_os_name(), "package", name, version) if part)


@functools.cache
def _os_name() -> str:
    """The build machine's distribution, as ``/etc/os-release`` names it (``Debian``)."""
    try:
        text = Path("/etc/os-release").read_text(errors="replace")
    except OSError:
        return ""
    match = re.search(r"^NAME=\"?([^\"\n]*)", text, re.MULTILINE)
    name = match[1] if match else ""
    return name.removesuffix(" GNU/Linux").removesuffix(" Linux").strip()


def describe_left_to_system(names: Sequence[str]) -> str | None:
    """The build summary's line naming the libraries left to the target, or ``None``."""
    return f"left to the target system (manylinux): {', '.join(names)}" if names else None


def describe_system_libraries(libraries: Iterable[SharedLibraryResource]) -> str | None:
    """The build summary's line naming what was taken from the build machine, or ``None``."""
    parts = []
    for lib in libraries:
        if not lib.from_system:
            continue
        facts = [lib.distribution or lib.origin]
        if lib.license:
            facts.append(f"license {lib.license}")
        parts.append(f"{lib.name} ({', '.join(facts)})")
    if not parts:
        return None
    return "shared libraries from the build machine: " + ", ".join(parts)


def check_machine(
    info: elf.DynamicInfo,
    path: Path,
    machine: str,
    relative: Mapping[Path, str],
    owner: Mapping[Path, str],
) -> None:
    """A shared object built for another machine stops the build, naming its package."""
    if info.machine == machine:
        return
    package = owner.get(path)
    where = relative.get(path, str(path))
    raise PyingotError(
        f"{where}{f' (from {package})' if package else ''} is built for {info.machine}, "
        f"and this build targets {machine}",
        hint="install the package built for this platform (a wheel for "
        f"{machine}, or its source distribution)",
    )


def _read(path: Path) -> digests.Blob:
    try:
        return digests.map_file(path)
    except OSError as e:
        raise PyingotError(f"cannot read {path} ({e.strerror or e})") from e
