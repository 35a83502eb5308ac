"""Progress lines for long operations, and subprocesses logged to a file.

A build prints one line per stage (``[3/8] compiling``) and, while a long step
runs, a heartbeat line with what it has done so far; the complete output of
every command goes to a log file whose path is printed when something fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from pyingot import tools
from pyingot.errors import PyingotError


class Progress:
    def __init__(self, total: int, *, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.total = total
        self.index = 0
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.started = time.monotonic()

    def stage(self, name: str) -> None:
        self.index += 1
        self._print(f"[{self.index}/{self.total}] {name}")

    def note(self, text: str) -> None:
        self._print(f"      {text}")

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _print(self, line: str) -> None:
        if not self.quiet:
            print(line, file=self.stream, flush=True)


def run_logged(
    cmd: Sequence[str],
    *,
    cwd: Path,
    log: Path,
    step: str,
    env: Mapping[str, str] | None = None,
    heartbeat: Callable[[], str | None] | None = None,
    progress: Progress | None = None,
    interval: float = 20.0,
) -> None:
    """Run ``cmd`` with its output appended to ``log``; raise PyingotError on failure.

    ``heartbeat`` is called every ``interval`` seconds while the command runs and
    what it returns is printed as a progress note (e.g. "412 files compiled").
    """
    with log.open("a") as out:
        out.write(f"\n$ (cd {cwd} && {' '.join(cmd)})\n")
        out.flush()
        try:
            proc = subprocess.Popen(
                list(cmd),
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
            )
        except FileNotFoundError as e:
            raise tools.not_installed(str(cmd[0]), step) from e
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(interval):
                if heartbeat and progress:
                    text = heartbeat()
                    if text:
                        progress.note(text)

        ticker = threading.Thread(target=beat, daemon=True)
        ticker.start()
        try:
            rc = proc.wait()
        except BaseException:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
        finally:
            stop.set()
    if rc != 0:
        raise PyingotError(
            f"{step} failed (exit status {rc}); last lines of the log:\n" + tail(log, 25),
            log=log,
        )


def tail(path: Path, n: int) -> str:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in lines[-n:])
