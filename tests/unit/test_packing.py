"""The packed payload format: writer, Python reader, the Rust reader, and the spec.

The spec's tables marked ``<!-- checked: NAME -->`` are parsed here and compared with
``pyingot.payload.packing`` and with ``payload-dump --constants`` (the Rust reader's
names), so that the three cannot drift apart; the runtime settings' table (``meta``)
with ``pyingot.payload.settings`` and with the Rust runtime's ``settings.rs``. The
cross-language tests write payloads with Python and read them with Rust
(``payload-dump``, built with cargo once per session).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyingot.errors import InternalError, PyingotError
from pyingot.glibc import GlibcVersion
from pyingot.payload import packing, reading
from pyingot.payload.packing import ENTRY, HEADER, TRAILER, Flag, Kind, PayloadEntry
from pyingot.payload.settings import (
    FunctionEntry,
    LinkedExtension,
    LinkedExtensions,
    RuntimeEntry,
    RuntimeSettings,
    format_entry,
    parse_entry,
)
from tests.building import ROOT

SPEC = ROOT / "docs" / "packed-format.md"
RUNTIME = ROOT / "runtime"
#: The Rust runtime's one reader of the settings (META entries).
SETTINGS_RS = RUNTIME / "stub" / "src" / "settings.rs"
STUB = b"\x7fELF" + bytes(range(256)) * 3 + b"odd length"

E = PayloadEntry


# --- the spec's checked tables ---------------------------------------------------------------


def spec_blocks() -> dict[str, list[str]]:
    """The lines of each table or code block that follows a ``<!-- checked: NAME -->``."""
    blocks: dict[str, list[str]] = {}
    name: str | None = None
    in_code = False
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        marker = re.fullmatch(r"<!-- checked: ([\w-]+) -->", line.strip())
        if marker:
            name = marker.group(1)
            blocks[name] = []
            continue
        if name is None:
            continue
        if line.startswith("```"):
            if in_code:
                name, in_code = None, False
            else:
                in_code = True
            continue
        if in_code or line.startswith("|"):
            blocks[name].append(line)
        elif blocks[name]:
            name = None
    return blocks


def spec_table(name: str) -> list[dict[str, str]]:
    lines = spec_blocks()[name]
    cells = [[c.strip().strip("`") for c in line.strip().strip("|").split("|")] for line in lines]
    head, rows = cells[0], cells[2:]
    return [dict(zip(head, row, strict=True)) for row in rows]


def spec_hex(name: str) -> bytes:
    """The bytes of a checked ``offset: hex bytes  # comment`` block, offsets checked."""
    out = bytearray()
    for line in spec_blocks()[name]:
        offset, _, rest = line.partition("#")[0].partition(":")
        assert int(offset, 16) == len(out), line
        out += bytes.fromhex(rest)
    return bytes(out)


def spec_constants() -> dict[str, Any]:
    """The spec's constants in the shape of ``payload-dump --constants``."""

    def value(v: str) -> int | str:
        return int(v) if v.isdigit() else bytes.fromhex(v).hex()

    def fields(name: str) -> list[list[Any]]:
        return [[r["field"], int(r["offset"]), int(r["size"])] for r in spec_table(name)]

    return {
        "constants": {r["name"]: value(r["value"]) for r in spec_table("constants")},
        "kinds": {r["kind"]: int(r["value"]) for r in spec_table("kinds")},
        "flags": {r["flag"]: int(r["bit"]) for r in spec_table("flags")},
        "codecs": {r["codec"]: int(r["value"]) for r in spec_table("codecs")},
        "header": fields("header"),
        "entry": fields("entry"),
        "trailer": fields("trailer"),
    }


def python_constants() -> dict[str, Any]:
    """``pyingot.packing``'s constants in the shape of ``payload-dump --constants``."""
    return {
        "constants": {
            "FORMAT_VERSION": packing.FORMAT_VERSION,
            "MAGIC": packing.MAGIC.hex(),
            "TRAILER_MAGIC": packing.TRAILER_MAGIC.hex(),
            "HEADER_SIZE": packing.HEADER_SIZE,
            "ENTRY_SIZE": packing.ENTRY_SIZE,
            "TRAILER_SIZE": packing.TRAILER_SIZE,
            "DATA_ALIGNMENT": packing.DATA_ALIGNMENT,
            "PAYLOAD_ALIGNMENT": packing.PAYLOAD_ALIGNMENT,
        },
        "kinds": {k.name: int(k) for k in Kind},
        "flags": {f.name: int(f) for f in Flag},
        "codecs": {c.name: int(c) for c in packing.Codec},
        "header": [list(f) for f in HEADER.offsets()],
        "entry": [list(f) for f in ENTRY.offsets()],
        "trailer": [list(f) for f in TRAILER.offsets()],
    }


