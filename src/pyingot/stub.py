"""The runtime stub: Rust runtime + libpython + the chosen extensions, linked once.

An application's executable is this stub with the payload appended, so the stub
holds no application code and is linked once per (distribution, extension set,
runtime version), then reused from the cache: changing the application only
repacks the payload. Two cache levels:

* ``runtime/<python X.Y>-<hash>/libpyingot_runtime.a`` — the Rust crate built
  by cargo for one Python minor version (pyo3-ffi's structures differ between
  versions), keyed by the runtime's sources and the Rust toolchain;
* ``stubs/<hash>/stub`` — that archive linked with a distribution and an
  extension selection, stripped.

Rust paths are remapped (``--remap-path-prefix``) so that no absolute build
path ends up in the executable.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from pyingot import cache, linking
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.errors import PyingotError
from pyingot.progress import Progress, run_logged

#: Bump when how the stub is linked changes (flags, inputs).
STUB_RECIPE = 1

#: Libraries Rust's standard library needs, linked dynamically (all glibc's);
#: libgcc is linked statically (``-static-libgcc``): it is not part of glibc.
RUST_SYSTEM_LIBS = ("-lutil", "-lrt", "-lpthread", "-ldl", "-lm", "-lc")


def runtime_dir() -> Path:
    """The Rust workspace and the runtime's Python modules, beside the package."""
    root = Path(__file__).resolve().parents[2] / "runtime"
    if not (root / "Cargo.toml").is_file():
        raise PyingotError(
            f"pyingot's runtime sources are missing (looked in {root})",
            hint="install pyingot from a source checkout: pip install -e <checkout>",
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


def _tool_version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except FileNotFoundError as e:
        raise PyingotError(
            f"'{cmd[0]}' is not installed: the runtime is built with Rust's cargo",
            hint="install Rust (https://rustup.rs) so that cargo and rustc are on PATH",
        ) from e


def pyo3_config(dist: Distribution) -> str:
    mm = dist.major_minor
    return "\n".join(
        [
            "implementation=CPython",
            f"version={mm}",
            "shared=false",
            "abi3=false",
            f"lib_name=python{mm}",
            f"lib_dir={dist.path('install/lib')}",
            f"executable={dist.path(dist.python_exe)}",
            "pointer_width=64",
            "build_flags=",
            # linking.py links: pyo3-ffi must not add -lpython3.X.
            "suppress_build_script_link_lines=true",
            "",
        ]
    )


def runtime_library(dist: Distribution, progress: Progress) -> Path:
    """``libpyingot_runtime.a`` for ``dist``'s Python version, from the cache or cargo."""
    root = runtime_dir()
    key = cache.input_hash(
        {
            "python": dist.major_minor,
            "sources": _sources_hash(root),
            "rustc": _tool_version(["rustc", "--version"]),
        }
    )
    final = cache.cache_root() / "runtime" / f"python{dist.major_minor}-{key[:16]}"
    lib = final / "libpyingot_runtime.a"
    if lib.is_file():
        return lib
    progress.note(f"building the Rust runtime for Python {dist.major_minor} (once)")
    logs = cache.ensure_dir(cache.cache_root() / "logs")
    log = logs / f"runtime-{dist.major_minor}-{key[:12]}.log"
    log.write_text("")
    target = cache.ensure_dir(cache.cache_root() / "cargo-target" / f"python{dist.major_minor}")
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


def stub(dist: Distribution, selected: Mapping[str, ExtensionModule], progress: Progress) -> Path:
    """The linked, stripped stub for ``dist`` with the ``selected`` extensions."""
    runtime = runtime_library(dist, progress)
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
            extra_args=["-static-libgcc", "-s", "-Wl,--gc-sections", *RUST_SYSTEM_LIBS],
        )
        cache.commit(tmp, final)
    return out


def _distribution_identity(dist: Distribution) -> str:
    """pyingot's own cache key, or for a PBS archive the hash of its PYTHON.json."""
    own = dist.extra.get("pyingot")
    if isinstance(own, dict) and isinstance(own.get("cache_key"), str):
        return str(own["cache_key"])
    return cache.file_sha256(dist.root / "PYTHON.json")
