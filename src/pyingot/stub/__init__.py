"""The runtime stub: Rust runtime + libpython + the chosen extensions, linked once.

An application's executable is this stub with the payload appended, so the stub
holds no application code and is linked once per (distribution, extension set,
runtime archive), then reused from the cache (``stubs/<hash>/stub``, stripped):
changing the application only repacks the payload. The Rust crate itself comes
prebuilt with a wheel of pyingot, or is built and cached, by
:mod:`pyingot.stub.runtime`; :mod:`pyingot.stub.linking` writes the link line.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pyingot import cache
from pyingot.config import ProjectConfig
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.progress import Progress
from pyingot.resources.model import ResourceSet
from pyingot.stub import linking
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
    "extensions_to_link",
    "pyo3_config",
    "runtime_crates",
    "runtime_dir",
    "runtime_library",
    "runtime_python_modules",
    "stub",
]

#: Bump when how the stub is linked changes (flags, inputs).
STUB_RECIPE = 3

#: Flags of the stub's link beyond :func:`linking.link`'s own: stripped, unused
#: sections dropped, and only the GNU hash table of the exported symbols (the
#: loader of every glibc since 2.5 reads it; the SysV table beside it was 19 KiB
#: of hello's stub that nothing read).
STUB_LINK_FLAGS = ("-s", "-Wl,--gc-sections", "-Wl,--hash-style=gnu")

#: Libraries Rust's standard library needs, linked dynamically (all glibc's);
#: its unwinder is linked statically (see ``linking.linker_for``).
RUST_SYSTEM_LIBS = ("-lutil", "-lrt", "-lpthread", "-ldl", "-lm", "-lc")


def extensions_to_link(
    config: ProjectConfig, dist: Distribution, resources: ResourceSet
) -> dict[str, ExtensionModule]:
    """The extension policy's modules that the application reaches (or all of
    them, as configured, and always for a python-like executable)."""
    allowed = config.extensions.resolve(dist)
    if config.link_extensions == "all" or config.entry.kind == "python":
        return dict(allowed)
    reached = set(resources.builtins)
    return {
        name: ext
        for name, ext in allowed.items()
        if ext.required or name in reached or name in config.extensions.include
    }


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
            "runtime": cache.file_sha256(runtime),
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
        linking.link(
            dist,
            selected,
            main_inputs=[runtime],
            output=tmp / "stub",
            extra_args=[*STUB_LINK_FLAGS, *RUST_SYSTEM_LIBS],
        )
        cache.commit(tmp, final)
    return out


def _distribution_identity(dist: Distribution) -> str:
    """pyingot's own cache key, or for a PBS archive the hash of its PYTHON.json."""
    own = dist.extra.get("pyingot")
    if isinstance(own, dict) and isinstance(own.get("cache_key"), str):
        return str(own["cache_key"])
    return cache.file_sha256(dist.root / "PYTHON.json")
