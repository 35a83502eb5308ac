"""Resources -> payload entries.

The payload holds META settings the runtime reads (``entry``, the libraries of
each extension module, the on-disk directory), settings that ``pyingot inspect``
reads back (the Python version, the linked extension modules and their licenses),
every module, package data file, distribution metadata file, extension module and
shared library.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from pyingot import __version__
from pyingot.config import EntryPoint
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.packing import Flag, Kind, PayloadEntry
from pyingot.resources.model import (
    DataResource,
    ExtensionResource,
    MetadataResource,
    ModuleResource,
    ResourceSet,
    SharedLibraryResource,
)

#: META names the runtime reads (the Rust side names them again in lib.rs);
#: docs/packed-format.md describes their values.
META_ENTRY = "entry"
#: JSON ``{extension module: [SHARED_LIBRARY names in load order]}``.
META_EXTENSION_LIBRARIES = "extension_libraries"
#: The on-disk directory's name, relative to the executable's directory.
META_ON_DISK_PATH = "on_disk_path"
#: ``data-on-disk``: the data directory's name, relative to the executable's
#: directory, and the top-level packages (one per line) whose modules' paths
#: point into it (read by runtime/stub/src/importer.rs).
META_DATA_ROOT = "data_root"
META_DATA_ROOT_PACKAGES = "data_root_packages"
#: META names only ``pyingot inspect`` reads.
META_PYTHON_VERSION = "python_version"
META_PYINGOT_VERSION = "pyingot_version"
META_EXTENSIONS = "extensions"
META_NAME = "name"


def meta_entries(
    *,
    name: str,
    entry: str,
    dist: Distribution,
    selected: Mapping[str, ExtensionModule],
    extension_libraries: Mapping[str, Sequence[str]] | None = None,
    on_disk_path: str | None = None,
) -> list[PayloadEntry]:
    """The META entries; the two optional ones only when they have something to say."""
    extensions = {
        ext.name: {"licenses": list(ext.licenses or ()), "public_domain": ext.license_public_domain}
        for ext in sorted(selected.values(), key=lambda e: e.name)
    }
    values = {
        META_ENTRY: entry,
        META_NAME: name,
        META_PYTHON_VERSION: dist.python_version,
        META_PYINGOT_VERSION: __version__,
        META_EXTENSIONS: json.dumps(
            {"python_license": list(dist.licenses or ()), "modules": extensions},
            sort_keys=True,
            separators=(",", ":"),
        ),
    }
    if extension_libraries:
        values[META_EXTENSION_LIBRARIES] = json.dumps(
            {k: list(v) for k, v in extension_libraries.items()},
            sort_keys=True,
            separators=(",", ":"),
        )
    if on_disk_path:
        values[META_ON_DISK_PATH] = on_disk_path
    return [PayloadEntry(Kind.META, k, v.encode()) for k, v in sorted(values.items())]


def module_entries(modules: Iterable[ModuleResource], *, keep_sources: bool) -> list[PayloadEntry]:
    out = []
    for m in modules:
        flags = Flag(0)
        if m.is_package:
            flags |= Flag.IS_PACKAGE
        if m.is_namespace:
            # The format's rule: a namespace package is a package without code.
            flags |= Flag.IS_PACKAGE | Flag.IS_NAMESPACE
        source = b""
        if keep_sources and m.source is not None:
            flags |= Flag.HAS_SOURCE
            source = m.source
        out.append(PayloadEntry(Kind.MODULE, m.name, m.bytecode, source, flags))
    return out


def extension_entries(extensions: Iterable[ExtensionResource]) -> list[PayloadEntry]:
    return [
        PayloadEntry(
            Kind.EXTENSION, e.name, e.data, flags=Flag.IS_PACKAGE if e.is_package else Flag(0)
        )
        for e in extensions
    ]


def shared_library_entries(libraries: Iterable[SharedLibraryResource]) -> list[PayloadEntry]:
    return [PayloadEntry(Kind.SHARED_LIBRARY, lib.name, lib.data) for lib in libraries]


def metadata_entries(metadata: Iterable[MetadataResource]) -> list[PayloadEntry]:
    return [PayloadEntry(Kind.METADATA, m.key, m.data) for m in metadata]


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


def data_entries(data: Iterable[DataResource]) -> list[PayloadEntry]:
    return [PayloadEntry(Kind.DATA, d.key, d.data) for d in data]
