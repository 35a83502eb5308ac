"""The Rust runtime: its sources (package data) and ``libpyingot_runtime.a``.

The crate is built by cargo once per Python minor version and build (pyo3-ffi's
structures differ between versions, and a free-threaded interpreter's object
header is another shape) and cached under ``runtime/<python X.Y[t]>-<hash>/``,
keyed by the runtime's sources and the Rust toolchain. Rust paths are remapped
(``--remap-path-prefix``) so that no absolute build path ends up in the executable.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import shutil
from pathlib import Path

from pyingot import cache, tools
from pyingot.distribution.model import Distribution
from pyingot.errors import PyingotError
from pyingot.progress import Progress, run_logged


def runtime_dir() -> Path:
    """The Rust workspace and the runtime's Python modules: package data of
    ``pyingot`` (``pyingot/runtime``, in a checkout a link to the top-level
    ``runtime/``), so an installed pyingot finds them as a checkout does."""
    root = Path(str(importlib.resources.files("pyingot").joinpath("runtime")))
    if not (root / "Cargo.toml").is_file():
        raise PyingotError(
            f"pyingot's runtime sources are missing (looked in {root})",
            hint="reinstall pyingot: its package data holds the runtime's sources",
        )
    return root


def runtime_python_modules() -> dict[str, Path]:
    """The runtime's own Python modules (``_pyingot_boot`` ...), embedded in every payload."""
    return {p.stem: p for p in sorted((runtime_dir() / "python").glob("_pyingot_*.py"))}


def _sources_hash(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == "target" or not path.is_file() or "__pycache__" in rel.parts:
            continue
        h.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def pyo3_config(dist: Distribution) -> str:
    return "\n".join(
        [
            "implementation=CPython",
            f"version={dist.major_minor}",
            "shared=false",
            "abi3=false",
            f"lib_name=python{dist.ldversion}",
            f"lib_dir={dist.path('install/lib')}",
            f"executable={dist.path(dist.python_exe)}",
            "pointer_width=64",
            # pyo3-ffi's spelling: cfg(Py_GIL_DISABLED), the free-threaded ABI.
            f"build_flags={'Py_GIL_DISABLED' if dist.freethreaded else ''}",
            # linking.py links: pyo3-ffi must not add -lpython3.X.
            "suppress_build_script_link_lines=true",
            "",
        ]
    )


def runtime_library(dist: Distribution, progress: Progress) -> Path:
    """``libpyingot_runtime.a`` for ``dist``'s Python version, from the cache or cargo."""
    root = runtime_dir()
    inputs: dict[str, object] = {
        "python": dist.major_minor,
        "sources": _sources_hash(root),
        "rustc": tools.version(["rustc", "--version"]),
    }
    if dist.freethreaded:
        # Only when set, so the default build's key (and cache) stays as it was.
        inputs["freethreaded"] = "1"
    key = cache.input_hash(inputs)
    # ldversion (3.13 or 3.13t) keeps the two builds' caches and cargo target dirs apart.
    version = dist.ldversion
    final = cache.cache_root() / "runtime" / f"python{version}-{key[:16]}"
    lib = final / "libpyingot_runtime.a"
    if lib.is_file():
        return lib
    progress.note(f"building the Rust runtime for Python {version} (once)")
    logs = cache.ensure_dir(cache.cache_root() / "logs")
    log = logs / f"runtime-{version}-{key[:12]}.log"
    log.write_text("")
    target = cache.ensure_dir(cache.cache_root() / "cargo-target" / f"python{version}")
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        if lib.is_file():
            return lib
        config = tmp / "pyo3-config.txt"
        config.write_text(pyo3_config(dist))
        cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
        env = dict(os.environ)
        env.update(
            {
                "PYO3_CONFIG_FILE": str(config),
                "CARGO_TARGET_DIR": str(target),
                "RUSTFLAGS": " ".join(
                    [
                        f"--remap-path-prefix={root}=/pyingot/runtime",
                        f"--remap-path-prefix={cargo_home}=/cargo",
                    ]
                ),
            }
        )
        run_logged(
            [
                "cargo",
                "build",
                "--release",
                "--locked",
                "-p",
                "pyingot-runtime",
                "--manifest-path",
                str(root / "Cargo.toml"),
            ],
            cwd=root,
            log=log,
            step="building the Rust runtime (cargo build)",
            env=env,
        )
        shutil.copy2(target / "release" / "libpyingot_runtime.a", tmp / lib.name)
        cache.commit(tmp, final)
    return lib
