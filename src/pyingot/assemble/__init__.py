"""The last stage: resources + cached stub -> ``dist/<name>`` (and what goes beside it).

:func:`assemble` chooses the data files the ``[tool.pyingot.data]`` patterns
select, computes the executable's glibc floor and holds it to the setting
(:mod:`.floor`; nothing is written when it is above), turns every resource into
payload entries (:mod:`.entries`, the application's own ``.dist-info`` from
:mod:`.dist_info`), writes the directories that belong beside the executable
(:mod:`.beside`), then the executable itself (:mod:`.write`), atomically.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyingot import sbom
from pyingot.assemble import beside, dist_info, entries
from pyingot.assemble.floor import GlibcFloor, check_floor, glibc_floor
from pyingot.assemble.report import report
from pyingot.assemble.write import check_output, write_atomically, write_executable
from pyingot.config import ProjectConfig
from pyingot.dependencies import InstalledDependencies
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.payload.compression import Compression
from pyingot.resources.model import FileResource, ResourceSet
from pyingot.stub.runtime import Crate

__all__ = ["Assembled", "assemble", "check_output", "report", "write_executable"]


@dataclass(frozen=True)
class Assembled:
    executable: Path
    #: What is inside: the collected resources with only the selected data.
    embedded: ResourceSet
    #: The glibc it needs, and what needs it.
    floor: GlibcFloor
    #: The directory of ``on-disk`` distributions beside the executable, if any.
    on_disk: Path | None = None
    #: The ``data-on-disk`` directory, its top-level packages and file count.
    data_root: Path | None = None
    data_root_packages: tuple[str, ...] = ()
    data_root_files: int = 0
    #: The CycloneDX document beside the executable.
    sbom: Path | None = None


def assemble(
    config: ProjectConfig,
    dist: Distribution,
    resources: ResourceSet,
    selected: Mapping[str, ExtensionModule],
    stub: Path,
    output: Path,
    installed: InstalledDependencies | None = None,
    crates: Sequence[Crate] = (),
) -> Assembled:
    data = tuple(d for d in resources.data if config.data.selects(d.file_path))
    embedded = dataclasses.replace(resources, data=data)
    floor = glibc_floor(stub, resources, python_version=dist.python_version)
    check_floor(floor, config.glibc, config.pyproject)
    on_disk = beside.on_disk_directory(output) if resources.on_disk else None
    root_packages = beside.data_root_packages(config, resources)
    data_root = beside.data_root_directory(output) if root_packages else None
    bom = sbom.dumps(
        sbom.document(
            name=config.name,
            version=config.metadata.version if config.metadata else None,
            dist=dist,
            selected=selected,
            installed=installed,
            resources=embedded,
            crates=crates,
        )
    )
    settings = entries.runtime_settings(
        name=config.name,
        entry=entries.runtime_entry(config.entry, resources),
        dist=dist,
        selected=selected,
        extension_libraries=resources.extension_libraries,
        start_extensions=entries.start_extensions(resources),
        lib_dynload=[n for n, e in resources.extensions.items() if e.lib_dynload],
        on_disk_path=on_disk.name if on_disk else None,
        data_root=data_root.name if data_root else None,
        data_root_packages=root_packages,
        glibc_floor=floor.version,
        sbom=bom,
    )
    payload = settings.to_entries()
    payload += entries.module_entries(
        resources.modules.values(),
        at_start=resources.python_at_start,
    )
    payload += entries.data_entries(data)
    payload += dist_info.app_metadata_entries(config, resources, data)
    payload += entries.metadata_entries(resources.metadata)
    payload += entries.extension_entries(resources.extensions.values(), resources.at_start)
    payload += entries.shared_library_entries(resources.shared_libraries)
    # The directories first: the executable names them.
    if on_disk is not None:
        beside.write_on_disk(resources.on_disk, on_disk)
    root_files = []
    if data_root is not None:
        root_files = [
            FileResource(d.file_path, d.data)
            for d in data
            if d.package.partition(".")[0] in root_packages
        ]
        beside.write_on_disk(root_files, data_root)
    # The dictionary is trained from the standard library's modules that every
    # application reaches (the interpreter's own imports and what they import), which
    # no edit of the application changes, not even one importing more of the standard
    # library: a rebuild recompresses only what changed. (Trained from every reached
    # standard-library module instead, it compressed the numpy example's modules no
    # better: 7,305,353 bytes against 7,305,266 from these; but adding `import json` to hello
    # recompressed all of its 190 modules, 1.1 s.)
    samples = (
        blob
        for m in resources.modules.values()
        if m.is_stdlib and m.name in resources.core
        for blob in (m.bytecode, m.source or b"")
    )
    # The SBOM beside it is staged first and renamed into place just after the
    # executable: when writing the executable fails, the old SBOM stays with the old
    # executable.
    bom_path = sbom.path_for(output)
    with write_atomically(bom_path) as staged:
        staged.write_text(bom)
        write_executable(stub, payload, output, Compression.default(samples))
    return Assembled(
        output,
        embedded,
        floor,
        on_disk,
        data_root,
        tuple(root_packages),
        len(root_files),
        bom_path,
    )
