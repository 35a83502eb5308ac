"""The speed of one CPython interpreter against another, on the same machine, in one run.

    python bench/interpreter.py --old 3.11 --new PATH [--rounds 10] [--json OUT]

Made to compare a new way of building pyingot's distributions with the
current one (``--old`` today's, ``--new`` the candidate), but any two CPythons
will do. ``--old`` and ``--new`` each take the path of a ``python3.X``
binary, or a distribution in pyingot's cache by name as ``pyingot python
list`` shows it (or a unique part of the name; ``3.11`` means the distribution
of 3.11 built by the current recipe when there are several).

Each workload in ``bench/workloads/`` is a small self-contained script in the
style of pyperformance with a ``bench()`` function. A fresh
``python -I -S`` process loads it, then times one call of ``bench()`` with
``perf_counter`` (the process's start and the workload's imports are not
counted, except in the ``imports`` workload, whose point they are). One warm-up
run of every (workload, interpreter) pair comes first; its ``bench()`` result
must be the same for both interpreters. Then ``--rounds`` rounds follow, each
running every pair once in an order shuffled with a fixed seed, so that slow
drift of the machine's speed reaches both interpreters alike.

Reported per workload: each interpreter's median, p10 and p90, and the ratio of
the medians new/old (below 1: the new one is faster); then the geometric mean
of the ratios. What each workload exercises (the interpreter's own code, or
a library it is built with: OpenSSL, SQLite, zlib, liblzma, libmpdec) is in
its docstring, and each interpreter's build facts (compiler flags, library
versions) are in the output, to explain a difference.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from compare import machine, pyingot_revision
from environment import BENCH, BenchError, python_environment
from measure import summarize_times
from report import DASH

from pyingot.distribution import store
from pyingot.errors import PyingotError

WORKLOADS = BENCH / "workloads"
SEED = 20261129
SIDES = ("old", "new")
#: What every measured process gets: no PYTHON* variable, nothing from the caller.
ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}

#: Run by the interpreter under test: load the workload, time one bench() call.
RUNNER = """\
import json, runpy, sys, time
namespace = runpy.run_path(sys.argv[1])
started = time.perf_counter()
result = namespace["bench"]()
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "result": result}))
"""

#: Facts about how an interpreter was built, and the libraries in it.
PROBE = """\
import json, platform, sys, sysconfig
facts = {"version": platform.python_version(), "executable": sys.executable}
for var in ("CC", "CONFIG_ARGS", "CFLAGS", "PY_CFLAGS_NODIST", "LDFLAGS", "PY_LDFLAGS_NODIST",
            "Py_ENABLE_SHARED"):
    facts[var] = sysconfig.get_config_var(var)
for name, attr in (("ssl", "OPENSSL_VERSION"), ("sqlite3", "sqlite_version"),
                   ("zlib", "ZLIB_RUNTIME_VERSION"), ("decimal", "__libmpdec_version__")):
    try:
        facts[f"{name}.{attr}"] = str(getattr(__import__(name), attr))
    except ImportError as e:
        facts[f"{name}.{attr}"] = f"not importable: {e}"
try:
    import lzma
    facts["lzma"] = "importable"
except ImportError as e:
    facts["lzma"] = f"not importable: {e}"
print(json.dumps(facts))
"""


@dataclass(frozen=True)
class Interpreter:
    side: str  # "old" or "new"
    spec: str  # as given on the command line
    path: Path
    distribution: str | None
    facts: dict[str, object]


@dataclass
class Series:
    """One (workload, interpreter) pair: the result it computes and its timings."""

    workload: str
    side: str
    result: object = None
    seconds: list[float] = field(default_factory=list)


def interpreter(side: str, spec: str) -> Interpreter:
    """``spec`` as a path to a python binary, else a distribution in pyingot's cache."""
    path = Path(spec).expanduser()
    dist_name = None
    if not (path.is_file() and os.access(path, os.X_OK) and ".tar" not in path.name):
        try:
            dist = store.find(spec)
        except PyingotError as e:
            current = [d for d in store.cached() if d.major_minor == spec and store.is_current(d)]
            if not re.fullmatch(r"3\.\d+", spec) or len(current) != 1:
                raise BenchError(f"--{side} {spec}: {e}") from None
            dist = current[0]
        path, dist_name = dist.path(dist.python_exe), dist.name
    probe = subprocess.run(
        [str(path), "-I", "-S", "-c", PROBE], capture_output=True, text=True, env=ENV
    )
    if probe.returncode != 0:
        why = probe.stderr.strip() or "(no output)"
        raise BenchError(f"--{side} {spec}: {path} fails (status {probe.returncode}): {why}")
    return Interpreter(side, spec, path, dist_name, json.loads(probe.stdout))


