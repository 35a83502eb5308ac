"""``pyingot build``: a project directory -> ``dist/<name>``, the pipeline of
DESIGN.md one stage after another.

config -> distribution -> dependencies -> resources -> stub (cached) -> assemble.
Each stage is a module or package of its own; this one only calls them in order
and reports what each did.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyingot import assemble, cache, dependencies, digests, stub
from pyingot.config import ProjectConfig, load_project
from pyingot.distribution import resolve
from pyingot.distribution.model import Distribution
from pyingot.progress import Progress
from pyingot.resources import collect, request_for
from pyingot.resources.model import ResourceSet

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
    #: The CycloneDX SBOM beside the executable.
    sbom: Path | None = None
    #: The executable's glibc floor, when anything in it needs one.
    glibc_floor: str | None = None


def build(
    project: Path, *, output: Path | None = None, progress: Progress | None = None
) -> BuildResult:
    with _no_cycle_collection():
        return _build(project, output=output, progress=progress)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused for the build: a build makes a million objects that
    live until it ends (every module's analysis), which its 90 passes over them (a
    numpy rebuild) walked for nothing: 12 ms of 420. What cycles a build leaves (1,300
    objects for numpy) are collected once it has ended."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(project: Path, *, output: Path | None, progress: Progress | None) -> BuildResult:
    progress = progress or Progress(STAGES)
    started = time.monotonic()
    digests.forget()

    progress.stage("reading configuration")
    config = load_project(project)
    output = output or config.root / "dist" / config.name
    assemble.check_output(output)
    progress.note(f"{config.name}: entry point {config.entry}, Python {config.python}")

    progress.stage("finding the CPython distribution")
    dist = resolve.resolve(config.python, progress)
    progress.note(f"CPython {dist.python_version} ({dist.name})")

    progress.stage("installing dependencies")
    if config.dependencies.lock_file is not None:
        progress.note(
            f"using the versions locked in {config.dependencies.lock_file.name} "
            f"({len(config.dependencies.locked)} pinned)"
        )
    installed = dependencies.install(
        config.dependencies,
        dependencies.Target.of(dist, config.glibc),
        root=config.root,
        pyproject=config.pyproject,
        progress=progress,
    )
    if installed is None:
        progress.note("none")
    else:
        progress.note(installed.describe() + (" (cached)" if installed.reused else ""))

    progress.stage("collecting modules and data")
    resources = collect(request_for(config, dist, installed))

    progress.stage("runtime stub")
    selected = stub.extensions_to_link(config, dist, resources)
    runtime = stub.runtime_library(dist, progress)
    cold = stub.extensions_to_embed(config, dist, resources)
    stub_path, selected, resources = stub.embed_extensions(
        dist, selected, cold, resources, progress, runtime
    )
    crates = stub.runtime_crates(runtime)
    # inspect and the bill of materials list the embedded ones beside the linked
    # ones: the same code of CPython's, under the same licenses.
    described = {**selected, **{n: e for n, e in cold.items() if n in resources.extensions}}

    progress.stage("writing the executable")
    done = assemble.assemble(
        config, dist, resources, described, stub_path, output, installed, crates=crates
    )
    if done.data_root is not None:
        progress.note(
            f"data beside the executable: {done.data_root.name}/ ({done.data_root_files} "
            f"files of {', '.join(done.data_root_packages)})"
        )
    for line in assemble.report(done.embedded, done.on_disk, done.floor):
        progress.note(line)
    if done.sbom is not None:
        progress.note(f"bill of materials (CycloneDX): {done.sbom.name}")
    progress.finish()
    seconds = time.monotonic() - started
    return BuildResult(
        output,
        config,
        dist,
        done.embedded,
        seconds,
        installed,
        done.on_disk,
        done.sbom,
        str(done.floor.version) if done.floor.version else None,
    )


def summary(result: BuildResult) -> dict[str, object]:
    """What ``pyingot build --json`` prints: the facts a CI job needs about the build."""
    executable = result.executable.resolve()
    return {
        "path": str(executable),
        "size": executable.stat().st_size,
        "sha256": cache.file_sha256(executable),
        "name": result.config.name,
        "python_version": result.distribution.python_version,
        "glibc_floor": result.glibc_floor,
        "sbom": str(result.sbom.resolve()) if result.sbom else None,
        "seconds": round(result.seconds, 3),
    }
