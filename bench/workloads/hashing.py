"""hashlib: SHA-256 and SHA-1 of a large buffer, and many small digests.

The OpenSSL library the interpreter is built with (its assembly code for the
large buffer; call overhead for the small ones) and the _hashlib module.
"""

from __future__ import annotations

import hashlib

MIB = 1 << 20
LARGE = 512  # MiB, hashed by each algorithm
SMALL = 300_000


def bench() -> str:
    buffer = bytes(range(256)) * (MIB // 256)
    digests = []
    for name in ("sha256", "sha1"):
        h = hashlib.new(name)
        for _ in range(LARGE):
            h.update(buffer)
        digests.append(h.hexdigest()[:16])
    small = hashlib.sha256()
    for i in range(SMALL):
        small.update(hashlib.md5(b"item %d" % i).digest())
    digests.append(small.hexdigest()[:16])
    return " ".join(digests)
