"""Decide which modules and data files go into an executable.

The default is reachability: start from the entry point and the modules the
interpreter imports by itself, follow every import the target interpreter's
parser sees (at module level, inside functions, under ``try``/``except
ImportError`` and ``if TYPE_CHECKING`` alike), plus the imports no ``import``
statement shows (``dynamic.py``). Over-approximating is the safe side: a module
that is collected but never imported costs bytes, one that is missing costs a
crash on the user's machine.

Four kinds of import are known never to run in an executable, and are not
followed, so that the closure stays small (hello world would otherwise pull in
doctest, pdb, unittest and asyncio through pickle's ``_test()``):

* code that runs only when a module is ``__main__`` (its ``if __name__ ==
  "__main__"`` block and the private or ``main``/``test`` functions only that
  block uses), except in the entry point itself;
* branches for another platform (``if sys.platform == "win32"``), as the
  target interpreter evaluates them;
* the standard library's imports of its own test suite;
* ``importlib._bootstrap(_external)``, frozen into the interpreter
  (``dynamic.FROZEN_ALIASES``).

Module patterns (``include``, ``exclude``) are ``fnmatch`` patterns on dotted
names, where ``*`` also matches dots (``"email.*"`` is every module below
``email``). ``include`` adds the modules it matches and what they reach.
``exclude`` removes what it matches *and everything below it* (a package's
submodules cannot be imported without it) and its imports are not followed;
it wins over ``include``.
"""

from __future__ import annotations

import fnmatch
import os
import platform
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from pyingot import elf
from pyingot.config import normalize_distribution_name
from pyingot.errors import PyingotError
from pyingot.resources import dynamic, libraries
from pyingot.resources.compile import (
    CompiledModule,
    CompileRequest,
    ImportStatement,
    InterpreterFacts,
    Worker,
)
from pyingot.resources.model import (
    DataResource,
    ExtensionResource,
    FileResource,
    MetadataResource,
    ModuleResource,
    ResourceSet,
    SkippedModule,
    SkipReason,
)
from pyingot.resources.scan import (
    InstalledDistribution,
    ModuleFile,
    ModuleFinder,
    ModuleKind,
    SearchRoot,
    installed_distributions,
)

StdlibMode = Literal["reachable", "all"]

#: Left out of ``stdlib="all"`` besides the test packages: the IDLE editor and
#: the turtle demos are applications of their own, ensurepip installs pip into
#: an environment (an executable has none), and ``__hello__`` and ``__phello__``
#: exist to test frozen imports. ``include`` brings them back.
EXCLUDED_FROM_ALL = ("test", "idlelib", "turtledemo", "ensurepip", "__hello__", "__phello__")

#: Package names that are test suites wherever they are (``lib2to3.tests``,
#: ``idlelib.idle_test``), as the distribution builder lists them.
TEST_PACKAGE_NAMES = ("test", "tests", "idle_test")

#: The module name an entry script is compiled as.
MAIN = "__main__"

#: Files of a ``.dist-info`` directory that are not embedded: ``direct_url.json``
#: records where a local wheel was on the build machine (an absolute path).
METADATA_LEFT_OUT = ("direct_url.json",)


