"""pyingot's fixes to CPython's sources: which builds get them, their cache key,
and a clear stop when a source does not fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyingot.distribution import patches
from pyingot.errors import PyingotError

RACE = patches.IMPORT_PARENT_RACE

#: The lines of CPython 3.13.5's Lib/importlib/_bootstrap.py the patch replaces.
BOOTSTRAP_313 = """\
_ERR_MSG_PREFIX = 'No module named '

def _find_and_load_unlocked(name, import_):
    path = None
    parent = name.rpartition('.')[0]
    parent_spec = None
    if parent:
        if parent not in sys.modules:
            _call_with_frames_removed(import_, parent)
        # Crazy side-effects!
        if name in sys.modules:
            return sys.modules[name]
        parent_module = sys.modules[parent]
        child = name.rpartition('.')[2]
    module = _load_unlocked(_find_spec(name, path))
    if parent:
        # Set the module as an attribute on its parent.
        parent_module = sys.modules[parent]
        setattr(parent_module, child, module)
    return module
"""


def tree_with(tmp_path: Path, text: str) -> Path:
    target = tmp_path / RACE.path
    target.parent.mkdir(parents=True)
    target.write_text(text)
    return tmp_path


def test_the_race_fix_is_for_free_threaded_313_only() -> None:
    assert patches.selected(13, free_threaded=True) == (RACE,)
    assert patches.selected(13, free_threaded=False) == ()
    assert patches.selected(11, free_threaded=False) == ()


def test_builds_no_patch_touches_keep_their_cache_key() -> None:
    assert patches.key(free_threaded=False) == {}
    assert patches.key(free_threaded=True) == {RACE.name: RACE.digest}


def test_both_parent_lookups_go_through_the_helper(tmp_path: Path) -> None:
    tree = tree_with(tmp_path, BOOTSTRAP_313)
    patches.apply(tree, RACE)
    text = (tree / RACE.path).read_text()
    assert "sys.modules[parent]\n        " not in text.split("def _find_and_load_unlocked")[1]
    assert text.count("parent_module = _parent_module(parent, import_)") == 2
    namespace: dict[str, object] = {}
    compile(text, RACE.path, "exec")  # still Python
    exec(compile(text.split("def _find_and_load_unlocked")[0], "x", "exec"), namespace)
    assert callable(namespace["_parent_module"])


def test_a_source_that_does_not_fit_stops_the_build_naming_file_and_patch(
    tmp_path: Path,
) -> None:
    tree = tree_with(tmp_path, BOOTSTRAP_313.replace("parent_module = sys.modules[parent]", "x"))
    with pytest.raises(PyingotError) as err:
        patches.apply(tree, RACE)
    assert "importlib-parent-lookup-race" in str(err.value)
    assert str(tree / RACE.path) in str(err.value)
    assert "occurs 0 times" in str(err.value)
