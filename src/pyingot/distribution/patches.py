"""Changes pyingot makes to CPython's sources before building them, as data.

Each one fixes a bug of CPython that pyingot's executables hit; each names the
builds it applies to, and its text is part of those builds' cache key (so a
change here rebuilds exactly the distributions it touches). A patch is an exact
replacement: if the text it replaces is not found once, the build stops and
names the file and the patch, rather than building an interpreter that quietly
lacks the fix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pyingot.errors import PyingotError


@dataclass(frozen=True)
class Patch:
    name: str
    #: Why, in one line (the build log shows it).
    reason: str
    path: str
    #: ``(old, new)`` pairs: each old text must occur exactly once.
    replacements: tuple[tuple[str, str], ...]
    minors: tuple[int, ...]
    free_threaded_only: bool

    def applies(self, minor: int, free_threaded: bool) -> bool:
        return minor in self.minors and (free_threaded or not self.free_threaded_only)

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.path.encode())
        for old, new in self.replacements:
            h.update(b"\0" + old.encode() + b"\0" + new.encode())
        return h.hexdigest()


_PARENT_HELPER = """\
def _parent_module(parent, import_):
    # pyingot: importing a submodule looks its parent up in sys.modules, where
    # another thread may be moving the parent to the end of the dict (the pop
    # and re-insert in _load_unlocked). That thread holds the parent's module
    # lock until the parent is back, so importing the parent waits for it.
    # Without the GIL the window is real (KeyError: the parent's name).
    try:
        return sys.modules[parent]
    except KeyError:
        _call_with_frames_removed(import_, parent)
        return sys.modules[parent]


def _find_and_load_unlocked(name, import_):
"""

#: CPython 3.13.5's free-threaded build raises ``KeyError: 'pkg'`` in about one
#: process in fifty when eight threads import submodules of one package at once
#: (tests/end_to_end/test_free_threaded.py). CPython 3.14's importlib still has
#: the window; with the GIL, nothing runs between the pop and the re-insert.
IMPORT_PARENT_RACE = Patch(
    name="importlib-parent-lookup-race",
    reason="a submodule import finds its parent missing while another thread re-inserts it",
    path="Lib/importlib/_bootstrap.py",
    replacements=(
        ("def _find_and_load_unlocked(name, import_):\n", _PARENT_HELPER),
        (
            "        # Crazy side-effects!\n"
            "        if name in sys.modules:\n"
            "            return sys.modules[name]\n"
            "        parent_module = sys.modules[parent]\n",
            "        # Crazy side-effects!\n"
            "        if name in sys.modules:\n"
            "            return sys.modules[name]\n"
            "        parent_module = _parent_module(parent, import_)\n",
        ),
        (
            "        # Set the module as an attribute on its parent.\n"
            "        parent_module = sys.modules[parent]\n",
            "        # Set the module as an attribute on its parent.\n"
            "        parent_module = _parent_module(parent, import_)\n",
        ),
    ),
    minors=(13,),
    free_threaded_only=True,
)

PATCHES = (IMPORT_PARENT_RACE,)


def selected(minor: int, free_threaded: bool) -> tuple[Patch, ...]:
    return tuple(p for p in PATCHES if p.applies(minor, free_threaded))


def key(free_threaded: bool) -> dict[str, str]:
    """The cache-key inputs of the patches a build may get: empty when none can
    apply, so builds no patch touches keep their keys. By build kind only: the
    source's minor version is known once it is unpacked, after the key."""
    return {p.name: p.digest for p in PATCHES if free_threaded or not p.free_threaded_only}


def apply(tree: Path, patch: Patch) -> None:
    target = tree / patch.path
    text = target.read_text(encoding="utf-8")
    for old, new in patch.replacements:
        found = text.count(old)
        if found != 1:
            raise PyingotError(
                f"pyingot's patch {patch.name!r} does not fit {target}: the text it "
                f"replaces occurs {found} times (expected once)",
                hint="is it an unmodified CPython source of a version pyingot supports? "
                "If so, this is a pyingot bug: please report it",
            )
        text = text.replace(old, new)
    target.write_text(text, encoding="utf-8")