def collect(
    *,
    interpreter: Path,
    stdlib_dir: Path,
    app_paths: Sequence[Path],
    entry_module: str | None,
    entry_script: Path | None,
    stdlib: StdlibMode = "reachable",
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    data_include: Sequence[str] = (),
    data_exclude: Sequence[str] = (),
    optimize: int = 0,
    keep_sources: bool = True,
    test_packages: Sequence[str] = (),
    always: Sequence[str] = (),
    implied: Mapping[str, Sequence[str]] | None = None,
    provided: Sequence[str] = (),
    dependency_paths: Sequence[Path] = (),
    on_disk: Sequence[str] = (),
    machine: str | None = None,
) -> ResourceSet:
    """Find, choose and compile an application's modules and package data.

    ``app_paths`` are searched before ``dependency_paths`` (directories that pip
    installed the dependencies into), and those before ``stdlib_dir``, as
    ``sys.path`` would be.
    With ``entry_module`` (a dotted name; for a ``pkg.mod:func`` entry point,
    ``pkg.mod``) or ``entry_script`` (a file compiled as ``__main__``; its
    directory is searched first, as ``python script.py`` does), modules are
    collected by reachability from it. With neither, the executable is a Python
    interpreter and every module goes in: the whole standard library as with
    ``stdlib="all"``, and every module under ``app_paths``.

    ``stdlib="all"`` adds every standard-library module except the test suites
    (``test_packages``, and any package named as in :data:`TEST_PACKAGE_NAMES`)
    and :data:`EXCLUDED_FROM_ALL`; application modules are still collected by
    reachability from the entry point. In either mode, imports of the test
    suites by the standard library's own modules (test helpers such as
    ``multiprocessing.util._cleanup_tests``) are not followed. ``always`` names
    modules reached in every build (one that does not exist is skipped, like any
    import). ``implied`` adds edges: when a key is reached, so are its values
    (the runtime's helper for importlib.resources comes in only with it).
    ``provided`` names modules the runtime supplies itself (built in).

    Data files of every collected package (regular or top-level namespace) are
    collected, then filtered by ``fnmatch`` patterns matched against
    ``"<package>/<path>"``, the dotted package name and the "/"-separated path
    inside it (``"mypkg.templates/page.html"``, ``"mypkg/*.json"`` does not
    match a file in ``mypkg.sub``): when ``data_include`` is given only matching
    files are kept, and files matching ``data_exclude`` are dropped.

    Compiled extension modules found in the application's or the dependencies'
    paths are embedded (the standard library's are linked into the interpreter
    instead). Their imports cannot be read, so reaching one reaches every module of
    the installed distribution that ships it, but for its test packages (or, for an
    extension module of the application, every module of its package). The shared
    libraries they need (``ELF DT_NEEDED``) are embedded, from their wheel or, when
    none bundles them and glibc does not provide them, from the build machine
    (``libraries.py``), and listed per extension in load order; ``machine``
    (``x86_64``, default: this machine's) is what every shared object must be built
    for. Every file of the ``.dist-info`` directory of each distribution with a
    module in the set is embedded, but :data:`METADATA_LEFT_OUT`.

    ``on_disk`` names installed distributions (normalized names) whose files are
    not embedded but returned as :attr:`ResourceSet.on_disk`, to be installed
    beside the executable; every module of theirs counts as reached, so that what
    they import is embedded.

    Raises :class:`PyingotError` for a missing entry module or script, an
    ``include`` pattern that matches nothing, an application module that does not
    compile, and a shared object built for another machine. A standard-library or
    dependency module that does not compile is skipped.
    """
    if entry_module is not None and entry_script is not None:
        raise PyingotError(
            "an entry point is either a module or a script, not both",
            hint="give only one of the two",
        )
    if stdlib not in ("reachable", "all"):
        raise PyingotError(
            f"stdlib mode {stdlib!r} is not 'reachable' or 'all'",
            hint="'reachable' collects what the application imports, 'all' every module",
        )
    if optimize not in (0, 1, 2):
        raise PyingotError(
            f"optimize level {optimize} is not one of 0, 1, 2",
            hint="0 keeps asserts and docstrings, 1 drops asserts, 2 drops both",
        )
    app_dirs = [p.absolute() for p in app_paths]
    for d in app_dirs:
        if not d.is_dir():
            raise PyingotError(
                f"application path {_show(d)} is not a directory",
                hint="list the directories that hold the application's packages (often src/)",
            )
    if entry_script is not None:
        entry_script = entry_script.absolute()
        if not entry_script.is_file():
            raise PyingotError(
                f"entry script {_show(entry_script)} not found",
                hint="check the path, relative to the project directory",
            )
        if entry_script.parent not in app_dirs:
            app_dirs.insert(0, entry_script.parent)
    dep_roots = [SearchRoot(p.absolute(), is_dependency=True) for p in dependency_paths]
    roots = [
        *(SearchRoot(p) for p in app_dirs),
        *dep_roots,
        SearchRoot(stdlib_dir.absolute(), is_stdlib=True),
    ]
    dists = [d for r in dep_roots for d in installed_distributions(r.path)]
    by_key = {d.key: d for d in dists}
    for name in on_disk:
        if name not in by_key:
            raise PyingotError(
                f"on-disk distribution {name!r} is not installed",
                hint="name an installed dependency: " + ", ".join(sorted(by_key)),
            )

    with Worker(interpreter) as worker:
        finder = ModuleFinder(roots, worker.facts.extension_suffixes)
        walk = _Reachability(
            finder,
            worker,
            exclude=exclude,
            optimize=optimize,
            test_packages=("test", *test_packages),
            implied=implied or {},
            provided=provided,
            distributions=dists,
        )

        for name in dynamic.interpreter_imports(worker.facts.major_minor):
            walk.reach_pattern(name, importer=None)
        for name in always:
            walk.reach(name, importer=None)

        if entry_module is not None:
            found = finder.find(entry_module)
            if found is None and entry_module not in worker.facts.builtin_modules:
                raise PyingotError(
                    f"entry point module {entry_module!r} not found in {_where(app_paths)}",
                    hint="check its spelling, and that the directory holding it is "
                    "one of the application's paths",
                )
            if matches(entry_module, exclude):
                raise PyingotError(
                    f"entry point module {entry_module!r} is excluded by an exclude pattern",
                    hint="remove the pattern that matches it, or narrow it",
                )
            walk.mains.add(entry_module)
            walk.reach(entry_module, importer=None)
            if found is not None and found.is_package:
                # ``python -m pkg`` runs pkg.__main__.
                walk.mains.add(f"{entry_module}.__main__")
                walk.reach(f"{entry_module}.__main__", importer=None, optional=True)
        elif entry_script is not None:
            origin = _script_origin(entry_script, [p.absolute() for p in app_paths])
            walk.add_script(entry_script, origin)

        if stdlib == "all" or (entry_module is None and entry_script is None):
            left_out = (*EXCLUDED_FROM_ALL, *test_packages)
            stdlib_finder = ModuleFinder(roots[-1:], worker.facts.extension_suffixes)
            for name in stdlib_finder.walk(skip=lambda n: _is_test(n, left_out)):
                walk.reach(name, importer=None)
        if entry_module is None and entry_script is None:
            app_finder = ModuleFinder(roots[: len(app_dirs)], worker.facts.extension_suffixes)
            for name in app_finder.walk():
                walk.reach(name, importer=None)
            for dist in dists:
                walk.reach_distribution(dist, importer=None)
        for name in on_disk:
            walk.reach_distribution(by_key[name], importer=None)

        for pattern in include:
            matched = [n for n in _candidates(finder, pattern) if fnmatch.fnmatchcase(n, pattern)]
            if not matched:
                raise PyingotError(
                    f"include pattern {pattern!r} matches no module in {_where(app_paths)}",
                    hint="check its spelling; patterns match dotted module names "
                    "('email.*' is every module below email)",
                )
            for name in matched:
                walk.reach(name, importer=None)

        walk.run()

    modules = walk.resources(keep_sources=keep_sources)
    data = _collect_data(finder, walk, modules, data_include, data_exclude)
    extensions = walk.extension_resources()

    # ``on-disk`` distributions: their files go beside the executable, whole.
    apart = {by_key[n].name for n in on_disk}
    files = tuple(f for n in sorted(on_disk) for f in _files_of(by_key[n]))
    if apart:
        # With the namespace packages inside their packages (numpy.doc), which no
        # RECORD names.
        packages = {n for n, m in modules.items() if m.distribution in apart and m.is_package}

        def kept(name: str, distribution: str | None) -> bool:
            inside = any(name.startswith(p + ".") for p in packages)
            return distribution not in apart and not inside

        modules = {n: m for n, m in modules.items() if kept(n, m.distribution)}
        extensions = {n: e for n, e in extensions.items() if kept(n, e.distribution)}
        data = tuple(d for d in data if d.package in modules)

    machine = machine or platform.machine()
    relative = {d.root / f: f for d in dists for f in d.files}
    owner = {d.root / f: d.describe() for d in dists for f in d.files}
    linked = []
    for ext in extensions.values():
        path = walk.extensions[ext.name].file.path
        assert path is not None
        try:
            info = elf.parse(ext.data, name=ext.origin)
        except PyingotError as e:
            raise PyingotError(
                f"extension module {ext.name}"
                + (f" (from {ext.distribution})" if ext.distribution else "")
                + f": {e.message}",
                hint=e.hint,
            ) from None
        libraries.check_machine(info, path, machine, relative, owner)
        linked.append(libraries.LinkedObject(ext.name, path, info))
    bundled = libraries.bundled_libraries(
        linked, roots=[r.path for r in dep_roots], machine=machine, relative=relative, owner=owner
    )
    embedded = {m.distribution for m in modules.values()} | {
        e.distribution for e in extensions.values()
    }
    metadata = tuple(
        MetadataResource(d.dist_info, rel, _read(path), d.name)
        for d in dists
        if d.name in embedded
        for rel, path in d.metadata_files()
        if rel not in METADATA_LEFT_OUT
    )
    # A name a collected module puts in sys.modules itself (os.path,
    # collections.abc in 3.13) is not missing.
    skipped = [
        s
        for n, s in sorted(walk.skipped.items())
        if not (s.reason is SkipReason.NOT_FOUND and n in walk.aliases)
    ]
    return ResourceSet(
        modules=MappingProxyType(modules),
        data=data,
        skipped=tuple(skipped),
        builtins=tuple(sorted(walk.builtins)),
        extensions=MappingProxyType(dict(sorted(extensions.items()))),
        shared_libraries=bundled.libraries,
        extension_libraries=MappingProxyType(dict(bundled.load_order)),
        metadata=metadata,
        on_disk=files,
        on_disk_distributions=tuple(sorted(apart)),
        problems=bundled.problems,
    )


