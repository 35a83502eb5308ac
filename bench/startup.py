"""Start-up and rebuild times of pyingot executables, against the interpreter.

    python bench/startup.py [--python 3.11|3.13|3.13t] [--runs 60]

Measures, with the same static CPython distribution for every command:

* hello: the executable, against ``python3.X -I -S -c pass`` (the floor);
* stdlib-tour (about 40 stdlib modules): the executable, against the same
  interpreter running the same file from the filesystem (with its .pyc cache
  warm);
* the rebuild after a one-line change to hello (stub cached).

With a free-threaded ``--python`` (``3.13t``), hello built for the default
build of the same version (and its interpreter's floor) is measured beside it,
and the sizes of both hellos are reported.

Commands are run round-robin, so that drift of the machine's speed affects
all of them alike; the medians and spreads go to
``bench/results/startup-<python>.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pyingot.distribution import store  # noqa: E402
from pyingot.distribution.model import Distribution  # noqa: E402


def spawn_time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    pid = os.posix_spawn(
        argv[0], argv, env, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    )
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv} failed with status {status}")
    return elapsed


def build(project: Path, work: Path, python: str) -> Path:
    copy = work / project.name
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist", "__pycache__"))
    text = (copy / "pyproject.toml").read_text()
    (copy / "pyproject.toml").write_text(
        text.replace("[tool.pyingot]\n", f'[tool.pyingot]\npython = "{python}"\n', 1)
    )
    exe = work / f"{project.name}.exe"
    subprocess.run(
        [sys.executable, "-m", "pyingot", "build", "-q", str(copy), "-o", str(exe)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return exe


def cached(python: str) -> Distribution:
    """The current cached distribution of ``3.X`` or ``3.Xt`` (free-threaded)."""
    for d in store.cached():
        if d.ldversion == python and store.is_current(d):
            return d
    free = " --free-threaded" if python.endswith("t") else ""
    raise SystemExit(
        f"no cached CPython {python}: pyingot python build "
        f"--source debian:python{python.removesuffix('t')}{free}"
    )


def summarize(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p10_ms": round(ms[len(ms) // 10], 2),
        "p90_ms": round(ms[(len(ms) * 9) // 10], 2),
        "stdev_ms": round(statistics.stdev(ms), 2),
        "runs": len(ms),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--python", default="3.11", help="3.11, 3.13, or 3.13t (free-threaded)")
    ap.add_argument("--runs", type=int, default=60)
    args = ap.parse_args()
    dist = cached(args.python)
    python = str(dist.path(dist.python_exe))
    # Free-threaded: the default build of the same version, measured beside it.
    default = args.python.removesuffix("t") if dist.freethreaded else None
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    with tempfile.TemporaryDirectory(prefix="pyingot-bench-") as tmp:
        work = Path(tmp)
        hello = build(ROOT / "examples" / "hello", work, args.python)
        tour = build(ROOT / "examples" / "stdlib_tour", work, args.python)
        tour_py = work / "stdlib_tour" / "stdlib_tour.py"
        subprocess.run(
            [python, str(tour_py)], check=True, stdout=subprocess.DEVNULL, cwd=tour_py.parent
        )  # warm its .pyc cache, as a user's would be
        commands = {
            "hello (pyingot)": [str(hello)],
            f"python{args.python} -I -S -c pass": [python, "-I", "-S", "-c", "pass"],
            "stdlib-tour (pyingot)": [str(tour)],
            f"python{args.python} stdlib_tour.py": [python, str(tour_py)],
        }
        sizes = {"hello (pyingot)": hello.stat().st_size}
        if default:
            (work / default).mkdir()
            hello_default = build(ROOT / "examples" / "hello", work / default, default)
            default_dist = cached(default)
            default_python = str(default_dist.path(default_dist.python_exe))
            commands[f"hello (pyingot, {default})"] = [str(hello_default)]
            commands[f"python{default} -I -S -c pass"] = [default_python, "-I", "-S", "-c", "pass"]
            sizes[f"hello (pyingot, {default})"] = hello_default.stat().st_size
        samples: dict[str, list[float]] = {k: [] for k in commands}
        for argv in commands.values():  # warm-up
            for _ in range(3):
                spawn_time(argv, env)
        for _ in range(args.runs):
            for name, argv in commands.items():
                samples[name].append(spawn_time(argv, env))

        # Rebuild after a one-line change (the stub is cached from the builds above).
        source = work / "hello" / "hello.py"
        original = source.read_text()
        rebuilds = []
        for i in range(5):
            source.write_text(original + f"\n# edit {i}\n")
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pyingot",
                    "build",
                    "-q",
                    str(source.parent),
                    "-o",
                    str(work / "hello-rebuilt"),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            rebuilds.append(time.perf_counter() - started)

    results = {name: summarize(s) for name, s in samples.items()}
    results["rebuild after a one-line change"] = summarize(rebuilds)
    floor = results[f"python{args.python} -I -S -c pass"]["median_ms"]
    from_fs = results[f"python{args.python} stdlib_tour.py"]["median_ms"]
    report = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
        "distribution": dist.name,
        "environment": {k: os.environ[k] for k in sorted(os.environ) if k.startswith("PYTHON")},
        "results": results,
        "sizes_bytes": sizes,
        "ratios": {
            "hello / interpreter floor": round(results["hello (pyingot)"]["median_ms"] / floor, 3),
            "stdlib-tour / same file from the filesystem": round(
                results["stdlib-tour (pyingot)"]["median_ms"] / from_fs, 3
            ),
        },
    }
    if default:
        ratios = report["ratios"]
        assert isinstance(ratios, dict)
        ratios[f"hello {args.python} / hello {default} (start-up)"] = round(
            results["hello (pyingot)"]["median_ms"]
            / results[f"hello (pyingot, {default})"]["median_ms"],
            3,
        )
        ratios[f"hello {args.python} / hello {default} (size)"] = round(
            sizes["hello (pyingot)"] / sizes[f"hello (pyingot, {default})"], 3
        )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"startup-{args.python}.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# Start-up and rebuild, CPython {args.python} ({report['date']})",
        "",
        f"Machine: {report['machine']}. Distribution: `{dist.name}`.",
        "",
        "| command | median | p10 | p90 | runs |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['median_ms']:.1f} ms | {r['p10_ms']:.1f} | "
            f"{r['p90_ms']:.1f} | {r['runs']} |"
        )
    lines += ["", "| executable | size |", "| --- | ---: |"]
    lines += [f"| {name} | {n / 2**20:.1f} MiB ({n:,} bytes) |" for name, n in sizes.items()]
    lines += ["", *(f"- {k}: **{v}**" for k, v in report["ratios"].items()), ""]
    (out / f"startup-{args.python}.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
