"""Source files of library recipes: pinned by sha256, whichever site serves them.

A loopback HTTP server stands in for Debian's pool and for upstream sites; apt
is switched off through :class:`Sites` (the machine's deb-src entries must not
answer for made-up packages).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from pyingot.distribution.libraries import fetch
from pyingot.distribution.libraries.model import SourceFile
from pyingot.errors import PyingotError
from tests.libraries import tiny_recipe, with_files
from tests.loopback import closed_port_url, serve

NO_APT = fetch.Sites(apt=False, debian_mirrors=(), timeout=10)


def _upstream(recipe_file: SourceFile, url: str) -> SourceFile:
    return replace(recipe_file, upstream=(url,))


def test_upstream_url_pinned_by_sha256(tmp_path: Path, isolated_cache: Path) -> None:
    recipe = tiny_recipe(tmp_path)
    orig = recipe.source.orig
    (tmp_path / "www" / "releases").mkdir(parents=True)
    (tmp_path / "www" / "releases" / "tiny-1.0.tar.gz").write_bytes(
        (tmp_path / orig.name).read_bytes()
    )
    with serve(tmp_path / "www") as (base, served):
        recipe = with_files(recipe, _upstream(orig, f"{base}/releases/tiny-1.0.tar.gz"))
        got = fetch.fetch(recipe, NO_APT)
        assert served == ["/releases/tiny-1.0.tar.gz"]
        # Stored under Debian's name, by hash; a second fetch asks nobody.
        assert got[orig.name] == isolated_cache / "sources" / "sha256" / orig.sha256 / orig.name
        assert hashlib.sha256(got[orig.name].read_bytes()).hexdigest() == orig.sha256
        assert fetch.fetch(recipe, NO_APT) == got
        assert len(served) == 1


def test_debian_pool_layout(tmp_path: Path, isolated_cache: Path) -> None:
    recipe = tiny_recipe(tmp_path)
    orig = recipe.source.orig
    pool = tmp_path / "mirror" / "debian" / "pool" / "main" / "t" / "tiny"
    pool.mkdir(parents=True)
    (pool / orig.name).write_bytes((tmp_path / orig.name).read_bytes())
    with serve(tmp_path / "mirror") as (base, served):
        sites = replace(NO_APT, debian_mirrors=(f"{base}/debian",))
        fetch.fetch(recipe, sites)
    assert served == [f"/debian/pool/main/t/tiny/{orig.name}"]
    assert replace(recipe.source, package="libtiny").pool_dir == "libt/libtiny"


def test_sha256_mismatch_names_library_version_file_and_hashes(
    tmp_path: Path, isolated_cache: Path
) -> None:
    recipe = tiny_recipe(tmp_path)
    orig = recipe.source.orig
    (tmp_path / "www").mkdir()
    tampered = (tmp_path / orig.name).read_bytes() + b"tampered"
    (tmp_path / "www" / orig.name).write_bytes(tampered)
    with serve(tmp_path / "www") as (base, _):
        url = f"{base}/{orig.name}"
        with pytest.raises(PyingotError) as e:
            fetch.fetch(with_files(recipe, _upstream(orig, url)), NO_APT)
    message = e.value.message
    assert "tiny 1.0 (Debian tiny 1.0-1)" in message
    assert orig.name in message
    assert f"expected sha256 {orig.sha256}" in message
    assert f"got {hashlib.sha256(tampered).hexdigest()}" in message
    assert url in message
    assert not (isolated_cache / "sources" / "sha256" / orig.sha256).exists()


def test_a_bad_site_is_passed_over_for_a_good_one(tmp_path: Path, isolated_cache: Path) -> None:
    recipe = tiny_recipe(tmp_path)
    orig = recipe.source.orig
    (tmp_path / "bad" / "pool" / "main" / "t" / "tiny").mkdir(parents=True)
    (tmp_path / "bad" / "pool" / "main" / "t" / "tiny" / orig.name).write_bytes(b"not it")
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / orig.name).write_bytes((tmp_path / orig.name).read_bytes())
    with serve(tmp_path / "bad") as (bad, _), serve(tmp_path / "good") as (good, _):
        sites = replace(NO_APT, debian_mirrors=(closed_port_url(""), bad))
        got = fetch.fetch(with_files(recipe, _upstream(orig, f"{good}/{orig.name}")), sites)
    assert got[orig.name].read_bytes() == (tmp_path / orig.name).read_bytes()


def test_unreachable_url_names_library_and_url(tmp_path: Path, isolated_cache: Path) -> None:
    recipe = tiny_recipe(tmp_path)
    url = closed_port_url("tiny-1.0.tar.gz")
    with pytest.raises(PyingotError) as e:
        fetch.fetch(with_files(recipe, _upstream(recipe.source.orig, url)), NO_APT)
    assert "tiny 1.0 (Debian tiny 1.0-1)" in e.value.message
    assert f"unreachable:\n  {url}" in e.value.message
    assert "deb.debian.org" in (e.value.hint or "")


def test_missing_file_on_a_server_is_unreachable_not_a_mismatch(
    tmp_path: Path, isolated_cache: Path
) -> None:
    recipe = tiny_recipe(tmp_path)
    (tmp_path / "empty").mkdir()
    with serve(tmp_path / "empty") as (base, _):
        url = f"{base}/gone.tar.gz"
        with pytest.raises(PyingotError) as e:
            fetch.fetch(with_files(recipe, _upstream(recipe.source.orig, url)), NO_APT)
    assert url in e.value.message
    assert f"{url} (HTTP 404 " in e.value.message
    assert "mismatch" not in e.value.message


def test_nothing_to_try_says_so(tmp_path: Path, isolated_cache: Path) -> None:
    with pytest.raises(PyingotError) as e:
        fetch.fetch(tiny_recipe(tmp_path), NO_APT)
    assert "no site to try" in e.value.message
