"""zlib and lzma: compress and decompress a text-like buffer.

The zlib and liblzma libraries the interpreter is built with.
"""

from __future__ import annotations

import lzma
import zlib

ROUNDS = 4


def buffer() -> bytes:
    words = [b"pyingot", b"interpreter", b"static", b"portable", b"glibc", b"bench", b"\x00\xff"]
    parts = [words[(i * i + i // 7) % len(words)] + b"%d " % (i % 1000) for i in range(400_000)]
    return b"".join(parts)


def bench() -> str:
    data = buffer()
    sizes = []
    for _ in range(ROUNDS):
        packed = zlib.compress(data, 6)
        if zlib.decompress(packed) != data:
            raise AssertionError("zlib round trip")
        sizes.append(len(packed))
    packed = lzma.compress(data[: len(data) // 3], preset=1)
    if lzma.decompress(packed) != data[: len(data) // 3]:
        raise AssertionError("lzma round trip")
    sizes.append(len(packed))
    return " ".join(map(str, sizes))
