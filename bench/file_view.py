"""What the read-only view under ``<exe>/`` costs paths outside it (issue 11).

    python bench/file_view.py BEFORE AFTER [--rounds 5]

BEFORE and AFTER are two python-like executables (``entry = "python"``) built
from the same project, one by a pyingot without the view and one with it. In
each, alternately, a loop times ``os.stat``, ``os.open``+``os.close`` and
``os.listdir`` on real paths, which now pass through the runtime's
interposed libc functions; then both are started round-robin (``-c pass``).
The best time per call of each round and the median start-up are printed.
Copy both executables to fresh files first: a file's page-cache state (how it
was written) changes start-up by more than the code does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time

LOOP = """
import os, time
def best(fn, n, reps=5):
    out = []
    for _ in range(reps):
        t = time.perf_counter(); fn(n); out.append((time.perf_counter() - t) / n * 1e9)
    return min(out)
def stat(n):
    for _ in range(n): os.stat("/usr/bin")
def openclose(n):
    for _ in range(n): os.close(os.open("/etc/hostname", os.O_RDONLY))
def listdir(n):
    for _ in range(n): os.listdir("/usr/bin")
print(best(stat, 200000), best(openclose, 200000), best(listdir, 500))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--starts", type=int, default=200)
    args = parser.parse_args()
    exes = {"before": os.path.abspath(args.before), "after": os.path.abspath(args.after)}
    calls: dict[str, list[list[float]]] = {k: [] for k in exes}
    for _ in range(args.rounds):
        for k, exe in exes.items():
            out = subprocess.run([exe, "-c", LOOP], capture_output=True, text=True, check=True)
            calls[k].append([float(x) for x in out.stdout.split()])
    starts: dict[str, list[float]] = {k: [] for k in exes}
    for _ in range(args.starts):
        for k, exe in exes.items():
            t = time.perf_counter()
            subprocess.run([exe, "-c", "pass"], check=True)
            starts[k].append((time.perf_counter() - t) * 1000)
    print("| | os.stat | os.open+close | os.listdir(/usr/bin) | start-up (-c pass), median |")
    print("| --- | --- | --- | --- | --- |")
    for k in exes:
        best = [min(r[i] for r in calls[k]) for i in range(3)]
        print(
            f"| {k} | {best[0]:.0f} ns | {best[1]:.0f} ns | {best[2] / 1000:.1f} µs "
            f"| {statistics.median(starts[k]):.2f} ms |"
        )


if __name__ == "__main__":
    main()
