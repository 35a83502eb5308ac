"""The files that are not code: package data, ``.dist-info`` metadata, and the
files of distributions installed beside the executable (``on-disk``).

Every data file of a collected package is listed here; which of them the
executable embeds is the ``[tool.pyingot.data]`` patterns' choice, made when the
payload is written (``DataPatterns``), so that this stage needs no setting.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping

from pyingot.resources import policy
from pyingot.resources.model import DataResource, FileResource, MetadataResource, ModuleResource
from pyingot.resources.scan import InstalledDistribution, ModuleFile, ModuleFinder, read_file


def package_data(
    finder: ModuleFinder, modules: Mapping[str, ModuleResource], files: Mapping[str, ModuleFile]
) -> tuple[DataResource, ...]:
    """The data files of every package in ``modules`` (regular or top-level
    namespace), as ``finder`` lists them; ``files`` says where each module was found."""
    data: list[DataResource] = []
    # A module found in a directory that is not a package (a namespace
    # package's) is code, not also its ancestor's data.
    code_files = {files[n].path for n in modules}
    for name, module in modules.items():
        if not module.is_package:
            continue
        parent = name.rpartition(".")[0]
        if module.is_namespace and parent in modules:
            continue  # its files are already its parent package's data
        for rel, path in finder.package_data(files[name]):
            if path in code_files:
                continue
            if module.is_dependency and policy.in_test_directory(rel):
                continue  # a dependency's test suite, as its test packages are left out
            data.append(DataResource(name, rel, read_file(path)))
    return tuple(data)


def metadata(
    distributions: Iterable[InstalledDistribution], embedded: Collection[str | None]
) -> tuple[MetadataResource, ...]:
    """The ``.dist-info`` files of the distributions named in ``embedded``."""
    return tuple(
        MetadataResource(d.dist_info, rel, read_file(path), d.name)
        for d in distributions
        if d.name in embedded
        for rel, path in d.metadata_files()
        if policy.metadata_embedded(rel)
    )


def distribution_files(dist: InstalledDistribution) -> list[FileResource]:
    """Every file a distribution installed, for installing it beside the executable."""
    out = []
    left_out = {f"{dist.dist_info}/{name}" for name in policy.METADATA_LEFT_OUT}
    for rel in dist.files:
        path = dist.root / rel
        if "__pycache__/" in rel or rel in left_out or not path.is_file():
            continue
        out.append(FileResource(rel, read_file(path), executable=os.access(path, os.X_OK)))
    return out
