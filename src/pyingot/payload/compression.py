"""How each blob of the payload is stored: zstd, with a dictionary, LZ4, or raw.

The rule (docs/packed-format.md, "Compression"):

- META values are raw (the runtime reads them in place, at start).
- Module bytecode and sources, package data and metadata files are zstd frames made
  with the payload's dictionary: most are a few KiB, too small for zstd to find much to
  reuse inside one blob; the dictionary holds what they share.
- Extension modules and shared libraries are LZ4 blocks (level 12, "HC"), one per MiB
  (so that the runtime decodes them through a buffer of 1 MiB, not a mapping of the
  whole output, which would count in the peak RSS; 0.6% larger than one block).
  Each is decoded whole into its in-memory file when imported (or ahead of its import,
  runtime/stub/src/prefetch.rs), so its decoder's speed is start-up time. Measured on
  the numpy example (numpy 2.3.5, 2 shared cores): OpenBLAS, 25.0 MB, is 8.1 MB as LZ4
  and 5.1 MB as zstd (level 12); lz4_flex decodes it in 8 ms into a warm buffer
  (liblz4, which the runtime decodes with since, in 5.6 ms) and in 20 ms into a fresh
  in-memory file (page allocation included), where the runtime's
  zstd decoder (ruzstd) takes 70 ms and writing it raw 9 ms. `_multiarray_umath`,
  10.8 MB: 3.8 MB LZ4 in 7 ms, 2.7 MB zstd in 38 ms, 3.4 ms raw. All of numpy's 45.7 MB
  of extension modules and libraries: 15.4 MB as LZ4, 10.2 MB as zstd. numpy-stats
  (bench/compare.py, CPython 3.11, loaded machine) is 36.0 MiB with LZ4 against 64.8
  raw, starts in 113.5 ms against 106.0 raw (python app.py: 81.5 ms) and peaks at
  36.0 MiB RSS against 33.3; interleaved runs of both (3.13) put LZ4 4.5 ms behind
  (116.0 against 111.5 ms). zstd for all but OpenBLAS makes it 32.4 MiB (3.13) but
  50 to 90 ms slower, as zstd for any of the libraries or extension modules it
  imports at start would. Starting the copies at process start rather than when the
  finder finds numpy gained nothing measurable (114.4 against 114.8 ms).
- But an extension module the program does not import at start-up (a standard-library
  module the build linked as a shared object, a wheel's that ``ResourceSet.at_start``
  does not name: ``PayloadEntry.cold``) is zstd, without
  the dictionary: no start-up pays for decoding it, its first import does, and zstd
  makes the biggest ones much smaller than LZ4 (hello's unicodedata and CJK codecs,
  1.95 MB: 0.69 MB as zstd, 1.06 MB as LZ4). The cost, measured for a first import:
  unicodedata 7 ms (0.6 raw), `_hashlib` 18 ms, `_ssl` 26 ms (4 raw).
  But one larger than LARGE_BLOB is LZ4: the runtime's zstd decoder takes about 4 ms
  per MB, LZ4 under 1. OpenSSL's shared object (``_ssl`` and ``_hashlib``, 6.2 MB) is
  2.09 MB as zstd and 2.62 MB as LZ4; the first import of `_hashlib` from it takes
  26 ms as zstd and 5.9 ms as LZ4, `_ssl`'s after it 1.5 ms (it is loaded already).
  Before they shared one object, each was zstd: 20.6 and 24.5 ms, 0.6 MB more.
- But the bytecode of a module the program imports to start (``PayloadEntry.at_start``,
  what the statements show: ``ResourceSet.python_at_start``) is LZ4: it is decoded at
  every start. Measured on stdlib-tour (3.11, 30 interleaved runs): 104.6 ms with every
  module zstd, 85.4 ms with every module LZ4, 83.7 ms raw (`python stdlib_tour.py`:
  98.2 ms; 17.9, 19.5 and 26.8 MB). LZ4 for the start-up bytecode alone keeps nearly
  all of that for a fraction of the size: stdlib-tour 105.3 -> 87.1 ms for 0.53 MB more,
  numpy-stats 111.7 -> 98.4 ms for 0.5 MB, hello 6.2 -> 5.9 ms for 16 KB (interleaved
  runs). Widening it to every module numpy-stats reaches (its compiled modules'
  imports cannot be read) gained 3 ms more for 1.2 MB: not done.
- A blob is stored raw whenever its compressed form would not be smaller.

The dictionary is trained from the standard library's modules in the payload (not the
application's), so that editing the application keeps it, and with it every other
stored blob, the same. Dictionaries and compressed blobs are cached under the user
cache directory by a hash of their inputs: a rebuild after a one-line edit compresses
one blob (numpy's first build spends about 3 s in LZ4, cached after). The output
depends only on the inputs (zstd's training and compression and LZ4's compression are
deterministic for one version of each, which the cache keys name).
"""

