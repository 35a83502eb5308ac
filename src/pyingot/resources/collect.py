"""The resources stage: a :class:`CollectRequest` in, a :class:`ResourceSet` out.

Finding (``scan.py``), following imports (``reachability.py``), the files that
are not code (``data.py``) and the decisions (``policy.py``) are each their own
module; this one puts them in order. Compiled extension modules found in the
application's or the dependencies' paths are embedded (the standard library's are
linked into the interpreter instead), with the shared libraries they need
(``libraries.py``) listed per extension in load order. Every file of the
``.dist-info`` directory of each distribution with a module in the set is
embedded, but :data:`~pyingot.resources.policy.METADATA_LEFT_OUT`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from pyingot import elf
from pyingot.errors import InternalError, PyingotError
from pyingot.resources import data, dynamic, libraries, policy
from pyingot.resources.compile import Worker
from pyingot.resources.model import ExtensionResource, ResourceSet, SkipReason
from pyingot.resources.policy import Policy
from pyingot.resources.reachability import Reachability
from pyingot.resources.request import RUNTIME_HELPERS, CollectRequest
from pyingot.resources.scan import (
    InstalledDistribution,
    ModuleFinder,
    SearchRoot,
    installed_distributions,
    show,
)


def collect(request: CollectRequest) -> ResourceSet:
    """Find, choose and compile an application's modules and package data.

    Raises :class:`PyingotError` for a missing or excluded entry module, a
    ``module:function`` entry whose module defines no such function, an
    ``include`` pattern that matches nothing, an application module that does
    not compile, and a shared object built for another machine. A
    standard-library or dependency module that does not compile is skipped.
    """
    app_dirs = [p.absolute() for p in request.app_paths]
    script = request.entry_script.absolute() if request.entry_script is not None else None
    if script is not None and script.parent not in app_dirs:
        app_dirs.insert(0, script.parent)
    dep_roots = [SearchRoot(p.absolute(), is_dependency=True) for p in request.dependency_paths]
    roots = [
        *(SearchRoot(p) for p in app_dirs),
        *dep_roots,
        # The extension modules the distribution builds only as shared libraries;
        # embedded when included (policy.Policy.embeds_extension).
        *(
            [SearchRoot(request.stdlib_dir.absolute() / "lib-dynload", is_stdlib=True)]
            if request.shared_extensions
            else []
        ),
        # Last: the walk of stdlib="all" reads it as roots[-1].
        SearchRoot(request.stdlib_dir.absolute(), is_stdlib=True),
    ]
    dists = [d for r in dep_roots for d in installed_distributions(r.path)]
    by_key = {d.key: d for d in dists}
    missing = [name for name in request.on_disk if name not in by_key]
    if missing:
        raise InternalError(f"on-disk distributions not installed (dependencies checks): {missing}")
    on_disk = [by_key[name] for name in sorted(request.on_disk)]

    with Worker(request.interpreter) as worker:
        finder = ModuleFinder(roots, worker.facts.extension_suffixes)
        decide = Policy(
            worker.facts,
            exclude=tuple(request.exclude),
            test_packages=("test", *request.test_packages),
            provided=frozenset(request.provided),
            unlinked=frozenset(request.unlinked),
            frozen_sources=request.stdlib == "all" or request.python_like,
            shared_extensions=frozenset(request.shared_extensions),
        )
        walk = Reachability(
            finder,
            worker,
            decide,
            optimize=request.optimize,
            keep_sources=request.keep_sources,
            implied=request.implied,
            distributions=dists,
        )
        _start(walk, request, app_roots=roots[: len(app_dirs)], script=script, on_disk=on_disk)
        walk.run()

    modules = walk.resources()
    package_data = data.package_data(finder, modules, {n: walk.found[n].file for n in modules})
    extensions = walk.extension_resources()

    # ``on-disk`` distributions: their files go beside the executable, whole.
    apart = {d.name for d in on_disk}
    if apart:
        # With the namespace packages inside their packages (numpy.doc), which no
        # RECORD names.
        packages = {n for n, m in modules.items() if m.distribution in apart and m.is_package}

        def kept(name: str, distribution: str | None) -> bool:
            inside = any(name.startswith(p + ".") for p in packages)
            return distribution not in apart and not inside

        modules = {n: m for n, m in modules.items() if kept(n, m.distribution)}
        extensions = {n: e for n, e in extensions.items() if kept(n, e.distribution)}
        package_data = tuple(d for d in package_data if d.package in modules)

    bundled = _shared_libraries(extensions, walk, dists, dep_roots, request)
    embedded = {m.distribution for m in modules.values()} | {
        e.distribution for e in extensions.values()
    }
    # A name a collected module puts in sys.modules itself (os.path,
    # collections.abc in 3.13) is not missing.
    skipped = [
        s
        for n, s in sorted(walk.skipped.items())
        if not (s.reason is SkipReason.NOT_FOUND and n in walk.aliases)
    ]
    result = ResourceSet(
        modules=MappingProxyType(modules),
        data=package_data,
        skipped=tuple(skipped),
        builtins=tuple(sorted(walk.builtins)),
        core=walk.core,
        at_start=walk.imported_at_start(
            _startup_roots(walk, request), entry_function=request.entry_function
        ),
        python_at_start=walk.imported_at_start(
            _startup_roots(walk, request),
            entry_function=request.entry_function,
            through_compiled=False,
        ),
        extensions=MappingProxyType(dict(sorted(extensions.items()))),
        shared_libraries=bundled.libraries,
        extension_libraries=MappingProxyType(dict(bundled.load_order)),
        metadata=data.metadata(dists, embedded),
        on_disk=tuple(f for d in on_disk for f in data.distribution_files(d)),
        on_disk_distributions=tuple(sorted(apart)),
        problems=(
            *(
                f"{s.name}: not in this distribution: {request.unavailable[s.name]}"
                for s in skipped
                if s.reason is SkipReason.NOT_FOUND and s.name in request.unavailable
            ),
            *bundled.problems,
        ),
        left_to_system=bundled.left_to_system,
    )
    check_entry_function(request, result)
    return result


def _start(
    walk: Reachability,
    request: CollectRequest,
    *,
    app_roots: Sequence[SearchRoot],
    script: Path | None,
    on_disk: Sequence[InstalledDistribution],
) -> None:
    """Reach what the walk starts from: the interpreter's own imports, the entry
    point, and what the settings add."""
    finder, facts = walk.finder, walk.facts
    for name in dynamic.interpreter_imports(facts.major_minor):
        walk.reach_pattern(name, importer=None)
    for name in request.always:
        walk.reach(name, importer=None)
    # What any application of this distribution and these settings reaches: the
    # compression dictionary is trained from it alone, so that an edit reaching more of
    # the standard library keeps it, and with it every stored blob (assemble).
    walk.run()
    walk.core = frozenset(walk.found)
    for name in request.shared_extensions:
        walk.reach(name, importer=None)

    where = _where(request.app_paths)
    entry = request.entry_module
    if entry is not None:
        walk.policy.check_entry_module(finder, entry, where)
        walk.mains.add(entry)
        walk.reach(entry, importer=None)
        found = finder.find(entry)
        if found is not None and found.is_package:
            # ``python -m pkg`` runs pkg.__main__.
            walk.mains.add(f"{entry}.__main__")
            walk.reach(f"{entry}.__main__", importer=None, optional=True)
    elif script is not None:
        origin = _script_origin(script, [p.absolute() for p in request.app_paths])
        walk.add_script(script, origin)

    if request.stdlib == "all" or request.python_like:
        stdlib = ModuleFinder(walk.finder.roots[-1:], facts.extension_suffixes)
        for name in stdlib.walk(skip=lambda n: not walk.policy.in_stdlib_all(n)):
            walk.reach(name, importer=None)
    if request.python_like:
        for name in ModuleFinder(app_roots, facts.extension_suffixes).walk():
            walk.reach(name, importer=None)
        for dist in walk.distributions:
            walk.reach_distribution(dist, importer=None)
    for dist in on_disk:
        walk.reach_distribution(dist, importer=None)

    for pattern in request.include:
        for name in policy.included(finder, pattern, where):
            walk.reach(name, importer=None)


def _startup_roots(walk: Reachability, request: CollectRequest) -> list[str]:
    """What runs at start: the interpreter's start-up imports, the runtime's
    modules (``always``) but the helpers its finder imports only when asked for
    resources or metadata, and the entry point (every module run as ``__main__``)."""
    helpers = set(RUNTIME_HELPERS.values())
    always = [name for name in request.always if name not in helpers]
    roots = [*dynamic.STARTUP_IMPORTS, *always, *sorted(walk.mains)]
    if request.python_like:
        roots += dynamic.PYTHON_LIKE_STARTUP_IMPORTS
    return roots


def _shared_libraries(
    extensions: Mapping[str, ExtensionResource],
    walk: Reachability,
    dists: Sequence[InstalledDistribution],
    dep_roots: Sequence[SearchRoot],
    request: CollectRequest,
) -> libraries.BundledLibraries:
    """The libraries the embedded extension modules need, each checked to be
    built for the request's machine and, from the build machine, to fit its glibc."""
    machine = request.machine
    described = {d.key: d.describe() for d in dists}
    relative = _ByPathString({p: f for p, (_, f) in walk.installed.items()})
    owner = _ByPathString({p: described[d.key] for p, (d, _) in walk.installed.items()})
    linked = []
    for ext in extensions.values():
        path = walk.extensions[ext.name].file.path
        assert path is not None
        try:
            info = elf.read_file(path)
        except PyingotError as e:
            raise PyingotError(
                f"extension module {ext.name}"
                + (f" (from {ext.distribution})" if ext.distribution else "")
                + f": {e.message}",
                hint=e.hint,
            ) from None
        libraries.check_machine(info, path, machine, relative, owner)
        linked.append(libraries.LinkedObject(ext.name, path, info))
    return libraries.bundled_libraries(
        linked,
        roots=[r.path for r in dep_roots],
        machine=machine,
        relative=relative,
        owner=owner,
        floor=request.glibc,
    )