def workloads(only: str | None) -> list[Path]:
    known = {p.stem: p for p in sorted(WORKLOADS.glob("*.py"))}
    if not only:
        return list(known.values())
    picked = [w.strip() for w in only.split(",") if w.strip()]
    unknown = [w for w in picked if w not in known]
    if unknown:
        raise BenchError(f"unknown workloads: {', '.join(unknown)} (known: {', '.join(known)})")
    return [known[w] for w in picked]


def run_once(python: Path, workload: Path) -> tuple[float, object]:
    """(seconds of one bench() call, its result) in a fresh process."""
    done = subprocess.run(
        [str(python), "-I", "-S", "-c", RUNNER, str(workload)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=WORKLOADS,
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise BenchError(f"{workload.stem} fails under {python} (status {done.returncode}): {tail}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return float(out["seconds"]), out["result"]


def measure(
    pythons: dict[str, Interpreter], loads: list[Path], rounds: int, seed: int
) -> list[Series]:
    """One warm-up of every pair (results compared), then ``rounds`` shuffled rounds."""
    series = [Series(w.stem, side) for w in loads for side in SIDES]
    paths = {w.stem: w for w in loads}
    for s in series:
        _, s.result = run_once(pythons[s.side].path, paths[s.workload])
    rng = random.Random(seed)
    order = list(series)
    for n in range(rounds):
        rng.shuffle(order)
        for s in order:
            seconds, result = run_once(pythons[s.side].path, paths[s.workload])
            if result != s.result:
                raise BenchError(f"{s.workload} computed {result!r}, then {s.result!r}")
            s.seconds.append(seconds)
        print(f"    round {n + 1}/{rounds}", file=sys.stderr, flush=True)
    return series


def results(series: list[Series]) -> tuple[dict[str, dict[str, object]], float]:
    """Per workload: both sides' summaries and the ratio; and the geometric mean."""
    by_name: dict[str, dict[str, object]] = {}
    for s in series:
        entry = by_name.setdefault(s.workload, {})
        entry[s.side] = {**summarize_times(s.seconds), "result": s.result}
    ratios = []
    for entry in by_name.values():
        old, new = (entry[side] for side in SIDES)
        assert isinstance(old, dict) and isinstance(new, dict)
        entry["same_result"] = old["result"] == new["result"]
        entry["ratio"] = round(new["median_ms"] / old["median_ms"], 3)
        ratios.append(new["median_ms"] / old["median_ms"])
    geomean = math.exp(statistics.fmean(math.log(r) for r in ratios))
    return by_name, round(geomean, 3)


#: Rows of the build-facts table: (label, key in the probe's facts).
FACTS = (
    ("CPython", "version"),
    ("C compiler", "CC"),
    ("OpenSSL", "ssl.OPENSSL_VERSION"),
    ("SQLite", "sqlite3.sqlite_version"),
    ("zlib", "zlib.ZLIB_RUNTIME_VERSION"),
    ("libmpdec", "decimal.__libmpdec_version__"),
)
OPTIMISATIONS = re.compile(r"-O\d|-flto\S*|-fprofile-use\S*|--enable-optimizations|--with-lto\S*")


def optimisations(facts: dict[str, object]) -> str:
    """The optimisation options sysconfig recorded (a build may pass more at make time)."""
    recorded = " ".join(
        str(facts.get(var) or "")
        for var in ("CONFIG_ARGS", "CFLAGS", "PY_CFLAGS_NODIST", "LDFLAGS", "PY_LDFLAGS_NODIST")
    )
    found = dict.fromkeys(OPTIMISATIONS.findall(recorded))
    return " ".join(f"`{f}`" for f in found) or "none recorded"


def markdown(data: dict[str, object]) -> str:
    pythons = data["interpreters"]
    assert isinstance(pythons, dict)
    lines = [f"# CPython against CPython ({data['date']})", ""]
    for side in SIDES:
        p = pythons[side]
        name = f" (distribution `{p['distribution']}`)" if p["distribution"] else ""
        lines.append(f"- {side}: CPython {p['facts']['version']}, `{p['path']}`{name}")
    settings = data["settings"]
    assert isinstance(settings, dict)
    lines += [
        f"- machine: {data['machine']}; pyingot {data['pyingot']}",
        f"- {settings['rounds']} rounds after one warm-up, every (workload, interpreter) "
        "once per round, shuffled; seconds of one `bench()` call in a fresh `python -I -S`",
        "",
        "| | old | new |",
        "| --- | --- | --- |",
        *(
            f"| {label} | {pythons['old']['facts'].get(key)} | {pythons['new']['facts'].get(key)} |"
            for label, key in FACTS
        ),
        "| libpython | "
        + " | ".join(
            "shared" if pythons[side]["facts"].get("Py_ENABLE_SHARED") else "static"
            for side in SIDES
        )
        + " |",
        "| optimisation options in sysconfig | "
        + " | ".join(optimisations(pythons[side]["facts"]) for side in SIDES)
        + " |",
        "",
        f"| workload | old median | p10{DASH}p90 | new median | p10{DASH}p90 | new / old |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    workloads_ = data["workloads"]
    assert isinstance(workloads_, dict)
    for name, entry in workloads_.items():
        old, new = entry["old"], entry["new"]
        flag = "" if entry["same_result"] else " (results differ)"
        lines.append(
            f"| {name}{flag} | {old['median_ms'] / 1000:.3f} s | "
            f"{old['p10_ms'] / 1000:.3f}{DASH}{old['p90_ms'] / 1000:.3f} | "
            f"{new['median_ms'] / 1000:.3f} s | "
            f"{new['p10_ms'] / 1000:.3f}{DASH}{new['p90_ms'] / 1000:.3f} | "
            f"**{entry['ratio']:.3f}** |"
        )
    lines += ["", f"Geometric mean of new / old: **{data['geometric_mean']:.3f}**", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--old", required=True, help="python binary, or a cached distribution")
    ap.add_argument("--new", required=True, help="python binary, or a cached distribution")
    ap.add_argument("--rounds", type=int, default=10, help="rounds after the warm-up (10)")
    ap.add_argument("--workloads", help="comma-separated subset of bench/workloads/*.py")
    ap.add_argument("--json", type=Path, help="write every number here")
    ap.add_argument("--seed", type=int, default=SEED, help="the shuffles' seed")
    args = ap.parse_args(argv)
    if args.rounds < 2:
        ap.error("--rounds must be at least 2")
    started = time.perf_counter()
    pythons = {side: interpreter(side, getattr(args, side)) for side in SIDES}
    loads = workloads(args.workloads)
    for p in pythons.values():
        print(f"{p.side}: CPython {p.facts['version']} {p.path}", file=sys.stderr)
    print(
        f"{len(loads)} workloads x 2 interpreters x {args.rounds} rounds (+1 warm-up)",
        file=sys.stderr,
    )
    by_name, geomean = results(measure(pythons, loads, args.rounds, args.seed))
    data: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "pyingot": pyingot_revision(),
        "command": "python bench/interpreter.py " + " ".join(argv or sys.argv[1:]),
        "duration_s": round(time.perf_counter() - started, 1),
        "settings": {"rounds": args.rounds, "warmup": 1, "seed": args.seed, "flags": "-I -S"},
        "environment_of_this_run": python_environment(),
        "measured_environment": ENV,
        "interpreters": {
            side: {
                "spec": p.spec,
                "path": str(p.path),
                "distribution": p.distribution,
                "facts": p.facts,
            }
            for side, p in pythons.items()
        },
        "workloads": by_name,
        "geometric_mean": geomean,
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    print(markdown(data))
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BenchError as e:
        raise SystemExit(f"error: {e}") from None