def error_templates() -> dict[str, re.Pattern[str]]:
    """The spec's error messages as patterns: ``{...}`` matches a number, ``{kind}``,
    ``{name}`` and ``{problem}`` any text."""
    text = {"kind", "name", "problem"}

    def pattern(message: str) -> re.Pattern[str]:
        parts = re.split(r"\{(\w+)\}", message)
        out = re.escape(parts[0])
        for name, literal in zip(parts[1::2], parts[2::2], strict=True):
            out += (".+" if name in text else "[0-9a-f]+") + re.escape(literal)
        return re.compile(out)

    return {r["error"]: pattern(r["message"]) for r in spec_table("errors")}


def test_spec_tables_are_found() -> None:
    blocks = spec_blocks()
    for name in ("constants", "header", "entry", "kinds", "flags", "trailer", "errors"):
        assert len(blocks[name]) > 3, name


def test_spec_matches_python_constants() -> None:
    assert spec_constants() == python_constants()


def test_spec_types_match_python_layouts() -> None:
    for name, layout in (("header", HEADER), ("entry", ENTRY), ("trailer", TRAILER)):
        assert [r["type"] for r in spec_table(name)] == [f.type for f in layout.fields], name


def test_spec_example_is_what_the_writer_writes() -> None:
    payload = packing.write_payload(EXAMPLE)
    assert payload == spec_hex("example")
    exe = packing.append(b"STUB", payload)
    assert exe[-packing.TRAILER_SIZE :] == spec_hex("example-trailer")
    assert reading.read_payload(reading.find_payload(exe)) == sorted_entries(EXAMPLE)


EXAMPLE = [
    E(Kind.MODULE, "app", b"CODE", b"print(1)\n", Flag.HAS_SOURCE),
    E(Kind.META, "entry", b"module:app"),
]


# --- the runtime settings (META entries) ----------------------------------------------------


def rust_str_constants(prefix: str) -> dict[str, str]:
    """``const PREFIX_X: &str = "value";`` in the runtime's ``settings.rs``, by name."""
    text = SETTINGS_RS.read_text(encoding="utf-8")
    return dict(re.findall(rf'const ({prefix}\w+): &str = "([^"]*)";', text))


def test_spec_meta_names_are_the_python_settings() -> None:
    names = [r["name"] for r in spec_table("meta")]
    assert names == [f.name for f in dataclasses.fields(RuntimeSettings)]


def test_spec_meta_names_read_by_the_runtime_are_the_rust_settings() -> None:
    rows = spec_table("meta")
    assert {r["read by"] for r in rows} <= {"runtime", "inspect", "runtime, inspect"}
    runtime = {r["name"] for r in rows if "runtime" in r["read by"]}
    rust = rust_str_constants("META_")
    assert sorted(rust.values()) == sorted(runtime)
    # Spelled once: no META name appears as a string anywhere else in the runtime.
    for path in sorted((RUNTIME / "stub" / "src").rglob("*.rs")):
        if path != SETTINGS_RS:
            for name in runtime:
                assert f'"{name}"' not in path.read_text(encoding="utf-8"), (path, name)
    for path in sorted((RUNTIME / "python").glob("*.py")):
        for name in runtime:
            assert f'"{name}"' not in path.read_text(encoding="utf-8"), (path, name)


def test_spec_entry_values_are_both_sides_entries() -> None:
    rows = spec_table("entry-values")
    for r in rows:
        entry = parse_entry(r["example"])
        assert format_entry(entry) == r["example"]
        assert r["value"].partition(":")[0] == r["kind"] == r["example"].partition(":")[0]
    assert {type(parse_entry(r["example"])) for r in rows} == set(get_args(RuntimeEntry))
    assert sorted(rust_str_constants("ENTRY_").values()) == sorted(r["kind"] for r in rows)


@pytest.mark.parametrize(
    "text", ["", "app:main", "function:app", "function::main", "module:", "script:", "python:x"]
)
def test_other_entry_values_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_entry(text)


