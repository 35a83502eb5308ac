"""The runtime stub: Rust runtime + libpython + the chosen extensions, linked once.

An application's executable is this stub with the payload appended, so the stub
holds no application code and is linked once per (distribution, extension set,
runtime archive), then reused from the cache (``stubs/<hash>/stub``, stripped):
changing the application only repacks the payload. The Rust crate itself comes
prebuilt with a wheel of pyingot, or is built and cached, by
:mod:`pyingot.stub.runtime`; :mod:`pyingot.stub.linking` writes the link line.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from pyingot import cache, digests
from pyingot.config import ProjectConfig
from pyingot.distribution.libraries import hide
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.errors import PyingotError
from pyingot.progress import Progress
from pyingot.resources.model import ExtensionResource, ResourceSet
from pyingot.stub import exports, linking, shared_objects
from pyingot.stub.runtime import (
    Crate,
    RuntimeVariant,
    pyo3_config,
    runtime_crates,
    runtime_dir,
    runtime_library,
    runtime_python_modules,
)

__all__ = [
    "Crate",
    "RuntimeVariant",
    "embed_extensions",
    "extensions_to_embed",
    "extensions_to_link",
    "pyo3_config",
    "runtime_crates",
    "runtime_dir",
    "runtime_library",
    "runtime_python_modules",
    "stub",
]

#: Bump when how the stub is linked changes (flags, inputs, exports).
STUB_RECIPE = 4

#: Flags of the stub's link beyond :func:`linking.link`'s own: stripped, unused
#: sections dropped, and only the GNU hash table of the exported symbols (the
#: loader of every glibc since 2.5 reads it; the SysV table beside it was 19 KiB
#: of hello's stub that nothing read); no unwind tables, whose index the discarded
#: ``.eh_frame_hdr`` was (:mod:`pyingot.stub.exports` says why none is needed).
STUB_LINK_FLAGS = ("-s", "-Wl,--gc-sections", "-Wl,--hash-style=gnu", "-Wl,--no-eh-frame-hdr")

#: Libraries Rust's standard library needs, linked dynamically (all glibc's);
#: its unwinder is linked statically (see ``linking.linker_for``).
RUST_SYSTEM_LIBS = ("-lutil", "-lrt", "-lpthread", "-ldl", "-lm", "-lc")


def extensions_to_link(
    config: ProjectConfig, dist: Distribution, resources: ResourceSet
) -> dict[str, ExtensionModule]:
    """The extension policy's modules that are linked into the stub: those the
    program imports at start-up (``link = "start-up"``), those the application
    reaches (``"reachable"``), or all of them (``"all"``, and for a python-like
    executable but under ``"start-up"``); required and included ones always.
    :func:`extensions_to_embed` has the rest of the reached ones."""
    allowed = config.extensions.resolve(dist)
    python_like = config.entry.kind == "python"
    if config.link_extensions == "all" or (python_like and config.link_extensions != "start-up"):
        return dict(allowed)
    reached = set(resources.builtins)
    linked = {
        name: ext
        for name, ext in allowed.items()
        if ext.required or name in reached or name in config.extensions.include
    }
    if config.link_extensions == "reachable":
        return linked
    pool = allowed if python_like else linked
    chosen = {
        name: ext
        for name, ext in pool.items()
        if name in resources.at_start
        or name in config.extensions.include
        or not shared_objects.can_be_shared(ext)
    }
    # A module that shares a static library with a linked one is linked too: its
    # shared object would carry a second copy of the library (numpy imports
    # ``_hashlib`` to start, and OpenSSL with it; ``_ssl`` on its own would be 5.9 MB
    # of it again, where linking it adds libssl, 0.7).
    for group in shared_objects.groups(dist, pool):
        if any(name in chosen for name in group):
            chosen.update((name, pool[name]) for name in group)
    return chosen


def extensions_to_embed(
    config: ProjectConfig, dist: Distribution, resources: ResourceSet
) -> dict[str, ExtensionModule]:
    """Under ``link = "start-up"``: the reached modules of the extension policy that
    are not linked, to embed as shared objects (:mod:`pyingot.stub.shared_objects`)."""
    if config.link_extensions != "start-up":
        return {}
    allowed = config.extensions.resolve(dist)
    linked = extensions_to_link(config, dist, resources)
    reached = set(resources.builtins) | (set(allowed) if config.entry.kind == "python" else set())
    return {name: ext for name, ext in allowed.items() if name in reached and name not in linked}


def embed_extensions(
    dist: Distribution,
    selected: Mapping[str, ExtensionModule],
    cold: Mapping[str, ExtensionModule],
    resources: ResourceSet,
    progress: Progress,
    runtime: Path,
) -> tuple[Path, dict[str, ExtensionModule], ResourceSet]:
    """The stub, the modules it links, and ``resources`` with the ``cold`` modules
    embedded as shared objects. One whose shared object cannot bind to the stub
    (:func:`shared_objects.unresolved`) is linked into the stub instead; when it
    shares its object with other modules, each of them gets an object of its own
    first, so that only the module that needs the missing symbol is linked (3.13t's
    ``_ssl``, while ``_hashlib`` stays embedded)."""
    built = shared_objects.shared_objects(dist, cold)
    linked = dict(selected)
    stub_path = stub(dist, linked, progress, runtime=runtime)
    bad = shared_objects.unresolved(built, stub_path)
    shared = {n for n in bad if sum(p == built[n] for p in built.values()) > 1}
    if shared:
        built.update((n, shared_objects.shared_object(dist, [cold[n]])) for n in sorted(shared))
        bad = shared_objects.unresolved(built, stub_path)
    if bad:
        linked.update((name, cold[name]) for name in bad)
        stub_path = stub(dist, linked, progress, runtime=runtime)
        # The new stub exports what their objects define, not what the others lack.
        still = shared_objects.unresolved(
            {n: p for n, p in built.items() if n not in bad}, stub_path
        )
        if still:
            name, missing = next(iter(still.items()))
            raise PyingotError(
                f"extension module {name} as a shared object needs {', '.join(missing[:3])}, "
                "which the executable does not export",
                hint=f'link it: include = ["{name}"] in [tool.pyingot.extensions]',
            )
    # One read per object: the modules of a group share its bytes (and their digest).
    data = {path: digests.read_file(path) for path in sorted(set(built.values()))}
    embedded = {
        name: ExtensionResource(name=name, data=data[path], origin=f"{name}.so", cold=True)
        for name, path in built.items()
        if name not in bad
    }
    if embedded:
        objects = {built[name] for name in embedded}
        progress.note(
            f"{len(embedded)} extension modules embedded as {len(objects)} shared objects, "
            f"loaded when first imported ({sum(p.stat().st_size for p in objects) >> 10} KiB)"
        )
    extensions = dict(sorted({**resources.extensions, **embedded}.items()))
    return (
        stub_path,
        linked,
        dataclasses.replace(resources, extensions=MappingProxyType(extensions)),
    )


def stub(
    dist: Distribution,
    selected: Mapping[str, ExtensionModule],
    progress: Progress,
    runtime: Path | None = None,
) -> Path:
    """The linked, stripped stub for ``dist`` with the ``selected`` extensions
    (and ``runtime``, by default :func:`runtime_library`'s)."""
    runtime = runtime or runtime_library(dist, progress)
    key = cache.input_hash(
        {
            "recipe": STUB_RECIPE,
            "distribution": _distribution_identity(dist),
            "extensions": sorted(selected),
            "runtime": digests.file_sha256(runtime),
            "exports": exports.INTERPOSED,
            "script": exports.NO_UNWIND_TABLES,
        }
    )
    final = cache.cache_root() / "stubs" / key[:24]
    out = final / "stub"
    if out.is_file():
        return out
    progress.note(f"linking the runtime with {len(selected)} extension modules (once)")
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        if out.is_file():
            return out
        # The runtime's symbols hidden but the functions it interposes.
        own = tmp / runtime.name
        shutil.copyfile(runtime, own)
        hide.hide_archive(own, keep=frozenset(exports.INTERPOSED))
        linking.link(
            dist,
            selected,
            main_inputs=[own],
            output=tmp / "stub",
            extra_args=[*STUB_LINK_FLAGS, *RUST_SYSTEM_LIBS],
            linker_script=exports.NO_UNWIND_TABLES,
        )
        own.unlink()
        cache.commit(tmp, final)
    return out


def _distribution_identity(dist: Distribution) -> str:
    """pyingot's own cache key, or for a PBS archive the hash of its PYTHON.json."""
    own = dist.extra.get("pyingot")
    if isinstance(own, dict) and isinstance(own.get("cache_key"), str):
        return str(own["cache_key"])
    return cache.file_sha256(dist.root / "PYTHON.json")
