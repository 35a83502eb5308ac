"""What a package says of its own imports, in the PyInstaller hook it ships.

Packages that care how they are frozen ship a hook for PyInstaller (registered under
the ``pyinstaller40`` entry point): numpy's ``numpy/_pyinstaller/hook-numpy.py``. Two of
its lists are facts about the package's imports, and pyingot reads them too:

- ``hiddenimports``: modules it imports where no statement shows (from C: numpy's
  ``numpy._core._dtype_ctypes``). They are reached with the hooked module, as the
  imports of ``dynamic.py`` are.
- ``excludedimports``: modules its imports name that a frozen application does not
  need (numpy's: ``distutils``, ``numpy.distutils``, ``setuptools``, ``scipy``,
  ``pytest``: building and testing code). An import of one of them (or of a submodule)
  by the hooked module or its submodules is not followed; the module is still embedded
  when anything else imports it, or ``[tool.pyingot.modules] include`` names it. This
  is what PyInstaller does with the list; for numpy 2.3.5 it leaves out 1.25 MB.

Only the hook's literal lists are read (``name = [...]``, ``+= [...]`` at its top
level), never run: a hook is code written for PyInstaller's API.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pyingot import patterns
from pyingot.resources.scan import InstalledDistribution

#: The entry point group under which packages register their hook directories.
ENTRY_POINT_GROUP = "pyinstaller40"


@dataclass(frozen=True)
class Hook:
    """The lists a package's hook declares for one of its modules."""

    #: The hooked module (``numpy`` for ``hook-numpy.py``).
    module: str
    #: The distribution that ships the hook.
    distribution: str
    hidden: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def covers(self, importer: str) -> bool:
        """``importer`` is the hooked module or one of its submodules."""
        return importer == self.module or importer.startswith(self.module + ".")

    def excludes(self, name: str) -> bool:
        """``name`` is one of :attr:`excluded`, or in one of those packages."""
        return patterns.in_packages(name, self.excluded)


def package_hooks(distributions: Iterable[InstalledDistribution]) -> dict[str, Hook]:
    """The hooks the ``distributions`` ship, by hooked module: the ``hook-<module>.py``
    files of those that register a ``pyinstaller40`` entry point."""
    out: dict[str, Hook] = {}
    for dist in distributions:
        if not _registers_hooks(dist):
            continue
        for rel in dist.files:
            leaf = rel.rpartition("/")[2]
            if not (leaf.startswith("hook-") and leaf.endswith(".py")):
                continue
            hook = read_hook(dist.root / rel, leaf[len("hook-") : -len(".py")], dist.name)
            if hook is not None and hook.module not in out:
                out[hook.module] = hook
    return out


def read_hook(path: Path, module: str, distribution: str) -> Hook | None:
    """The lists of the hook at ``path``; None when it declares neither (or cannot be
    read or parsed: it is PyInstaller's to run, not ours)."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    lists = _literal_lists(tree.body)
    hidden, excluded = lists.get("hiddenimports", ()), lists.get("excludedimports", ())
    if not hidden and not excluded:
        return None
    return Hook(module, distribution, tuple(hidden), tuple(excluded))


def _literal_lists(body: Iterable[ast.stmt]) -> Mapping[str, list[str]]:
    out: dict[str, list[str]] = {}
    for stmt in body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value, extend = stmt.targets[0], stmt.value, False
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add):
            target, value, extend = stmt.target, stmt.value, True
        else:
            continue
        if not isinstance(target, ast.Name) or not isinstance(value, (ast.List, ast.Tuple)):
            continue
        names = [
            e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        if len(names) != len(value.elts):
            continue  # computed: not a fact we can read
        out[target.id] = [*out.get(target.id, []), *names] if extend else names
    return out


def _registers_hooks(dist: InstalledDistribution) -> bool:
    try:
        text = (dist.root / dist.dist_info / "entry_points.txt").read_text(
            encoding="utf-8", errors="replace"
        )
    except OSError:
        return False
    return any(line.strip() == f"[{ENTRY_POINT_GROUP}]" for line in text.splitlines())
