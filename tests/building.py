"""The one way tests run pyingot and build real executables.

Every tier-3 test builds through :func:`build`: copy a fixture or example
project, pin ``[tool.pyingot]`` settings (the Python version first), run
``python -m pyingot build`` as a user would, and hand back the result.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"


def pyingot(
    *args: str | Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m pyingot ARGS``, its output captured; ``env`` adds to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "pyingot", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )


def write(root: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` (relative path -> text, dedented) under ``root``."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(textwrap.dedent(text))


def copy_project(source: Path, dest: Path) -> Path:
    """A copy of ``source`` at ``dest`` without build outputs (unless it exists already)."""
    if not dest.exists():
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    return dest


def pin(project: Path, **settings: str) -> None:
    """Set ``[tool.pyingot]`` keys (``python="3.13"``, ``entry=...``), replacing
    their earlier values and adding the table if there is none."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    if not settings:
        return
    names = "|".join(re.escape(k) for k in settings)
    text = re.sub(rf'(?m)^({names}) = ".*"\n', "", text)
    if "[tool.pyingot]\n" not in text:
        text += "\n[tool.pyingot]\n"
    lines = "".join(f'{k} = "{v}"\n' for k, v in settings.items())
    pyproject.write_text(text.replace("[tool.pyingot]\n", "[tool.pyingot]\n" + lines, 1))


def build(
    project: Path,
    output: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
    quiet: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``pyingot build PROJECT [-o OUTPUT]``; the caller checks the outcome."""
    args: list[str | Path] = ["build", *(["-q"] if quiet else []), project]
    if output is not None:
        args += ["-o", output]
    return pyingot(*args, env=env, timeout=timeout)


def build_ok(project: Path, output: Path, **kw: object) -> Path:
    """:func:`build`, asserting success; the executable's path."""
    done = build(project, output, **kw)  # type: ignore[arg-type]
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == str(output)
    return output