def test_runtime_settings_round_trip() -> None:
    settings = RuntimeSettings(
        entry=FunctionEntry("app.cli", "Main.run"),
        name="app",
        python_version="3.13.5",
        python_free_threaded=True,
        pyingot_version="0.1.0",
        glibc_floor=GlibcVersion.parse("2.2.5"),
        extensions=LinkedExtensions(("Python-2.0",), {"_ssl": LinkedExtension(("Apache-2.0",))}),
        extension_libraries={"pkg.ext": ("libb.so.1", "liba.so")},
        start_extensions=("pkg.ext", "pkg._small"),
        lib_dynload=("_testcapi", "_testsinglephase"),
        on_disk_path="app.packages",
        data_root="app.data",
        data_root_packages=("black", "blib2to3"),
        sbom='{"bomFormat": "CycloneDX", "specVersion": "1.6"}\n',
    )
    entries = settings.to_entries()
    assert [e.name for e in entries] == sorted(f.name for f in dataclasses.fields(settings))
    assert {e.name: e.primary for e in entries}["data_root_packages"] == b"black\nblib2to3"
    payload = packing.write_payload([*entries, E(Kind.MODULE, "app", b"c")])
    assert RuntimeSettings.from_entries(reading.read_payload(payload)) == settings
    # Settings with nothing to say are not written, and read back as their defaults.
    plain = dataclasses.replace(
        settings,
        python_free_threaded=False,
        glibc_floor=None,
        extension_libraries={},
        start_extensions=(),
        lib_dynload=(),
        on_disk_path=None,
        data_root=None,
        data_root_packages=(),
        sbom=None,
    )
    assert RuntimeSettings.from_entries(plain.to_entries()) == plain
    assert len(plain.to_entries()) == 5


def test_a_bad_setting_is_reported_by_name() -> None:
    entries = [E(Kind.META, "name", b"app"), E(Kind.META, "entry", b"app:main")]
    with pytest.raises(PyingotError, match=r"^payload is damaged: bad entry setting \("):
        RuntimeSettings.from_entries(entries)


# --- writing and reading back in Python ------------------------------------------------------


def sorted_entries(entries: list[PayloadEntry]) -> list[PayloadEntry]:
    return sorted(entries, key=lambda e: (e.kind, e.name.encode()))


def every_kind_and_flag() -> list[PayloadEntry]:
    return [
        E(Kind.META, "entry", b"app.__main__:main"),
        E(Kind.META, "python_version", b"3.11"),
        E(Kind.MODULE, "app", b"\xe3code", b"", Flag.IS_PACKAGE | Flag.HAS_SOURCE),
        E(Kind.MODULE, "app.__main__", b"\xe3main", b"print('hi')\n", Flag.HAS_SOURCE),
        E(Kind.MODULE, "app.plugins", b"", b"", Flag.IS_PACKAGE | Flag.IS_NAMESPACE),
        E(Kind.MODULE, "app.plugins.x", b"\xe3x"),
        E(Kind.MODULE, "caf\u00e9", b"\xe3", "s = '\u00e9t\u00e9'\n".encode(), Flag.HAS_SOURCE),
        E(Kind.DATA, "certifi/cacert.pem", b"-----BEGIN CERTIFICATE-----\n"),
        E(Kind.DATA, "app/\u30c7\u30fc\u30bf/\U0001f600.txt", "\U0001f600".encode()),
        E(Kind.DATA, "app/empty", b""),
        E(Kind.METADATA, "rich-13.7.1.dist-info/METADATA", b"Name: rich\nVersion: 13.7.1\n"),
        E(Kind.METADATA, "rich-13.7.1.dist-info/RECORD", b""),
        E(Kind.EXTENSION, "_cffi_backend", b"\x7fELF ext"),
        E(Kind.EXTENSION, "pkg.ext", b"\x7fELF pkg", b"", Flag.IS_PACKAGE),
        E(Kind.SHARED_LIBRARY, "libffi.so.8", b"\x7fELF lib" * 3),
    ]


def test_round_trip_every_kind_and_flag() -> None:
    entries = every_kind_and_flag()
    payload = packing.write_payload(entries)
    assert reading.read_payload(payload) == sorted_entries(entries)
    exe = packing.append(STUB, payload)
    assert reading.find_payload(exe) == payload
    assert exe.startswith(STUB)


def test_empty_payload() -> None:
    payload = packing.write_payload([])
    assert len(payload) == packing.HEADER_SIZE
    assert reading.read_payload(payload) == []
    assert reading.find_payload(packing.append(b"", payload)) == payload


def test_large_blob() -> None:
    big = random.Random(1).randbytes(3 << 20)
    entries = [E(Kind.DATA, "pkg/big.bin", big), E(Kind.DATA, "pkg/small", b"x")]
    exe = packing.append(STUB, packing.write_payload(entries))
    assert reading.read_payload(reading.find_payload(exe)) == entries