def _files_of(dist: InstalledDistribution) -> list[FileResource]:
    """Every file a distribution installed, for installing it beside the executable."""
    out = []
    left_out = {f"{dist.dist_info}/{name}" for name in METADATA_LEFT_OUT}
    for rel in dist.files:
        path = dist.root / rel
        if "__pycache__/" in rel or rel in left_out or not path.is_file():
            continue
        out.append(FileResource(rel, _read(path), executable=os.access(path, os.X_OK)))
    return out


def matches(name: str, patterns: Iterable[str]) -> bool:
    """``name`` or one of its parent packages matches one of ``patterns``."""
    parts = name.split(".")
    prefixes = [".".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatchcase(p, pat) for pat in patterns for p in prefixes)


def _is_test(name: str, packages: Iterable[str]) -> bool:
    return _in_any(name, packages) or any(p in TEST_PACKAGE_NAMES for p in name.split("."))


def _in_any(name: str, packages: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


@dataclass
class _Found:
    file: ModuleFile
    #: The first importer, for messages.
    importer: str | None
    compiled: CompiledModule | None = None
    source: bytes | None = None
    #: For the entry script, compiled as ``__main__`` from outside the roots.
    script_origin: str | None = None


class _Reachability:
    """A breadth-first walk of the import graph, one worker batch per level."""

    def __init__(
        self,
        finder: ModuleFinder,
        worker: Worker,
        *,
        exclude: Sequence[str],
        optimize: int,
        test_packages: Sequence[str],
        implied: Mapping[str, Sequence[str]],
        provided: Sequence[str],
        distributions: Sequence[InstalledDistribution] = (),
    ) -> None:
        self.finder = finder
        #: Which installed distribution each installed file belongs to.
        self.owners: dict[Path, InstalledDistribution] = {
            d.root / f: d for d in distributions for f in d.files
        }
        #: Compiled extension modules, embedded as they are.
        self.extensions: dict[str, _Found] = {}
        #: Distributions every module of which has been reached.
        self._whole: set[str] = set()
        self._installed = {d.key: d for d in distributions}
        self.worker = worker
        self.facts: InterpreterFacts = worker.facts
        self.exclude = tuple(exclude)
        self.optimize = optimize
        self.test_packages = tuple(test_packages)
        #: Modules run as ``__main__``, whose main-only imports are followed.
        self.mains: set[str] = {MAIN}
        #: Names modules put in ``sys.modules`` themselves.
        self.aliases: set[str] = set()
        self.implicit = dict(dynamic.implicit_imports(self.facts.major_minor))
        for name, targets in implied.items():
            self.implicit[name] = (*self.implicit.get(name, ()), *targets)
        #: Modules the caller's runtime supplies (pyingot's built-in _pyingot).
        self.provided = frozenset(provided)
        self.found: dict[str, _Found] = {}
        self.builtins: set[str] = set()
        self.skipped: dict[str, SkippedModule] = {}
        self._seen: set[str] = set()
        self._pending: list[str] = []
        #: Packages star-imported before their ``__all__`` was known.
        self._star_imported: set[str] = set()

    # -- reaching names -------------------------------------------------------

    def reach(self, name: str, *, importer: str | None, optional: bool = False) -> None:
        """Add ``name`` (and its parent packages) to the walk.

        ``optional`` is for names that may be attributes rather than modules
        (``from a import b``): when not found they are dropped silently.
        """
        if not name or name in self._seen:
            return
        parent = name.rpartition(".")[0]
        if parent:
            self.reach(parent, importer=importer)
        # Below a skipped package, only the package is reported.
        parts = name.split(".")
        under_skipped = any(".".join(parts[:i]) in self.skipped for i in range(1, len(parts)))
        if matches(name, self.exclude):
            self._seen.add(name)
            if not under_skipped:
                self.skipped[name] = SkippedModule(name, SkipReason.EXCLUDED, importer)
            return
        if (
            name in self.facts.builtin_modules
            or name in self.provided
            or (dynamic.FROZEN_ALIASES.get(name) in self.facts.frozen_modules)
        ):
            self._seen.add(name)
            self.builtins.add(name)
            self._implicit(name)
            return
        found = self.finder.find(name)
        if found is None:
            if name in self.facts.frozen_modules:
                self._seen.add(name)
                self.builtins.add(name)
            elif not optional:
                self._seen.add(name)
                if not under_skipped:
                    self.skipped[name] = SkippedModule(name, SkipReason.NOT_FOUND, importer)
            return
        self._seen.add(name)
        if found.kind is ModuleKind.EXTENSION:
            if found.root.is_stdlib:
                # The standard library's extension modules are linked into the
                # interpreter; those left in lib-dynload are its test modules.
                self.skipped[name] = SkippedModule(
                    name, SkipReason.EXTENSION, importer, detail=_show(found.path)
                )
                return
            self.extensions[name] = _Found(found, importer)
            self._extension_imports(name, found)
            return
        self.found[name] = _Found(found, importer)
        self._pending.append(name)
        self._implicit(name)

    def reach_pattern(self, pattern: str, *, importer: str | None) -> None:
        """Reach a name or a ``dynamic.py`` pattern (``"pkg.*"``, ``"_sysconfigdata_*"``)."""
        if pattern.endswith(".*"):
            package = pattern[:-2]
            self.reach(package, importer=importer)
            if package in self.found:
                for name in self.finder.walk(package):
                    self.reach(name, importer=importer)
        elif any(c in pattern for c in "*?["):
            parent = pattern.rpartition(".")[0]
            for name in self.finder.children(parent or None):
                if fnmatch.fnmatchcase(name, pattern):
                    self.reach(name, importer=importer)
        else:
            self.reach(pattern, importer=importer, optional=True)

    def _extension_imports(self, name: str, found: ModuleFile) -> None:
        """What an extension module may import, since its imports cannot be read.

        The whole distribution that ships it: compiled code imports its own
        package's Python modules from C (numpy's ``_multiarray_umath`` imports a
        dozen), and a distribution is the unit its authors test together. For an
        extension module of the application, its package's modules.
        """
        owner = self.owners.get(found.path) if found.path is not None else None
        if owner is not None:
            self.reach_distribution(owner, importer=name)
            # Its compiled code imports its dependencies from C too (black's
            # mypyc modules import platformdirs, click...): their top-level
            # modules are reached, and the analysis follows them from there.
            for required in _required_distributions(owner, self._installed):
                for module in required.module_names(self.facts.extension_suffixes):
                    if "." not in module:
                        self.reach(module, importer=name)
            return
        parent = name.rpartition(".")[0]
        if parent:
            for child in self.finder.children(parent):
                self.reach(child, importer=name)

    def reach_distribution(self, dist: InstalledDistribution, *, importer: str | None) -> None:
        """Reach every module an installed distribution ships, but its test packages."""
        if dist.key in self._whole:
            return
        self._whole.add(dist.key)
        tagged = tuple(s for s in self.facts.extension_suffixes if s != ".so")
        for module in dist.module_names(self.facts.extension_suffixes):
            if any(part in TEST_PACKAGE_NAMES for part in module.split(".")):
                continue
            found = self.finder.find(module)
            if found is None or found.path is None or self.owners.get(found.path) is not dist:
                continue  # shadowed by a module of the application
            if found.kind is ModuleKind.EXTENSION and not found.path.name.endswith(tagged):
                # A bare ``.so`` may be a library rather than a module: only one
                # that exports its PyInit function is a module.
                try:
                    exports = elf.read_file(found.path).py_init
                except PyingotError:
                    continue
                tail = module.rpartition(".")[2]
                if exports is not None and f"PyInit_{tail}" not in exports:
                    continue
            self.reach(module, importer=importer)

    def _implicit(self, name: str) -> None:
        for target in self.implicit.get(name, ()):
            self.reach_pattern(target, importer=name)

    def add_script(self, path: Path, origin: str) -> None:
        file = ModuleFile(MAIN, ModuleKind.SOURCE, path, SearchRoot(path.parent))
        self._seen.add(MAIN)
        self.found[MAIN] = _Found(file, importer=None, script_origin=origin)
        self._pending.append(MAIN)

    # -- the walk ---------------------------------------------------------------

    def run(self) -> None:
        while self._pending:
            batch = sorted(self._pending)
            self._pending = []
            requests = []
            for name in batch:
                entry = self.found[name]
                if entry.file.kind is ModuleKind.NAMESPACE:
                    continue
                assert entry.file.path is not None
                entry.source = _read(entry.file.path)
                requests.append(CompileRequest(name, self._origin(name), entry.source))
            for compiled in self.worker.compile(requests, optimize=self.optimize):
                self._record(compiled)

    def _origin(self, name: str) -> str:
        entry = self.found[name]
        return entry.script_origin or entry.file.origin

    def _record(self, compiled: CompiledModule) -> None:
        name = compiled.name
        entry = self.found[name]
        if compiled.error is not None:
            assert entry.file.path is not None
            # Not the user's code to fix: a dependency's file that does not compile
            # for this Python (a Python 2 leftover, a template) is left out.
            if entry.file.root.is_stdlib or entry.file.root.is_dependency:
                self.skipped[name] = SkippedModule(
                    name,
                    SkipReason.SYNTAX_ERROR,
                    entry.importer,
                    detail=compiled.error.describe(self._origin(name)),
                )
                del self.found[name]
                return
            err = compiled.error
            raise PyingotError(
                f"{err.kind} in {err.describe(_show(entry.file.path))}"
                + (f"\n    {err.text.strip()}" if err.text.strip() else ""),
                hint=f"fix module {name!r}, or leave it out with an exclude pattern",
            )
        entry.compiled = compiled
        package = name if entry.file.is_package else name.rpartition(".")[0]
        self.aliases.update(compiled.aliases)
        # The standard library's own test helpers import its test suite
        # (multiprocessing.util imports test.support); that is not followed.
        from_stdlib = entry.file.root.is_stdlib and not _is_test(name, self.test_packages)
        for stmt in compiled.imports:
            if stmt.main_only and name not in self.mains:
                continue
            self._follow(stmt, name, package, from_stdlib=from_stdlib)
        for dyn in compiled.dynamic_imports:
            level = len(dyn) - len(dyn.lstrip("."))
            self._follow(
                ImportStatement(level, dyn[level:]), name, package, from_stdlib=from_stdlib
            )
        for feature in sorted(compiled.features):
            for target in dynamic.FEATURE_IMPORTS.get(feature, ()):
                self.reach(target, importer=name)
        if name in self._star_imported:
            self._star_targets(name)

    def _follow(
        self, stmt: ImportStatement, importer: str, package: str, *, from_stdlib: bool
    ) -> None:
        if stmt.level:
            base = _resolve_relative(package, stmt.level, stmt.module)
            if base is None:  # beyond the top-level package: an ImportError at run time
                return
        else:
            base = stmt.module
        if from_stdlib and _is_test(base, self.test_packages):
            return
        if base:
            self.reach(base, importer=importer)
        for attr in stmt.names:
            if attr == "*":
                self._star_imported.add(base)
                if base in self.found and self.found[base].compiled is not None:
                    self._star_targets(base)
            else:
                self.reach(f"{base}.{attr}" if base else attr, importer=importer, optional=True)

    def _star_targets(self, package: str) -> None:
        # ``from pkg import *`` imports the submodules named in pkg.__all__.
        entry = self.found.get(package)
        if entry is None or entry.compiled is None or not entry.file.is_package:
            return
        for attr in entry.compiled.all_names or ():
            self.reach(f"{package}.{attr}", importer=package, optional=True)

    # -- results ----------------------------------------------------------------

    def _distribution(self, file: ModuleFile) -> str | None:
        owner = self.owners.get(file.path) if file.path is not None else None
        return owner.name if owner is not None else None

    def resources(self, *, keep_sources: bool) -> dict[str, ModuleResource]:
        modules: dict[str, ModuleResource] = {}
        for name in sorted(self.found):
            entry = self.found[name]
            file = entry.file
            if file.is_namespace:
                modules[name] = ModuleResource(
                    name=name,
                    is_package=True,
                    is_namespace=True,
                    bytecode=b"",
                    source=None,
                    origin=file.origin,
                    is_stdlib=file.root.is_stdlib,
                    is_dependency=file.root.is_dependency,
                )
                continue
            assert entry.compiled is not None
            modules[name] = ModuleResource(
                name=name,
                is_package=file.is_package,
                is_namespace=False,
                bytecode=entry.compiled.bytecode,
                source=entry.source if keep_sources else None,
                origin=self._origin(name),
                is_stdlib=file.root.is_stdlib,
                is_dependency=file.root.is_dependency,
                distribution=self._distribution(file),
            )
        return modules

    def extension_resources(self) -> dict[str, ExtensionResource]:
        out = {}
        for name in sorted(self.extensions):
            file = self.extensions[name].file
            assert file.path is not None
            out[name] = ExtensionResource(
                name=name,
                data=_read(file.path),
                origin=file.origin,
                is_package=file.is_package,
                is_dependency=file.root.is_dependency,
                distribution=self._distribution(file),
            )
        return out


def _resolve_relative(package: str, level: int, module: str) -> str | None:
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or not parts:
        return None
    base = parts[: len(parts) - (level - 1)]
    if not base:
        return None
    return ".".join([*base, module] if module else base)


def _candidates(finder: ModuleFinder, pattern: str) -> list[str]:
    """Every module name ``pattern`` could match, walking as little as possible."""
    literal: list[str] = []
    for segment in pattern.split("."):
        if any(c in segment for c in "*?["):
            break
        literal.append(segment)
    else:
        return [pattern] if finder.find(pattern) is not None else []
    # fnmatch's "*" crosses dots, so the last literal segment may be a prefix
    # ("email.mi*" can match "email.mime.text"); walk from the package before it.
    start = ".".join(literal)
    while start and finder.find(start) is None:
        start = start.rpartition(".")[0]
    return list(finder.walk(start or None))


def _collect_data(
    finder: ModuleFinder,
    walk: _Reachability,
    modules: Mapping[str, ModuleResource],
    data_include: Sequence[str],
    data_exclude: Sequence[str],
) -> tuple[DataResource, ...]:
    data: list[DataResource] = []
    # A module found in a directory that is not a package (a namespace
    # package's) is code, not also its ancestor's data.
    code_files = {walk.found[n].file.path for n in modules}
    for name, module in modules.items():
        if not module.is_package:
            continue
        parent = name.rpartition(".")[0]
        if module.is_namespace and parent in modules:
            continue  # its files are already its parent package's data
        for rel, path in finder.package_data(walk.found[name].file):
            if path in code_files:
                continue
            if module.is_dependency and any(
                part in TEST_PACKAGE_NAMES for part in rel.split("/")[:-1]
            ):
                continue  # a dependency's test suite, as its test packages are left out
            key = f"{name}/{rel}"
            if data_include and not any(fnmatch.fnmatchcase(key, p) for p in data_include):
                continue
            if any(fnmatch.fnmatchcase(key, p) for p in data_exclude):
                continue
            data.append(DataResource(name, rel, _read(path)))
    return tuple(data)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise PyingotError(f"cannot read {_show(path)} ({e.strerror or e})") from e


def _show(path: Path | None) -> str:
    """A path as the user would type it: relative to the working directory if inside it."""
    if path is None:
        return "?"
    try:
        return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def _where(app_paths: Sequence[Path]) -> str:
    shown = [_show(p.absolute()).rstrip("/") + "/" for p in app_paths]
    if not shown:
        return "the standard library"
    if len(shown) == 1:
        return f"{shown[0]} or the standard library"
    return f"{', '.join(shown)} or the standard library"


def _script_origin(script: Path, app_dirs: Sequence[Path]) -> str:
    for d in app_dirs:
        if script.is_relative_to(d):
            return script.relative_to(d).as_posix()
    return script.name


def _required_distributions(
    dist: InstalledDistribution, installed: Mapping[str, InstalledDistribution]
) -> list[InstalledDistribution]:
    """The installed distributions ``dist`` declares it requires (Requires-Dist).

    Requirements only for extras are left out; pip installed exactly those
    whose markers held, so "installed" is the test for the others.
    """
    try:
        text = (dist.root / dist.dist_info / "METADATA").read_text(errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        if not line.startswith("Requires-Dist:"):
            if not line.strip():
                break  # the headers end at the first blank line
            continue
        spec, _, marker = line[len("Requires-Dist:") :].partition(";")
        if "extra" in marker:
            continue
        name = re.split(r"[\s\[\(<>=!~;]", spec.strip(), maxsplit=1)[0]
        found = installed.get(normalize_distribution_name(name))
        if found is not None and found is not dist:
            out.append(found)
    return out
