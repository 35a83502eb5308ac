"""An installed pyingot (not only an editable checkout) finds the runtime's sources.

The wheel carries runtime/ as package data of ``pyingot``; ``runtime_dir()``
finds it through importlib.resources in a fresh virtual environment.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.building import ROOT

pytestmark = pytest.mark.slow


def test_installed_wheel_finds_the_runtime_sources(tmp_path: Path) -> None:
    # A copy, so that the in-tree build writes nothing into the checkout.
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        tree,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", "target", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(tree)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = wheels.glob("pyingot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pyingot/runtime/Cargo.lock" in names
    assert "pyingot/runtime/stub/src/lib.rs" in names
    assert "pyingot/runtime/python/_pyingot_boot.py" in names
    assert not [n for n in names if "/target/" in n or "__pycache__" in n]

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    done = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "from pyingot.stub import runtime_dir, runtime_python_modules as m\n"
            "print(runtime_dir()); print(sorted(m()))",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    where, modules = done.stdout.splitlines()
    assert Path(where).is_relative_to(env_dir)
    assert (Path(where) / "Cargo.toml").is_file()
    assert "_pyingot_boot" in modules
