"""What the resources stage is asked to collect: one typed request, built once.

:func:`request_for` turns the validated settings (``ProjectConfig``), the CPython
distribution and the installed dependencies into a :class:`CollectRequest`;
nothing after it reads a setting again or checks it a second time.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from pyingot import dependencies, stub
from pyingot.errors import InternalError
from pyingot.glibc import GlibcVersion
from pyingot.resources.policy import KeepSources, StdlibMode

if TYPE_CHECKING:
    from pyingot.config import ProjectConfig
    from pyingot.distribution.model import Distribution

#: Runtime modules pulled in only when the app reaches what they serve, so
#: that hello world carries no importlib.metadata.
RUNTIME_HELPERS: Mapping[str, str] = MappingProxyType(
    {
        "importlib.resources": "_pyingot_resources",
        "importlib.metadata": "_pyingot_metadata",
    }
)


def _no_edges() -> Mapping[str, Sequence[str]]:
    return MappingProxyType({})


@dataclass(frozen=True)
class CollectRequest:
    """Everything :func:`pyingot.resources.collect` needs to know.

    ``app_paths`` are searched before ``dependency_paths`` (directories that pip
    installed the dependencies into), and those before ``stdlib_dir``, as
    ``sys.path`` would be. With ``entry_module`` (a dotted name; for a
    ``pkg.mod:func`` entry point, ``pkg.mod``, with ``entry_function`` the
    ``func``) or ``entry_script`` (a file compiled as ``__main__``; its directory
    is searched first, as ``python script.py`` does), modules are collected by
    reachability from it. With neither, the executable is a Python interpreter and
    every module goes in: the whole standard library as with ``stdlib="all"``, and
    every module under ``app_paths``.

    ``stdlib="all"`` adds every standard-library module except the test suites
    (``test_packages``, and any package named as in
    :data:`~pyingot.resources.policy.TEST_PACKAGE_NAMES`) and
    :data:`~pyingot.resources.policy.EXCLUDED_FROM_ALL`; application modules are
    still collected by reachability from the entry point. ``always`` names modules
    reached in every build (one that does not exist is skipped, like any import).
    ``implied`` adds edges: when a key is reached, so are its values (the runtime's
    helper for importlib.resources comes in only with it). ``provided`` names
    modules the runtime supplies itself (built in); ``unlinked`` the interpreter's
    built-in modules the executable leaves out, whose ``except ImportError``
    fallbacks are therefore followed.

    ``on_disk`` names installed distributions (normalized names) whose files are
    not embedded but returned as :attr:`ResourceSet.on_disk`, to be installed
    beside the executable; every module of theirs counts as reached, so that what
    they import is embedded. ``machine`` (``x86_64``) is what every shared object
    must be built for; a library from the build machine is embedded only when its
    glibc floor is within ``glibc`` (:mod:`pyingot.resources.libraries`).

    The settings in it were validated where they were read: the paths exist, the
    ``on_disk`` names are installed.
    """

    #: The target interpreter, which compiles every module.
    interpreter: Path
    stdlib_dir: Path
    app_paths: Sequence[Path] = ()
    entry_module: str | None = None
    entry_script: Path | None = None
    #: For a ``module:function`` entry point: the function, a dotted attribute path.
    entry_function: str | None = None
    #: Where the entry point was declared, for messages:
    #: ``pyproject.toml: entry point [project.scripts] hello = "hello:main"``.
    entry_origin: str = "entry point"
    stdlib: StdlibMode = "reachable"
    #: ``[tool.pyingot.modules]`` patterns (:mod:`pyingot.resources.policy`).
    include: Sequence[str] = ()
    exclude: Sequence[str] = ()
    optimize: Literal[0, 1, 2] = 0
    keep_sources: KeepSources = True
    test_packages: Sequence[str] = ()
    always: Sequence[str] = ()
    implied: Mapping[str, Sequence[str]] = field(default_factory=_no_edges)
    provided: Sequence[str] = ()
    #: Built-in modules of the target interpreter that the executable does not
    #: link: the extension policy leaves them out.
    unlinked: Sequence[str] = ()
    #: Standard-library extension modules built only as shared libraries (in
    #: lib-dynload) that ``[tool.pyingot.extensions] include`` names: embedded and
    #: loaded from memory like a wheel's.
    shared_extensions: Sequence[str] = ()
    dependency_paths: Sequence[Path] = ()
    on_disk: Sequence[str] = ()
    machine: str = field(default_factory=platform.machine)
    #: The build's glibc floor; ``None``: libraries from the build machine are
    #: embedded whatever glibc they need.
    glibc: GlibcVersion | None = None
    #: Standard modules this distribution does not build (``_tkinter`` in a
    #: portable one) -> why; reaching one is reported with the reason.
    unavailable: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        # Contradictions only code can make: the settings' loader never does.
        if self.entry_module is not None and self.entry_script is not None:
            raise InternalError(f"an entry point is a module or a script, not both: {self!r}")
        if self.entry_function is not None and self.entry_module is None:
            raise InternalError(f"an entry function needs its module: {self!r}")

    @property
    def python_like(self) -> bool:
        """No entry point: the executable behaves like ``python``."""
        return self.entry_module is None and self.entry_script is None


def request_for(
    config: ProjectConfig,
    dist: Distribution,
    installed: dependencies.InstalledDependencies | None = None,
) -> CollectRequest:
    """The request of a ``pyingot build``: the project's settings, on ``dist``,
    with the dependencies ``installed`` for it."""
    entry = config.entry
    always = ["_pyingot_boot"] + (["runpy"] if entry.kind == "module" else [])
    if entry.kind == "python":
        always += list(RUNTIME_HELPERS.values())
    return CollectRequest(
        interpreter=dist.path(dist.python_exe),
        stdlib_dir=dist.path(dist.stdlib),
        app_paths=(*config.sources, stub.runtime_dir() / "python"),
        entry_module=entry.module if entry.kind in ("function", "module") else None,
        entry_script=config.root / entry.script
        if entry.kind == "script" and entry.script
        else None,
        entry_function=entry.function if entry.kind == "function" else None,
        entry_origin=f"{config.pyproject}: entry point {entry.origin}",
        stdlib=config.stdlib,
        include=config.modules.include,
        exclude=config.modules.exclude,
        optimize=config.optimize,
        keep_sources=config.keep_sources,
        test_packages=tuple(dist.extra.get("python_stdlib_test_packages", ())),
        always=tuple(always),
        implied=MappingProxyType({module: (helper,) for module, helper in RUNTIME_HELPERS.items()}),
        provided=("_pyingot",),
        unlinked=tuple(sorted(set(dist.extensions) - set(config.extensions.resolve(dist)))),
        shared_extensions=config.extensions.embedded(dist),
        dependency_paths=(installed.site,) if installed else (),
        on_disk=config.dependencies.on_disk,
        machine=dependencies.Target.of(dist).machine,
        glibc=config.glibc,
        unavailable=MappingProxyType(_unavailable(dist)),
    )


def _unavailable(dist: Distribution) -> dict[str, str]:
    own = dist.extra.get("pyingot")
    reasons = own.get("cannot_be_static") if isinstance(own, dict) else None
    return {str(k): str(v) for k, v in reasons.items()} if isinstance(reasons, dict) else {}
