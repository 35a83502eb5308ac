"""The two kinds of failure pyingot reports.

A :class:`PyingotError` is the user's to fix: it names the file, key, package or
library involved and says what to do. Anything else escaping the library is a bug
in pyingot, and the CLI asks for a report (see ``cli.main``).
"""

from __future__ import annotations

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
