"""pyproject.toml -> :class:`ProjectConfig`: every setting read and checked, once.

:func:`load_project` checks everything that can be checked without a
distribution or the module graph; later stages trust what it returns. Whether a
module entry point exists, for example, is the build's to check. A key that is
not set takes its declared default (keys.py) or its inferred one (infer.py).
"""

from __future__ import annotations

import keyword
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, TypeVar, cast

from packaging.specifiers import InvalidSpecifier

from pyingot import names
from pyingot.config import infer, project_table, toml, uvlock
from pyingot.config.keys import DEPENDENCIES
from pyingot.config.model import (
    EXECUTABLE_NAME,
    PYTHON_LIKE,
    DataPatterns,
    DependencySettings,
    EntryPoint,
    ModulePatterns,
    ProjectConfig,
    PythonSpec,
)
from pyingot.config.project_table import ProjectTable
from pyingot.config.table import Table, given, item_error, value_error
from pyingot.distribution import pbs
from pyingot.distribution import source as cpython_source
from pyingot.distribution.recipe import FREE_THREADED_MINORS, SUPPORTED_MINORS
from pyingot.distribution.selection import ExtensionSelection
from pyingot.errors import PyingotError
from pyingot.glibc import GlibcVersion

T = TypeVar("T")

_VERSION = re.compile(r"\d+(\.\d+)*")
#: ``3.13t``: the free-threaded interpreter of 3.13 (PEP 703's ABI flag ``t``).
_FREE_THREADED = re.compile(r"3\.\d+t")
_DEBIAN = re.compile(r"debian:python3\.(\d+)")
#: A distribution (project) name, as PEP 508 spells it.
_DISTRIBUTION_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")


