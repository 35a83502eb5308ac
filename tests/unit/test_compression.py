"""How the writer stores each blob (src/pyingot/payload/compression.py): the codec per
kind, the round trip through the Python reader, and the blob cache."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import lz4.block
import pytest

from pyingot.assemble import entries
from pyingot.errors import PyingotError
from pyingot.payload import compression, packing, reading
from pyingot.payload.compression import LARGE_BLOB, Compression
from pyingot.payload.packing import Codec, Kind, PayloadEntry
from pyingot.resources.model import ExtensionResource, ResourceSet, SharedLibraryResource
from tests.building import ROOT


def _library_like(n: int, seed: int = 1) -> bytes:
    """Bytes with matches of many lengths and some noise, as machine code has."""
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < n:
        if rng.random() < 0.3 or len(out) < 64:
            out += rng.randbytes(rng.randint(1, 30))
        else:
            start = rng.randrange(len(out) - 32)
            out += out[start : start + rng.randint(4, 200)]
    return bytes(out[:n])


def test_extensions_and_libraries_are_lz4_modules_zstd_meta_raw() -> None:
    store = Compression()
    blob = _library_like(200_000)
    for kind, codec in [
        (Kind.EXTENSION, Codec.LZ4),
        (Kind.SHARED_LIBRARY, Codec.LZ4),
        (Kind.MODULE, Codec.ZSTD),
        (Kind.DATA, Codec.ZSTD),
        (Kind.METADATA, Codec.ZSTD),
        (Kind.META, Codec.RAW),
    ]:
        got, stored = store.store(kind, blob)
        assert got is codec, kind
        assert len(stored) < len(blob) or codec is Codec.RAW
    # An LZ4 blob: a block per MiB, each after its length.
    big = _library_like(2 * packing.LZ4_PIECE + 1000)
    _, stored = store.store(Kind.SHARED_LIBRARY, big)
    pieces, at = [], 0
    while at < len(stored):
        n = int.from_bytes(stored[at : at + 4], "little")
        pieces.append(lz4.block.decompress(stored[at + 4 : at + 4 + n], uncompressed_size=1 << 20))
        at += 4 + n
    assert [len(p) for p in pieces] == [packing.LZ4_PIECE, packing.LZ4_PIECE, 1000]
    assert b"".join(pieces) == big


def test_start_up_bytecode_is_lz4_and_embedded_stdlib_modules_zstd() -> None:
    """The hints: a module's bytecode read at start-up decodes fast (LZ4); an extension
    module not imported at start-up is small (zstd), but a big one decodes fast (LZ4)."""
    store = Compression()
    blob = _library_like(50_000)
    assert store.store(Kind.MODULE, blob, at_start=True)[0] is Codec.LZ4
    assert store.store(Kind.MODULE, blob)[0] is Codec.ZSTD
    assert store.store(Kind.EXTENSION, blob, cold=True)[0] is Codec.ZSTD
    big = _library_like(LARGE_BLOB + 1)
    assert store.store(Kind.EXTENSION, big, cold=True)[0] is Codec.LZ4
    assert store.store(Kind.DATA, blob, at_start=True)[0] is Codec.ZSTD  # modules only
    entries = [
        PayloadEntry(
            Kind.MODULE, "boot", blob, blob[:9000], packing.Flag.HAS_SOURCE, at_start=True
        ),
        PayloadEntry(Kind.MODULE, "later", blob, blob[:9000], packing.Flag.HAS_SOURCE),
    ]
    payload = packing.write_payload(entries, store)
    assert reading.read_payload(payload) == entries
    codecs = {(name, which): codec for name, which, codec in _codecs(payload)}
    # Only the start-up module's bytecode: its source is read only for tracebacks.
    assert codecs == {
        ("boot", "primary"): Codec.LZ4,
        ("boot", "secondary"): Codec.ZSTD,
        ("later", "primary"): Codec.ZSTD,
        ("later", "secondary"): Codec.ZSTD,
    }


def test_wheel_extension_modules_not_imported_at_start_are_cold() -> None:
    """numpy's ``_simd`` (its tests import it) is zstd; what starts the program, LZ4."""
    blob = _library_like(50_000)
    extensions = [
        ExtensionResource(name="pkg._core", data=blob, origin="pkg/_core.so"),
        ExtensionResource(name="pkg._simd", data=blob, origin="pkg/_simd.so"),
        ExtensionResource(name="_ssl", data=blob, origin="_ssl.so", cold=True),
    ]
    made = entries.extension_entries(extensions, frozenset({"pkg", "pkg._core", "_ssl"}))
    assert [(e.name, e.cold) for e in made] == [
        ("pkg._core", False),
        ("pkg._simd", True),
        ("_ssl", True),
    ]
    payload = packing.write_payload(made, Compression())
    codecs = {name: codec for name, which, codec in _codecs(payload) if which == "primary"}
    assert codecs == {"pkg._core": Codec.LZ4, "pkg._simd": Codec.ZSTD, "_ssl": Codec.ZSTD}
    # Without a start-up guess, only the build's own shared objects are.
    assert [e.cold for e in entries.extension_entries(extensions)] == [False, False, True]


