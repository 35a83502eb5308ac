"""``pyingot build``: a project directory -> ``dist/<name>``, one stage after another.

config -> distribution -> resources -> stub (cached) -> payload -> executable.
Each stage is its own module; this one only passes results along and reports.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pyingot import assemble, dependencies, names, stub
from pyingot.config import EntryPoint, ProjectConfig, PythonSpec, load_project
from pyingot.distribution import build as distribution_build
from pyingot.distribution import pbs, store
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.errors import PyingotError
from pyingot.packing import Kind, PayloadEntry
from pyingot.progress import Progress
from pyingot.resources import collect, request_for
from pyingot.resources.libraries import describe_system_libraries
from pyingot.resources.model import DataResource, FileResource, ResourceSet, SkipReason

STAGES = 6


@dataclass(frozen=True)
class BuildResult:
    executable: Path
    config: ProjectConfig
    distribution: Distribution
    resources: ResourceSet
    seconds: float
    dependencies: dependencies.InstalledDependencies | None = None
    #: The directory of ``on-disk`` distributions beside the executable, if any.
    on_disk: Path | None = None


def resolve_distribution(spec: PythonSpec, progress: Progress) -> Distribution:
    if spec.kind == "pbs":
        assert spec.path is not None
        return pbs.load(spec.path)
    if spec.kind == "version":
        cached = [
            d for d in store.cached() if d.major_minor == f"3.{spec.minor}" and store.is_current(d)
        ]
        if cached:
            return max(cached, key=lambda d: _version_key(d.python_version))
        progress.note(f"no cached CPython 3.{spec.minor}: building one from Debian's source")
        return distribution_build.build(f"debian:python3.{spec.minor}", progress=progress)
    source = str(spec.path) if spec.kind == "source" and spec.path else spec.text
    return distribution_build.build(source, progress=progress)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version)[:3])


def runtime_entry(entry: EntryPoint, resources: ResourceSet) -> str:
    """The ``entry`` META value the runtime reads (see _pyingot_boot.main)."""
    if entry.kind == "function":
        return f"function:{entry.module}:{entry.function}"
    if entry.kind == "module":
        return f"module:{entry.module}"
    if entry.kind == "script":
        main = resources.modules.get("__main__")
        return f"script:{main.origin if main else 'main.py'}"
    return "python"


def _metadata_entries(
    config: ProjectConfig, resources: ResourceSet, data_files: list[DataResource]
) -> list[PayloadEntry]:
    """A ``.dist-info`` for the application itself, so importlib.metadata knows it."""
    meta = config.metadata
    if meta is None:
        return []
    dist_info = f"{names.dist_info_stem(meta.name)}-{meta.version}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {meta.name}", f"Version: {meta.version}"]
    if meta.summary is not None:
        lines.append(f"Summary: {meta.summary}")
    lines.extend(f"Requires-Dist: {r}" for r in meta.requires)
    files = {"METADATA": "\n".join(lines) + "\n"}
    if meta.entry_points:
        files["entry_points.txt"] = "".join(
            f"[{g}]\n" + "".join(f"{k} = {v}\n" for k, v in items) + "\n"
            for g, items in meta.entry_points
        )
    files["RECORD"] = _record(config, resources, data_files, dist_info, [*files, "RECORD"])
    return [
        PayloadEntry(Kind.METADATA, f"{dist_info}/{f}", text.encode())
        for f, text in sorted(files.items())
    ]


def _record(
    config: ProjectConfig,
    resources: ResourceSet,
    data: list[DataResource],
    dist_info: str,
    dist_files: list[str],
) -> str:
    """RECORD: the application's files at their virtual paths (relative to the
    executable, as ``__file__`` is), for ``importlib.metadata.files()`` and
    ``packages_distributions()``. The application's modules are those found in
    its ``sources``; no hashes or sizes, which RECORD allows for any file."""

    def in_sources(origin: str) -> bool:
        return any((root / origin).is_file() for root in config.sources)

    app = [
        m
        for m in resources.modules.values()
        if not m.is_stdlib and not m.is_dependency and (m.is_namespace or in_sources(m.origin))
    ]
    packages = {m.name for m in app if m.is_package}
    paths = {m.origin for m in app if not m.is_namespace}
    paths.update(f"{d.package.replace('.', '/')}/{d.path}" for d in data if d.package in packages)
    paths.update(f"{dist_info}/{f}" for f in dist_files)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows((p, "", "") for p in sorted(paths))
    return out.getvalue()


def linked_extensions(
    config: ProjectConfig, allowed: Mapping[str, ExtensionModule], resources: ResourceSet
) -> dict[str, ExtensionModule]:
    """The policy's modules that the application reaches (or all, as configured)."""
    if config.link_extensions == "all" or config.entry.kind == "python":
        return dict(allowed)
    reached = set(resources.builtins)
    return {
        name: ext
        for name, ext in allowed.items()
        if ext.required or name in reached or name in config.extensions.include
    }


