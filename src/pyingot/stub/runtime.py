"""The Rust runtime: its sources (package data) and ``libpyingot_runtime.a``.

The crate is compiled once per *runtime variant* (a Python minor version, and
whether that Python is free-threaded): pyo3-ffi's structures differ between
them, and nothing else of a distribution matters, since pyo3 is told not to
link libpython (``stub/linking.py`` does). So the archive for every supported
variant can be built ahead of time: a wheel of pyingot carries them as package
data (``pyingot/prebuilt/``) with a manifest naming the runtime version they
were built from, and a build that finds a matching one runs no Rust toolchain
at all. Without one (a source checkout, or a variant the wheel does not carry)
cargo builds it once into the cache, under ``runtime/<variant>-<hash>/``.

The runtime's version is a hash of the sources the archive is compiled from
(Cargo.lock included), the same in a checkout and in a wheel, so cache keys
follow the code, never the Rust toolchain installed. Rust paths are
remapped (``--remap-path-prefix``) so that no absolute build path ends up in
the executable.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyingot import cache
from pyingot.errors import PyingotError
from pyingot.progress import Progress, run_logged

if TYPE_CHECKING:
    from pyingot.distribution.model import Distribution

#: The archive's name in cargo's output, the cache and the wheel.
ARCHIVE = "libpyingot_runtime.a"
#: The prebuilt archives' directory inside the ``pyingot`` package (wheels only).
PREBUILT = "prebuilt"
MANIFEST = "manifest.json"
#: Beside each archive: the Rust crates compiled into it (for the SBOM).
CRATES = "crates.json"
#: Bump when the manifest's layout changes; an unknown one is not trusted.
MANIFEST_FORMAT = 1


@dataclass(frozen=True, order=True)
class RuntimeVariant:
    """What ``libpyingot_runtime.a`` is compiled for."""

    #: ``3.11``.
    python: str
    free_threaded: bool = False

    @property
    def name(self) -> str:
        """``python3.11``, ``python3.13t``: directory names in the cache and the wheel."""
        return f"python{self.python}{'t' if self.free_threaded else ''}"

    def describe(self) -> str:
        return f"Python {self.python}{' (free-threaded)' if self.free_threaded else ''}"

    @classmethod
    def of(cls, dist: Distribution) -> RuntimeVariant:
        # PYTHON.json's build_options name a free-threaded build ("freethreaded",
        # as python-build-standalone writes them; its python_tag stays cp313).
        return cls(dist.major_minor, free_threaded=dist.freethreaded)


#: The variants a wheel of pyingot carries prebuilt. Supporting another is adding it here.
SUPPORTED_VARIANTS: tuple[RuntimeVariant, ...] = (
    RuntimeVariant("3.11"),
    RuntimeVariant("3.12"),
    RuntimeVariant("3.13"),
    RuntimeVariant("3.13", free_threaded=True),
)


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


#: The files the archive is compiled from, relative to the runtime's directory:
#: what its version hashes, and what a wheel must ship of them (pyproject.toml's
#: package-data lists each; a test holds the two together). The crates' tests
#: and the embedded Python modules are not among them.
SOURCES = ("Cargo.toml", "Cargo.lock", "*/Cargo.toml", "*/build.rs", "*/src/**/*.rs")


def _sources_hash(root: Path) -> str:
    h = hashlib.sha256()
    files = {path for pattern in SOURCES for path in root.glob(pattern) if path.is_file()}
    for path in sorted(files):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def runtime_version() -> str:
    """The runtime's own version: a hash of its :data:`SOURCES`."""
    return _sources_hash(runtime_dir())


def pyo3_config(variant: RuntimeVariant) -> str:
    """A PYO3_CONFIG_FILE for ``variant``. It names no interpreter or library
    directory: with link lines suppressed pyo3 needs neither, which is what
    lets a variant be built on a machine without that Python."""
    return "\n".join(
        [
            "implementation=CPython",
            f"version={variant.python}",
            "shared=false",
            "abi3=false",
            f"lib_name=python{variant.python}{'t' if variant.free_threaded else ''}",
            "pointer_width=64",
            f"build_flags={'Py_GIL_DISABLED' if variant.free_threaded else ''}",
            # linking.py links: pyo3-ffi must not add -lpython3.X.
            "suppress_build_script_link_lines=true",
            "",
        ]
    )


def runtime_library(dist: Distribution, progress: Progress) -> Path:
    """``libpyingot_runtime.a`` for ``dist``'s runtime variant: prebuilt, cached or from cargo."""
    variant = RuntimeVariant.of(dist)
    return prebuilt_library(variant) or built_library(variant, progress)


@dataclass(frozen=True)
class Crate:
    """A third-party Rust crate (or Rust's standard library) compiled into the runtime."""

    name: str
    version: str
    #: As the crate declares it (an SPDX expression), "" if it declares none.
    license: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "license": self.license}


def runtime_crates(library: Path) -> tuple[Crate, ...]:
    """The crates compiled into ``library`` (an archive :func:`runtime_library`
    returned), from the record written beside it when it was built."""
    record = library.parent / CRATES
    try:
        rows = json.loads(record.read_text())
        return tuple(Crate(r["name"], r["version"], r.get("license", "")) for r in rows)
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise PyingotError(
            f"the record of the Rust runtime's crates {record} is unreadable ({e})",
            hint="remove that directory from pyingot's cache (or reinstall pyingot), then build",
        ) from e
    if shutil.which("cargo") is None:
        raise PyingotError(
            f"the Rust runtime {library} has no record of its crates ({CRATES}), "
            "and cargo is not on PATH to make one",
            hint="reinstall pyingot, or install Rust so that cargo is on PATH",
        )
    # An archive cached before the record existed: cargo tree reads the lock
    # file only (no compiling), so make the record now, written as a cache entry is.
    crates = _cargo_crates(runtime_dir(), dict(os.environ))
    _write_crates(record, crates)
    return crates


