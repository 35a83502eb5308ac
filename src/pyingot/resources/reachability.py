"""Follow the import graph from the modules a build starts with.

A breadth-first walk: each level's modules are compiled in one batch by the
target interpreter (``compile.py``), which reports the imports it saw; those are
reached in turn. What a reached name is (a module to embed, one built in, one to
leave out and why) is the policy's to say (``policy.py``); this module only
follows, and records what it met.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyingot import elf, names
from pyingot.errors import PyingotError
from pyingot.resources import dynamic, hooks, mentions, policy
from pyingot.resources.compile import CompiledModule, CompileRequest, ImportStatement, Worker
from pyingot.resources.model import ExtensionResource, ModuleResource, SkippedModule, SkipReason
from pyingot.resources.policy import MAIN, KeepSources, Policy, keeps_source
from pyingot.resources.scan import (
    InstalledDistribution,
    ModuleFile,
    ModuleFinder,
    ModuleKind,
    SearchRoot,
    map_file,
    read_file,
    show,
)


@dataclass
class _Found:
    file: ModuleFile
    #: The first importer, for messages.
    importer: str | None
    compiled: CompiledModule | None = None
    source: bytes | None = None
    #: For the entry script, compiled as ``__main__`` from outside the roots.
    script_origin: str | None = None


class Reachability:
    """A breadth-first walk of the import graph, one worker batch per level."""

    def __init__(
        self,
        finder: ModuleFinder,
        worker: Worker,
        decide: Policy,
        *,
        optimize: int,
        keep_sources: KeepSources = True,
        implied: Mapping[str, Sequence[str]],
        distributions: Sequence[InstalledDistribution] = (),
    ) -> None:
        self.finder = finder
        self.policy = decide
        #: Which installed distribution each installed file belongs to, and its path
        #: inside the distribution's root, by the file's path as a string: numpy's
        #: 1,031 files as Path keys took 5 ms to make and hash, and were made twice more
        #: for the libraries (collect.py).
        self.installed: dict[str, tuple[InstalledDistribution, str]] = {
            os.path.join(d.root, f): (d, f) for d in distributions for f in d.files
        }
        #: Compiled extension modules, embedded as they are.
        self.extensions: dict[str, _Found] = {}
        #: Distributions every module of which has been reached.
        self._whole: set[str] = set()
        self.distributions = tuple(distributions)
        self._installed = {d.key: d for d in distributions}
        self.worker = worker
        self.facts = worker.facts
        self.optimize = optimize
        self.keep_sources = keep_sources
        #: Modules run as ``__main__``, whose main-only imports are followed.
        self.mains: set[str] = {MAIN}
        #: What the walk had found before the application's roots were reached
        #: (set by the caller: :attr:`ResourceSet.core`).
        self.core: frozenset[str] = frozenset()
        #: Names modules put in ``sys.modules`` themselves.
        self.aliases: set[str] = set()
        self.implicit = dict(dynamic.implicit_imports(self.facts.major_minor))
        for name, targets in implied.items():
            self.implicit[name] = (*self.implicit.get(name, ()), *targets)
        #: The PyInstaller hooks the distributions ship (hooks.py): their hidden
        #: imports are implicit ones, their excluded imports edges not followed.
        self.hooks = hooks.package_hooks(distributions)
        for hook in self.hooks.values():
            if hook.hidden:
                self.implicit[hook.module] = (*self.implicit.get(hook.module, ()), *hook.hidden)
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
        hook = self._excluding_hook(name, importer)
        if hook is not None:
            # Not seen: another importer may still reach it.
            if name not in self.skipped and not self._under_skipped(name):
                self.skipped[name] = SkippedModule(
                    name,
                    SkipReason.HOOK_EXCLUDED,
                    importer,
                    detail=f"excludedimports of {hook.distribution}'s hook for {hook.module}",
                )
            return
        if name in self.skipped and self.skipped[name].reason is SkipReason.HOOK_EXCLUDED:
            del self.skipped[name]
        parent = name.rpartition(".")[0]
        if parent:
            self.reach(parent, importer=importer)
        if self.policy.excluded(name):
            self._seen.add(name)
            if not self._under_skipped(name):
                self.skipped[name] = SkippedModule(name, SkipReason.EXCLUDED, importer)
            return
        if self.policy.built_in(name):
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
                if not self._under_skipped(name):
                    reason = (
                        SkipReason.OTHER_PLATFORM
                        if policy.of_other_platform(name)
                        else SkipReason.NOT_FOUND
                    )
                    self.skipped[name] = SkippedModule(name, reason, importer)
            return
        self._seen.add(name)
        if found.kind is ModuleKind.EXTENSION:
            if not self.policy.embeds_extension(found):
                self.skipped[name] = SkippedModule(
                    name, SkipReason.EXTENSION, importer, detail=show(found.path)
                )
                return
            self.extensions[name] = _Found(found, importer)
            self._extension_imports(name, found)
            return
        self.found[name] = _Found(found, importer)
        self._pending.append(name)
        self._implicit(name)

    def _excluding_hook(self, name: str, importer: str | None) -> hooks.Hook | None:
        """The hook of ``importer``'s package that excludes importing ``name``."""
        if importer is None or not self.hooks:
            return None
        return next(
            (h for h in self.hooks.values() if h.covers(importer) and h.excludes(name)), None
        )

    def _under_skipped(self, name: str) -> bool:
        """Below a skipped package, only the package is reported."""
        parts = name.split(".")
        return any(".".join(parts[:i]) in self.skipped for i in range(1, len(parts)))

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
        owner = self.owner(found.path)
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
            if policy.is_test(module):
                continue
            found = self.finder.find(module)
            if found is None or found.path is None or self.owner(found.path) is not dist:
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
                entry.source = read_file(entry.file.path)
                requests.append(
                    CompileRequest(
                        name, self._origin(name), entry.source, columns=self._keeps_source(entry)
                    )
                )
            for compiled in self.worker.compile(requests, optimize=self.optimize):
                self._record(compiled)

    def _keeps_source(self, entry: _Found) -> bool:
        return keeps_source(self.keep_sources, is_stdlib=entry.file.root.is_stdlib)

    def _origin(self, name: str) -> str:
        entry = self.found[name]
        return entry.script_origin or entry.file.origin

    def _record(self, compiled: CompiledModule) -> None:
        name = compiled.name
        entry = self.found[name]
        if compiled.error is not None:
            assert entry.file.path is not None
            err = compiled.error
            if policy.tolerates_compile_error(entry.file.root):
                self.skipped[name] = SkippedModule(
                    name,
                    SkipReason.SYNTAX_ERROR,
                    entry.importer,
                    detail=err.describe(self._origin(name)),
                )
                del self.found[name]
                return
            raise PyingotError(
                f"{err.kind} in {err.describe(show(entry.file.path))}"
                + (f"\n    {err.text.strip()}" if err.text.strip() else ""),
                hint=f"fix module {name!r}, or leave it out with an exclude pattern",
            )
        entry.compiled = compiled
        package = name if entry.file.is_package else name.rpartition(".")[0]
        self.aliases.update(compiled.aliases)
        for stmt in compiled.imports:
            if stmt.main_only and name not in self.mains:
                continue
            self._follow(stmt, entry.file, package)
        for dyn in compiled.dynamic_imports:
            level = len(dyn) - len(dyn.lstrip("."))
            self._follow(ImportStatement(level, dyn[level:]), entry.file, package)
        for feature in sorted(compiled.features):
            for target in dynamic.FEATURE_IMPORTS.get(feature, ()):
                self.reach(target, importer=name)
        if name in self._star_imported:
            self._star_targets(name)

    def _base(self, stmt: ImportStatement, importer: ModuleFile, package: str) -> str | None:
        """The absolute module an import statement names, or ``None`` when it is not
        followed (or fails at run time)."""
        if stmt.level:
            base = _resolve_relative(package, stmt.level, stmt.module)
            if base is None:  # beyond the top-level package: an ImportError at run time
                return None
        else:
            base = stmt.module
        if not self.policy.follows(importer, base):
            return None
        if any(all(self.policy.linked(m) for m in guard) for guard in stmt.guards):
            return None  # a fallback for built-in modules the executable has
        return base

    def _follow(self, stmt: ImportStatement, importer: ModuleFile, package: str) -> None:
        base = self._base(stmt, importer, package)
        if base is None:
            return
        if base:
            self.reach(base, importer=importer.name)
        for attr in stmt.names:
            if attr == "*":
                self._star_imported.add(base)
                if base in self.found and self.found[base].compiled is not None:
                    self._star_targets(base)
            else:
                name = f"{base}.{attr}" if base else attr
                self.reach(name, importer=importer.name, optional=True)

    def _star_targets(self, package: str) -> None:
        # ``from pkg import *`` imports the submodules named in pkg.__all__.
        entry = self.found.get(package)
        if entry is None or entry.compiled is None or not entry.file.is_package:
            return
        for attr in entry.compiled.all_names or ():
            self.reach(f"{package}.{attr}", importer=package, optional=True)

    # -- start-up -----------------------------------------------------------------

    def imported_at_start(
        self,
        roots: Sequence[str],
        *,
        entry_function: str | None = None,
        through_compiled: bool = True,
    ) -> frozenset[str]:
        """The reached modules that importing ``roots`` imports, as far as the
        statements show: the closure of the imports that run when a module is
        imported (not those in function bodies or ``except`` clauses, nor a
        module's ``__main__`` block unless it is run as ``__main__``), with the
        parent packages, the imports C code and language features make
        (``dynamic.py``, names only, not patterns) and literal ``__import__``
        calls; and the imports in the module's top-level functions that its own
        code names at its top level, directly or through one another (``hashlib``
        calls ``__get_builtin_constructor`` as it is imported, which imports
        ``_blake2``). In a module run as ``__main__`` (the entry point), also
        those of ``entry_function`` and of the functions its ``if __name__ ==
        "__main__"`` block names (``main()``), and of those these name: they are
        what the program runs first. Calls into other modules' functions are not
        followed: their imports are the program's lazy ones. But the attributes that
        code reads from the modules it imported count when they are submodules
        (``np.random``: numpy's ``__getattr__`` imports it when it is first read).

        Compiled code cannot be read as statements: what a wheel's extension
        module imports from C or Cython (numpy's random modules import ``secrets``,
        Cython 3.1 modules ``zlib`` to unpack their strings) is taken from its
        strings instead, the reached modules they name (:mod:`mentions`, an
        over-approximation). With ``through_compiled=False`` the closure follows
        only what statements show."""
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            name = stack.pop()
            if not name or name in seen or name not in self._seen:
                continue
            seen.add(name)
            parent = name.rpartition(".")[0]
            if parent:
                stack.append(parent)
            stack.extend(t for t in self.implicit.get(name, ()) if not any(c in t for c in "*?["))
            if name in self.extensions:
                if through_compiled:
                    stack.extend(self._mentioned(name))
                continue
            entry = self.found.get(name)
            if entry is None or entry.compiled is None:
                continue
            compiled = entry.compiled
            is_main = name in self.mains
            first = ["<module>"]
            if is_main:
                first += ["<main>", *([entry_function.split(".")[0]] if entry_function else [])]
            called = _called(compiled.references, first) | set(first[2:])
            run = {f"function:{f}" for f in called}
            # np.random, read where it runs: numpy imports the submodule then.
            for region in (*first, *called):
                stack.extend(compiled.attributes.get(region, ()))
            package = name if entry.file.is_package else name.rpartition(".")[0]
            for stmt in compiled.imports:
                if stmt.main_only and not is_main:
                    continue
                if stmt.deferred and stmt.deferred not in run:
                    continue
                base = self._base(stmt, entry.file, package)
                if base is None:
                    continue
                stack.append(base)
                stack.extend(f"{base}.{a}" if base else a for a in stmt.names if a != "*")
                if "*" in stmt.names:
                    target = self.found.get(base)
                    names = target.compiled.all_names if target and target.compiled else None
                    stack.extend(f"{base}.{a}" for a in names or ())
            for dyn in compiled.dynamic_imports:
                level = len(dyn) - len(dyn.lstrip("."))
                base = self._base(ImportStatement(level, dyn[level:]), entry.file, package)
                if base is not None:
                    stack.append(base)
            for feature in compiled.features:
                stack.extend(dynamic.FEATURE_IMPORTS.get(feature, ()))
        return frozenset(seen)

    def _mentioned(self, name: str) -> frozenset[str]:
        """The reached modules the compiled module ``name``'s strings name."""
        path = self.extensions[name].file.path
        if path is None:
            return frozenset()
        return mentions.mentioned(path, self._seen)

    # -- results ----------------------------------------------------------------

    def owner(self, path: Path | None) -> InstalledDistribution | None:
        """The installed distribution the file at ``path`` belongs to, if any."""
        hit = self.installed.get(str(path)) if path is not None else None
        return hit[0] if hit is not None else None

    def _distribution(self, file: ModuleFile) -> str | None:
        owner = self.owner(file.path)
        return owner.name if owner is not None else None

    def resources(self) -> dict[str, ModuleResource]:
        modules: dict[str, ModuleResource] = {}
        for name in sorted(self.found):
            entry = self.found[name]
            file = entry.file
            # A namespace package has no code, no source and no distribution.
            compiled = entry.compiled
            assert file.is_namespace or compiled is not None
            modules[name] = ModuleResource(
                name=name,
                is_package=file.is_package,
                is_namespace=file.is_namespace,
                bytecode=compiled.bytecode if compiled is not None else b"",
                source=entry.source if compiled is not None and self._keeps_source(entry) else None,
                origin=self._origin(name),
                is_stdlib=file.root.is_stdlib,
                is_dependency=file.root.is_dependency,
                distribution=None if file.is_namespace else self._distribution(file),
            )
        return modules

    def extension_resources(self) -> dict[str, ExtensionResource]:
        out = {}
        for name in sorted(self.extensions):
            file = self.extensions[name].file
            assert file.path is not None
            out[name] = ExtensionResource(
                name=name,
                data=map_file(file.path),
                origin=file.origin,
                is_package=file.is_package,
                # The standard library's only compiled modules on disk are lib-dynload's.
                lib_dynload=file.root.is_stdlib,
                is_dependency=file.root.is_dependency,
                distribution=self._distribution(file),
            )
        return out


def _called(references: Mapping[str, Sequence[str]], first: Sequence[str]) -> set[str]:
    """The top-level functions that running the regions ``first`` may call, through
    one another (``references``: what each region's code names)."""
    out: set[str] = set()
    todo = list(first)
    while todo:
        region = todo.pop()
        for name in references.get(region, ()):
            if name not in out:
                out.add(name)
                todo.append(name)
    return out


def _resolve_relative(package: str, level: int, module: str) -> str | None:
    parts = package.split(".") if package else []
    if level - 1 > len(parts) or not parts:
        return None
    base = parts[: len(parts) - (level - 1)]
    if not base:
        return None
    return ".".join([*base, module] if module else base)


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
        found = installed.get(names.normalize(name))
        if found is not None and found is not dist:
            out.append(found)
    return out
