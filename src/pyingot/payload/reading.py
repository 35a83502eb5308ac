"""Reading a packed payload back, for ``pyingot inspect`` and ``pyingot verify``.

The checks, their order and their messages are the Rust reader's (runtime/payload), so
`pyingot inspect`, `pyingot verify` and a damaged executable report the same thing. The
spec (``docs/packed-format.md``) lists them; :mod:`pyingot.payload.packing` names the
format's bytes and writes it.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from pyingot.errors import PyingotError
from pyingot.payload import packing
from pyingot.payload.packing import (
    ENTRY,
    ENTRY_SIZE,
    FORMAT_VERSION,
    HEADER,
    HEADER_SIZE,
    KNOWN_FLAGS,
    LZ4_PIECE,
    MAGIC,
    TRAILER,
    TRAILER_MAGIC,
    TRAILER_SIZE,
    Codec,
    Flag,
    Kind,
    PayloadEntry,
)

_DAMAGED_HINT: Final = (
    "the file was changed or cut short after it was built; build or download it again"
)
# A zstd block of 3 stored bytes decodes to at most 128 KiB, an LZ4 block to at most 256
# bytes per stored byte (the Rust reader's bounds).
_MAX_RATIO: Final = {1: 128 * 1024 // 3 + 1, 2: 256}


def _damaged(problem: str) -> PyingotError:
    return PyingotError(f"payload is damaged: {problem}", hint=_DAMAGED_HINT)


@dataclass(frozen=True)
class _Header:
    count: int
    index_offset: int
    names: memoryview
    blobs: memoryview
    dictionary: bytes
    dictionary_crc32: int


def _header(view: memoryview) -> _Header:
    if len(view) < HEADER_SIZE:
        raise _damaged(f"{len(view)} bytes is shorter than the {HEADER_SIZE}-byte header")
    (
        magic,
        flags,
        count,
        index_offset,
        names_offset,
        data_offset,
        payload_len,
        dict_offset,
        dict_len,
        dict_crc,
    ) = HEADER.struct.unpack_from(view)
    if magic != MAGIC:
        if magic[:-1] == MAGIC[:-1]:
            raise PyingotError(
                f"unsupported payload format version {magic[-1]}: "
                f"this reader supports version {FORMAT_VERSION}",
                hint="inspect it with the pyingot version that built it",
            )
        raise _damaged(f"bad magic (found {magic.hex()}, expected {MAGIC.hex()})")
    if flags:
        raise _damaged(f"unknown header flags 0x{flags:08x}")
    if payload_len != len(view):
        raise _damaged(f"the header says {payload_len} bytes but there are {len(view)}")
    index_end = index_offset + count * ENTRY_SIZE
    if not (index_offset >= HEADER_SIZE and index_end <= names_offset <= data_offset <= len(view)):
        raise _damaged(
            f"the sections are out of bounds (index of {count} entries at {index_offset}, "
            f"names at {names_offset}, data at {data_offset}, payload of {payload_len} bytes)"
        )
    blobs = view[data_offset:]
    if dict_offset + dict_len > len(blobs):
        raise _damaged("the compression dictionary lies outside the data section")
    dictionary = bytes(blobs[dict_offset : dict_offset + dict_len])
    return _Header(count, index_offset, view[names_offset:data_offset], blobs, dictionary, dict_crc)


def find_payload(executable: bytes) -> bytes:
    """The payload inside an executable, located by its trailer; its header is checked,
    and the CRC-32 of its header, index and names (each blob has its own)."""
    size = len(executable)
    if size < TRAILER_SIZE or executable[-len(TRAILER_MAGIC) :] != TRAILER_MAGIC:
        raise PyingotError(
            "no payload found: the file is truncated or is not a pyingot executable",
            hint="run this on a file that `pyingot build` made",
        )
    offset, length, expected, _reserved, _magic = TRAILER.struct.unpack_from(
        executable, size - TRAILER_SIZE
    )
    if offset + length != size - TRAILER_SIZE:
        raise _damaged(
            f"the trailer does not match the file (payload of {length} bytes at offset "
            f"{offset} in a file of {size} bytes)"
        )
    payload = executable[offset : offset + length]
    _header(memoryview(payload))
    computed = zlib.crc32(packing.payload_head(payload))
    if computed != expected:
        raise _damaged(
            f"index checksum mismatch (expected {expected:08x}, computed {computed:08x})"
        )
    return payload


class _Decoder:
    """Checks blobs (CRC-32) and decodes them, with the payload's dictionary."""

    def __init__(self, header: _Header) -> None:
        self.header = header
        self._zstd: object | None = None

    def _decompressor(self) -> Any:
        if self._zstd is None:
            import zstandard

            dictionary = self.header.dictionary
            if dictionary:
                computed = zlib.crc32(dictionary)
                if computed != self.header.dictionary_crc32:
                    raise _damaged(
                        "the compression dictionary fails its checksum (expected "
                        f"{self.header.dictionary_crc32:08x}, computed {computed:08x})"
                    )
                try:
                    d = zstandard.ZstdCompressionDict(
                        dictionary, dict_type=zstandard.DICT_TYPE_FULLDICT
                    )
                except zstandard.ZstdError as e:
                    raise _damaged(f"the compression dictionary cannot be read ({e})") from None
                self._zstd = zstandard.ZstdDecompressor(dict_data=d)
            else:
                self._zstd = zstandard.ZstdDecompressor()
        return self._zstd

    def decode(self, i: int, who: str, codec: int, stored: bytes, size: int, crc: int) -> bytes:
        computed = zlib.crc32(stored)
        if computed != crc:
            raise _damaged(
                f"entry {i} ({who}) fails its checksum "
                f"(expected {crc:08x}, computed {computed:08x})"
            )
        if codec == Codec.RAW:
            return stored
        if size > len(stored) * _MAX_RATIO[codec]:
            raise _damaged(
                f"entry {i} ({who}) cannot be decompressed ({len(stored)} stored bytes "
                f"cannot decode to the declared {size})"
            )
        if codec == Codec.LZ4:
            return self._lz4(i, who, stored, size)
        import zstandard

        try:
            out = self._decompressor().decompressobj().decompress(stored)
        except zstandard.ZstdError as e:
            raise _damaged(f"entry {i} ({who}) cannot be decompressed ({e})") from None
        if len(out) != size:
            raise _damaged(
                f"entry {i} ({who}) cannot be decompressed (it decodes to {len(out)} bytes, "
                f"not the declared {size})"
            )
        return bytes(out)

    @staticmethod
    def _lz4(i: int, who: str, stored: bytes, size: int) -> bytes:
        import lz4.block

        def bad(problem: str) -> PyingotError:
            return _damaged(f"entry {i} ({who}) cannot be decompressed ({problem})")

        out = bytearray()
        at = 0
        while len(out) < size:
            want = min(size - len(out), LZ4_PIECE)
            if at + 4 > len(stored):
                raise bad(f"it decodes to {len(out)} bytes, not the declared {size}")
            n = int.from_bytes(stored[at : at + 4], "little")
            at += 4
            if at + n > len(stored):
                raise bad(f"piece at byte {at - 4} of {len(stored)} stored bytes overruns them")
            # One byte of room past the piece tells a block that expands past it from
            # one that fits.
            try:
                piece = lz4.block.decompress(stored[at : at + n], uncompressed_size=want + 1)
            except lz4.block.LZ4BlockError:
                raise bad(f"not an LZ4 block of at most the declared {size} bytes") from None
            if len(piece) != want:
                raise bad(f"it decodes to {len(out) + len(piece)} bytes, not the declared {size}")
            out += piece
            at += n
        if at != len(stored):
            raise bad(f"{len(stored) - at} stored bytes follow its last piece")
        return bytes(out)