def test_output_is_deterministic_and_independent_of_input_order() -> None:
    entries = every_kind_and_flag()
    first = packing.write_payload(entries)
    for seed in range(5):
        shuffled = entries[:]
        random.Random(seed).shuffle(shuffled)
        assert packing.write_payload(shuffled) == first
        assert packing.write_payload(iter(shuffled)) == first


def test_order_is_kind_then_name_bytes() -> None:
    names = ["b", "a", "\u00e9", "z", "A", "a.b", "a_b", "\U0001f600", "\uffff"]
    entries = [E(Kind.DATA, f"p/{n}", b"") for n in names] + [E(Kind.META, "z", b"")]
    read = reading.read_payload(packing.write_payload(entries))
    by_bytes = sorted((f"p/{n}" for n in names), key=lambda n: n.encode())
    assert [e.name for e in read] == ["z", *by_bytes]


def test_blobs_and_payload_are_aligned() -> None:
    entries = every_kind_and_flag()
    payload = packing.write_payload(entries)
    exe = packing.append(STUB, payload)
    start = len(exe) - packing.TRAILER_SIZE - len(payload)
    assert start % packing.PAYLOAD_ALIGNMENT == 0
    assert exe[len(STUB) : start] == bytes(start - len(STUB))
    _, _, count, index, _, data, *_ = HEADER.struct.unpack_from(payload)
    assert data % packing.DATA_ALIGNMENT == 0
    for i in range(count):
        fields = ENTRY.struct.unpack_from(payload, index + i * packing.ENTRY_SIZE)
        for length, offset in ((fields[8], fields[7]), (fields[12], fields[10])):
            assert offset % packing.DATA_ALIGNMENT == 0
            if not length:
                assert offset == 0


name_parts = st.text(st.sampled_from("ab_\u00e9\U0001f600"), min_size=1, max_size=6)


@st.composite
def entry_sets(draw: st.DrawFn) -> list[PayloadEntry]:
    out: dict[tuple[Kind, str], PayloadEntry] = {}
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.sampled_from(Kind))
        name = ".".join(draw(st.lists(name_parts, min_size=1, max_size=3)))
        if kind in (Kind.DATA, Kind.METADATA):
            name = name.replace(".", "/") + "/f"
        primary = draw(st.binary(min_size=kind is Kind.MODULE, max_size=40))
        secondary, flags = b"", Flag(0)
        if kind is Kind.MODULE:
            flags = draw(st.sampled_from([Flag(0), Flag.IS_PACKAGE, Flag.HAS_SOURCE]))
            if flags & Flag.HAS_SOURCE:
                secondary = draw(st.text(max_size=20)).encode("utf-8", "replace")
        if kind is Kind.META:
            primary = draw(st.text(max_size=10)).encode("utf-8", "replace")
        out[(kind, name)] = E(kind, name, primary, secondary, flags)
    return list(out.values())


@settings(max_examples=200, deadline=None)
@given(entry_sets())
def test_round_trip_property(entries: list[PayloadEntry]) -> None:
    payload = packing.write_payload(entries)
    assert reading.read_payload(payload) == sorted_entries(entries)
    assert reading.find_payload(packing.append(STUB, payload)) == payload


# --- invalid input to the writer -------------------------------------------------------------


