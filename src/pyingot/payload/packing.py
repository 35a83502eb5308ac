"""The packed payload: every resource of an application in one blob, appended to the stub.

The format is specified in ``docs/packed-format.md``; this module names its bytes
and writes it, :mod:`pyingot.payload.reading` reads it back (``pyingot inspect`` and
``verify``), and the Rust crate ``runtime/payload`` is the reader
inside every executable. The META entries' names and values are ``settings``'s. Every
byte value of the format is named once here;
``tests/unit/test_packing.py`` holds these names, the Rust constants and the spec's tables
to each other.

Layout of an executable::

    stub | zero padding to 16 | payload: header, index, names, data | trailer (32 bytes)

Blobs are stored raw or compressed: :mod:`pyingot.payload.compression` decides how
(:class:`BlobStore`); without one, every blob is stored raw.
"""

from __future__ import annotations

import enum
import itertools
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Protocol

from pyingot.digests import Blob
from pyingot.errors import InternalError, PyingotError

FORMAT_VERSION: Final = 2
# The magic's last byte is the format version (as PyOxidizer's b"pyembed\x03"), so a
# reader tells "another version" from "not a payload at all".
MAGIC: Final = b"pyingot" + bytes([FORMAT_VERSION])
TRAILER_MAGIC: Final = b"PYINGOT\x00"
# Blobs start on 8-byte boundaries within the payload, and the payload on a 16-byte
# boundary within the file, so a reader of a mapped file may cast blobs in place.
DATA_ALIGNMENT: Final = 8
PAYLOAD_ALIGNMENT: Final = 16
# Lengths and name offsets are u32 in the index: no single resource reaches 4 GiB.
MAX_U32: Final = 0xFFFF_FFFF


class Kind(enum.IntEnum):
    """What an entry is; entries sort by kind first, so each kind is one range."""

    META = 0
    MODULE = 1
    DATA = 2
    METADATA = 3
    EXTENSION = 4
    SHARED_LIBRARY = 5


class Flag(enum.IntFlag):
    """Entry flags (a u8 bitfield)."""

    IS_PACKAGE = 1
    IS_NAMESPACE = 2
    HAS_SOURCE = 4


class Codec(enum.IntEnum):
    """How a blob is stored: its bytes, zstd frames (with the payload's dictionary), or
    LZ4 blocks, one per :data:`LZ4_PIECE` bytes, each after its stored length (u32):
    fast to decode, for big blobs read at start-up."""

    RAW = 0
    ZSTD = 1
    LZ4 = 2


#: What each LZ4 block of a blob but the last decodes to.
LZ4_PIECE: Final = 1 << 20


NO_FLAGS: Final = Flag(0)
KNOWN_FLAGS: Final = Flag.IS_PACKAGE | Flag.IS_NAMESPACE | Flag.HAS_SOURCE

_TYPE_NAMES: Final = {"B": "u8", "H": "u16", "I": "u32", "Q": "u64"}


@dataclass(frozen=True)
class Field:
    """One fixed-size field of a record: its name and its :mod:`struct` code."""

    name: str
    code: str

    @property
    def size(self) -> int:
        return struct.calcsize("<" + self.code)

    @property
    def type(self) -> str:
        """The type as the spec writes it: ``u32``, ``bytes[8]``."""
        if self.code.endswith("s"):
            return f"bytes[{self.size}]"
        return _TYPE_NAMES[self.code]


class Layout:
    """A fixed-size little-endian record, its fields in order, without padding."""

    def __init__(self, *fields: Field) -> None:
        self.fields = fields
        self.struct = struct.Struct("<" + "".join(f.code for f in fields))
        self.size = self.struct.size

    def offsets(self) -> list[tuple[str, int, int]]:
        """``(name, offset, size)`` of every field."""
        out, offset = [], 0
        for f in self.fields:
            out.append((f.name, offset, f.size))
            offset += f.size
        return out


