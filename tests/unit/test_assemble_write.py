"""How the executable is written: in pieces, so that its page-cache folios stay small."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyingot import cli
from pyingot.assemble.write import WRITE_CHUNK, check_output, write_executable
from pyingot.errors import PyingotError
from pyingot.payload import packing
from tests.building import ROOT


def test_the_executable_is_the_stub_and_the_payload(tmp_path: Path) -> None:
    stub = tmp_path / "stub"
    stub.write_bytes(bytes(range(256)) * 1000)
    out = write_executable(stub, [], tmp_path / "dist" / "app")
    assert out.read_bytes() == packing.append(stub.read_bytes(), packing.write_payload([]))
    assert out.stat().st_mode & 0o777 == 0o755
    assert [p.name for p in out.parent.iterdir()] == ["app"]  # no temporary file left


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
def test_no_write_is_larger_than_the_chunk(tmp_path: Path) -> None:
    """One large write leaves the file in large page-cache folios, which a process
    mapping it gets whole (issue 10: hello's peak RSS 15.0 MiB instead of 8.5)."""
    stub = tmp_path / "stub"
    stub.write_bytes(b"\x7fELF" + bytes(3 * 1024 * 1024))
    out = tmp_path / "app"
    log = tmp_path / "strace.log"
    code = (
        "from pathlib import Path\n"
        "from pyingot.assemble.write import write_executable\n"
        f"write_executable(Path({str(stub)!r}), [], Path({str(out)!r}))\n"
    )
    trace = ["strace", "-f", "-e", "trace=write,pwrite64,writev", "-o", str(log)]
    subprocess.run([*trace, sys.executable, "-c", code], check=True)
    sizes = [int(n) for n in re.findall(r"^\d+\s+\w+\(.*\)\s+=\s+(\d+)$", log.read_text(), re.M)]
    assert sum(sizes) >= out.stat().st_size
    assert max(sizes) == WRITE_CHUNK


def test_small_and_large_blobs_are_written_as_packed(tmp_path: Path) -> None:
    """The payload is written from its pieces (no joined copy): the bytes are those of
    the packed payload, whatever the pieces' sizes against the chunk."""
    stub = tmp_path / "stub"
    stub.write_bytes(b"\x7fELF" + bytes(1000))
    entries = [
        packing.PayloadEntry(packing.Kind.MODULE, f"m{i}", bytes([i % 251]) * (i * 37 % 5000 + 1))
        for i in range(300)
    ]
    entries.append(
        packing.PayloadEntry(
            packing.Kind.SHARED_LIBRARY, "big.so", bytes(range(256)) * (3 * WRITE_CHUNK // 256 + 7)
        )
    )
    out = write_executable(stub, entries, tmp_path / "app")
    expected = packing.append(stub.read_bytes(), packing.write_payload(entries))
    assert out.read_bytes() == expected


def test_an_output_path_that_cannot_be_a_file_is_named(tmp_path: Path) -> None:
    """``-o`` naming a directory, or a path through a file: a user error that names
    the path (it was a crash, exit 70, in os.replace)."""
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("")
    with pytest.raises(PyingotError) as e:
        check_output(tmp_path / "dir")
    assert e.value.message == f"cannot write the executable {tmp_path / 'dir'}: it is a directory"
    with pytest.raises(PyingotError) as e:
        check_output(tmp_path / "file" / "sub" / "app")
    assert e.value.message.endswith(f"{tmp_path / 'file'} is a file, not a directory")
    check_output(tmp_path / "new" / "dir" / "app")  # directories still to be made: fine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "file"]


def test_a_refused_write_names_the_output_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = tmp_path / "stub"
    stub.write_bytes(b"\x7fELF" + bytes(100))
    (tmp_path / "dist").mkdir()

    def full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(PyingotError) as e:
        write_executable(stub, [], tmp_path / "dist" / "app")
    assert e.value.message == (
        f"cannot write the executable {tmp_path / 'dist' / 'app'}: No space left on device"
    )
    assert list((tmp_path / "dist").iterdir()) == []


def test_build_into_a_directory_stops_before_building(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "hello"
    shutil.copytree(ROOT / "examples" / "hello", project, ignore=shutil.ignore_patterns("dist"))
    (tmp_path / "out").mkdir()
    assert cli.main(["build", "-q", "-o", str(tmp_path / "out"), str(project)]) == 1
    err = capsys.readouterr().err
    assert f"error: cannot write the executable {tmp_path / 'out'}: it is a directory" in err
    assert "Traceback" not in err