def test_duplicates_are_rejected() -> None:
    entries = [E(Kind.MODULE, "a", b"1"), E(Kind.DATA, "a/b", b""), E(Kind.MODULE, "a", b"2")]
    with pytest.raises(PyingotError, match="would hold MODULE 'a' twice") as e:
        packing.write_payload(entries)
    assert e.value.hint
    # The same name under two kinds is fine.
    packing.write_payload([E(Kind.MODULE, "a", b"1"), E(Kind.EXTENSION, "a", b"2")])


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (E(Kind.MODULE, "", b"c"), "a payload entry of kind MODULE has an empty name"),
        (E(Kind.MODULE, "a\udcff", b"c"), "has a name that cannot be encoded as UTF-8"),
        (E(Kind.DATA, "a/b\x00", b""), "has a NUL character in its name"),
        (E(Kind.MODULE, "a/b", b"c"), "is not a dotted module name"),
        (E(Kind.MODULE, "a..b", b"c"), "is not a dotted module name"),
        (E(Kind.EXTENSION, ".a", b"c"), "is not a dotted module name"),
        (E(Kind.DATA, "cacert.pem", b""), "is not a relative path"),
        (E(Kind.DATA, "pkg/../x", b""), "is not a relative path"),
        (E(Kind.DATA, "pkg\\x/y", b""), "is not a relative path"),
        (E(Kind.METADATA, "/abs/x", b""), "is not a relative path"),
        (E(Kind.DATA, "pkg//x", b""), "is not a relative path"),
        (E(Kind.SHARED_LIBRARY, "lib/libx.so", b""), "is not a plain file name"),
        (E(9, "x", b""), "payload entry 'x' has unknown kind 9"),  # type: ignore[arg-type]
        (E(Kind.MODULE, "a", b"c", flags=8), "has unknown flags 0x08"),  # type: ignore[arg-type]
        (
            E(Kind.DATA, "a/b", b"", flags=Flag.IS_PACKAGE),
            "has the flag(s) IS_PACKAGE, which DATA entries cannot have",
        ),
        (
            E(Kind.EXTENSION, "e", b"so", b"src", Flag.HAS_SOURCE),
            "has the flag(s) HAS_SOURCE, which EXTENSION entries cannot have",
        ),
        (E(Kind.MODULE, "n", flags=Flag.IS_NAMESPACE), "namespace package without the IS_PACK"),
        (
            E(Kind.MODULE, "n", b"c", flags=Flag.IS_PACKAGE | Flag.IS_NAMESPACE),
            "is a namespace package but has code or source",
        ),
        (E(Kind.MODULE, "m"), "has no code (only namespace packages may have none)"),
        (E(Kind.MODULE, "m", b"c", b"src"), "has a secondary blob but not the HAS_SOURCE flag"),
        (E(Kind.DATA, "a/b", b"", b"x"), "has a secondary blob but not the HAS_SOURCE flag"),
        (E(Kind.META, "entry", b"\xffx"), "META 'entry' has a value that is not UTF-8"),
        (E(Kind.DATA, "a/b", "text"), "has a primary blob of type str, not bytes"),  # type: ignore[arg-type]
    ],
)
def test_invalid_entries_are_rejected(entry: PayloadEntry, message: str) -> None:
    # A bug of the stage that made the entries: an InternalError (exit 70), issue 8.
    with pytest.raises(InternalError, match=re.escape(message)):
        packing.write_payload([E(Kind.META, "ok", b"1"), entry])


# --- damaged input: the same documented message from both readers ---------------------------


def _sample() -> bytes:
    return packing.write_payload(
        [
            E(Kind.META, "entry", b"app:main"),
            E(Kind.MODULE, "app", b"code", b"print('hi')", Flag.HAS_SOURCE),
            E(Kind.DATA, "app/data.txt", b"data"),
        ]
    )


def _set(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, offset, value)
    return bytes(out)


def _field(layout: packing.Layout, name: str) -> tuple[int, str]:
    for (fname, offset, _), f in zip(layout.offsets(), layout.fields, strict=True):
        if fname == name:
            return offset, f.code
    raise KeyError(name)


def _header(name: str, value: int) -> bytes:
    offset, code = _field(HEADER, name)
    return _set(_sample(), offset, code, value)


def _entry(i: int, name: str, value: int) -> bytes:
    offset, code = _field(ENTRY, name)
    return _set(_sample(), packing.HEADER_SIZE + i * packing.ENTRY_SIZE + offset, code, value)


