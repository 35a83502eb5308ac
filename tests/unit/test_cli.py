"""The command line as users meet it: help texts, progress lines, the SBOM and JSON outputs."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pyingot import cli
from pyingot.errors import InternalError
from pyingot.progress import Progress, run_logged


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # argparse wraps help at the terminal's width; a wide one keeps phrases on one line.
    monkeypatch.setenv("COLUMNS", "200")


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as e:
        cli.main([*args, "--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_is_written_for_users(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys)
    assert "Nothing else lives here" not in text and "docstring" not in text
    assert text.startswith("usage: pyingot [-h] [--version] COMMAND ...")
    assert "Turn a Python project into one executable file" in text
    assert "glibc 2.17 or later" in text
    for command in ("build", "run", "inspect", "init", "python"):
        assert re.search(rf"^    {command} +\S", text, re.MULTILINE), command
    assert "pyingot build                build ./dist/<name>" in text
    assert "70 a bug in pyingot (please report it)" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("build",), ["dist/<name>.cdx.json", "--json", "sha256", "-o OUTPUT", "--quiet"]),
        (("run",), ["Build the project quietly, then run the executable", "after --"]),
        (("inspect",), ["read from the file alone", "--sbom", "CycloneDX JSON", "--verbose"]),
        (("init",), ["Add a [tool.pyingot] table to pyproject.toml", "its pyproject.toml"]),
        (("python",), ["static CPython distributions", "build", "list", "prune", "show"]),
        (("python", "build"), ["--source SOURCE", "debian:python3.X", "--jobs"]),
        (("python", "list"), ["List the CPython distributions in the cache"]),
        (("python", "prune"), ["no longer uses"]),
        (("python", "show"), ["--select POLICY", "no-copyleft", "a unique part such as 3.13"]),
    ],
)
def test_each_subcommand_help_says_what_it_does(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: list[str]
) -> None:
    text = _help(capsys, *args)
    assert text.startswith(f"usage: pyingot {' '.join(args)} ")
    for phrase in expected:
        assert phrase in text, phrase


def test_stage_counters_stay_within_their_totals() -> None:
    out = io.StringIO()
    progress = Progress(3, stream=out)
    progress.stage("reading configuration")
    progress.stage("finding the CPython distribution")
    inner = progress.child(2)  # a distribution build, counting its own stages
    inner.stage("unpacking source")
    inner.note("CPython 3.13.5")
    inner.stage("compiling")
    progress.stage("writing the executable")
    assert out.getvalue().splitlines() == [
        "[1/3] reading configuration",
        "[2/3] finding the CPython distribution",
        "      [1/2] unpacking source",
        "            CPython 3.13.5",
        "      [2/2] compiling",
        "[3/3] writing the executable",
    ]
    with pytest.raises(InternalError, match=r"stage 4 of 3: 'one too many'"):
        progress.stage("one too many")


def test_a_slow_stage_reports_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    progress = Progress(2, stream=out)
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    progress.stage("quick")
    now[0] += 0.5
    progress.stage("slow")
    now[0] += 42.25
    progress.finish()
    assert out.getvalue().splitlines() == ["[1/2] quick", "[2/2] slow", "      (42.2 s)"]


def test_a_long_command_shows_its_elapsed_time(tmp_path: Path) -> None:
    out = io.StringIO()
    progress = Progress(1, stream=out)
    log = tmp_path / "log"
    run_logged(
        ["sleep", "0.35"],
        cwd=tmp_path,
        log=log,
        step="sleeping",
        progress=progress,
        heartbeat=lambda: "3 naps",
        interval=0.1,
    )
    lines = out.getvalue().splitlines()
    assert lines and all(re.fullmatch(r"      sleeping: 3 naps, \d+ s", line) for line in lines)


def test_inspect_sbom_of_an_executable_without_one_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pyingot.payload import packing
    from pyingot.payload.settings import LinkedExtensions, RuntimeSettings

    settings = RuntimeSettings(
        name="old",
        python_version="3.11.2",
        pyingot_version="0.0.9",
        extensions=LinkedExtensions(),
    )
    exe = tmp_path / "old"
    exe.write_bytes(packing.append(b"\x7fELF stub", packing.write_payload(settings.to_entries())))
    assert cli.main(["inspect", "--sbom", str(exe)]) == cli.EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert f"{exe}: holds no SBOM" in err
    assert "built by pyingot 0.0.9, before executables carried one" in err

    with_sbom = tmp_path / "new"
    doc = '{"bomFormat": "CycloneDX"}\n'
    new = RuntimeSettings(**{**settings.__dict__, "sbom": doc})
    with_sbom.write_bytes(packing.append(b"\x7fELF stub", packing.write_payload(new.to_entries())))
    assert cli.main(["inspect", "--sbom", str(with_sbom)]) == 0
    assert capsys.readouterr().out == doc


def test_a_reader_that_goes_away_is_not_a_bug(tmp_path: Path) -> None:
    """`pyingot ... | head`: the pipe closes early; pyingot stops quietly, not
    with the "please report" text of exit 70."""
    read, write = os.pipe()
    os.close(read)  # every write to the pipe now fails with EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pyingot", "python", "list"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYINGOT_CACHE_DIR": str(tmp_path)},
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 1, done.stderr
    assert "report" not in done.stderr and "Traceback" not in done.stderr, done.stderr
