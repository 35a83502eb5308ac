"""The modules a compiled extension module's strings name: what its C code may import.

A compiled module's imports cannot be read as statements, but the names it imports
are in its strings: ``PyImport_ImportModule("numpy._core._exceptions")`` leaves a
NUL-terminated string, and Cython keeps every identifier of a module in its string
table (Cython 3.1 concatenates the table and compresses it with zlib, which is why
its modules import ``zlib`` first). numpy's ``bit_generator`` imports ``secrets``
that way as it is imported, and with it ``hmac`` and OpenSSL's ``_hashlib``.

:func:`mentioned` answers which of the reached modules a compiled module names: a
NUL-terminated string equal to a module's name, or, inside a run of identifier
characters at least :data:`LONG_STRING` long (Cython's concatenated identifiers,
compressed or not; docstrings' words are not looked at), a module name of at least
:data:`MIN_SUBSTRING` characters. It over-approximates (the identifier ``setstate``
holds ``stat``), which is why it only serves the start-up guess
(:meth:`Reachability.imported_at_start`): a module counted there that does not load
at start-up costs size in the stub, one left out costs its first import at start-up,
never correctness. The answer is kept in the user cache under the file's identity
and the names asked about: a rebuild reads no compiled module.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Collection
from pathlib import Path
from typing import Final

from pyingot import cache

#: Bump when what :func:`mentioned` answers changes.
RECIPE: Final = 2
#: A name shorter than this is not looked for inside longer texts ("os", "re", "abc"
#: are inside too many words).
MIN_SUBSTRING: Final = 4
#: A NUL-terminated string at least this long is searched as text.
LONG_STRING: Final = 200

_TOKEN = re.compile(rb"(?<=\0)[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?=\0)")
_LONG = re.compile(rb"[\x09\x0a\x0d\x20-\x7e]{%d,}" % LONG_STRING)
#: Names every Cython 3 module's table holds for code that runs later, if ever: a
#: compiled function's ``_is_coroutine`` imports ``asyncio.coroutines`` when read.
CYTHON_LATER: Final = (b"asyncio.coroutines",)
#: A run of identifier characters this long is concatenated identifiers.
_RUN = re.compile(rb"[A-Za-z0-9_.]{%d,}" % LONG_STRING)
#: A zlib stream's first two bytes (CMF 0x78: deflate, 32 KiB window; FLG for each level).
_ZLIB = re.compile(rb"\x78[\x01\x5e\x9c\xda]")
#: The most a decompressed string table may be (numpy's largest is 158 KB).
_MAX_TEXT: Final = 16 << 20


def mentioned(path: Path, names: Collection[str]) -> frozenset[str]:
    """Those of ``names`` that the compiled module at ``path`` names (see above)."""
    key = {
        "recipe": RECIPE,
        "file": cache.identity(path),
        "names": hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest(),
    }
    answer = cache.memo("mentioned", key, lambda: "\n".join(sorted(_scan(path, names))))
    return frozenset(n for n in answer.split("\n") if n)


def _scan(path: Path, names: Collection[str]) -> set[str]:
    try:
        data = path.read_bytes()
    except OSError:
        return set()
    tokens = {t.decode("ascii") for t in _TOKEN.findall(data)}
    found = {n for n in names if n in tokens}
    # Cython's concatenated identifiers: long runs of identifier characters in its
    # string table (compressed or not). Docstrings' words are not imports.
    runs = [
        run
        for text in [m.group() for m in _LONG.finditer(data)] + _string_tables(data)
        for run in _RUN.findall(text)
    ]
    if runs:
        joined = b"\0".join(runs)
        for later in CYTHON_LATER:
            joined = joined.replace(later, b"\0")
        text = joined.decode("ascii")
        # Top-level names first, then the submodules of those found.
        tops = {n for n in names if "." not in n and len(n) >= MIN_SUBSTRING}
        found |= {n for n in tops if n in text}
        found |= {n for n in names if "." in n and n.partition(".")[0] in found and n in text}
    return found


def _string_tables(data: bytes) -> list[bytes]:
    """The zlib streams in ``data``, decompressed, when it imports ``zlib`` (Cython
    3.1's compressed string tables)."""
    if b"\0zlib\0" not in data:
        return []
    out = []
    view = memoryview(data)
    for m in _ZLIB.finditer(data):
        at = m.start()
        if int.from_bytes(data[at : at + 2], "big") % 31:
            continue  # not a valid zlib header
        d = zlib.decompressobj()
        try:
            text = d.decompress(view[at : at + _MAX_TEXT], _MAX_TEXT)
        except zlib.error:
            continue
        if d.eof and text:
            out.append(text)
    return out
