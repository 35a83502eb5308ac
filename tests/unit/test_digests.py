from __future__ import annotations

import hashlib
import mmap
import os
import time
from pathlib import Path

import pytest

from pyingot import digests


def _old_file(path: Path, data: bytes) -> Path:
    """``data`` at ``path``, its times set back past the racy window."""
    path.write_bytes(data)
    past = time.time() - 3600
    os.utime(path, (past, past))
    return path


@pytest.fixture
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(digests, "RACY_SECONDS", -1.0)


def test_small_blobs_are_hashed(isolated_cache: Path) -> None:
    assert digests.sha256(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert not (isolated_cache / "memo").exists()


def test_large_file_digest_is_remembered_by_identity(
    tmp_path: Path, isolated_cache: Path, no_racy_window: None
) -> None:
    data = os.urandom(digests.LARGE + 5)
    path = _old_file(tmp_path / "lib.so", data)
    read = digests.read_file(path)
    assert read == data
    assert digests.sha256(read) == hashlib.sha256(data).hexdigest()
    memos = list((isolated_cache / "memo" / "sha256").iterdir())
    assert len(memos) == 1
    # A second build (another bytes object) finds the memo, not a new hash: make the
    # memo say something else to see that it is what answers.
    memos[0].write_text("f" * 64)
    assert digests.sha256(digests.read_file(path)) == "f" * 64


def test_a_changed_file_is_hashed_again(
    tmp_path: Path, isolated_cache: Path, no_racy_window: None
) -> None:
    path = _old_file(tmp_path / "lib.so", b"a" * (digests.LARGE + 1))
    first = digests.sha256(digests.read_file(path))
    # Same size, same mtime: only ctime (and content) differ. The kernel's clock for
    # file times ticks coarsely (up to 10 ms): wait for it to move (the racy window is
    # what guards real builds against this).
    st = path.stat()
    time.sleep(0.05)
    path.write_bytes(b"b" * (digests.LARGE + 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    second = digests.sha256(digests.read_file(path))
    assert second == hashlib.sha256(b"b" * (digests.LARGE + 1)).hexdigest() != first


def test_a_file_changed_just_now_is_not_remembered(tmp_path: Path, isolated_cache: Path) -> None:
    path = tmp_path / "lib.so"
    path.write_bytes(b"c" * (digests.LARGE + 1))
    data = digests.read_file(path)
    assert digests.sha256(data) == hashlib.sha256(data).hexdigest()
    assert not (isolated_cache / "memo").exists()


def test_file_sha256_of_a_large_file_is_remembered(
    tmp_path: Path, isolated_cache: Path, no_racy_window: None
) -> None:
    data = os.urandom(digests.LARGE + 7)
    path = _old_file(tmp_path / "runtime.a", data)
    assert digests.file_sha256(path) == hashlib.sha256(data).hexdigest()
    (memo,) = (isolated_cache / "memo" / "sha256").iterdir()
    memo.write_text("e" * 64)
    assert digests.file_sha256(path) == "e" * 64
    small = tmp_path / "small"
    small.write_bytes(b"x")
    assert digests.file_sha256(small) == hashlib.sha256(b"x").hexdigest()


def test_elf_facts_are_kept_under_the_file_identity(
    tmp_path: Path, isolated_cache: Path, no_racy_window: None
) -> None:
    from pyingot import elf

    lib = _old_file(tmp_path / "libz.so.1", Path("/lib/x86_64-linux-gnu/libz.so.1").read_bytes())
    first = elf.read_file(lib)
    assert first == elf.parse(lib.read_bytes(), name=str(lib))
    assert first.soname == "libz.so.1" and "libc.so.6" in first.needed
    (memo,) = (isolated_cache / "memo" / "elf-dynamic").iterdir()
    memo.write_text(memo.read_text().replace("libz.so.1", "libkept.so.1"))
    assert elf.read_file(lib).soname == "libkept.so.1"  # the memo answered


def test_a_large_file_in_the_cache_is_mapped_not_read(
    tmp_path: Path, isolated_cache: Path, no_racy_window: None
) -> None:
    data = os.urandom(digests.LARGE + 7)
    (isolated_cache / "dependencies").mkdir(parents=True)
    inside = _old_file(isolated_cache / "dependencies" / "lib.so", data)
    mapped = digests.map_file(inside)
    assert isinstance(mapped, mmap.mmap) and mapped[:] == data
    # Its digest is the memo's, as for a file read: nothing hashes the mapping again.
    assert digests.sha256(mapped) == hashlib.sha256(data).hexdigest()
    memo = next((isolated_cache / "memo" / "sha256").iterdir())
    memo.write_text("e" * 64)
    assert digests.sha256(digests.map_file(inside)) == "e" * 64

    # Read, not mapped: a file outside pyingot's cache (the user's may change under
    # the build), a small one, and one that has just changed.
    outside = _old_file(tmp_path / "lib.so", data)
    assert type(digests.map_file(outside)) is bytes
    small = _old_file(isolated_cache / "small.so", b"x" * 10)
    assert digests.map_file(small) == b"x" * 10
    fresh = isolated_cache / "fresh.so"
    fresh.write_bytes(data)
    os.utime(fresh, (time.time() + 60, time.time() + 60))  # "changed" in the racy window
    assert type(digests.map_file(fresh)) is bytes


def test_a_payload_holds_a_mapped_blob_as_its_bytes(
    tmp_path: Path, isolated_cache: Path, no_racy_window: None
) -> None:
    from pyingot.payload import packing

    data = os.urandom(digests.LARGE + 3)
    (isolated_cache / "d").mkdir(parents=True)
    mapped = digests.map_file(_old_file(isolated_cache / "d" / "lib.so", data))
    entries = [packing.PayloadEntry(packing.Kind.SHARED_LIBRARY, "lib.so", mapped)]
    same = [packing.PayloadEntry(packing.Kind.SHARED_LIBRARY, "lib.so", data)]
    assert packing.write_payload(entries) == packing.write_payload(same)