def build(
    project: Path, *, output: Path | None = None, progress: Progress | None = None
) -> BuildResult:
    progress = progress or Progress(STAGES)
    started = time.monotonic()
    progress.stage("reading configuration")
    config = load_project(project)
    progress.note(f"{config.name}: entry point {config.entry}, Python {config.python}")
    progress.stage("finding the CPython distribution")
    dist = resolve_distribution(config.python, progress)
    progress.note(f"CPython {dist.python_version} ({dist.name})")
    allowed = config.extensions.resolve(dist)
    progress.stage("installing dependencies")
    installed = dependencies.install(
        config.dependencies,
        dependencies.Target.of(dist),
        root=config.root,
        pyproject=config.pyproject,
        progress=progress,
    )
    if installed is None:
        progress.note("none")
    else:
        reused = " (cached)" if installed.reused else ""
        progress.note(f"{installed.describe()}{reused}")
    progress.stage("collecting modules and data")
    resources = collect(request_for(config, dist, installed))
    selected = linked_extensions(config, allowed, resources)
    progress.stage("runtime stub")
    stub_path = stub.stub(dist, selected, progress)
    progress.stage("writing the executable")
    data = [
        d for d in resources.data if config.data.selects(f"{d.package.replace('.', '/')}/{d.path}")
    ]
    out = output or config.root / "dist" / config.name
    on_disk = assemble.on_disk_directory(out) if resources.on_disk else None
    data_root_packages = _data_root_packages(config, resources)
    data_root = out.with_name(f"{out.name}.data") if data_root_packages else None
    entries = assemble.meta_entries(
        name=config.name,
        entry=runtime_entry(config.entry, resources),
        dist=dist,
        selected=selected,
        extension_libraries=resources.extension_libraries,
        on_disk_path=on_disk.name if on_disk else None,
    )
    entries += assemble.module_entries(resources.modules.values(), keep_sources=config.keep_sources)
    entries += [PayloadEntry(Kind.DATA, d.key, d.data) for d in data]
    entries += _metadata_entries(config, resources, data)
    entries += assemble.metadata_entries(resources.metadata)
    entries += assemble.extension_entries(resources.extensions.values())
    entries += assemble.shared_library_entries(resources.shared_libraries)
    if on_disk is not None:
        # Before the executable, which names the directory.
        assemble.write_on_disk(resources.on_disk, on_disk)
    if data_root is not None:
        entries += [
            PayloadEntry(Kind.META, assemble.META_DATA_ROOT, data_root.name.encode()),
            PayloadEntry(
                Kind.META,
                assemble.META_DATA_ROOT_PACKAGES,
                "\n".join(data_root_packages).encode(),
            ),
        ]
        files = [
            FileResource(f"{d.package.replace('.', '/')}/{d.path}", d.data)
            for d in data
            if d.package.partition(".")[0] in data_root_packages
        ]
        assemble.write_on_disk(files, data_root)
        progress.note(
            f"data beside the executable: {data_root.name}/ ({len(files)} files of "
            f"{', '.join(data_root_packages)})"
        )
    assemble.write_executable(stub_path, entries, out)
    embedded = dataclasses.replace(resources, data=tuple(data))
    for line in report(embedded, on_disk):
        progress.note(line)
    return BuildResult(out, config, dist, embedded, time.monotonic() - started, installed, on_disk)


def _data_root_packages(config: ProjectConfig, resources: ResourceSet) -> list[str]:
    """The top-level packages of the ``data-on-disk`` distributions."""
    wanted = set(config.dependencies.data_on_disk)
    if not wanted:
        return []
    found: dict[str, set[str]] = {}
    owners = [(n, m.distribution) for n, m in resources.modules.items()]
    owners += [(n, e.distribution) for n, e in resources.extensions.items()]
    for name, distribution in owners:
        if distribution is None:
            continue
        key = names.normalize(distribution)
        if key in wanted:
            found.setdefault(key, set()).add(name.partition(".")[0])
    missing = sorted(wanted - set(found))
    if missing:
        raise PyingotError(
            f"{config.pyproject}: [tool.pyingot.dependencies] data-on-disk names "
            f"{', '.join(missing)}, which has no module in the executable",
            hint="name installed dependencies that the application imports",
        )
    return sorted({p for packages in found.values() for p in packages})


def report(resources: ResourceSet, on_disk: Path | None) -> list[str]:
    """The build summary: what is embedded, by category, and what is not and why."""
    lines = [line.strip() for line in resources.summary().render().splitlines()]
    if on_disk is not None:
        dists = ", ".join(resources.on_disk_distributions)
        lines.append(f"on disk, beside the executable: {on_disk.name}/ ({dists})")
    system = describe_system_libraries(resources.shared_libraries)
    if system is not None:
        lines.append(system)
    by_reason: dict[SkipReason, list[str]] = {}
    for s in resources.skipped:
        by_reason.setdefault(s.reason, []).append(s.name)
    for reason, skipped in by_reason.items():
        shown = ", ".join(skipped[:8]) + (" ..." if len(skipped) > 8 else "")
        lines.append(f"not embedded, {reason.value}: {shown}")
    lines += [f"not embedded: {problem}" for problem in resources.problems]
    return lines
