"""How each blob of the payload is stored: zstd, with a dictionary, or raw.

The rule (docs/packed-format.md, "Compression"):

- META values are raw (the runtime reads them in place, at start).
- Module bytecode and sources, package data and metadata files are zstd frames made
  with the payload's dictionary: most are a few KiB, too small for zstd to find much to
  reuse inside one blob; the dictionary holds what they share.
- Extension modules and shared libraries are raw. Each is copied whole into its
  in-memory file when imported, so every byte of it is decoded at start-up when it is
  compressed. Measured on the numpy example's libraries (2 shared cores, load 4), the
  runtime's decoder (ruzstd) takes 72 ms for the 25 MB OpenBLAS (level 12, 5.4 MB
  stored; libzstd itself 40 ms), where copying the raw library into its in-memory
  file takes 7 ms; 37 ms for the 10 MB `_multiarray_umath` (1.6 ms raw). Those above
  1 MiB were raw already; the 17 smaller ones numpy imports at start (random, fft,
  linalg: 3.9 MB, 1.3 MB compressed) still cost its start-up 20 to 35 ms compressed
  (numpy-stats, interleaved runs on a loaded machine: 189 -> 167 ms and 233 -> 199 ms
  stored raw), for 2.6 MiB of size.
- But an extension module the program does not import at start-up (a standard-library
  module the build linked as a shared object, ``PayloadEntry.cold``) is compressed: no
  start-up pays for decoding it, and hello's unicodedata and CJK codecs shrink from
  1.9 MB to 0.66 MB.
- A blob is stored raw whenever its frame would not be smaller.

The dictionary is trained from the standard library's modules in the payload (not the
application's), so that editing the application keeps it, and with it every other
stored blob, the same. Dictionaries and compressed blobs are cached under the user
cache directory by a hash of their inputs: a rebuild after a one-line edit compresses
one blob. The output depends only on the inputs (zstd's training and compression are
deterministic for one zstandard version, which the cache keys name).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import zstandard

from pyingot.cache import cache_root, ensure_dir
from pyingot.payload.packing import Codec, Kind

LEVEL: Final = 19
#: Stored raw, whatever their size (see above).
_RAW_KINDS: Final = frozenset({Kind.META, Kind.EXTENSION, Kind.SHARED_LIBRARY})
#: Blobs larger than this are compressed at LARGE_LEVEL: level 19 costs about 2 s per
#: 10 MiB on a first build (cached after).
LARGE_BLOB: Final = 4 << 20
LARGE_LEVEL: Final = 12
DICTIONARY_SIZE: Final = 64 << 10
#: Fewer samples than this train no useful dictionary (zstd refuses some).
MIN_SAMPLES: Final = 64
_WITH_DICTIONARY: Final = frozenset({Kind.MODULE, Kind.DATA, Kind.METADATA})
_VERSION: Final = f"zstd{zstandard.ZSTD_VERSION}-py{zstandard.__version__}"


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
            key = hashlib.sha256(f"{_VERSION}:{LEVEL}:{LARGE_LEVEL}:".encode() + dictionary)
            self._dir = cache / "blobs" / key.hexdigest()[:24]

    @classmethod
    def default(cls, samples: Iterable[bytes]) -> Compression:
        """Compression with a dictionary trained from ``samples``, cached in the user cache."""
        cache = cache_root()
        return cls(train_dictionary(samples, cache), cache)

    @property
    def dictionary(self) -> bytes:
        return self._dictionary

    def _compress(self, kind: Kind, blob: bytes) -> tuple[Codec, bytes]:
        level = LEVEL if len(blob) <= LARGE_BLOB else LARGE_LEVEL
        compressors = self._with_dict if kind in _WITH_DICTIONARY else self._plain
        frame = compressors[level].compress(blob)
        if len(frame) < len(blob):
            return Codec.ZSTD, frame
        return Codec.RAW, blob

    def store(self, kind: Kind, blob: bytes, *, cold: bool = False) -> tuple[Codec, bytes]:
        if (kind in _RAW_KINDS and not cold) or not blob:
            return Codec.RAW, blob
        if self._dir is None:
            return self._compress(kind, blob)
        dictionary = "d" if kind in _WITH_DICTIONARY else "p"
        digest = hashlib.sha256(blob).hexdigest()
        path = self._dir / digest[:2] / f"{digest}{dictionary}"
        try:
            cached = path.read_bytes()
        except OSError:
            cached = b""
        if cached[:1] == b"z":
            return Codec.ZSTD, cached[1:]
        if cached[:1] == b"r":
            return Codec.RAW, blob
        codec, stored = self._compress(kind, blob)
        ensure_dir(path.parent)
        _atomic_write(path, b"z" + stored if codec is Codec.ZSTD else b"r")
        return codec, stored