from __future__ import annotations

import hashlib
import mmap
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import lz4
import lz4.block
import zstandard

from pyingot import digests
from pyingot.cache import cache_root, ensure_dir
from pyingot.payload.packing import LZ4_PIECE, Codec, Kind

LEVEL: Final = 19
#: Stored raw, whatever their size (see above).
_RAW_KINDS: Final = frozenset({Kind.META})
#: One LZ4 block each (see above): decoded whole, into an in-memory file, when imported.
_LZ4_KINDS: Final = frozenset({Kind.EXTENSION, Kind.SHARED_LIBRARY})
#: LZ4's slowest, smallest level ("HC" 12): about 1.5 s for numpy's 25 MB OpenBLAS on a
#: first build, decoding as fast as any other level.
LZ4_LEVEL: Final = 12
#: Blobs larger than this are compressed at LARGE_LEVEL: level 19 costs about 2 s per
#: 10 MiB on a first build (cached after).
LARGE_BLOB: Final = 4 << 20
LARGE_LEVEL: Final = 12
DICTIONARY_SIZE: Final = 64 << 10
#: Fewer samples than this train no useful dictionary (zstd refuses some).
MIN_SAMPLES: Final = 64
_WITH_DICTIONARY: Final = frozenset({Kind.MODULE, Kind.DATA, Kind.METADATA})
_VERSION: Final = (
    f"zstd{zstandard.ZSTD_VERSION}-py{zstandard.__version__}"
    f"-lz4{lz4.library_version_string()}-py{lz4.__version__}"
)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def train_dictionary(blobs: Iterable[bytes], cache: Path | None = None) -> bytes:
    """A zstd dictionary trained from ``blobs`` (cached by their hash); empty when
    there are too few to train one."""
    samples: list[bytes | bytearray | memoryview] = list(sorted(b for b in blobs if b))
    if len(samples) < MIN_SAMPLES:
        return b""
    h = hashlib.sha256(f"{_VERSION}:{DICTIONARY_SIZE}".encode())
    for s in samples:
        h.update(len(s).to_bytes(8, "little"))
        h.update(s)
    path = None
    if cache is not None:
        path = ensure_dir(cache / "dictionaries") / f"{h.hexdigest()}.dict"
        if path.is_file():
            return path.read_bytes()
    try:
        dictionary = zstandard.train_dictionary(DICTIONARY_SIZE, samples).as_bytes()
    except zstandard.ZstdError:
        return b""
    if path is not None:
        _atomic_write(path, dictionary)
    return dictionary


