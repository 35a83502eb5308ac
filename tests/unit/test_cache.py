"""The cache root and its all-or-nothing entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyingot import cache
from pyingot.errors import PyingotError


def test_root_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYINGOT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "pyingot"
    monkeypatch.setenv("PYINGOT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_root() == tmp_path / "mine"


def test_failed_entry_leaves_nothing(tmp_path: Path) -> None:
    final = tmp_path / "entries" / "thing"
    with pytest.raises(RuntimeError), cache.staging_dir(final) as tmp:
        (tmp / "half").write_text("written")
        raise RuntimeError("interrupted")
    assert not final.exists()
    assert list((tmp_path / "entries").iterdir()) == []


def test_committed_entry_appears_whole(tmp_path: Path) -> None:
    final = tmp_path / "entries" / "thing"
    with cache.staging_dir(final) as tmp:
        (tmp / "a").write_text("1")
        cache.commit(tmp, final)
    assert (final / "a").read_text() == "1"
    assert [p.name for p in (tmp_path / "entries").iterdir()] == ["thing"]


def test_unwritable_cache_names_the_directory_and_the_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(PyingotError) as e:
        cache.ensure_dir(blocker / "cache")
    assert str(blocker / "cache") in e.value.message
    assert "PYINGOT_CACHE_DIR" in (e.value.hint or "")


def test_input_hash_is_order_independent() -> None:
    assert cache.input_hash({"a": 1, "b": [2]}) == cache.input_hash({"b": [2], "a": 1})
    assert cache.input_hash({"a": 1}) != cache.input_hash({"a": 2})


def test_memo_asks_once_per_inputs(isolated_cache: Path, tmp_path: Path) -> None:
    asked: list[str] = []

    def answer() -> str:
        asked.append("x")
        return f"answer {len(asked)}"

    tool = tmp_path / "tool"
    tool.write_text("v1")
    inputs = {"tool": cache.identity(tool)}
    assert cache.memo("tool-version", inputs, answer) == "answer 1"
    assert cache.memo("tool-version", {"tool": cache.identity(tool)}, answer) == "answer 1"
    assert len(asked) == 1
    tool.unlink()
    tool.write_text("version 2")  # another size (and inode): another identity
    assert cache.memo("tool-version", {"tool": cache.identity(tool)}, answer) == "answer 2"
    assert cache.memo("other", inputs, answer) == "answer 3"
    assert cache.identity(tmp_path / "absent") == {"missing": str(tmp_path / "absent")}
