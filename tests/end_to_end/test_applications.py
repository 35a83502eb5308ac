"""Real PyPI applications, each built into one executable and run for real.

black (mypyc-compiled), a rich + click CLI, requests with certifi's CA bundle,
numpy with its bundled OpenBLAS, and multiprocessing under spawn and fork —
the examples under examples/. Each runs under ``strace -f``: no .py, .pyc or
.so is opened from disk (glibc's libraries and /proc/self/fd memfds aside) and
nothing is written under /tmp.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests import building
from tests import traced as trace
from tests.building import EXAMPLES
from tests.distributions import distribution

pytestmark = pytest.mark.slow

_built: dict[str, Path] = {}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    distribution("3.11")
    return tmp_path_factory.mktemp("applications")


def built(name: str, workdir: Path) -> Path:
    if name not in _built:
        project = building.copy_project(EXAMPLES / name, workdir / name)
        building.pin(project)
        done = building.build(project, quiet=True, timeout=1200)
        assert done.returncode == 0, done.stderr
        _built[name] = Path(done.stdout.strip())
    return _built[name]


def traced(
    exe: Path, tmp_path: Path, *args: str, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = tmp_path / "strace.txt"
    done = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=%file", "-o", str(log), str(exe), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp_path)},
    )
    return done, log.read_text().splitlines()


def assert_nothing_from_disk(lines: list[str], own: Path) -> None:
    """The tier-3 rule (tests/traced.py); ``own``, the test's directory, holds the
    user's files (black formats one) and HOME (black's cache)."""
    assert trace.code_from_disk(lines, own=own) == []
    assert trace.writes_under_tmp(lines, own=own) == []


def test_black_formats_a_file(workdir: Path, tmp_path: Path) -> None:
    src = tmp_path / "ugly.py"
    src.write_text('x = {  "a":1,"b" :[1,2 ,3]}\ndef f( a ):\n  return a\n')
    done, lines = traced(built("black_fmt", workdir), tmp_path, str(src))
    assert done.returncode == 0, done.stderr
    assert "1 file reformatted" in done.stderr
    assert src.read_text() == 'x = {"a": 1, "b": [1, 2, 3]}\n\n\ndef f(a):\n    return a\n'
    assert_nothing_from_disk(lines, tmp_path)


def test_rich_click_cli_prints_a_table_and_help(workdir: Path, tmp_path: Path) -> None:
    exe = built("rich_cli", workdir)
    done, lines = traced(exe, tmp_path, "--title", "ingot", "--rows", "2")
    assert done.returncode == 0, done.stderr
    assert "ingot" in done.stdout and "│ frozen │ True" in done.stdout
    assert "│ row 1  │ xx" in done.stdout
    assert_nothing_from_disk(lines, tmp_path)
    helped = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert helped.stdout.startswith("Usage: ") and "--rows INTEGER" in helped.stdout


def test_requests_reads_certifi_bundle_from_memory(workdir: Path, tmp_path: Path) -> None:
    done, lines = traced(built("requests_certs", workdir), tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["url"] == "https://example.org/api?q=ingot" and out["method"] == "POST"
    assert out["certificates"] > 100 and out["ssl_ca_loaded"] == out["certificates"]
    # The bundle's path in the executable's read-only view, which OpenSSL reads.
    assert out["certifi_where"].endswith("/certifi/cacert.pem")
    assert_nothing_from_disk(lines, tmp_path)


def test_numpy_matrix_product_and_inverse(workdir: Path, tmp_path: Path) -> None:
    done, lines = traced(built("numpy_calc", workdir), tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["product"] == [[14.0, 25.0], [12.0, 20.0]]
    assert out["inverse"] == [[0.6, -0.7], [-0.2, 0.4]]
    assert out["identity_ok"] is True and out["blas"] is True
    assert_nothing_from_disk(lines, tmp_path)


def test_multiprocessing_pool_spawn_and_fork(workdir: Path, tmp_path: Path) -> None:
    done, lines = traced(built("mp_pool", workdir), tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    squares = [0, 1, 4, 9, 16, 25]
    assert out["spawn"] == squares and out["fork"] == squares
    assert out["spawn-executor"] == [0, 1, 4] and out["fork-executor"] == [0, 1, 4]
    assert_nothing_from_disk(lines, tmp_path)
