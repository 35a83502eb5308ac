"""Timing processes: wall time from spawn to exit, and peak RSS, interleaved.

Each run goes through ``spawn`` (spawn.c, compiled at the start of a run): it
starts the command with ``posix_spawn`` (no shell, nothing between the clock
and the process), stdin, stdout and stderr on ``/dev/null``, reaps it with
``wait4`` and prints the elapsed time and ``ru_maxrss``. spawn.c says why this
is not done from Python. Linux reports in ``ru_maxrss`` the peak RSS of the
largest process among the command and the children it waited for, not their
sum: for a two-process tool (PyInstaller's and Nuitka's --onefile bootloaders,
which start the application as a child and wait for it) it is the
application's process, and the bootloader's few MiB are not added.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Command:
    """One thing whose start-up is measured."""

    key: str
    argv: list[str]
    env: dict[str, str]
    seconds: list[float] = field(default_factory=list)
    maxrss_kib: list[int] = field(default_factory=list)
    first_run_s: float | None = None
    #: Runs that failed (reported, not timed); the first failure's message.
    failures: int = 0
    failure: str = ""


class RunFailed(Exception):
    pass


def compile_spawn(work: Path) -> Path:
    """Build spawn.c into ``work`` with the system's C compiler."""
    out = work / "spawn"
    cc = os.environ.get("CC", "cc")
    for static in (["-static"], []):  # static when libc.a is there: smaller still
        proc = subprocess.run(
            [cc, "-O2", *static, "-o", str(out), str(Path(__file__).with_name("spawn.c"))],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0:
            return out
    raise RuntimeError(f"cannot compile bench/spawn.c with {cc}: {proc.stderr.strip()}")


def spawn(helper: Path, argv: Sequence[str], env: Mapping[str, str]) -> tuple[float, int]:
    """Run ``argv`` once: (seconds from spawn to exit, peak RSS in KiB)."""
    proc = subprocess.run(
        [str(helper), *argv], env=dict(env), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RunFailed(proc.stderr.strip())
    ns, rss, code = (int(x) for x in proc.stdout.split())
    if code != 0:
        raise RunFailed(f"{' '.join(argv)} exited with status {code}")
    return ns / 1e9, rss


def check_output(
    argv: Sequence[str], env: Mapping[str, str], expect: str, expect_stderr: str = ""
) -> str | None:
    """Run once and check stdout; ``None`` when fine, else what went wrong (for the report)."""
    try:
        proc = subprocess.run(
            list(argv), env=dict(env), capture_output=True, text=True, timeout=300
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"could not run: {e}"
    if proc.returncode != 0 or expect not in proc.stdout:
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        last = lines[-1] if lines else "(no output)"
        return f"runs but fails (status {proc.returncode}): {last}"
    if expect_stderr not in proc.stderr:
        return f"the rebuilt output does not have the change ({expect_stderr!r} not printed)"
    return None


def interleaved(helper: Path, commands: list[Command], runs: int, warmup: int, seed: int) -> None:
    """Warm up each command, then ``runs`` rounds in which every command runs once.

    Each round visits every command, in a shuffled order (seeded): slow drift of
    the machine's speed then reaches all commands alike, and no command always
    follows the same other one (a --onefile extraction leaves the page cache
    different for whatever comes next).
    """
    for cmd in commands:
        for i in range(warmup):
            elapsed, _ = spawn(helper, cmd.argv, cmd.env)
            if i == 0:
                cmd.first_run_s = elapsed
    rng = random.Random(seed)
    order = list(commands)
    for n in range(runs):
        rng.shuffle(order)
        for cmd in order:
            try:
                elapsed, rss = spawn(helper, cmd.argv, cmd.env)
            except RunFailed as e:
                # One flaky run should not lose a long benchmark: counted and reported.
                cmd.failures += 1
                cmd.failure = cmd.failure or str(e)
                continue
            cmd.seconds.append(elapsed)
            cmd.maxrss_kib.append(rss)
        if (n + 1) % max(1, runs // 5) == 0:
            print(f"    round {n + 1}/{runs}", flush=True)


def summarize_times(samples: Sequence[float]) -> dict[str, float | int]:
    ms = sorted(s * 1000 for s in samples)
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p10_ms": round(ms[len(ms) // 10], 2),
        "p90_ms": round(ms[(len(ms) * 9) // 10], 2),
        "min_ms": round(ms[0], 2),
        "stdev_ms": round(statistics.stdev(ms), 2) if len(ms) > 1 else 0.0,
        "runs": len(ms),
    }


def summarize_rss(samples: Sequence[int]) -> dict[str, float]:
    mib = sorted(s / 1024 for s in samples)
    return {"median_mib": round(statistics.median(mib), 1), "max_mib": round(mib[-1], 1)}