class Compression:
    """A :class:`pyingot.payload.packing.BlobStore`: zstd, a dictionary, a blob cache."""

    def __init__(self, dictionary: bytes = b"", cache: Path | None = None) -> None:
        self._dictionary = dictionary
        dict_data = zstandard.ZstdCompressionDict(dictionary) if dictionary else None
        self._plain = {lvl: zstandard.ZstdCompressor(level=lvl) for lvl in (LEVEL, LARGE_LEVEL)}
        self._with_dict = {
            lvl: zstandard.ZstdCompressor(level=lvl, dict_data=dict_data) if dict_data else c
            for lvl, c in self._plain.items()
        }
        self._dir: Path | None = None
        if cache is not None:
            levels = f"{_VERSION}:{LEVEL}:{LARGE_LEVEL}:{LZ4_LEVEL}:{LZ4_PIECE}:"
            key = hashlib.sha256(levels.encode() + dictionary)
            self._dir = cache / "blobs" / key.hexdigest()[:24]

    @classmethod
    def default(cls, samples: Iterable[bytes]) -> Compression:
        """Compression with a dictionary trained from ``samples``, cached in the user cache."""
        cache = cache_root()
        return cls(train_dictionary(samples, cache), cache)

    @property
    def dictionary(self) -> bytes:
        return self._dictionary

    @staticmethod
    def codec(kind: Kind, blob: digests.Blob) -> Codec:
        """The codec the rule above picks for a blob of an entry of ``kind``
        (``RAW`` also when the chosen codec would not make it smaller)."""
        if kind in _RAW_KINDS or not blob:
            return Codec.RAW
        if kind in _LZ4_KINDS:
            return Codec.LZ4
        return Codec.ZSTD

    def _compress(self, kind: Kind, codec: Codec, blob: digests.Blob) -> tuple[Codec, digests.Blob]:
        if codec is Codec.LZ4:
            stored = b"".join(
                len(block).to_bytes(4, "little") + block
                for block in (
                    lz4.block.compress(
                        blob[at : at + LZ4_PIECE],
                        mode="high_compression",
                        compression=LZ4_LEVEL,
                        store_size=False,
                    )
                    for at in range(0, len(blob), LZ4_PIECE)
                )
            )
        else:
            level = LEVEL if len(blob) <= LARGE_BLOB else LARGE_LEVEL
            compressors = self._with_dict if kind in _WITH_DICTIONARY else self._plain
            stored = compressors[level].compress(memoryview(blob))
        if len(stored) < len(blob):
            return codec, stored
        return Codec.RAW, blob

    def store(
        self, kind: Kind, blob: digests.Blob, *, cold: bool = False, at_start: bool = False
    ) -> tuple[Codec, digests.Blob]:
        if cold and blob:
            codec = Codec.LZ4 if len(blob) > LARGE_BLOB else Codec.ZSTD
        elif at_start and kind is Kind.MODULE and blob:
            codec = Codec.LZ4
        else:
            codec = self.codec(kind, blob)
        if codec is Codec.RAW:
            return Codec.RAW, blob
        if self._dir is None:
            return self._compress(kind, codec, blob)
        variant = "l" if codec is Codec.LZ4 else "d" if kind in _WITH_DICTIONARY else "p"
        digest = digests.sha256(blob)
        # A string, not a Path: a numpy rebuild looks up 1,500 blobs here.
        name = f"{self._dir}/{digest[:2]}/{digest}{variant}"
        cached = _cached(name)
        if cached is not None:
            cached_codec, stored = cached
            return cached_codec, stored if cached_codec is not Codec.RAW else blob
        codec, stored = self._compress(kind, codec, blob)
        path = Path(name)
        ensure_dir(path.parent)
        tag = next(t for t, c in _CACHED.items() if c is codec)
        _atomic_write(path, tag + (stored if codec is not Codec.RAW else b""))
        return codec, stored


#: A cached blob's first byte: how it is stored (the rest is its stored bytes, or
#: nothing for RAW).
_CACHED: Final = {b"z": Codec.ZSTD, b"l": Codec.LZ4, b"r": Codec.RAW}

#: Cached blobs from this size on are mapped, not read (see :func:`_cached`).
MAPPED: Final = 64 << 10


def _cached(name: str) -> tuple[Codec, digests.Blob] | None:
    """The codec and stored bytes of the cached blob in the file ``name``; ``None``
    when there is none (or it is damaged).

    One from :data:`MAPPED` bytes on is a view of a read-only mapping of the file,
    past its tag byte; a smaller one is read from past it. Reading each whole file and
    slicing the tag off copied the numpy example's 20 MB of stored blobs twice (its
    OpenBLAS alone is 8 MB as LZ4): 34 ms, against 13 ms (the page cache's pages are
    written to the executable straight from the mapping). The cache's files are never
    changed once written (:func:`_atomic_write` renames a new file into place), so a
    mapping of one stays what it was."""
    try:
        fd = os.open(name, os.O_RDONLY)
    except OSError:
        return None
    try:
        size = os.fstat(fd).st_size
        codec = _CACHED.get(os.pread(fd, 1, 0)) if size else None
        if codec is None:
            return None
        if codec is Codec.RAW or size == 1:
            return codec, b""
        if size >= MAPPED:
            return codec, memoryview(mmap.mmap(fd, 0, prot=mmap.PROT_READ))[1:]
        return codec, os.pread(fd, size - 1, 1)
    except OSError:
        return None
    finally:
        os.close(fd)
