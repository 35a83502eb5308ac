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
- :func:`sha256` gives the digest of bytes, from what :func:`read_file` learnt or from
  an earlier call in this build, else by hashing them (small blobs, always: a lookup
  would cost what hashing does).
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Final

from pyingot import cache

#: Blobs from this size on have their digests remembered.
LARGE: Final = 1 << 20
RACY_SECONDS: Final = 2.0

#: id(blob) -> (blob, digest); the blob is held so that its id is not reused.
_known: dict[int, tuple[bytes, str]] = {}


def sha256(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    hit = _known.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    digest = hashlib.sha256(data).hexdigest()
    if len(data) >= LARGE:
        _known[id(data)] = (data, digest)
    return digest


def read_file(path: Path) -> bytes:
    """``path``'s bytes (``OSError`` as ``Path.read_bytes``); a large file's digest is
    then known to :func:`sha256` without hashing it again (see above)."""
    with path.open("rb") as f:
        before = os.fstat(f.fileno())
        data = f.read()
        if len(data) < LARGE:
            return data
        ident = _identity(path, before)
        if ident is None or ident != _identity(path, os.fstat(f.fileno())):
            return data  # changing now, or just changed: hash it (sha256 will)
    digest = cache.memo("sha256", ident, lambda: hashlib.sha256(data).hexdigest())
    _known[id(data)] = (data, digest)
    return data


def _identity(path: Path, st: os.stat_result) -> dict[str, object] | None:
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
