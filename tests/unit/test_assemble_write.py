"""How the executable is written: in pieces, so that its page-cache folios stay small."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pyingot.assemble.write import WRITE_CHUNK, write_executable
from pyingot.payload import packing


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
