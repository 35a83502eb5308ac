"""sha256 of the build's large blobs: each computed once per build, and once per file
version across builds.

A rebuild after a one-line edit read the numpy example's 45 MB of extension modules and
libraries and hashed the libraries twice (for the blob cache's key and for the SBOM):
24 ms per pass on this machine, for files that had not changed since the last build.

- :func:`read_file` reads a file; when it is large, its digest is looked up in the user
  cache under the file's identity (path, size, mtime, ctime, inode: :func:`cache.identity`)
  or computed once and kept there, as git's index and ccache's direct mode do. A file
  changed within the last :data:`RACY_SECONDS` is hashed: a second write within the
  file system's timestamp granularity would leave its identity as it was.
- :func:`map_file` is :func:`read_file` for a large file in pyingot's own cache (the
  installed dependencies: numpy's libraries), whose entries are never changed once
  written: a read-only mapping of it, read only where used. A rebuild whose blobs are
  all cached (compressed, digests known) then reads none of those 45 MB: on this
  machine, whose page cache gives back files idle for a minute, reading them took
  180 ms when the files had fallen out of it.
- :func:`sha256` gives the digest of bytes, from what :func:`read_file` learnt or from
  an earlier call in this build, else by hashing them (small blobs, always: a lookup
  would cost what hashing does).
- :func:`remember` tells it the digest of bytes whose digest was known where they came
  from: the compile cache keeps each module's bytecode digest and hashes its source
  once, for its key (``resources/compile.py``). A numpy rebuild hashed those 22 MB again
  for the blob cache's keys: 18 ms.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import time
from pathlib import Path
from typing import Final

from pyingot import cache

#: Blobs from this size on have their digests remembered.
LARGE: Final = 1 << 20
RACY_SECONDS: Final = 2.0

#: A file's contents: its bytes, or a read-only mapping of it (:func:`map_file`), or a
#: view of part of one (a cached compressed blob, after its tag byte:
#: :mod:`pyingot.payload.compression`).
Blob = bytes | mmap.mmap | memoryview

#: id(blob) -> (blob, digest); the blob is held so that its id is not reused.
_known: dict[int, tuple[Blob, str]] = {}


def sha256(data: Blob) -> str:
    """The hex sha256 of ``data``."""
    hit = _known.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    digest = hashlib.sha256(data).hexdigest()
    if len(data) >= LARGE:
        _known[id(data)] = (data, digest)
    return digest


def remember(data: Blob, digest: str) -> None:
    """Let :func:`sha256` answer ``digest`` for ``data`` (this very object) without
    hashing it; the caller computed it from these bytes, or read it from a cache
    entry keyed by them."""
    _known[id(data)] = (data, digest)


def forget() -> None:
    """Drop the digests known so far, and the blobs held for them: a build starts with
    this, so that a process running many builds (the tests) does not keep every one's."""
    _known.clear()


def read_file(path: Path) -> bytes:
    """``path``'s bytes (``OSError`` as ``Path.read_bytes``); a large file's digest is
    then known to :func:`sha256` without hashing it again (see above)."""
    with path.open("rb") as f:
        before = os.fstat(f.fileno())
        data = f.read()
        if len(data) < LARGE:
            return data
        ident = identity(path, before)
        if ident is None or ident != identity(path, os.fstat(f.fileno())):
            return data  # changing now, or just changed: hash it (sha256 will)
    digest = cache.memo("sha256", ident, lambda: hashlib.sha256(data).hexdigest())
    _known[id(data)] = (data, digest)
    return data


def map_file(path: Path) -> Blob:
    """``path``'s contents (``OSError`` as ``Path.read_bytes``): for a large file in
    pyingot's cache whose identity is settled, a read-only mapping of it, whose digest
    :func:`sha256` knows (see above); the bytes otherwise."""
    if not path.absolute().is_relative_to(cache.cache_root()):
        return read_file(path)
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        ident = identity(path, st) if st.st_size >= LARGE else None
        if ident is None:
            return read_file(path)
        data = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    digest = cache.memo("sha256", ident, lambda: hashlib.sha256(data).hexdigest())
    _known[id(data)] = (data, digest)
    return data


def file_sha256(path: Path) -> str:
    """The hex sha256 of the file at ``path``, read in pieces; a large file's is kept
    under its identity, as for :func:`read_file` (the runtime archive a stub is keyed
    by: 9 MB, hashed at every build). A file that changes while it is read leaves its
    digest under the identity it had before, which it never has again (its ctime moved)."""
    with path.open("rb") as f:
        st = os.fstat(f.fileno())

        def compute() -> str:
            h = hashlib.sha256()
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
            return h.hexdigest()

        ident = identity(path, st) if st.st_size >= LARGE else None
        return compute() if ident is None else cache.memo("sha256", ident, compute)


def identity(path: Path, st: os.stat_result) -> dict[str, object] | None:
    """What changes whenever the file at ``path`` (whose stat is ``st``) does, for a
    memo's key; ``None`` when it changed too recently to be told from its next change."""
    if time.time() - max(st.st_mtime, st.st_ctime) < RACY_SECONDS:
        return None
    return {
        "path": str(path.absolute()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns,
        "ino": st.st_ino,
        "dev": st.st_dev,
    }
