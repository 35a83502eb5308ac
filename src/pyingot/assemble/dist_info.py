"""The application's own ``.dist-info``, so that importlib.metadata knows it.

Written from ``[project]`` as config read it (name, version, summary,
dependencies, entry points), with a RECORD of the application's files at their
virtual paths.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from pyingot import names
from pyingot.config import ProjectConfig
from pyingot.payload.packing import Kind, PayloadEntry
from pyingot.resources.model import DataResource, ResourceSet


def app_metadata_entries(
    config: ProjectConfig, resources: ResourceSet, data_files: Sequence[DataResource]
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
    data: Sequence[DataResource],
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
    paths.update(d.file_path for d in data if d.package in packages)
    paths.update(f"{dist_info}/{f}" for f in dist_files)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows((p, "", "") for p in sorted(paths))
    return out.getvalue()