def load_project(path: Path) -> ProjectConfig:
    """Read and validate the pyingot settings of the project at ``path``.

    ``path`` is a project directory or its pyproject.toml. A project without a
    ``[tool.pyingot]`` table gets every default.
    """
    file, root = locate(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError as e:
        if not file.parent.is_dir():
            raise PyingotError(f"{file.parent}: no such project directory") from e
        raise PyingotError(
            f"{file}: no such file",
            hint=f"create one with: pyingot init {_shell_dir(file.parent)}".rstrip(),
        ) from e
    except OSError as e:
        raise PyingotError(f"{file}: cannot read it: {e.strerror}") from e
    return read_config(toml.parse(raw, file), file, root)


def locate(path: Path) -> tuple[Path, Path]:
    """The pyproject.toml and the absolute project directory for a user's path."""
    if path.is_dir() or (not path.exists() and path.suffix != ".toml"):
        file = path / "pyproject.toml"
    else:
        file = path
    return file, file.parent.resolve()


def _shell_dir(directory: Path) -> str:
    return "" if str(directory) == "." else str(directory)


def read_config(data: Mapping[str, object], file: Path, root: Path) -> ProjectConfig:
    """The settings in ``data``, the parsed contents of ``file``."""
    document = Table(file, "", data)
    tool = document.table("tool").table("pyingot")
    tool.check_keys()
    extensions = tool.table("extensions")
    modules = tool.table("modules")
    data_ = tool.table("data")
    deps = tool.table("dependencies")
    for t in (extensions, modules, data_, deps):
        t.check_keys()
    project = project_table.read(document)

    name = _name(tool, project)
    entry = _entry(tool, project, root)
    python = _python(tool, root, project)
    sources = _sources(tool, root)
    optimize = cast(Literal[0, 1, 2], tool.choice("optimize"))
    keep_sources = cast(bool | Literal["no-stdlib"] | None, tool.choice("keep-sources"))
    stdlib = cast(Literal["reachable", "all"] | None, tool.choice("stdlib"))
    link = cast(Literal["start-up", "reachable", "all"] | None, extensions.choice("link"))
    # The model classes check their own invariants (ExtensionSelection's are shared
    # with the command line); their errors get the file and table put in front.
    selection = _made(
        extensions,
        ExtensionSelection,
        given(extensions.string("policy")),
        given(extensions.strings("include")),
        given(extensions.strings("exclude")),
    )
    module_patterns = _made(
        modules,
        ModulePatterns,
        given(modules.strings("include")),
        given(modules.strings("exclude")),
    )
    data_patterns = _made(
        data_, DataPatterns, given(data_.strings("include")), given(data_.strings("exclude"))
    )

    return ProjectConfig(
        pyproject=file,
        root=root,
        name=name,
        entry=entry,
        python=python,
        sources=sources,
        optimize=optimize,
        keep_sources=(
            keep_sources if keep_sources is not None else infer.keep_sources(entry.kind == "python")
        ),
        stdlib=stdlib or infer.stdlib(entry.kind == "python"),
        extensions=selection,
        link_extensions=link or infer.link(entry.kind == "python"),
        modules=module_patterns,
        data=data_patterns,
        dependencies=_dependencies(deps, project, root),
        metadata=project.metadata(),
        glibc=_glibc(tool),
    )


def _made(table: Table, make: Callable[..., T], *settings: object) -> T:
    """``make(*settings)``, a model object checking its own invariants, its errors
    placed in ``table``, where its settings were read."""
    try:
        return make(*settings)
    except PyingotError as e:
        raise table.wrap(e) from None


def _dependencies(deps: Table, project: ProjectTable, root: Path) -> DependencySettings:
    from_project = given(deps.boolean("project"))
    requirements: tuple[str, ...] = ()
    if from_project:
        if "dependencies" in project.dynamic:
            raise PyingotError(
                f"{deps.file}: [project] dependencies is dynamic, so pyingot cannot read it",
                hint="list them in a requirements file and set, under "
                f"[{DEPENDENCIES}]:\n"
                'requirements = "requirements.txt"\nproject = false',
            )
        requirements = project.dependencies
        for r in requirements:
            if not r.strip():
                raise item_error(deps.file, "[project] dependencies", r, "is not a requirement")
    file: Path | None = None
    text = deps.string("requirements")
    if text is not None:
        if Path(text).is_absolute():
            raise deps.error("requirements", "must be a path relative to the project directory")
        file = root / text
        if not file.is_file():
            raise deps.error(
                "requirements",
                "no such file",
                hint=f"the path is relative to the project directory, {root}",
            )
    on_disk = _distributions(deps, "on-disk", '"numpy", "PyYAML"')
    # uv.lock locks the resolution of [project] dependencies: it applies to them alone.
    lock = uvlock.read(root) if from_project and requirements else None
    return DependencySettings(
        requirements=requirements,
        requirements_file=file,
        wheels=_wheels(deps, root),
        on_disk=tuple(sorted(on_disk)),
        data_on_disk=tuple(sorted(_distributions(deps, "data-on-disk", '"black"', on_disk))),
        from_project=from_project,
        lock_file=lock.path if lock else None,
        locked=lock.pins if lock else (),
    )


def _wheels(deps: Table, root: Path) -> tuple[Path, ...]:
    wheels: list[Path] = []
    for pattern in given(deps.strings("wheels")):
        if Path(pattern).is_absolute() or "\\" in pattern:
            raise deps.item_error(
                "wheels",
                pattern,
                "is not a relative path",
                hint="use a glob relative to the project directory, with '/' separators, "
                'e.g. "wheels/*.whl"',
            )
        matched = sorted(p for p in root.glob(pattern) if p.is_file())
        if not matched:
            raise deps.item_error(
                "wheels",
                pattern,
                "matches no file",
                hint=f"patterns are relative to the project directory, {root}",
            )
        for path in matched:
            if path.suffix != ".whl":
                raise deps.item_error(
                    "wheels",
                    pattern,
                    f"matches {path.relative_to(root).as_posix()}, which is not a wheel (.whl)",
                )
            if path not in wheels:
                wheels.append(path)
    return tuple(sorted(wheels))


def _distributions(
    deps: Table, key: str, examples: str, on_disk: list[str] | None = None
) -> list[str]:
    """The distribution names of ``key``, normalized; ``on_disk`` are those already
    all on disk, which ``key`` may not name again."""
    found: list[str] = []
    for name in given(deps.strings(key)):
        if not _DISTRIBUTION_NAME.fullmatch(name):
            raise deps.item_error(
                key,
                name,
                "is not a distribution name",
                hint=f"name distributions as in the requirements, e.g. {examples}",
            )
        normalized = names.normalize(name)
        if normalized in found:
            raise deps.item_error(key, name, "is listed twice")
        if on_disk is not None and normalized in on_disk:
            raise deps.item_error(
                key,
                name,
                "is also in on-disk",
                hint="an on-disk distribution is all on disk already: keep one of the two",
            )
        found.append(normalized)
    return found


def _name(tool: Table, project: ProjectTable) -> str:
    name = tool.string("name")
    if name is not None:
        where, hint = tool.where("name"), None
    elif project.name is not None:
        name, where, hint = project.name, "[project] name", "set another name under [tool.pyingot]"
    else:
        raise PyingotError(
            f"{tool.file}: [tool.pyingot] name is not set and there is no [project] name "
            "to default to",
            hint='set the executable\'s name under [tool.pyingot]: name = "myapp"',
        )
    if not EXECUTABLE_NAME.fullmatch(name):
        raise value_error(
            tool.file,
            where,
            name,
            "must be a file name: letters, digits, '.', '_', '-' and '+', "
            "starting with a letter or a digit",
            hint=hint,
        )
    return name


def _entry(tool: Table, project: ProjectTable, root: Path) -> EntryPoint:
    text = tool.string("entry")
    if text is not None:
        return _parse_entry(text, f"{tool.where('entry')} = {toml.value(text)}", tool.file, root)
    for dynamic in ("scripts", "gui-scripts"):
        if dynamic in project.dynamic:
            raise PyingotError(
                f"{tool.file}: [project] {dynamic} is dynamic, so pyingot cannot read it: "
                "set [tool.pyingot] entry",
                hint='entry = "module:function", "module", "path/to/script.py" or "python"',
            )
    inferred = infer.entry(project)
    found = infer.scripts(project)
    if inferred.others:
        scripts = ", ".join(sorted(found))
        table = "[project.scripts]" if project.scripts else "[project.gui-scripts]"
        raise PyingotError(
            f"{tool.file}: {table} has {len(found)} entries ({scripts}): "
            "set [tool.pyingot] entry to choose one",
            hint=f"for example entry = {toml.value(inferred.value)}, "
            'or entry = "python" for an executable that behaves like python',
        )
    if inferred.script is None:
        return EntryPoint("python", origin="no [tool.pyingot] entry and no [project.scripts]")
    table = "[project.scripts]" if inferred.script in project.scripts else "[project.gui-scripts]"
    where = f"{table} {inferred.script} = {toml.value(inferred.value)}"
    entry = _parse_entry(inferred.value, where, tool.file, root)
    if entry.kind != "function":
        raise PyingotError(
            f"{tool.file}: {where}: must be a 'module:function' reference",
            hint="console scripts name a function; or set [tool.pyingot] entry",
        )
    return entry


def _parse_entry(text: str, where: str, file: Path, root: Path) -> EntryPoint:
    def bad(problem: str, hint: str | None = None) -> PyingotError:
        return PyingotError(f"{file}: {where}: {problem}", hint=hint)

    forms = 'use "module:function", "module", "path/to/script.py" or "python"'
    if text == PYTHON_LIKE:
        return EntryPoint("python", origin=where)
    if "/" in text or "\\" in text or text.endswith(".py"):
        if "\\" in text:
            raise bad("use '/' to separate directories")
        if Path(text).is_absolute():
            raise bad("must be a path relative to the project directory")
        target = root / text
        if not target.resolve().is_relative_to(root):
            raise bad("must be a file inside the project directory")
        if not target.is_file():
            raise bad(
                "no such file in the project",
                hint=f"the path is relative to the project directory, {root}",
            )
        return EntryPoint("script", origin=where, script=Path(os.path.normpath(text)))
    if ":" in text:
        module, _, function = text.partition(":")
        if not module:
            raise bad("module name missing before ':'")
        if not function:
            raise bad("function name missing after ':'")
        if not _is_dotted_name(module):
            raise bad(f"'{module}' is not a valid module name", hint=forms)
        if not _is_dotted_name(function):
            raise bad(
                f"'{function}' is not a valid function name",
                hint="name a function or a dotted attribute path, without parentheses",
            )
        return EntryPoint("function", origin=where, module=module, function=function)
    if not _is_dotted_name(text):
        raise bad("not a module, a 'module:function' reference or a script path", hint=forms)
    return EntryPoint("module", origin=where, module=text)


def _is_dotted_name(text: str) -> bool:
    return all(p.isidentifier() and not keyword.iskeyword(p) for p in text.split("."))


def _python(tool: Table, root: Path, project: ProjectTable) -> PythonSpec:
    text = tool.string("python")
    requires = project.requires_python
    try:
        allowed = infer.allows(requires) if requires is not None else None
        minor = infer.python_minor(requires)
    except InvalidSpecifier:
        raise PyingotError(
            f"{tool.file}: [project] requires-python = {toml.value(requires)}: "
            "not a version specifier",
            hint='write it as PEP 440 does, e.g. requires-python = ">=3.11"',
        ) from None
    if text is None:
        if minor is None:
            picked = toml.either([f"3.{m}" for m in infer.PICKED_MINORS])
            raise PyingotError(
                f"{tool.file}: [project] requires-python = {toml.value(requires)} allows "
                f"none of the Python versions pyingot builds by itself ({picked}), and "
                "[tool.pyingot] python is not set",
                hint="widen requires-python, or set [tool.pyingot] python to a source of a "
                "version it allows (a CPython source tarball or a python-build-standalone "
                "archive)",
            )
        return PythonSpec("version", f"3.{minor}", minor=minor)
    spec = _python_setting(tool, text, root)
    if allowed is not None and spec.minor is not None and not allowed(spec.minor):
        raise PyingotError(
            f"{tool.file}: {tool.where('python')} = {toml.value(text)} is Python 3.{spec.minor}, "
            f"and [project] requires-python = {toml.value(requires)} does not allow it",
            hint="set [tool.pyingot] python to a version requires-python allows, or remove it "
            "to let pyingot pick the newest one",
        )
    return spec


def _python_setting(tool: Table, text: str, root: Path) -> PythonSpec:
    supported = toml.either([f"3.{m}" for m in SUPPORTED_MINORS])
    if _VERSION.fullmatch(text):
        major, _, rest = text.partition(".")
        if major != "3" or not rest.isdigit() or int(rest) not in SUPPORTED_MINORS:
            raise tool.error("python", f"not a supported version (use {supported})")
        return PythonSpec("version", text, minor=int(rest))
    if _FREE_THREADED.fullmatch(text):
        minor = int(text[2:-1])
        if minor not in FREE_THREADED_MINORS:
            free = toml.either([f"3.{m}t" for m in FREE_THREADED_MINORS])
            raise tool.error(
                "python",
                f"CPython 3.{minor} has no free-threaded build (use {free}, or {supported})",
            )
        return PythonSpec("version", text, minor=minor, free_threaded=True)
    if text.startswith(cpython_source.DEBIAN_PREFIX):
        m = _DEBIAN.fullmatch(text)
        if not m or int(m[1]) not in SUPPORTED_MINORS:
            debian = toml.either([f"debian:python3.{m}" for m in SUPPORTED_MINORS])
            raise tool.error("python", f"not a supported Debian source package (use {debian})")
        return PythonSpec("debian", text, minor=int(m[1]))
    path = Path(text).expanduser()
    path = path if path.is_absolute() else root / path
    if path.is_dir():
        if pbs.json_root(path) is not None:
            return PythonSpec("pbs", text, path=path)
        if (path / "configure").is_file():
            return PythonSpec("source", text, path=path)
        raise tool.error(
            "python",
            "neither a python-build-standalone directory (no PYTHON.json) "
            "nor a CPython source tree (no configure)",
        )
    if path.is_file():
        if pbs.is_archive(path):
            return PythonSpec("pbs", text, path=path)
        if path.name.endswith(cpython_source._TARBALL_SUFFIXES):
            return PythonSpec("source", text, path=path)
        raise tool.error(
            "python",
            f"neither a python-build-standalone archive ({pbs.ARCHIVE_SUFFIXES[0]}) nor a "
            f"CPython source tarball ({', '.join(cpython_source._TARBALL_SUFFIXES)})",
        )
    raise tool.error(
        "python",
        "no such file or directory",
        hint=f"a relative path is relative to the project directory; or use a version: {supported}",
    )


def _glibc(tool: Table) -> GlibcVersion:
    try:
        return GlibcVersion.of_setting(given(tool.string("glibc")))
    except ValueError:
        raise tool.error("glibc", 'not a glibc version: use "2.N", e.g. "2.17"') from None


def _sources(tool: Table, root: Path) -> tuple[Path, ...]:
    listed = tool.strings("sources")
    if listed is None:
        return tuple(root / s for s in infer.sources(root))
    if not listed:
        raise tool.error("sources", "must name at least one directory")
    out: list[Path] = []
    for s in listed:
        if Path(s).is_absolute():
            raise tool.item_error(
                "sources", s, "is absolute", hint="use a path relative to the project directory"
            )
        path = (root / s).resolve()
        if not path.is_dir():
            raise tool.item_error(
                "sources",
                s,
                "is not a directory",
                hint=f"paths are relative to the project directory, {root}",
            )
        if path in out:
            raise tool.item_error("sources", s, "is listed twice")
        out.append(path)
    return tuple(out)