class _ByPathString(Mapping[Path, str]):
    """A mapping keyed by paths, looked up by their strings (which on POSIX are equal
    exactly when the paths are): made from :attr:`Reachability.installed` without
    making a Path of each of its keys."""

    def __init__(self, by_string: Mapping[str, str]) -> None:
        self._by_string = by_string

    def __getitem__(self, path: Path) -> str:
        return self._by_string[str(path)]

    def __iter__(self) -> Iterator[Path]:
        return (Path(p) for p in self._by_string)

    def __len__(self) -> int:
        return len(self._by_string)


def check_entry_function(request: CollectRequest, resources: ResourceSet) -> None:
    """A ``module:function`` entry whose function does not exist fails the build."""
    function = request.entry_function
    module = resources.modules.get(request.entry_module or "")
    if function is None or module is None or module.source is None:
        return
    try:
        tree = ast.parse(module.source)
    except SyntaxError:
        return  # newer syntax than the build tool's Python: the run will tell
    top = function.split(".")[0]
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif not isinstance(node, ast.Expr):
            return  # conditional definitions: too dynamic to judge here
    if top not in names and "__getattr__" not in names:
        raise PyingotError(
            f"{request.entry_origin}: module {request.entry_module} "
            f"({module.origin}) defines no '{top}'",
            hint="fix the function name in the entry point",
        )


def _where(app_paths: Sequence[Path]) -> str:
    """Where modules were looked for, as messages say it: ``src/ or the standard library``."""
    shown = [show(p.absolute()).rstrip("/") + "/" for p in app_paths]
    if not shown:
        return "the standard library"
    return f"{', '.join(shown)} or the standard library"


def _script_origin(script: Path, app_dirs: Sequence[Path]) -> str:
    for d in app_dirs:
        if script.is_relative_to(d):
            return script.relative_to(d).as_posix()
    return script.name