def _patch(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def _reseal(payload: bytes) -> bytes:
    """An executable around a damaged payload, with a checksum that matches the damage."""
    return packing.append(STUB, payload)


# A payload the Python writer made with a 4 KiB dictionary
# (see runtime/payload/tests/compressed.rs).
_WITH_DICTIONARY = ROOT / "runtime" / "payload" / "tests" / "data" / "dictionary.payload"


def _damaged_dictionary() -> bytes:
    p = _WITH_DICTIONARY.read_bytes()
    header = HEADER.struct.unpack_from(p)
    return _patch(p, header[5] + header[7] + 100, b"\x00\x01")


def _duplicate_entry() -> bytes:
    p = _sample()
    first = packing.HEADER_SIZE + packing.ENTRY_SIZE
    return _patch(p, first + packing.ENTRY_SIZE, p[first : first + packing.ENTRY_SIZE])


_EXE = packing.append(STUB, _sample())
_NAMES = HEADER.struct.unpack_from(_sample())[4]

# (case id, spec error name, the file, whether it is a bare payload)
DAMAGE: list[tuple[str, str, Callable[[], bytes], bool]] = [
    ("empty-file", "NoPayload", lambda: b"", False),
    ("truncated", "NoPayload", lambda: _EXE[:-1], False),
    ("truncated-half", "NoPayload", lambda: _EXE[: len(_EXE) // 2], False),
    ("bare-payload", "NoPayload", _sample, False),
    ("grown", "TrailerMismatch", lambda: bytes(16) + _EXE, False),
    ("flipped-byte", "ChecksumMismatch", lambda: _patch(_EXE, len(STUB) + 100, b"\x99"), False),
    ("wrong-magic-exe", "BadMagic", lambda: _reseal(_patch(_sample(), 0, b"PK\x03\x04")), False),
    ("version-1-exe", "UnsupportedVersion", lambda: _reseal(_patch(_sample(), 7, b"\x01")), False),
    ("too-short", "TooShort", lambda: _sample()[:10], True),
    ("wrong-magic", "BadMagic", lambda: _patch(_sample(), 0, b"MZ\x90\x00"), True),
    ("version-0", "UnsupportedVersion", lambda: _patch(_sample(), 7, b"\x00"), True),
    ("header-flags", "UnknownHeaderFlags", lambda: _header("flags", 0x100), True),
    ("longer", "LengthMismatch", lambda: _sample() + b"\x00", True),
    ("entry-count", "BadSections", lambda: _header("entry_count", 1000), True),
    ("index-overflow", "BadSections", lambda: _header("index_offset", 2**64 - 8), True),
    ("data-before-names", "BadSections", lambda: _header("data_offset", 49), True),
    ("unknown-kind", "UnknownKind", lambda: _entry(1, "kind", 9), True),
    ("unknown-flags", "UnknownFlags", lambda: _entry(2, "flags", 0x80), True),
    ("name-length", "NameOutOfBounds", lambda: _entry(0, "name_len", 1000), True),
    ("name-offset", "NameOutOfBounds", lambda: _entry(0, "name_offset", 2**32 - 1), True),
    ("name-not-utf8", "NameNotUtf8", lambda: _patch(_sample(), _NAMES, b"\xff"), True),
    ("primary-length", "DataOutOfBounds", lambda: _entry(1, "primary_len", 1 << 20), True),
    ("secondary-offset", "DataOutOfBounds", lambda: _entry(1, "secondary_offset", 2**64 - 1), True),
    ("out-of-order", "OutOfOrder", lambda: _entry(2, "kind", 0), True),
    ("duplicate", "OutOfOrder", _duplicate_entry, True),
    (
        "dictionary-bounds",
        "DictionaryOutOfBounds",
        lambda: _header("dictionary_len", 1 << 20),
        True,
    ),
    ("unknown-codec", "UnknownCodec", lambda: _entry(1, "primary_codec", 7), True),
    ("raw-size", "BadBlob", lambda: _entry(1, "primary_size", 99), True),
    ("blob-checksum", "BlobChecksumMismatch", lambda: _entry(1, "primary_crc32", 0), True),
    ("not-a-frame", "BadCompressedBlob", lambda: _entry(1, "primary_codec", 1), True),
    ("not-an-lz4-block", "BadCompressedBlob", lambda: _entry(1, "primary_codec", 2), True),
    ("dictionary-checksum", "DictionaryChecksumMismatch", lambda: _damaged_dictionary(), True),
]


def python_error(data: bytes, raw: bool) -> str:
    with pytest.raises(PyingotError) as e:
        reading.read_payload(data if raw else reading.find_payload(data))
    return e.value.message


@pytest.mark.parametrize(("case", "error", "make", "raw"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damage_gives_the_documented_error(
    case: str, error: str, make: Callable[[], bytes], raw: bool
) -> None:
    message = python_error(make(), raw)
    assert error_templates()[error].fullmatch(message), message


def test_damage_cases_cover_every_reader_error() -> None:
    # BadDictionary: a dictionary that passes its checksum but cannot be parsed; libzstd
    # and ruzstd word that differently (runtime/payload/tests/compressed.rs covers it).
    rust_only = {"ValueNotUtf8", "NoSuchEntry", "BadDictionary"}
    assert {d[1] for d in DAMAGE} == set(error_templates()) - rust_only


def test_checksum_message_names_both_checksums() -> None:
    damaged = _patch(_EXE, len(STUB) + 100, b"\x99")
    start = len(damaged) - packing.TRAILER_SIZE - len(_sample())
    head = HEADER.struct.unpack_from(_sample())[5]
    computed = zlib.crc32(damaged[start : start + head])
    assert python_error(damaged, raw=False) == (
        f"payload is damaged: index checksum mismatch (expected "
        f"{zlib.crc32(_sample()[:head]):08x}, computed {computed:08x})"
    )


def test_truncation_at_every_length_is_an_error() -> None:
    for n in range(len(_EXE)):
        with pytest.raises(PyingotError):
            reading.find_payload(_EXE[:n])
    payload = _sample()
    for n in range(len(payload)):
        with pytest.raises(PyingotError):
            reading.read_payload(payload[:n])


# --- the Rust reader -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def payload_dump() -> Iterator[Path]:
    """``payload-dump``, built from runtime/payload (about a minute the first time)."""
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.skip("cargo is not installed")
    # A target directory of its own: a build of the runtime stub in runtime/target
    # holds that directory's lock for minutes.
    target = RUNTIME / "target" / "payload-dump"
    subprocess.run(
        [
            cargo,
            "build",
            "--quiet",
            "--manifest-path",
            str(RUNTIME / "Cargo.toml"),
            "-p",
            "pyingot-payload",
            "--bin",
            "payload-dump",
            "--target-dir",
            str(target),
        ],
        check=True,
        timeout=900,
    )
    yield target / "debug" / "payload-dump"


def dump(tool: Path, *args: str | os.PathLike[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tool), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def dump_lines(tool: Path, *args: str | os.PathLike[str]) -> list[Any]:
    result = dump(tool, *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def expected_line(e: PayloadEntry) -> dict[str, Any]:
    return {
        "kind": int(e.kind),
        "flags": int(e.flags),
        "name": e.name,
        "primary_len": len(e.primary),
        "primary_crc32": zlib.crc32(e.primary),
        "primary_stored": len(e.primary),
        "primary_codec": 0,
        "secondary_len": len(e.secondary),
        "secondary_crc32": zlib.crc32(e.secondary),
        "secondary_stored": len(e.secondary),
        "secondary_codec": 0,
    }


def random_entries(seed: int, count: int) -> list[PayloadEntry]:
    rng = random.Random(seed)
    out: dict[tuple[Kind, str], PayloadEntry] = {}
    parts = ["a", "b", "pkg", "_x", "\u00e9", "\u6f22", "\U0001f600", "z9"]
    while len(out) < count:
        kind = rng.choice(list(Kind))
        name = ".".join(rng.choices(parts, k=rng.randint(1, 4)))
        if kind in (Kind.DATA, Kind.METADATA):
            name = name.replace(".", "/") + "/file.txt"
        flags, secondary = Flag(0), b""
        primary = rng.randbytes(rng.choice([0, 1, 7, 8, 9, 100, 5000]))
        if kind is Kind.META:
            primary = primary.hex().encode()
        if kind is Kind.MODULE:
            primary = primary or b"\xe3"
            flags = rng.choice([Flag(0), Flag.IS_PACKAGE, Flag.HAS_SOURCE])
            if flags & Flag.HAS_SOURCE:
                secondary = f"# {name}\n".encode() * rng.randint(0, 3)
        out[(kind, name)] = E(kind, name, primary, secondary, flags)
    return list(out.values())


@pytest.mark.slow
def test_spec_matches_rust_constants(payload_dump: Path) -> None:
    (rust,) = dump_lines(payload_dump, "--constants")
    assert rust == spec_constants()


@pytest.mark.slow
@pytest.mark.parametrize(
    "entries",
    [
        [],
        EXAMPLE,
        every_kind_and_flag(),
        [E(Kind.DATA, "pkg/big.bin", random.Random(2).randbytes(5 << 20))],
        random_entries(1, 40),
        random_entries(2, 1500),
    ],
    ids=["empty", "example", "every-kind", "large-blob", "random-40", "random-1500"],
)
def test_rust_reads_what_python_writes(
    payload_dump: Path, tmp_path: Path, entries: list[PayloadEntry]
) -> None:
    payload = packing.write_payload(entries)
    exe = tmp_path / "app"
    exe.write_bytes(packing.append(STUB, payload))
    (tmp_path / "payload").write_bytes(payload)
    expected = [expected_line(e) for e in sorted_entries(entries)]
    assert dump_lines(payload_dump, exe) == expected
    assert dump_lines(payload_dump, "--raw", tmp_path / "payload") == expected


@pytest.mark.slow
def test_rust_lookups_in_a_python_payload(payload_dump: Path, tmp_path: Path) -> None:
    entries = every_kind_and_flag() + random_entries(3, 300)
    unique = list({(e.kind, e.name): e for e in entries}.values())
    exe = tmp_path / "app"
    exe.write_bytes(packing.append(STUB, packing.write_payload(unique)))
    rng = random.Random(4)
    for e in [*every_kind_and_flag(), *rng.sample(unique, 20)]:
        got = dump_lines(payload_dump, exe, "--get", Kind(e.kind).name, e.name)
        assert got == [
            expected_line(next(u for u in unique if (u.kind, u.name) == (e.kind, e.name)))
        ]
    assert dump_lines(payload_dump, exe, "--get", "MODULE", "app.nothing") == [None]
    assert dump_lines(payload_dump, exe, "--get", "EXTENSION", "app") == [None]
    for kind, prefix in [
        (Kind.DATA, "app/"),
        (Kind.MODULE, "app."),
        (Kind.MODULE, "a"),
        (Kind.MODULE, ""),
        (Kind.METADATA, "rich-13.7.1.dist-info/"),
        (Kind.DATA, "\u00e9"),
        (Kind.SHARED_LIBRARY, "nothing"),
    ]:
        want = [
            expected_line(u)
            for u in sorted_entries(unique)
            if u.kind == kind and u.name.startswith(prefix)
        ]
        assert dump_lines(payload_dump, exe, "--prefix", kind.name, prefix) == want, prefix


@pytest.mark.slow
@pytest.mark.parametrize(("case", "error", "make", "raw"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_rust_and_python_report_damage_alike(
    payload_dump: Path, tmp_path: Path, case: str, error: str, make: Callable[[], bytes], raw: bool
) -> None:
    data = make()
    path = tmp_path / case
    path.write_bytes(data)
    result = dump(payload_dump, *(["--raw"] if raw else []), path)
    assert result.returncode == 1, result.stdout
    expected = f"error: {python_error(data, raw)}"
    if error == "BadCompressedBlob":
        # The decoders (ruzstd and libzstd, lz4_flex and liblz4) word the problem in
        # brackets differently.
        expected = expected.partition(" cannot be decompressed")[0] + " cannot be decompressed"
        assert result.stderr.strip().startswith(expected + " ("), result.stderr
        return
    assert result.stderr.strip() == expected


@pytest.mark.slow
def test_rust_reports_damage_found_late(payload_dump: Path, tmp_path: Path) -> None:
    """Entries before the damaged one are listed, then the error."""
    path = tmp_path / "payload"
    path.write_bytes(_entry(2, "flags", 0x80))
    result = dump(payload_dump, "--raw", path)
    assert [json.loads(line)["name"] for line in result.stdout.splitlines()] == ["entry", "app"]
    assert result.stderr.strip() == "error: payload is damaged: entry 2 has unknown flags 0x80"


def test_identical_blobs_are_stored_once_and_read_back_for_each_entry() -> None:
    """Two extension modules with one shared object's bytes (stub/shared_objects.py)
    take its bytes once; reading names the entry each later one shares them with."""
    shared = random.Random(2).randbytes(1 << 16)
    entries = [
        E(Kind.EXTENSION, "_ssl", shared),
        E(Kind.EXTENSION, "_hashlib", shared),
        E(Kind.EXTENSION, "zlib", shared[:-1]),
    ]
    payload = packing.write_payload(entries)
    apart = packing.write_payload(
        [entries[0], E(Kind.EXTENSION, "_hashlib", shared[::-1]), entries[2]]
    )
    assert len(apart) - len(payload) == len(shared)  # the third entry's blob, not the second's
    read = reading.read_payload(payload)
    assert read == sorted_entries(entries)
    assert [(e.name, e.shares_primary) for e in read] == [
        ("_hashlib", None),
        ("_ssl", "_hashlib"),
        ("zlib", None),
    ]
    assert [e.stored for e in read] == [len(shared), 0, len(shared) - 1]
    assert reading.verify_payload(payload) == []


def test_dump_stops_quietly_when_its_reader_goes_away(payload_dump: Path, tmp_path: Path) -> None:
    """``payload-dump FILE | head -1``: status 0 and nothing on stderr (it panicked on
    the broken pipe)."""
    raw = tmp_path / "payload.bin"
    raw.write_bytes(packing.write_payload(random_entries(7, 3000)))
    reader = subprocess.run(
        f"'{payload_dump}' --raw '{raw}' | head -1; echo ${{PIPESTATUS[0]}} >&2",
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert len(reader.stdout.splitlines()) == 1
    assert reader.stderr == "0\n"