HEADER: Final = Layout(
    Field("magic", "8s"),
    Field("flags", "I"),
    Field("entry_count", "I"),
    Field("index_offset", "Q"),
    Field("names_offset", "Q"),
    Field("data_offset", "Q"),
    Field("payload_len", "Q"),
    Field("dictionary_offset", "Q"),
    Field("dictionary_len", "I"),
    Field("dictionary_crc32", "I"),
)
# A blob is `*_len` stored bytes at `*_offset` with CRC-32 `*_crc32`, which decode with
# `*_codec` to `*_size` bytes.
ENTRY: Final = Layout(
    Field("kind", "B"),
    Field("flags", "B"),
    Field("primary_codec", "B"),
    Field("secondary_codec", "B"),
    Field("name_len", "I"),
    Field("name_offset", "I"),
    Field("primary_size", "I"),
    Field("primary_offset", "Q"),
    Field("primary_len", "I"),
    Field("primary_crc32", "I"),
    Field("secondary_offset", "Q"),
    Field("secondary_size", "I"),
    Field("secondary_len", "I"),
    Field("secondary_crc32", "I"),
    Field("reserved", "I"),
)
TRAILER: Final = Layout(
    Field("payload_offset", "Q"),
    Field("payload_len", "Q"),
    Field("index_crc32", "I"),
    Field("reserved", "I"),
    Field("trailer_magic", "8s"),
)
HEADER_SIZE: Final = HEADER.size
ENTRY_SIZE: Final = ENTRY.size
TRAILER_SIZE: Final = TRAILER.size


@dataclass(frozen=True)
class PayloadEntry:
    """One resource: see the kinds table in the spec for what name and blobs hold."""

    kind: Kind
    name: str
    #: Bytes, or a read-only mapping of a file (:func:`pyingot.digests.map_file`).
    primary: Blob = b""
    secondary: bytes = b""
    flags: Flag = NO_FLAGS
    #: As read back from a payload: the bytes each blob takes there (compressed or not).
    primary_stored: int | None = field(default=None, compare=False)
    secondary_stored: int | None = field(default=None, compare=False)
    #: As read back: the entry, read before this one, whose primary blob this one's is
    #: (stored once for both).
    shares_primary: str | None = field(default=None, compare=False)
    #: Not read at start-up (an extension module the program imports later): a hint
    #: to the :class:`BlobStore` that decompressing it costs no start-up. Not stored.
    cold: bool = field(default=False, compare=False)
    #: Its primary blob is read at start-up (the bytecode of a module the program
    #: imports to start): a hint to the :class:`BlobStore` that decoding it costs
    #: start-up. Not stored.
    at_start: bool = field(default=False, compare=False)

    def describe(self) -> str:
        return f"{Kind(self.kind).name} {self.name!r}"

    @property
    def stored(self) -> int:
        """The bytes the entry's blobs take in the payload (their size when not read back),
        a shared primary blob counted for the entry it was first read for."""
        p = len(self.primary) if self.primary_stored is None else self.primary_stored
        if self.shares_primary is not None:
            p = 0
        s = len(self.secondary) if self.secondary_stored is None else self.secondary_stored
        return p + s


class BlobStore(Protocol):
    """How blobs are stored: :class:`pyingot.payload.compression.Compression`."""

    @property
    def dictionary(self) -> bytes:
        """The zstd dictionary the ZSTD blobs may use (empty: none)."""
        ...

    def store(
        self, kind: Kind, blob: Blob, *, cold: bool = False, at_start: bool = False
    ) -> tuple[Codec, Blob]:
        """The codec and stored bytes of a blob of an entry of ``kind`` (``cold``:
        :attr:`PayloadEntry.cold`; ``at_start``: the blob is read at start-up,
        :attr:`PayloadEntry.at_start`)."""
        ...


# --- writing -------------------------------------------------------------------------------

# Entries come from the resources stage, never straight from the user: one the
# format cannot hold is that stage's bug, reported as such (exit 70).


def _bad(entry: PayloadEntry, problem: str) -> InternalError:
    return InternalError(f"payload entry {entry.describe()} {problem}")


def _check_name(entry: PayloadEntry, kind: Kind) -> bytes:
    name = entry.name
    if not isinstance(name, str):
        raise _bad(entry, f"has a name of type {type(name).__name__}, not str")
    if not name:
        raise InternalError(f"a payload entry of kind {kind.name} has an empty name")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _bad(entry, "has a name that cannot be encoded as UTF-8") from e
    if "\x00" in name:
        raise _bad(entry, "has a NUL character in its name")
    if len(encoded) > MAX_U32:
        raise _bad(entry, "has a name of 4 GiB or more")
    if kind in (Kind.MODULE, Kind.EXTENSION):
        if "/" in name or "\\" in name or "" in name.split("."):
            raise _bad(entry, "is not a dotted module name (like 'package.module')")
    elif kind in (Kind.DATA, Kind.METADATA):
        parts = name.split("/")
        if len(parts) < 2 or "\\" in name or any(p in ("", ".", "..") for p in parts):
            raise _bad(
                entry,
                "is not a relative path of the form '<package>/<path>' with '/' separators",
            )
    elif kind is Kind.SHARED_LIBRARY and ("/" in name or "\\" in name or name in (".", "..")):
        raise _bad(entry, "is not a plain file name")
    return encoded


