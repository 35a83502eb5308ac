"""Extension selection policies."""

from __future__ import annotations

import pytest

from pyingot.distribution import pbs
from pyingot.distribution.model import Distribution
from pyingot.distribution.selection import ExtensionSelection
from pyingot.errors import PyingotError
from tests import fixtures


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Distribution:
    return pbs.load(fixtures.make_tree(tmp_path_factory.mktemp("sel")))


def names(sel: ExtensionSelection, dist: Distribution) -> list[str]:
    return sorted(sel.resolve(dist))


def test_all_leaves_out_test_and_shared_only_modules(dist: Distribution) -> None:
    assert names(ExtensionSelection(), dist) == ["_demo", "_sqlite3", "posix", "readline"]


def test_no_copyleft_drops_gpl(dist: Distribution) -> None:
    assert names(ExtensionSelection("no-copyleft"), dist) == ["_demo", "_sqlite3", "posix"]


def test_minimal_is_the_required_set(dist: Distribution) -> None:
    assert names(ExtensionSelection("minimal"), dist) == ["posix"]


def test_include_and_exclude(dist: Distribution) -> None:
    sel = ExtensionSelection("minimal", include=("_sqlite3",))
    assert names(sel, dist) == ["_sqlite3", "posix"]
    assert names(ExtensionSelection(exclude=("readline", "_demo")), dist) == ["_sqlite3", "posix"]


def test_required_modules_cannot_be_excluded(dist: Distribution) -> None:
    with pytest.raises(PyingotError, match="'posix' is required to start the interpreter"):
        ExtensionSelection(exclude=("posix",)).resolve(dist)


def test_gpl_include_under_no_copyleft_is_a_contradiction(dist: Distribution) -> None:
    with pytest.raises(PyingotError, match="'readline' links GPL-licensed code"):
        ExtensionSelection("no-copyleft", include=("readline",)).resolve(dist)


def test_unknown_module_suggests_close_names(dist: Distribution) -> None:
    with pytest.raises(PyingotError) as e:
        ExtensionSelection(include=("_sqlite",)).resolve(dist)
    assert e.value.hint == "did you mean _sqlite3?"


def test_shared_only_module_is_embedded_when_included(dist: Distribution) -> None:
    sel = ExtensionSelection(include=("_testcapi",))
    assert "_testcapi" not in sel.resolve(dist)
    assert sel.embedded(dist) == ("_testcapi",)
    assert ExtensionSelection(include=("_sqlite3",)).embedded(dist) == ()
    assert ExtensionSelection().embedded(dist) == ()


def test_bad_policy_and_double_listing() -> None:
    with pytest.raises(PyingotError, match="unknown extension policy 'some'"):
        ExtensionSelection("some")
    with pytest.raises(PyingotError, match="both included and excluded"):
        ExtensionSelection(include=("a",), exclude=("a",))
