"""``pyingot init``: a commented starter ``[tool.pyingot]`` section, from the declarations.

``name`` and ``entry`` are written out as the loader would infer them (infer.py);
every other key is commented out with its default (keys.py) and summary.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier

from pyingot.config import infer, project_table, toml
from pyingot.config.keys import KEYS, TABLES, TOOL
from pyingot.config.load import locate, read_config
from pyingot.config.model import EXECUTABLE_NAME, PYTHON_LIKE, ProjectConfig
from pyingot.config.project_table import ProjectTable
from pyingot.config.table import Table
from pyingot.errors import PyingotError


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_project` did."""

    pyproject: Path
    created: bool
    config: ProjectConfig

    def summary(self) -> str:
        verb = "created" if self.created else "added a [tool.pyingot] section to"
        entry = self.config.entry
        runs = (
            "behaves like python (no [project.scripts])"
            if entry.kind == "python"
            else f"runs {entry}"
        )
        return (
            f"{verb} {self.pyproject}\n"
            f"  executable {self.config.name}: {runs}\n"
            "  every other setting is commented out with its default; edit them there"
        )


def init_project(path: Path) -> InitResult:
    """Add a commented starter ``[tool.pyingot]`` section to a project's pyproject.toml.

    Without a pyproject.toml, one is created holding only that section: pyingot
    configures the build of an executable, not a package, so it writes no
    ``[project]`` metadata on the user's behalf. The file is replaced atomically,
    and only if the result loads.
    """
    file, root = locate(path)
    if not file.parent.is_dir():
        raise PyingotError(f"{file.parent}: no such project directory")
    created = not file.exists()
    raw = b""
    if not created:
        try:
            raw = file.read_bytes()
        except OSError as e:
            raise PyingotError(f"{file}: cannot read it: {e.strerror}") from e
    data = toml.parse(raw, file)
    old = raw.decode("utf-8")  # bytes.decode keeps the file's line endings
    tool = data.get("tool")
    if isinstance(tool, dict) and "pyingot" in tool:
        raise PyingotError(
            f"{file}: already has a [tool.pyingot] section",
            hint="edit it; docs/configuration.md describes every key",
        )
    newline = "\r\n" if "\r\n" in old else "\n"
    project = project_table.read(Table(file, "", data))
    section = starter_section(project, root, fallback_name=_fallback_name(root))
    text = old
    if text and not text.endswith("\n"):
        text += newline
    if text:
        text += newline
    text += section.replace("\n", newline)
    config = read_config(toml.parse(text.encode(), file), file, root)
    _write_atomically(file, text)
    return InitResult(file, created, config)


def _fallback_name(root: Path) -> str:
    """An executable name from the directory's name, when [project] has none."""
    name = re.sub(r"[^A-Za-z0-9._+-]+", "-", root.name).strip("-").lstrip("._+")
    return name or "app"


def starter_section(project: ProjectTable, root: Path, *, fallback_name: str) -> str:
    """The ``[tool.pyingot]`` text ``pyingot init`` appends, for a project's ``[project]``."""
    if project.name is not None and EXECUTABLE_NAME.fullmatch(project.name):
        name, name_note = project.name, "from [project] name"
    else:
        name, name_note = fallback_name, "from the directory's name"
    entry = infer.entry(project)
    if entry.script is None:
        entry_note = "no [project.scripts]: behaves like the python command"
    elif not entry.others:
        entry_note = f"from [project.scripts] {entry.script}"
    else:
        entry_note = f"[project.scripts] {entry.script}; there are also {', '.join(entry.others)}"
    written: dict[str, tuple[object, str]] = {
        "name": (name, name_note),
        "entry": (entry.value, entry_note),
    }
    inferred: dict[str, object] = {
        "sources": list(infer.sources(root)),
        "keep-sources": infer.keep_sources(entry.value == PYTHON_LIKE),
        "stdlib": infer.stdlib(entry.value == PYTHON_LIKE),
    }
    try:
        minor = infer.python_minor(project.requires_python)
    except InvalidSpecifier:  # the loader names the problem when it reads the file
        minor = None
    if minor is not None:
        inferred["python"] = f"3.{minor}"

    lines = [
        f"[{TOOL}]",
        "# Settings of the executable built by pyingot; every key is described in",
        "# pyingot's docs/configuration.md. A commented-out key shows its default.",
    ]
    for table in TABLES:
        if table != TOOL:
            lines += ["", f"# {TABLES[table].splitlines()[0]}", f"# [{table}]"]
        for key in (k for k in KEYS if k.table == table):
            lines += ["", f"# {key.summary}"]
            if table == TOOL and key.name in written:
                value, note = written[key.name]
                lines.append(f"{key.name} = {toml.value(value)}  # {note}")
            else:
                default = inferred.get(key.name, key.default) if table == TOOL else key.default
                if default is None:  # no default value: show the example
                    lines.append(
                        f"# {key.name} = {toml.value(key.example)}  # default: {key.inferred}"
                    )
                else:
                    lines.append(f"# {key.name} = {toml.value(default)}")
    return "\n".join(lines) + "\n"


def _write_atomically(file: Path, text: str) -> None:
    """Replace ``file`` (the target of a symlink) so no reader sees half of it."""
    target = file.resolve()
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
