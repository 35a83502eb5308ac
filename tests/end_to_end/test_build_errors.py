"""Bad input to a distribution build: clear message, non-zero exit, nothing half-built."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyingot.cache import cache_root
from pyingot.distribution import build, source
from tests import building
from tests.distributions import distribution


def pyingot(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return building.pyingot(*args, env={"PYINGOT_CACHE_DIR": str(cache)}, timeout=600)


def no_entries(cache: Path) -> bool:
    dists = cache / "distributions"
    return (
        not dists.exists()
        or [p.name for p in dists.iterdir() if not p.name.startswith(".pending")] == []
    )


def test_missing_source(tmp_path: Path) -> None:
    done = pyingot(
        "python", "build", "--source", str(tmp_path / "Python-3.12.4.tgz"), cache=tmp_path / "cache"
    )
    assert done.returncode == 1
    assert f"error: CPython source {tmp_path / 'Python-3.12.4.tgz'} does not exist" in done.stderr
    assert "Traceback" not in done.stderr


def test_corrupt_tarball_leaves_no_distribution(tmp_path: Path) -> None:
    bad = tmp_path / "Python-3.12.4.tar.xz"
    bad.write_bytes(b"\xfd7zXZ\x00" + os.urandom(4000))
    done = pyingot("python", "build", "--source", str(bad), cache=tmp_path / "cache")
    assert done.returncode == 1, done.stderr
    assert "error: cannot unpack CPython source tarball" in done.stderr
    assert no_entries(tmp_path / "cache")


def test_unsupported_version(tmp_path: Path) -> None:
    tree = tmp_path / "Python-3.9.0"
    (tree / "Include").mkdir(parents=True)
    (tree / "Include" / "patchlevel.h").write_text('#define PY_VERSION "3.9.0"\n')
    (tree / "configure").write_text("")
    done = pyingot("python", "build", "--source", str(tree), cache=tmp_path / "cache")
    assert done.returncode == 1
    assert "error: CPython 3.9.0 is not supported (pyingot builds 3.11, 3.12, 3.13)" in done.stderr
    assert no_entries(tmp_path / "cache")


def test_unwritable_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    tree = tmp_path / "src"
    tree.mkdir()
    done = pyingot("python", "build", "--source", str(tree), cache=blocker / "cache")
    assert done.returncode == 1
    assert f"cache directory {blocker / 'cache'}" in done.stderr
    assert "PYINGOT_CACHE_DIR" in done.stderr


def test_show_unknown_distribution(tmp_path: Path) -> None:
    done = pyingot("python", "show", "3.99", cache=tmp_path / "cache")
    assert done.returncode == 1
    assert "error: no cached distribution matches '3.99'" in done.stderr


@pytest.mark.slow
def test_interrupted_build_leaves_nothing_behind(tmp_path: Path) -> None:
    """Ctrl-C during the compile: exit 130, no entry, no staging directory."""
    tarball = source.resolve("debian:python3.11").path
    cache = tmp_path / "cache"  # no distribution: the build starts from scratch
    # ... but with the libraries it links, which take minutes to build (once).
    distribution("3.11")
    for shared in ("libraries", "toolchains", "sources"):
        (cache / shared).parent.mkdir(parents=True, exist_ok=True)
        (cache / shared).symlink_to(cache_root() / shared)
    env = {**os.environ, "PYINGOT_CACHE_DIR": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pyingot", "python", "build", "--source", str(tarball), "-j1"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 300
    for line in proc.stderr:
        if "compiling" in line or time.monotonic() > deadline:
            break
    time.sleep(3)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 130
    assert "interrupted: nothing was written to the cache" in rest
    dists = cache / "distributions"
    leftovers = [p.name for p in dists.iterdir() if not p.name.startswith(".pending")]
    assert leftovers == []


def test_prune_removes_only_distributions_of_older_recipes(tmp_path: Path) -> None:
    import json

    from tests import fixtures

    cache = tmp_path / "cache"
    dists = cache / "distributions"
    for name, recipe in (
        ("cpython-3.12.7-old", build.RECIPE_VERSION - 1),
        ("cpython-3.12.7-new", build.RECIPE_VERSION),
    ):
        tree = fixtures.make_tree(dists / name)
        data = json.loads((tree / "python" / "PYTHON.json").read_text())
        data["pyingot"] = {"recipe_version": recipe}
        (tree / "python" / "PYTHON.json").write_text(json.dumps(data))
    (dists / ".pending-abc.lock").write_text("")
    listed = pyingot("python", "list", cache=cache).stdout
    assert "cpython-3.12.7-old" in listed and "older recipe" in listed
    done = pyingot("python", "prune", cache=cache)
    assert done.returncode == 0
    assert done.stdout == f"removed {dists / 'cpython-3.12.7-old'}\n"
    assert sorted(p.name for p in dists.iterdir()) == ["cpython-3.12.7-new"]
    assert pyingot("python", "prune", cache=cache).stdout.startswith("nothing to remove")
