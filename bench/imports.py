"""Import speed: every importable stdlib module, from memory and from the filesystem.

The same interpreter (pyingot's static CPython) imports the same list of
modules, in the same order, in two ways:

* inside a python-like pyingot executable (``entry = "python"``, the whole
  standard library embedded): ``exe -c CODE``, imports served from memory;
* as ``python3.X -I -S -c CODE``, imports served from the stdlib directory with
  its ``.pyc`` files warm.

CODE times the loop of ``importlib.import_module`` calls with
``time.perf_counter`` inside the process, so start-up is not counted. The list
is every stdlib module found on disk (test packages, ``__main__`` modules and
the few with side effects left out) that imports without error in *both*
ways, found by a first probing run of each.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from environment import ROOT

#: Never imported: they open a browser, print, start a GUI, run as scripts.
SKIP_TOP = {"antigravity", "this", "__hello__", "__phello__", "idlelib", "turtledemo", "test"}
SKIP_PARTS = {"test", "tests", "idle_test", "__main__", "site-packages"}

_PROBE = """
import importlib, json, sys, warnings
warnings.simplefilter("ignore")
ok = []
for name in {names!r}:
    try:
        importlib.import_module(name)
    except BaseException:
        continue
    ok.append(name)
sys.stdout.write(json.dumps(ok))
"""

_TIMED = """
import importlib, json, sys, time, warnings
warnings.simplefilter("ignore")
names = {names!r}
failed = []
started = time.perf_counter()
for name in names:
    try:
        importlib.import_module(name)
    except BaseException:
        failed.append(name)
elapsed = time.perf_counter() - started
sys.stdout.write(json.dumps({{"seconds": elapsed, "failed": failed, "modules": len(sys.modules)}}))
"""


def stdlib_modules(python: Path) -> list[str]:
    """Modules of ``python``'s stdlib directory and its built-in modules, sorted."""
    code = "import sys, sysconfig; print(sysconfig.get_paths()['stdlib']); "
    code += "print(' '.join(sorted(sys.builtin_module_names)))"
    out = subprocess.run(
        [str(python), "-I", "-S", "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    stdlib, builtins = Path(out[0]), out[1].split()
    names = set(builtins)
    for path in stdlib.rglob("*.py"):
        rel = path.relative_to(stdlib)
        parts = list(rel.with_suffix("").parts)
        if "__pycache__" in parts or SKIP_PARTS & set(parts) or parts[0] in SKIP_TOP:
            continue
        if "-" in str(rel) or any(not p.isidentifier() for p in parts):
            continue  # not importable by name (lib-dynload, config-3.11-..., ...)
        # Every directory on the way must be a package.
        if any(
            not (stdlib.joinpath(*parts[: i + 1]) / "__init__.py").is_file()
            for i in range(len(parts) - 1)
        ):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.add(".".join(parts))
    dynload = stdlib / "lib-dynload"
    if dynload.is_dir():
        names.update(p.name.split(".", 1)[0] for p in dynload.glob("*.so"))
    return sorted(n for n in names if n.split(".")[0] not in SKIP_TOP)


def build_python_like(work: Path, minor: str, log: Path) -> Path:
    """A pyingot executable that behaves like ``python``, with the whole stdlib."""
    project = work / "python-like"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "pyingot-python"\nversion = "1.0"\n\n'
        f'[tool.pyingot]\nentry = "python"\npython = "{minor}"\n'
    )
    exe = work / "pyingot-python"
    with log.open("a") as f:
        subprocess.run(
            [sys.executable, "-m", "pyingot", "build", "-q", str(project), "-o", str(exe)],
            check=True,
            stdout=f,
            stderr=subprocess.STDOUT,
            env=_env(),
        )
    return exe


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return {**env, "PYTHONPATH": str(ROOT / "src")}


def _run(argv: list[str], code: str, env: dict[str, str]) -> tuple[str, float]:
    started = time.perf_counter()
    proc = subprocess.run([*argv, code], capture_output=True, text=True, env=env, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"{argv[0]} -c <imports> failed: {last}")
    return proc.stdout, elapsed


def run(exe: Path, python: Path, python_version: str, runs: int, seed: int) -> dict[str, object]:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    ways = {
        "pyingot executable (from memory)": [str(exe), "-c"],
        f"python{python_version} -I -S (from the filesystem)": [str(python), "-I", "-S", "-c"],
    }
    memory, from_fs = ways
    candidates = stdlib_modules(python)
    importable = {}
    for way, argv in ways.items():
        out, _ = _run(argv, _PROBE.format(names=candidates), env)
        importable[way] = json.loads(out)
    both = [n for n in candidates if all(n in set(ok) for ok in importable.values())]
    code = _TIMED.format(names=both)
    for argv in ways.values():  # warm-up: .pyc files, page cache
        _run(argv, code, env)
    inside: dict[str, list[float]] = {w: [] for w in ways}
    wall: dict[str, list[float]] = {w: [] for w in ways}
    failed: dict[str, list[str]] = {}
    rng = random.Random(seed)
    order = list(ways)
    for _ in range(runs):
        rng.shuffle(order)
        for way in order:
            out, elapsed = _run(ways[way], code, env)
            data = json.loads(out)
            inside[way].append(data["seconds"])
            wall[way].append(elapsed)
            if data["failed"]:
                failed[way] = data["failed"]
    result: dict[str, object] = {
        "candidates": len(candidates),
        "importable": {w: len(ok) for w, ok in importable.items()},
        "only_from_the_filesystem": sorted(set(importable[from_fs]) - set(importable[memory])),
        "only_in_the_executable": sorted(set(importable[memory]) - set(importable[from_fs])),
        "modules_timed": len(both),
        "failed_in_timed_runs": failed,
        "ways": {
            w: {
                "imports_median_ms": round(statistics.median(inside[w]) * 1000, 1),
                "imports_p10_ms": round(sorted(inside[w])[len(inside[w]) // 10] * 1000, 1),
                "imports_p90_ms": round(sorted(inside[w])[(len(inside[w]) * 9) // 10] * 1000, 1),
                "process_median_ms": round(statistics.median(wall[w]) * 1000, 1),
                "runs": len(inside[w]),
            }
            for w in ways
        },
    }
    return result