def _cargo_crates(root: Path, env: dict[str, str]) -> tuple[Crate, ...]:
    """The crates ``cargo tree`` says the runtime links (normal dependencies,
    not build scripts' or tests'), and Rust's standard library."""
    command = [
        "cargo", "tree", "--locked", "--offline", "-e", "normal", "-p", "pyingot-runtime",
        "--prefix", "none", "-f", "{p}|{l}", "--manifest-path", str(root / "Cargo.toml"),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True, env=env)
    if done.returncode != 0 or rustc.returncode != 0:
        raise PyingotError(
            "cargo could not list the Rust runtime's crates: "
            + (done.stderr or rustc.stderr).strip()[-500:],
            hint=f"check that cargo works in {root}",
        )
    found: dict[tuple[str, str], Crate] = {}
    for line in done.stdout.splitlines():
        package, _, license_ = line.partition("|")
        words = package.split()
        # pyingot's own crates are path dependencies ("name v0.1.0 (/path)"): part of pyingot.
        if len(words) != 2 or not words[1].startswith("v"):
            continue
        crate = Crate(words[0], words[1][1:], license_.removesuffix("(*)").strip())
        found[(crate.name, crate.version)] = crate
    # "rustc 1.91.0 (f8297e351 2025-10-28)": std, core, alloc... are linked in too.
    version = rustc.stdout.split()[1]
    found[("rust-std", version)] = Crate("rust-std", version, "MIT OR Apache-2.0")
    return tuple(sorted(found.values(), key=lambda c: (c.name, c.version)))


def _write_crates(record: Path, crates: tuple[Crate, ...]) -> None:
    tmp = record.with_name(f".{record.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps([c.to_json() for c in crates], indent=2) + "\n")
    os.replace(tmp, record)


def prebuilt_directory() -> Path:
    """Where a wheel of pyingot keeps its prebuilt archives (a checkout has none)."""
    return Path(str(importlib.resources.files("pyingot").joinpath(PREBUILT)))


def prebuilt_library(variant: RuntimeVariant, directory: Path | None = None) -> Path | None:
    """The archive for ``variant`` that this installation of pyingot carries
    (in ``directory``, by default :func:`prebuilt_directory`), if it was built
    from exactly the runtime sources installed beside it."""
    directory = directory or prebuilt_directory()
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise PyingotError(
            f"pyingot's prebuilt runtime manifest {directory / MANIFEST} is unreadable ({e})",
            hint="reinstall pyingot",
        ) from e
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("runtime") != runtime_version():
        return None
    entry = manifest.get("variants", {}).get(variant.name)
    lib = directory / variant.name / ARCHIVE
    if not isinstance(entry, dict) or not lib.is_file():
        return None
    if cache.file_sha256(lib) != entry.get("sha256"):
        raise PyingotError(
            f"pyingot's prebuilt runtime {lib} does not match its manifest",
            hint="the installation is damaged: reinstall pyingot",
        )
    return lib


def built_library(variant: RuntimeVariant, progress: Progress) -> Path:
    """The archive for ``variant`` from the cache, built there by cargo the first time."""
    root = runtime_dir()
    key = cache.input_hash({"variant": variant.name, "runtime": runtime_version()})
    final = cache.cache_root() / "runtime" / f"{variant.name}-{key[:16]}"
    lib = final / ARCHIVE
    if lib.is_file():
        return lib
    if shutil.which("cargo") is None:
        carried = ", ".join(v.python + ("t" if v.free_threaded else "") for v in SUPPORTED_VARIANTS)
        raise PyingotError(
            f"the Rust runtime for {variant.describe()} is not prebuilt in this pyingot "
            "and cannot be built here: cargo is not on PATH",
            hint="install Rust (https://rustup.rs) so that cargo is on PATH, or build with a "
            f"Python version whose runtime a wheel of pyingot carries ({carried})",
        )
    progress.note(f"building the Rust runtime for {variant.describe()} (once)")
    logs = cache.ensure_dir(cache.cache_root() / "logs")
    log = logs / f"runtime-{variant.name}-{key[:12]}.log"
    log.write_text("")
    target = cache.ensure_dir(cache.cache_root() / "cargo-target" / variant.name)
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        if lib.is_file():
            return lib
        config = tmp / "pyo3-config.txt"
        config.write_text(pyo3_config(variant))
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
        shutil.copy2(target / "release" / ARCHIVE, tmp / ARCHIVE)
        _write_crates(tmp / CRATES, _cargo_crates(root, env))
        config.unlink()
        cache.commit(tmp, final)
    return lib


def write_prebuilt(destination: Path, progress: Progress) -> None:
    """Fill ``destination`` (``pyingot/prebuilt`` of a wheel being built) with
    the archive of every supported variant and the manifest that vouches for
    them; all or nothing, as the cache's entries are."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{destination.name}-", dir=destination.parent))
    try:
        variants: dict[str, dict[str, str]] = {}
        for variant in SUPPORTED_VARIANTS:
            lib = built_library(variant, progress)
            (tmp / variant.name).mkdir()
            shutil.copyfile(lib, tmp / variant.name / ARCHIVE)
            _write_crates(tmp / variant.name / CRATES, runtime_crates(lib))
            variants[variant.name] = {"sha256": cache.file_sha256(lib)}
        manifest = {"format": MANIFEST_FORMAT, "runtime": runtime_version(), "variants": variants}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        if destination.exists():
            shutil.rmtree(destination)
        os.rename(tmp, destination)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
