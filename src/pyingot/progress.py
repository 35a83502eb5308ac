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
from pyingot.errors import InternalError, PyingotError


class Progress:
    """Numbered stage lines and indented notes, on stderr unless ``quiet``.

    A step that runs its own numbered stages inside one of ours (building a CPython
    distribution while finding one) counts them on :meth:`child`, indented under
    the current stage, so each counter stays within its own total. A stage that
    took a while says how long when the next one starts (:data:`SLOW`).
    """

    #: Seconds after which a finished stage reports its time.
    SLOW = 2.0

    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        quiet: bool = False,
        indent: str = "",
    ) -> None:
        self.total = total
        self.index = 0
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.indent = indent
        self.started = time.monotonic()
        self._stage_started: float | None = None

    def stage(self, name: str) -> None:
        if self.index >= self.total:
            raise InternalError(f"stage {self.index + 1} of {self.total}: {name!r}")
        self._took()
        self.index += 1
        self._stage_started = time.monotonic()
        self._print(f"{self.indent}[{self.index}/{self.total}] {name}")

    def note(self, text: str) -> None:
        self._print(f"{self.indent}      {text}")

    def child(self, total: int) -> Progress:
        """A counter for ``total`` stages of a step inside the current stage."""
        return Progress(total, stream=self.stream, quiet=self.quiet, indent=self.indent + "      ")

    def finish(self) -> None:
        """The last stage is over: report its time if it was slow."""
        self._took()
        self._stage_started = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _took(self) -> None:
        if self._stage_started is not None:
            took = time.monotonic() - self._stage_started
            if took >= self.SLOW:
                self.note(f"({took:.1f} s)")

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

    With ``progress``, every ``interval`` seconds while the command runs a note
    says how long it has been running, with what ``heartbeat`` returns (e.g.
    "412 files compiled").
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

        started = time.monotonic()

        def beat() -> None:
            while not stop.wait(interval):
                if progress is not None:
                    text = heartbeat() if heartbeat else None
                    took = f"{time.monotonic() - started:.0f} s"
                    progress.note(f"{step}: {text}, {took}" if text else f"{step}: {took}")

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
