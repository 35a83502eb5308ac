"""Stub + payload entries -> the executable, atomically and reproducibly.

The output is written to a temporary name in the destination directory and
renamed into place; the same inputs give the same bytes (``SOURCE_DATE_EPOCH``
sets the file's time).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pyingot.payload import packing
from pyingot.payload.packing import BlobStore, PayloadEntry


def write_executable(
    stub: Path, entries: Iterable[PayloadEntry], output: Path, store: BlobStore | None = None
) -> Path:
    """``stub`` + payload -> ``output`` (mode 0755), via a temporary file and a rename.

    ``store`` compresses the blobs (:class:`pyingot.payload.compression.Compression`).
    """
    payload = packing.write_payload(entries, store)
    parts = packing.executable_parts(stub.read_bytes(), payload)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
        os.chmod(tmp, 0o755)
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.isdigit():
            os.utime(tmp, (int(epoch), int(epoch)))
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return output