@dataclass(frozen=True)
class _Blob:
    codec: int
    stored: bytes
    size: int
    crc32: int
    #: Where its stored bytes start in the data section.
    offset: int


def _entries(data: bytes) -> Iterator[tuple[int, Kind, str, Flag, _Blob, _Blob, _Decoder]]:
    """Every entry of a bare payload, in index order, checked but not its blobs."""
    view = memoryview(data)
    header = _header(view)
    decoder = _Decoder(header)
    names, blobs = header.names, header.blobs

    def blob(
        i: int, meta: bool, codec: int, offset: int, length: int, size: int, crc: int
    ) -> _Blob:
        if offset + length > len(blobs):
            raise _damaged(f"entry {i} points outside the data section")
        if codec not in Codec._value2member_map_:
            raise _damaged(f"entry {i} has unknown codec {codec}")
        fits = length == size if codec == Codec.RAW else (not meta and length > 0 and size > 0)
        if not fits:
            raise _damaged(f"entry {i} has a blob whose sizes do not fit its codec")
        return _Blob(codec, bytes(blobs[offset : offset + length]), size, crc, offset)

    previous: tuple[int, bytes] | None = None
    for i in range(header.count):
        (
            kind,
            eflags,
            p_codec,
            s_codec,
            name_len,
            name_offset,
            p_size,
            p_off,
            p_len,
            p_crc,
            s_off,
            s_size,
            s_len,
            s_crc,
            _,
        ) = ENTRY.struct.unpack_from(view, header.index_offset + i * ENTRY_SIZE)
        if kind not in Kind._value2member_map_:
            raise _damaged(f"entry {i} has unknown kind {kind}")
        if eflags & ~int(KNOWN_FLAGS):
            raise _damaged(f"entry {i} has unknown flags 0x{eflags:02x}")
        if name_offset + name_len > len(names):
            raise _damaged(f"entry {i} has its name outside the names section")
        name = bytes(names[name_offset : name_offset + name_len])
        try:
            text = name.decode("utf-8")
        except UnicodeDecodeError:
            raise _damaged(f"entry {i} has a name that is not UTF-8") from None
        meta = kind == Kind.META
        primary = blob(i, meta, p_codec, p_off, p_len, p_size, p_crc)
        secondary = blob(i, meta, s_codec, s_off, s_len, s_size, s_crc)
        if previous is not None and (kind, name) <= previous:
            raise _damaged(f"entry {i} is out of order")
        previous = (kind, name)
        yield i, Kind(kind), text, Flag(eflags), primary, secondary, decoder


