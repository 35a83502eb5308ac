"""Resources -> payload entries.

The payload holds the runtime settings (``payload.settings``: the entry point,
the libraries of each extension module, the directories beside the executable,
and for ``pyingot inspect`` the Python version, the glibc floor, the linked
extension modules and their licenses), every module, package data file, distribution metadata file,
extension module and shared library.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pyingot import __version__
from pyingot.config import EntryPoint
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.errors import InternalError
from pyingot.glibc import GlibcVersion
from pyingot.payload.packing import Flag, Kind, PayloadEntry
from pyingot.payload.settings import (
    FunctionEntry,
    LinkedExtension,
    LinkedExtensions,
    ModuleEntry,
    PythonEntry,
    RuntimeEntry,
    RuntimeSettings,
    ScriptEntry,
)
from pyingot.resources.model import (
    DataResource,
    ExtensionResource,
    MetadataResource,
    ModuleResource,
    ResourceSet,
    SharedLibraryResource,
)


def runtime_settings(
    *,
    name: str,
    entry: RuntimeEntry,
    dist: Distribution,
    selected: Mapping[str, ExtensionModule],
    extension_libraries: Mapping[str, Sequence[str]] | None = None,
    start_extensions: Sequence[str] = (),
    lib_dynload: Sequence[str] = (),
    on_disk_path: str | None = None,
    data_root: str | None = None,
    data_root_packages: Sequence[str] = (),
    glibc_floor: GlibcVersion | None = None,
    sbom: str | None = None,
) -> RuntimeSettings:
    """The settings the runtime (and ``pyingot inspect``) reads from the payload."""
    linked = {
        ext.name: LinkedExtension(tuple(ext.licenses or ()), ext.license_public_domain)
        for ext in selected.values()
    }
    return RuntimeSettings(
        entry=entry,
        name=name,
        python_version=dist.python_version,
        python_free_threaded=dist.freethreaded,
        pyingot_version=__version__,
        glibc_floor=glibc_floor,
        extensions=LinkedExtensions(tuple(dist.licenses or ()), linked),
        extension_libraries={k: tuple(v) for k, v in (extension_libraries or {}).items()},
        start_extensions=tuple(start_extensions),
        lib_dynload=tuple(sorted(lib_dynload)),
        on_disk_path=on_disk_path,
        data_root=data_root,
        data_root_packages=tuple(data_root_packages),
        sbom=sbom,
    )


def module_entries(
    modules: Iterable[ModuleResource],
    *,
    at_start: frozenset[str] = frozenset(),
) -> list[PayloadEntry]:
    """The modules' entries, with the sources the resources kept
    (``keep-sources``); those named in ``at_start`` have their bytecode marked
    as read at start-up (:attr:`PayloadEntry.at_start`)."""
    out = []
    for m in modules:
        flags = Flag(0)
        if m.is_package:
            flags |= Flag.IS_PACKAGE
        if m.is_namespace:
            # The format's rule: a namespace package is a package without code.
            flags |= Flag.IS_PACKAGE | Flag.IS_NAMESPACE
        source = b""
        if m.source is not None:
            flags |= Flag.HAS_SOURCE
            source = m.source
        out.append(
            PayloadEntry(
                Kind.MODULE, m.name, m.bytecode, source, flags, at_start=m.name in at_start
            )
        )
    return out


def extension_entries(
    extensions: Iterable[ExtensionResource], at_start: frozenset[str] | None = None
) -> list[PayloadEntry]:
    """The extension modules' entries: cold (:attr:`PayloadEntry.cold`) those the
    build linked as shared objects, and those ``at_start`` does not name (numpy's
    ``_simd``, imported by its tests alone: 0.59 MB as LZ4, 0.31 as zstd)."""
    return [
        PayloadEntry(
            Kind.EXTENSION,
            e.name,
            e.data,
            flags=Flag.IS_PACKAGE if e.is_package else Flag(0),
            cold=not _at_start(e, at_start),
        )
        for e in extensions
    ]


def start_extensions(resources: ResourceSet) -> list[str]:
    """The embedded extension modules that the program imports to start, by the build's
    guess (:attr:`ResourceSet.at_start`), largest first counting the libraries each
    needs: the runtime starts copying them to memory, with those libraries, before the
    interpreter starts (``runtime/stub/src/prefetch.rs``)."""
    sizes = {lib.name: len(lib.data) for lib in resources.shared_libraries}

    def size(e: ExtensionResource) -> int:
        needs = resources.extension_libraries.get(e.name, ())
        return len(e.data) + sum(sizes.get(lib, 0) for lib in needs)

    chosen = [e for e in resources.extensions.values() if _at_start(e, resources.at_start)]
    return [e.name for e in sorted(chosen, key=lambda e: (-size(e), e.name))]


def _at_start(e: ExtensionResource, at_start: frozenset[str] | None) -> bool:
    """Whether extension module ``e`` is read as the program starts: not one the build
    linked as a shared object, and named by the start-up guess (any, without one)."""
    return not e.cold and (at_start is None or e.name in at_start)


def shared_library_entries(libraries: Iterable[SharedLibraryResource]) -> list[PayloadEntry]:
    return [PayloadEntry(Kind.SHARED_LIBRARY, lib.name, lib.data) for lib in libraries]


def metadata_entries(metadata: Iterable[MetadataResource]) -> list[PayloadEntry]:
    return [PayloadEntry(Kind.METADATA, m.key, m.data) for m in metadata]


def runtime_entry(entry: EntryPoint, resources: ResourceSet) -> RuntimeEntry:
    """What the runtime runs: the configured entry point, the script as ``__main__``."""
    match entry.kind, entry.module, entry.function:
        case "function", str(module), str(function):
            return FunctionEntry(module, function)
        case "module", str(module), None:
            return ModuleEntry(module)
        case "script", None, None:
            main = resources.modules.get("__main__")
            return ScriptEntry(main.origin if main else "main.py")
        case "python", None, None:
            return PythonEntry()
    raise InternalError(f"inconsistent entry point {entry!r}")


def data_entries(data: Iterable[DataResource]) -> list[PayloadEntry]:
    return [PayloadEntry(Kind.DATA, d.key, d.data) for d in data]