def _check(entry: PayloadEntry) -> tuple[Kind, bytes, Flag]:
    """Validate one entry; return its kind, encoded name and flags."""
    try:
        kind = Kind(entry.kind)
    except ValueError as e:
        raise InternalError(f"payload entry {entry.name!r} has unknown kind {entry.kind!r}") from e
    name = _check_name(entry, kind)
    flags = Flag(int(entry.flags))
    # Integer arithmetic: ~ on an IntFlag keeps only the known bits.
    if int(flags) & ~int(KNOWN_FLAGS):
        raise _bad(entry, f"has unknown flags 0x{int(flags):02x}")
    for label, blob in (("primary", entry.primary), ("secondary", entry.secondary)):
        if not isinstance(blob, Blob):
            raise _bad(entry, f"has a {label} blob of type {type(blob).__name__}, not bytes")
        if len(blob) > MAX_U32:
            raise _bad(entry, f"has a {label} blob of 4 GiB or more")

    allowed = {
        Kind.MODULE: KNOWN_FLAGS,
        Kind.EXTENSION: Flag.IS_PACKAGE,
    }.get(kind, NO_FLAGS)
    if int(flags) & ~int(allowed):
        names = ", ".join(f.name or "" for f in Flag if f in flags and f not in allowed)
        raise _bad(entry, f"has the flag(s) {names}, which {kind.name} entries cannot have")
    if Flag.IS_NAMESPACE in flags:
        if Flag.IS_PACKAGE not in flags:
            raise _bad(entry, "is a namespace package without the IS_PACKAGE flag")
        if entry.primary or Flag.HAS_SOURCE in flags:
            raise _bad(entry, "is a namespace package but has code or source")
    elif kind is Kind.MODULE and not entry.primary:
        raise _bad(entry, "has no code (only namespace packages may have none)")
    if entry.secondary and Flag.HAS_SOURCE not in flags:
        raise _bad(entry, "has a secondary blob but not the HAS_SOURCE flag")
    # Sources are kept as their file's bytes (a PEP 263 declaration may name
    # latin-1 or koi8-r); the runtime decodes them as ``SourceLoader`` does.
    if kind is Kind.META:
        try:
            bytes(entry.primary).decode("utf-8")
        except UnicodeDecodeError as e:
            raise _bad(
                entry, f"has a value that is not UTF-8 ({e.reason} at byte {e.start})"
            ) from e
    return kind, name, flags


