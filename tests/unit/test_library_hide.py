"""Hiding a static archive's symbols (pyingot.distribution.libraries.hide).

The archive is made with the toolchain's cc and ar; readelf (binutils) is the
reference the hider is held to, and a linked program shows the hidden symbols
still link but are not exported.
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest

from pyingot.distribution.libraries import hide
from pyingot.distribution.toolchain import Toolchain
from pyingot.errors import PyingotError
from tests.compiling import run_with

SOURCES = {
    "api.c": """
        int counter = 41;
        __attribute__((weak)) int weak_fn(void) { return 1; }
        __attribute__((visibility("default"))) int api_fn(int x) { return x + counter; }
        __attribute__((visibility("hidden"))) int already_hidden(void) { return 2; }
        __attribute__((visibility("protected"))) int protected_fn(void) { return 3; }
        static __attribute__((noinline, used)) int private_fn(void) { return 4; }
        int uses_private(void) { return private_fn(); }
        """,
    # A member name longer than 15 characters: stored in the GNU long-name table.
    "a_member_with_a_long_name.c": """
        extern int counter;
        int long_named_fn(void) { return counter + 1; }
        """,
}

MAIN = """
    #include <stdio.h>
    int api_fn(int); int long_named_fn(void); int weak_fn(void);
    int main(void) { printf("%d %d %d\\n", api_fn(1), long_named_fn(), weak_fn()); return 0; }
    """


def _symbols(archive: Path) -> dict[str, tuple[str, str, str]]:
    """name -> (binding, visibility, section index) of the archive's defined symbols,
    per readelf."""
    out = subprocess.run(
        ["readelf", "-sW", str(archive)], capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 8 and re.fullmatch(r"\d+:", fields[0]) and fields[6] != "UND":
            found[fields[7]] = (fields[4], fields[5], fields[6])
    return found


@pytest.fixture
def archive(tmp_path: Path, zig_toolchain: Toolchain) -> Path:
    for name, text in SOURCES.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
        run_with(zig_toolchain, "cc", "-O2", "-fPIC", "-c", name, cwd=tmp_path)
    objects = [name.replace(".c", ".o") for name in SOURCES]
    run_with(zig_toolchain, "ar", "rcs", "libdemo.a", *objects, cwd=tmp_path)
    return tmp_path / "libdemo.a"


def test_hides_every_exported_symbol_in_place(archive: Path) -> None:
    before = _symbols(archive)
    assert before["api_fn"][:2] == ("GLOBAL", "DEFAULT")
    size = archive.stat().st_size
    exported = {"counter", "weak_fn", "api_fn", "uses_private", "long_named_fn"}
    assert {v.symbol for v in hide.visible_symbols(archive)} == exported
    assert {v.member for v in hide.visible_symbols(archive)} == {
        "api.o",
        "a_member_with_a_long_name.o",
    }

    assert hide.hide_archive(archive) == len(exported)

    after = _symbols(archive)
    assert archive.stat().st_size == size
    assert hide.visible_symbols(archive) == []
    for name in exported:
        assert after[name][1] == "HIDDEN", name
        assert after[name][0] == before[name][0]  # binding kept: WEAK stays WEAK
    assert after["weak_fn"][0] == "WEAK"
    assert after["protected_fn"][1] == "PROTECTED"  # left alone
    assert after["private_fn"][0] == "LOCAL"
    assert hide.hide_archive(archive) == 0  # idempotent


def test_symbols_to_keep_stay_exported(archive: Path) -> None:
    assert hide.hide_archive(archive, keep={"api_fn", "counter"}) == 3
    after = _symbols(archive)
    assert after["api_fn"][1] == after["counter"][1] == "DEFAULT"
    assert after["weak_fn"][1] == after["long_named_fn"][1] == "HIDDEN"
    assert {v.symbol for v in hide.visible_symbols(archive)} == {"api_fn", "counter"}


def test_hidden_symbols_link_but_are_not_exported(
    archive: Path, tmp_path: Path, zig_toolchain: Toolchain
) -> None:
    hide.hide_archive(archive)
    (tmp_path / "main.c").write_text(textwrap.dedent(MAIN))
    run_with(
        zig_toolchain, "cc", "-O2", "-rdynamic", "main.c", "libdemo.a", "-o", "demo", cwd=tmp_path
    )
    assert run_with(zig_toolchain, "./demo", cwd=tmp_path).stdout == "42 42 1\n"
    dynamic = subprocess.run(
        ["objdump", "-T", str(tmp_path / "demo")], capture_output=True, text=True, check=True
    ).stdout
    assert "main" in dynamic  # --export-dynamic does export the program's own symbols
    for name in ("api_fn", "counter", "weak_fn", "long_named_fn"):
        assert not re.search(rf"\s{name}$", dynamic, re.M), name


def test_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "libnot.a"
    path.write_bytes(b"\x7fELF not an archive")
    with pytest.raises(PyingotError, match=r"libnot\.a is not an ar archive"):
        hide.hide_archive(path)


def test_a_member_that_is_not_an_object(tmp_path: Path, zig_toolchain: Toolchain) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    run_with(zig_toolchain, "ar", "rc", "libtext.a", "notes.txt", cwd=tmp_path)
    with pytest.raises(PyingotError, match=r"member notes\.txt is not an ELF object"):
        hide.visible_symbols(tmp_path / "libtext.a")
