"""pyingot against the interpreter and against PyInstaller, Nuitka, shiv and pex.

    python bench/compare.py [--quick] [--with-nuitka]

Builds the same applications (hello, stdlib-tour, a click + rich CLI, a numpy
script) with every tool, then measures, in one run on one machine:

* the cold build, and the rebuild after a one-line change;
* the output's size;
* start-up to exit (median and spread over many runs, every command once per
  round, rounds repeated) and peak RSS;
* the same against ``python3.X app.py`` and ``python3.X -I -S -c pass``, with
  pyingot's CPython for pyingot and the host's CPython for the others;
* importing every importable stdlib module from a pyingot executable against
  the same interpreter importing from the filesystem.

Results: ``bench/results/compare.json``, ``compare.md`` and ``compare.png``.
What each number counts is in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import environment
import imports
import report
from environment import BENCH, ROOT, BenchError, Environments
from measure import (
    Command,
    check_output,
    compile_spawn,
    interleaved,
    summarize_rss,
    summarize_times,
)
from tools import APPS, BUILDERS, Builder, Context, Pyingot, timed

RESULTS = BENCH / "results"
SEED = 20261124


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="few runs, one rebuild, no Nuitka")
    ap.add_argument("--with-nuitka", action="store_true", help="also Nuitka --onefile (slow)")
    ap.add_argument("--runs", type=int, help="start-up rounds (default 40, --quick 5)")
    ap.add_argument("--rebuilds", type=int, help="rebuilds per tool and app (default 3)")
    ap.add_argument("--import-runs", type=int, help="import benchmark rounds (default 20)")
    ap.add_argument("--apps", help="comma-separated subset of: " + ", ".join(a.key for a in APPS))
    ap.add_argument(
        "--tools", help="comma-separated subset of: " + ", ".join(b.key for b in BUILDERS)
    )
    ap.add_argument(
        "--host-python",
        help="the host CPython (default: the one running this script, resolved); "
        "it needs a shared libpython",
    )
    ap.add_argument("--output", default=str(RESULTS), help="results directory")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args(argv)
    if args.quick and args.with_nuitka:
        ap.error("--quick leaves Nuitka out; drop one of --quick and --with-nuitka")
    args.runs = args.runs or (5 if args.quick else 40)
    args.rebuilds = args.rebuilds or (1 if args.quick else 3)
    args.import_runs = args.import_runs or (3 if args.quick else 20)
    return args


def _pick(spec: str | None, known: dict[str, object], what: str) -> list[str]:
    if not spec:
        return list(known)
    picked = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [p for p in picked if p not in known]
    if unknown:
        raise BenchError(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return picked


def measured_env() -> dict[str, str]:
    """The environment every measured command gets (plus its tool's own root, below)."""
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(Path.home())}


def _log_tail(log: Path, lines: int = 6) -> str:
    text = log.read_text(errors="replace").strip().splitlines()
    useful = [line for line in text if line.strip() and not line.startswith(("$ ", "[exit"))]
    return " | ".join(useful[-lines:])


