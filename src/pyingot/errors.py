"""The two kinds of failure pyingot reports.

A :class:`PyingotError` is the user's to fix: it names the file, key, package or
library involved and says what to do; the CLI exits 1. An :class:`InternalError`
(an invariant of pyingot's own that failed) and anything else escaping the
library is a bug in pyingot: the CLI prints :func:`bug_report` and exits 70.
"""

from __future__ import annotations

import platform
from pathlib import Path


class PyingotError(Exception):
    """A problem with the input or the machine that the user can act on."""

    def __init__(self, message: str, *, hint: str | None = None, log: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.log = log

    def render(self) -> str:
        lines = [f"error: {self.message}"]
        if self.hint:
            lines.extend(
                f"  hint: {line}" if i == 0 else f"        {line}"
                for i, line in enumerate(self.hint.splitlines())
            )
        if self.log:
            lines.append(f"  full log: {self.log}")
        return "\n".join(lines)


class InternalError(Exception):
    """An invariant of pyingot's own failed: a bug, never the user's input.

    The message says which invariant; the CLI adds the bug-report request.
    """


def bug_report(version: str) -> str:
    """What the CLI prints under the traceback of a bug (exit status 70)."""
    return (
        "pyingot crashed: this is a bug. Please report it with the output above and:\n"
        f"  pyingot {version}, Python {platform.python_version()}, {platform.platform()}"
    )