def test_start_extensions_are_the_embedded_ones_imported_at_start_largest_first() -> None:
    """What the runtime copies to memory before the interpreter starts: the wheel's
    extension modules the start-up guess names, ordered by their size with the libraries
    each needs (``prefetch.rs``); not the build's own cold shared objects."""
    extensions = {
        e.name: e
        for e in [
            ExtensionResource(name="pkg._small", data=b"x" * 100, origin="pkg/_small.so"),
            ExtensionResource(name="pkg._core", data=b"x" * 50, origin="pkg/_core.so"),
            ExtensionResource(name="pkg._big", data=b"x" * 500, origin="pkg/_big.so"),
            ExtensionResource(name="pkg._tests", data=b"x" * 9000, origin="pkg/_tests.so"),
            ExtensionResource(name="_ssl", data=b"x" * 9000, origin="_ssl.so", cold=True),
        ]
    }
    blas = SharedLibraryResource("libblas.so", b"x" * 1000, (), "libblas.so")
    resources = ResourceSet(
        modules={},
        data=(),
        at_start=frozenset({"pkg", "pkg._small", "pkg._core", "pkg._big", "_ssl"}),
        extensions=extensions,
        shared_libraries=(blas,),
        extension_libraries={"pkg._core": ("libblas.so",)},
    )
    assert entries.start_extensions(resources) == ["pkg._core", "pkg._big", "pkg._small"]
    assert entries.start_extensions(dataclasses.replace(resources, at_start=frozenset())) == []


def _codecs(payload: bytes) -> list[tuple[str, str, Codec]]:
    header = packing.HEADER.struct.unpack_from(payload)
    count, index, names = header[2], header[3], header[4]
    out = []
    for i in range(count):
        e = packing.ENTRY.struct.unpack_from(payload, index + i * packing.ENTRY.size)
        name = payload[names + e[5] : names + e[5] + e[4]].decode()
        out.append((name, "primary", Codec(e[2])))
        out.append((name, "secondary", Codec(e[3])))
    return out


def test_a_blob_that_does_not_shrink_is_raw() -> None:
    noise = random.Random(2).randbytes(5000)
    assert Compression().store(Kind.EXTENSION, noise) == (Codec.RAW, noise)
    assert Compression().store(Kind.SHARED_LIBRARY, b"") == (Codec.RAW, b"")


def _entries(library: bytes) -> list[PayloadEntry]:
    return [
        PayloadEntry(Kind.META, "entry", b"function:app:main"),
        PayloadEntry(Kind.MODULE, "app", b"code " * 300),
        PayloadEntry(Kind.EXTENSION, "app._speedups", _library_like(50_000, seed=3)),
        PayloadEntry(Kind.SHARED_LIBRARY, "libbig.so.1", library),
    ]


def test_a_payload_with_lz4_blobs_reads_back_and_verifies() -> None:
    library = _library_like(300_000)
    payload = packing.write_payload(_entries(library), Compression())
    assert reading.verify_payload(payload) == []
    back = {(e.kind, e.name): e.primary for e in reading.read_payload(payload)}
    assert back[(Kind.SHARED_LIBRARY, "libbig.so.1")] == library
    assert len(payload) < len(library) // 2


def _damage_lz4_size(payload: bytes, name: str, size: int) -> bytes:
    """The payload with the LZ4 library's declared size changed to ``size``."""
    head = {n: (o, w) for n, o, w in packing.HEADER.offsets()}
    o, w = head["index_offset"]
    index_offset = int.from_bytes(payload[o : o + w], "little")
    at, width = {n: (o, w) for n, o, w in packing.ENTRY.offsets()}["primary_size"]
    for i, e in enumerate(reading.read_payload(payload)):
        if e.name == name:
            at += index_offset + i * packing.ENTRY_SIZE
            return payload[:at] + size.to_bytes(width, "little") + payload[at + width :]
    raise AssertionError(name)


@pytest.mark.parametrize("delta", [-1, +1])
def test_a_declared_size_that_does_not_match_is_damage_naming_the_entry(delta: int) -> None:
    library = _library_like(300_000)
    payload = packing.write_payload(_entries(library), Compression())
    damaged = _damage_lz4_size(payload, "libbig.so.1", len(library) + delta)
    with pytest.raises(PyingotError) as e:
        reading.read_payload(damaged)
    assert "SHARED_LIBRARY 'libbig.so.1') cannot be decompressed" in e.value.message
    problems = reading.verify_payload(damaged)
    assert len(problems) == 1 and "libbig.so.1" in problems[0]


def test_compressed_blobs_are_cached_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = _library_like(300_000)
    first = Compression(cache=tmp_path).store(Kind.SHARED_LIBRARY, library)
    assert first[0] is Codec.LZ4

    def refuse(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("compressed again")

    monkeypatch.setattr(compression.lz4.block, "compress", refuse)
    assert Compression(cache=tmp_path).store(Kind.SHARED_LIBRARY, library) == first
    # The same bytes as an extension module: the same LZ4 block, from the cache.
    assert Compression(cache=tmp_path).store(Kind.EXTENSION, library) == first


def test_the_lz4_piece_is_the_spec_s_in_both_readers() -> None:
    spec = (ROOT / "docs" / "packed-format.md").read_text()
    rust = (ROOT / "runtime" / "payload" / "src" / "format.rs").read_text()
    assert packing.LZ4_PIECE == 1_048_576
    assert "pieces of 1 MiB (1,048,576 bytes" in spec
    assert "pub const LZ4_PIECE: usize = 1 << 20;" in rust
