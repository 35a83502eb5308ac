"""Issue 12: a wheel of pyingot is complete.

Built with ``pip wheel`` and installed into a fresh virtual environment, it
finds the runtime's sources and its prebuilt archives as package data, and
builds and runs ``examples/hello`` with no cargo or rustc on PATH.

The wheel is cached under the user cache directory, keyed by a hash of every
file it is built from, so only a change to pyingot rebuilds it (and cargo runs
only for a changed runtime); the wheels of pyingot's dependencies are
downloaded once into the same cache. The build reuses the cached CPython 3.11.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from pyingot import cache
from pyingot.stub import runtime
from tests.building import EXAMPLES, ROOT, copy_project, pin

pytestmark = pytest.mark.slow

#: Made by building (pip, setuptools, cargo), never part of a wheel.
BUILD_DIRECTORIES = {"build", "target", "__pycache__", "dist"}
#: What the installed pyingot must make itself rather than find in the cache.
NOT_SHARED = {"runtime", "cargo-target", "stubs", "tests"}


def wheel_inputs() -> str:
    """A hash of what the wheel is built from: the package (the runtime's
    sources through its link), the build configuration and the README."""
    h = hashlib.sha256()
    files = [ROOT / "pyproject.toml", ROOT / "setup.py", ROOT / "README.md"]
    for top in (ROOT / "src", ROOT / "runtime"):
        files += [
            p
            for p in top.rglob("*")
            if p.is_file()
            and not p.is_symlink()
            and not BUILD_DIRECTORIES.intersection(p.relative_to(top).parts)
            and not any(part.endswith(".egg-info") for part in p.parts)
        ]
    for path in sorted(files):
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def build_wheel(tmp_path: Path) -> Path:
    final = cache.cache_root() / "tests" / "wheels" / wheel_inputs()[:16]
    if final.is_dir():
        return next(final.glob("pyingot-*.whl"))
    # A copy, so that the in-tree build writes nothing (build/, egg-info) into the checkout.
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        tree,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", "target", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp), str(tree)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        cache.commit(tmp, final)
    return next(final.glob("pyingot-*.whl"))


def dependency_wheels() -> Path:
    """pyingot's dependencies (zig, zstandard) as wheels, downloaded once."""
    requirements = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    key = cache.input_hash({"requirements": requirements, "python": sys.version_info[:2]})
    final = cache.cache_root() / "tests" / "wheelhouse" / key[:16]
    if final.is_dir():
        return final
    with cache.entry_lock(final), cache.staging_dir(final) as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--only-binary=:all:",
                "-d",
                str(tmp),
                *requirements,
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
        cache.commit(tmp, final)
    return final


def without_rust() -> str:
    """PATH without the directories that hold cargo or rustc."""
    kept = [
        d
        for d in os.environ["PATH"].split(os.pathsep)
        if d and not any(shutil.which(tool, path=d) for tool in ("cargo", "rustc"))
    ]
    return os.pathsep.join(kept)


def test_the_wheel_builds_an_application_without_rust(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    assert wheel.name.endswith("-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        manifest = json.loads(z.read("pyingot/prebuilt/manifest.json"))
        wheel_file = z.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode()
        archives = {
            v.name: z.read(f"pyingot/prebuilt/{v.name}/{runtime.ARCHIVE}")
            for v in runtime.SUPPORTED_VARIANTS
        }
    assert [n for n in names if BUILD_DIRECTORIES.intersection(n.split("/")[:-1])] == []
    assert [n for n in names if ".egg-info" in n or ".data/" in n] == []
    assert "Root-Is-Purelib: false" in wheel_file
    # The runtime's sources and embedded modules travel with the archives.
    for name in ("Cargo.lock", "stub/src/lib.rs", "python/_pyingot_boot.py"):
        assert f"pyingot/runtime/{name}" in names
    assert manifest["runtime"] == runtime.runtime_version()
    assert sorted(manifest["variants"]) == sorted(archives)
    assert {"python3.11", "python3.12", "python3.13"} <= set(archives)
    for name, data in archives.items():
        assert data.startswith(b"!<arch>\n")
        assert hashlib.sha256(data).hexdigest() == manifest["variants"][name]["sha256"]
    # Each archive's record of the crates compiled into it, for the executables' SBOM.
    for variant in runtime.SUPPORTED_VARIANTS:
        assert f"pyingot/prebuilt/{variant.name}/{runtime.CRATES}" in names

    env_dir = tmp_path / "venv"
    # This pip installs into it (--python): quicker than seeding the venv with its own.
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-compile",
            "--no-index",
            "--find-links",
            str(dependency_wheels()),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=900,
        # pip runs in the venv's python: a PYTHONPATH to a checkout (whose egg-info
        # says pyingot is installed) would make it skip the wheel.
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )

    path = os.pathsep.join([str(env_dir / "bin"), without_rust()])
    assert shutil.which("cargo", path=path) is None
    assert shutil.which("rustc", path=path) is None
    # The installed pyingot, not this checkout's (so no PYTHONPATH).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PATH": path}
    where = subprocess.run(
        [
            str(python),
            "-c",
            "from pyingot.stub import runtime as r\n"
            "print(r.runtime_dir()); print(r.prebuilt_library(r.RuntimeVariant('3.11')))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert where.returncode == 0, where.stderr
    sources, archive = map(Path, where.stdout.splitlines())
    assert sources.is_relative_to(env_dir) and (sources / "Cargo.toml").is_file()
    assert archive.is_relative_to(env_dir)

    # The cached distribution and libraries, but no runtime or stub: the
    # prebuilt archive is linked here, and nothing builds a runtime.
    shared = tmp_path / "cache"
    shared.mkdir()
    for entry in cache.cache_root().iterdir():
        if entry.is_dir() and entry.name not in NOT_SHARED:
            (shared / entry.name).symlink_to(entry)
    env[cache.CACHE_ENV] = str(shared)

    project = copy_project(EXAMPLES / "hello", tmp_path / "hello")
    pin(project, python="3.11")
    exe = tmp_path / "hello-exe"
    built = subprocess.run(
        [str(env_dir / "bin" / "pyingot"), "build", str(project), "-o", str(exe)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=900,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    assert "linking the runtime with" in built.stderr
    assert not (shared / "runtime").exists() and not (shared / "cargo-target").exists()
    ran = subprocess.run([exe, "wheel"], capture_output=True, text=True, timeout=60, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith("Hello, wheel! (Python 3.11.")
    # With no cargo, the SBOM still names the Rust crates, from the wheel's record.
    bom = json.loads(exe.with_name(f"{exe.name}.cdx.json").read_text())
    crates = {c["name"] for c in bom["components"] if c["bom-ref"].startswith("cargo:")}
    assert {"pyo3-ffi", "rust-std"} <= crates