def read_payload(data: bytes) -> list[PayloadEntry]:
    """Every entry of a bare payload, in index order, after checking all of them and
    decoding every blob."""
    out = []
    first: dict[tuple[int, int], str] = {}
    for i, kind, name, flags, p, s, decoder in _entries(data):
        who = f"{kind.name} '{name}'"
        primary = decoder.decode(i, who, p.codec, p.stored, p.size, p.crc32)
        secondary = decoder.decode(i, who, s.codec, s.stored, s.size, s.crc32)
        shares = first.setdefault((p.offset, len(p.stored)), name) if p.stored else name
        out.append(
            PayloadEntry(
                kind,
                name,
                primary,
                secondary,
                flags,
                len(p.stored),
                len(s.stored),
                shares_primary=None if shares == name else shares,
            )
        )
    return out


def verify_payload(data: bytes) -> list[str]:
    """Every problem of a bare payload, as the messages the runtime would show: the
    first problem of the header or the index (which stops the reading), else every blob
    that fails its checksum or does not decode to its size. Empty: it is intact."""
    problems: list[str] = []
    try:
        for i, kind, name, _, p, s, decoder in _entries(data):
            who = f"{kind.name} '{name}'"
            for b in (p, s):
                try:
                    decoder.decode(i, who, b.codec, b.stored, b.size, b.crc32)
                except PyingotError as e:
                    if e.message not in problems:
                        problems.append(e.message)
                    if "dictionary" in e.message:
                        return problems
    except PyingotError as e:
        problems.append(e.message)
    return problems
