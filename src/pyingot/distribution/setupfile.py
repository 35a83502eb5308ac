"""CPython's ``Modules/Setup*`` files, read the way ``Modules/makesetup`` reads them.

A line names one or more modules followed by sources, objects, libraries and
flags; ``*static*`` / ``*shared*`` / ``*disabled*`` switch the mode of the lines
after them. The build uses this to know each module's objects and link inputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

_SOURCE_SUFFIXES = (".c", ".C", ".cc", ".c++", ".cxx", ".cpp", ".m")


@dataclass(frozen=True)
class SetupModule:
    names: tuple[str, ...]
    mode: str  # "static", "shared" or "disabled"
    sources: tuple[str, ...]
    cflags: tuple[str, ...]
    libs: tuple[str, ...]
    extra_objs: tuple[str, ...]

    @property
    def flagless(self) -> bool:
        """makesetup gives such a line $(MODULE_<NAME>_CFLAGS) and $(MODULE_<NAME>_LDFLAGS)."""
        return not self.cflags and not self.libs

    @property
    def objects(self) -> tuple[str, ...]:
        """Object paths relative to the build directory, as makesetup names them."""
        objs = []
        for src in self.sources:
            path = PurePosixPath(src)
            obj = path.with_suffix(".o")
            objs.append(str(PurePosixPath("Modules") / obj))
        return (*objs, *self.extra_objs)


def variable_name(module: str) -> str:
    """The suffix makesetup derives: ``_ssl`` -> ``_SSL`` (MODULE__SSL_LDFLAGS)."""
    return module.upper()


def parse(text: str) -> list[SetupModule]:
    mode = "static"
    modules = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if re.fullmatch(r"\*(static|shared|disabled)\*", line):
            mode = line.strip("*")
            continue
        words = line.split()
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\s*=.*", line):
            continue  # a variable definition
        names, sources, cflags, libs, objs = [], [], [], [], []
        for w in words:
            if w.endswith(_SOURCE_SUFFIXES):
                sources.append(w)
            elif w.endswith(".o"):
                objs.append(w)
            elif (
                w.endswith(".a")
                or w.startswith(("-l", "-L"))
                or re.fullmatch(r"\$\(\w+_LDFLAGS\)", w)
            ):
                libs.append(w)
            elif w.startswith(("-", "$")) or "=" in w:
                cflags.append(w)
            else:
                names.append(w)
        if names:
            modules.append(
                SetupModule(
                    tuple(names), mode, tuple(sources), tuple(cflags), tuple(libs), tuple(objs)
                )
            )
    return modules


def uncomment(text: str, names: set[str]) -> tuple[str, set[str]]:
    """Enable lines that ship commented out (``#@MODULE_X_TRUE@name ...``).

    Returns the new text and the names actually found.
    """
    found: set[str] = set()
    out = []
    for line in text.splitlines():
        m = re.match(r"#(?:@\w+@)?([A-Za-z_]\w*)(\s.*)$", line)
        if m and m[1] in names:
            found.add(m[1])
            line = m[1] + m[2]
        out.append(line)
    return "\n".join(out) + "\n", found


def make_shared(text: str, wanted: Callable[[str], bool]) -> str:
    """Move the static lines of modules ``wanted`` picks into a ``*shared*`` block."""
    mode = "static"
    kept, moved = [], []
    for line in text.splitlines():
        bare = line.split("#", 1)[0].strip()
        if re.fullmatch(r"\*(static|shared|disabled)\*", bare):
            mode = bare.strip("*")
        elif bare and mode == "static" and wanted(bare.split()[0]):
            moved.append(line)
            continue
        kept.append(line)
    if moved:
        kept += [
            "",
            "# Moved by pyingot: built as shared libraries, never linked in.",
            "*shared*",
            *moved,
        ]
    return "\n".join(kept) + "\n"