def _align(n: int, alignment: int) -> int:
    return -(-n // alignment) * alignment


def write_payload(entries: Iterable[PayloadEntry], store: BlobStore | None = None) -> bytes:
    """Pack ``entries`` into a payload: sorted by (kind, name bytes), byte-for-byte reproducible.

    ``store`` decides how each blob is stored (raw without one); META values are always
    stored raw (the runtime reads them in place). Raises :class:`PyingotError` for
    duplicate (kind, name) pairs and invalid entries.
    """
    return b"".join(payload_parts(entries, store))


def payload_parts(entries: Iterable[PayloadEntry], store: BlobStore | None = None) -> list[Blob]:
    """The payload of :func:`write_payload` as the pieces that make it, in order: the
    head (header, index, names, padding), then each stored blob with the padding before
    it. Written one after the other, they are the payload, without the copies that
    joining 60 MB costs on every build (a rebuild of the numpy example spent 0.25 s
    in them)."""
    checked = sorted(((*_check(e), e) for e in entries), key=lambda t: (t[0], t[1]))
    for (kind, name, _, first), (kind2, name2, _, _) in itertools.pairwise(checked):
        if (kind, name) == (kind2, name2):
            raise PyingotError(
                f"the payload would hold {first.describe()} twice",
                hint="two sources provide the same resource; exclude one of them",
            )
    if len(checked) > MAX_U32:
        raise PyingotError("a payload cannot hold 2**32 entries or more")

    names = bytearray()
    data: list[Blob] = []
    data_len = 0
    # Identical stored blobs are stored once (the spec allows it): the standard-library
    # modules that share a shared object (stub/shared_objects.py), or copies of one file.
    # Found by (length, CRC-32), which the index needs anyway, then compared.
    placed: dict[tuple[int, int], list[tuple[Blob, int]]] = {}

    def put(blob: Blob, crc: int) -> int:
        # Empty blobs point at offset 0, so their offsets do not depend on their neighbours.
        nonlocal data_len
        if not blob:
            return 0
        same = placed.setdefault((len(blob), crc), [])
        for earlier, offset in same:
            if memoryview(earlier) == memoryview(blob):
                return offset
        padding = _align(data_len, DATA_ALIGNMENT) - data_len
        if padding:
            data.append(bytes(padding))
        offset = data_len + padding
        data.append(blob)
        data_len = offset + len(blob)
        same.append((blob, offset))
        return offset

    def stored(
        kind: Kind, blob: Blob, cold: bool, at_start: bool = False
    ) -> tuple[Codec, Blob, int, int]:
        """The blob's codec, stored bytes, their offset in the data section and CRC-32."""
        codec, out = (Codec.RAW, blob)
        if store is not None and blob and kind is not Kind.META:
            codec, out = store.store(kind, blob, cold=cold, at_start=at_start)
        crc = zlib.crc32(out)
        return codec, out, put(out, crc), crc

    dictionary = store.dictionary if store is not None else b""
    dictionary_offset = put(dictionary, zlib.crc32(dictionary))
    index = bytearray()
    for kind, name, flags, entry in checked:
        name_offset = len(names)
        if name_offset > MAX_U32:
            raise PyingotError("the names of a payload's entries add up to 4 GiB or more")
        names.extend(name)
        p_codec, p_stored, p_offset, p_crc = stored(kind, entry.primary, entry.cold, entry.at_start)
        s_codec, s_stored, s_offset, s_crc = stored(kind, entry.secondary, entry.cold)
        index.extend(
            ENTRY.struct.pack(
                int(kind),
                int(flags),
                int(p_codec),
                int(s_codec),
                len(name),
                name_offset,
                len(entry.primary),
                p_offset,
                len(p_stored),
                p_crc,
                s_offset,
                len(entry.secondary),
                len(s_stored),
                s_crc,
                0,
            )
        )

    index_offset = HEADER_SIZE
    names_offset = index_offset + len(index)
    data_offset = _align(names_offset + len(names), DATA_ALIGNMENT)
    payload_len = data_offset + data_len
    header = HEADER.struct.pack(
        MAGIC,
        0,
        len(checked),
        index_offset,
        names_offset,
        data_offset,
        payload_len,
        dictionary_offset,
        len(dictionary),
        zlib.crc32(dictionary),
    )
    head = b"".join((header, index, names, bytes(data_offset - names_offset - len(names))))
    assert len(head) + data_len == payload_len
    return [head, *data]


def payload_head(payload: bytes | memoryview) -> bytes | memoryview:
    """What the index checksum covers: header, index and names, up to ``data_offset``."""
    if len(payload) < HEADER_SIZE:
        return payload
    data_offset = HEADER.struct.unpack_from(payload)[5]
    return payload[:data_offset]


def trailer(payload: bytes, payload_offset: int) -> bytes:
    """The 32 bytes that end an executable whose payload starts at ``payload_offset``."""
    crc = zlib.crc32(payload_head(payload))
    return TRAILER.struct.pack(payload_offset, len(payload), crc, 0, TRAILER_MAGIC)


def append(stub: bytes, payload: bytes) -> bytes:
    """The executable: ``stub``, zero padding to 16 bytes, ``payload``, trailer."""
    return b"".join(executable_parts(stub, payload))


def executable_parts(stub: Blob, payload: bytes | list[Blob]) -> list[Blob]:
    """The executable's parts, to write one after the other without joining them:
    ``stub``, zero padding to 16 bytes, the payload (bytes, or the :func:`payload_parts`),
    trailer."""
    parts: list[Blob] = [payload] if isinstance(payload, bytes) else payload
    offset = _align(len(stub), PAYLOAD_ALIGNMENT)
    length = sum(len(p) for p in parts)
    head = payload_head(memoryview(parts[0])) if parts else b""
    if len(head) > len(parts[0]) or (len(parts) > 1 and len(head) < len(parts[0])):
        raise InternalError("the payload's first part is not its head")
    trailer_bytes = TRAILER.struct.pack(offset, length, zlib.crc32(head), 0, TRAILER_MAGIC)
    return [stub, bytes(offset - len(stub)), *parts, trailer_bytes]