def build_one(builder: Builder, rebuilds: int, env: dict[str, str], log: Path) -> dict:
    """Cold build, check, rebuilds, check again: the build half of one (app, tool) cell."""
    builder.prepare()
    argv, build_env = builder.command()
    warnings = []

    def build(what: str) -> tuple[float, int]:
        seconds, status, output = timed(argv, build_env, log)
        if builder.not_the_app and builder.not_the_app in output:
            warnings.append(f"the {what} included {builder.not_the_app!r}: its time is inflated")
        return seconds, status

    cold, status = build("cold build")
    if status != 0:
        return {"status": "build fails", "reason": _log_tail(log), "cold_build_s": None}
    run_env = builder.run_env(env, builder.work)
    problem = check_output(builder.run_argv(), run_env, builder.app.expect)
    if problem:
        return {"status": "output fails", "reason": problem, "cold_build_s": round(cold, 3)}
    times = []
    for n in range(rebuilds):
        marker = builder.edit(n)
        seconds, status = build("rebuild")
        if status != 0:
            return {"status": "rebuild fails", "reason": _log_tail(log)}
        times.append(seconds)
        problem = check_output(builder.run_argv(), run_env, builder.app.expect, marker)
        if problem:
            return {"status": "rebuild is wrong", "reason": problem}
    return {
        "status": "ok",
        "cold_build_s": round(cold, 3),
        "rebuild_s": round(sorted(times)[len(times) // 2], 3),
        "rebuilds_s": [round(t, 3) for t in times],
        "size_bytes": builder.size(),
        "size_counts": builder.size_note or "the file",
        "warnings": warnings,
    }


def du(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    apps = [a for a in APPS if a.key in _pick(args.apps, {a.key: a for a in APPS}, "app")]
    tool_keys = _pick(args.tools, {b.key: b for b in BUILDERS}, "tool")
    if not args.tools and not args.with_nuitka:
        tool_keys.remove("nuitka-onefile")
    builders = [b for b in BUILDERS if b.key in tool_keys]

    print("[1/6] interpreters and environments", flush=True)
    host = environment.host_interpreter(args.host_python)
    dist = environment.pyingot_distribution(host.minor)
    dist_python = environment.pyingot_interpreter(dist)
    print(f"  host CPython {host.version}: {host.path}")
    print(f"  pyingot's CPython {dist_python.version}: {dist.name}")
    envs = Environments(host, dist_python, dist.name)
    envs.ensure_tools()
    envs.ensure_wheels()
    freezers = any(
        b.interpreter == "host" and b.key.startswith(("pyi", "nuitka")) for b in builders
    )
    venvs: list[Path] = []
    for app in apps:
        if freezers:
            venvs.append(envs.build_venv(app.key, app.dependencies))
        for interp in (host, dist_python):
            envs.run_venv(interp, app.key, app.dependencies)
    ccache = shutil.which("ccache")

    work = Path(tempfile.mkdtemp(prefix="pyingot-bench-"))
    logs = work / "logs"
    logs.mkdir()
    print(f"  work directory {work}")
    try:
        print("[2/6] pyingot's runtime library (built once per Rust runtime version)", flush=True)
        ctx = Context(envs, host.minor)
        warm = Pyingot(ctx, apps[0], work / "warm-up")
        warm.prepare()
        warm_argv, warm_env = warm.command()
        warm_env.pop("PYINGOT_CACHE_DIR")  # the real cache: it keeps the runtime library
        if timed(warm_argv, warm_env, logs / "warm-up.log")[1] != 0:
            raise BenchError(f"pyingot cannot build hello: see {logs / 'warm-up.log'}")

        print("[3/6] builds", flush=True)
        env = measured_env()
        builds: dict[str, dict[str, dict]] = {}
        commands: list[Command] = []
        for app in apps:
            builds[app.key] = {}
            for cls in builders:
                builder = cls(ctx, app, work / cls.key / app.key)
                log = logs / f"{cls.key}-{app.key}.log"
                t0 = time.perf_counter()
                cell = build_one(builder, args.rebuilds, env, log)
                cell["label"] = cls.label
                cell["interpreter"] = cls.interpreter
                builds[app.key][cls.key] = cell
                note = cell["status"]
                if cell["status"] == "ok":
                    note = (
                        f"cold {cell['cold_build_s']:.2f} s, rebuild {cell['rebuild_s']:.2f} s, "
                        f"{cell['size_bytes'] / 2**20:.1f} MiB"
                    )
                    commands.append(
                        Command(
                            f"{app.key}|{cls.key}",
                            builder.run_argv(),
                            builder.run_env(env, work / "run"),
                        )
                    )
                else:
                    note += f": {cell.get('reason', '')}"
                print(f"  {app.key:<12} {cls.label:<22} {note}  [{time.perf_counter() - t0:.0f} s]")
            # The same code from the filesystem, with each interpreter.
            copy = work / "apps" / app.key
            shutil.copytree(app.project, copy, ignore=shutil.ignore_patterns("dist", "__pycache__"))
            for interp in (host, dist_python):
                venv = envs.run_venv(interp, app.key, app.dependencies)
                cmd = Command(
                    f"{app.key}|python-{interp.label}",
                    [str(venv / "bin" / "python"), str(copy / f"{app.module}.py")],
                    dict(env),
                )
                problem = check_output(cmd.argv, cmd.env, app.expect)
                builds[app.key][f"python-{interp.label}"] = {
                    "status": "ok" if problem is None else "output fails",
                    "reason": problem,
                    "interpreter": interp.label,
                    "label": f"python{interp.minor} {app.module}.py",
                    "argv": cmd.argv,
                }
                if problem is None:
                    commands.append(cmd)
        for interp in (host, dist_python):
            commands.append(
                Command(f"floor|{interp.label}", [str(interp.path), "-I", "-S", "-c", "pass"], env)
            )

        print(f"[4/6] start-up: {len(commands)} commands x {args.runs} rounds", flush=True)
        helper = compile_spawn(work)
        interleaved(helper, commands, args.runs, warmup=3, seed=SEED)
        startup = {
            c.key: {
                **summarize_times(c.seconds),
                "peak_rss": summarize_rss(c.maxrss_kib),
                "first_run_ms": round((c.first_run_s or 0) * 1000, 1),
                "failed_runs": c.failures,
                "failure": c.failure,
                "argv": c.argv,
                "env": c.env,
            }
            for c in commands
            if c.seconds
        }
        extracted = {
            f"{app.key}|{tool}": du(work / "run" / root / app.key)
            for app in apps
            for tool, root in (("shiv", "shiv-root"), ("pex", "pex-root"))
            if (work / "run" / root / app.key).exists()
        }

        print(f"[5/6] imports: every importable stdlib module, {args.import_runs} rounds")
        exe = imports.build_python_like(work / "imports", host.minor, logs / "imports.log")
        import_results = imports.run(
            exe, dist_python.path, dist_python.minor, args.import_runs, SEED
        )

        print("[6/6] report", flush=True)
        elapsed = time.perf_counter() - started
        data = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": machine(),
            "command": "python bench/compare.py " + " ".join(argv or sys.argv[1:]),
            "duration_s": round(elapsed, 1),
            "settings": {
                "runs": args.runs,
                "warmup": 3,
                "rebuilds": args.rebuilds,
                "import_runs": args.import_runs,
                "nuitka": any(b.key == "nuitka-onefile" for b in builders),
                "ccache": ccache,
                "seed": SEED,
            },
            "interpreters": {
                "host": {"version": host.version, "path": str(host.path)},
                "pyingot": {
                    "version": dist_python.version,
                    "path": str(dist_python.path),
                    "distribution": dist.name,
                },
            },
            "environment_of_this_run": environment.python_environment(),
            "measured_environment": env,
            "pyingot": pyingot_revision(),
            "versions": envs.versions(venvs),
            "dependency_versions": environment.locked_versions(),
            "apps": {a.key: {"about": a.about, "dependencies": a.dependencies} for a in apps},
            "tools": {b.key: b.label for b in builders},
            "builds": builds,
            "startup": startup,
            "extracted_bytes": extracted,
            "imports": import_results,
        }
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        report.write(data, out)
        chart = out / "compare.png"
        subprocess.run(
            [
                str(envs.tool("python")),
                str(BENCH / "chart.py"),
                str(out / "compare.json"),
                str(chart),
            ],
            check=True,
        )
        print((out / "compare.md").read_text())
        print(f"done in {elapsed / 60:.1f} min: {out / 'compare.md'}, {chart}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {platform.platform()}"


def pyingot_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BenchError as e:
        raise SystemExit(f"error: {e}") from None
