"""Stub + payload entries -> the executable, atomically and reproducibly.

The output is written to a temporary name in the destination directory and
renamed into place; the same inputs give the same bytes (``SOURCE_DATE_EPOCH``
sets the file's time).

The file is written in pieces of :data:`WRITE_CHUNK` bytes, not in one call. On
Linux 6 with large page-cache folios (ext4, XFS), one write of 19 MiB leaves the
file in the page cache as folios of up to 2 MiB, and a process that maps it then
gets each folio whole (PMD-mapped even) at its first touch: the runtime's lookup
of a few modules made the whole payload resident. hello's peak RSS, measured
right after the build: 15.0 MiB written at once, 8.5 MiB written in 64 KiB
pieces (without the payload CRC of format 1, which reads every page anyway; 13.3
MiB with it), against 8.6 MiB for ``python hello.py``. 64 KiB is the kernel's
fault-around window: folios no larger than what a page fault maps anyway.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from pyingot import digests
from pyingot.digests import Blob
from pyingot.errors import PyingotError
from pyingot.payload import packing
from pyingot.payload.packing import BlobStore, PayloadEntry

#: The size of each write of the executable (see above).
WRITE_CHUNK = 64 * 1024


def check_output(output: Path) -> None:
    """Fails, naming the path, when the executable cannot be written at ``output``: it
    is a directory, or a file stands where a directory of its path must be. Checked
    before the build does its work (and again as it writes)."""
    if output.is_dir():
        raise PyingotError(
            f"cannot write the executable {output}: it is a directory",
            hint=f"give a file's path (such as {output / output.name}), or remove the directory",
        )
    for parent in output.parents:
        if parent.exists():
            if not parent.is_dir():
                raise PyingotError(
                    f"cannot write the executable {output}: {parent} is a file, not a directory",
                    hint="give a path whose directories are directories",
                )
            break


def write_executable(
    stub: Path, entries: Iterable[PayloadEntry], output: Path, store: BlobStore | None = None
) -> Path:
    """``stub`` + payload -> ``output`` (mode 0755), via a temporary file and a rename.

    ``store`` compresses the blobs (:class:`pyingot.payload.compression.Compression`).
    A file system's refusal (no permission, no space, a directory in the way) is an
    error naming ``output``, and leaves nothing behind.
    """
    check_output(output)
    # The cached stub (10 MB for numpy) mapped rather than read: its pages go from the
    # page cache to the executable without a copy in between (4 ms of a rebuild).
    parts = packing.executable_parts(digests.map_file(stub), packing.payload_parts(entries, store))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    except OSError as e:
        raise _cannot_write(output, e) from None
    try:
        with os.fdopen(fd, "wb", buffering=0) as f:
            _write_in_chunks(f.fileno(), parts)
        os.chmod(tmp, 0o755)
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.isdigit():
            os.utime(tmp, (int(epoch), int(epoch)))
        os.replace(tmp, output)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _cannot_write(output, e) from None
        raise
    return output


def _cannot_write(output: Path, e: OSError) -> PyingotError:
    return PyingotError(
        f"cannot write the executable {output}: {e.strerror or e}",
        hint="check that its directory exists or can be made, is writable, and has space",
    )


def _write_in_chunks(fd: int, parts: Iterable[Blob]) -> None:
    """Writes ``parts`` one after the other in writes of :data:`WRITE_CHUNK` bytes at
    offsets that are multiples of it (the last one shorter): the many small blobs are
    gathered into a chunk, the large ones sliced, nothing else copied."""
    chunk = bytearray(WRITE_CHUNK)
    filled = 0

    def write_all(view: memoryview) -> None:
        while view:
            view = view[os.write(fd, view) :]

    for part in parts:
        view = memoryview(part)
        while view:
            if filled == 0 and len(view) >= WRITE_CHUNK:
                write_all(view[:WRITE_CHUNK])
                view = view[WRITE_CHUNK:]
                continue
            n = min(WRITE_CHUNK - filled, len(view))
            chunk[filled : filled + n] = view[:n]
            filled += n
            view = view[n:]
            if filled == WRITE_CHUNK:
                write_all(memoryview(chunk))
                filled = 0
    if filled:
        write_all(memoryview(chunk)[:filled])


@contextlib.contextmanager
def write_atomically(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; renamed to ``path`` when the block
    succeeds, removed when it fails."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
