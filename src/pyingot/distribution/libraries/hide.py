"""Make a static archive's symbols invisible outside the executable that links it.

An executable built from a portable distribution exports CPython's API
(``--export-dynamic``) for the extension modules it loads. Without care it would
export every function of OpenSSL, SQLite, zlib ... too, and a wheel that bundles
its own ``libssl`` or ``libz`` (psycopg2-binary, Pillow) would have its calls
bound to our copies. GNU ld's ``--exclude-libs,ALL`` prevents that, but zig's
linker rejects it and ignores ``--version-script`` for executables
(ziglang/zig#19870). ``-fvisibility=hidden`` is no replacement either: ncurses,
liblzma and OpenSSL's assembly mark their API visible explicitly.

So, after a library is built, every defined GLOBAL or WEAK symbol of default
visibility in each object of its archives gets ``STV_HIDDEN``. Hidden symbols
still link across the objects of the final executable; they just never reach
its dynamic symbol table. Only the ``st_other`` byte of each symbol changes, so
the archive is patched in place: member sizes and the archive index stay valid.
"""

from __future__ import annotations

import struct
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

from pyingot import elf
from pyingot.errors import PyingotError

_AR_MAGIC = b"!<arch>\n"
_AR_HEADER = 60
#: Archive members that are tables, not objects: GNU symbol index, long names.
_AR_SPECIAL = frozenset({"/", "//", "/SYM64/", "__.SYMDEF", "__.SYMDEF SORTED"})

_SHT_SYMTAB = 2
_STB_LOCAL = 0
_SHN_UNDEF = 0
_STV_DEFAULT = 0
_STV_HIDDEN = 2
_ET_REL = 1
_EM_X86_64 = 62


@dataclass(frozen=True)
class Visible:
    """A symbol an archive member still exports."""

    member: str
    symbol: str


def hide_archive(path: Path, keep: Container[str] = ()) -> int:
    """Hide every exported symbol of ``path``'s objects but those named in ``keep``,
    in place; return how many were hidden."""
    data = bytearray(path.read_bytes())
    count = 0
    for name, start, end in _members(data, path):
        count += len(_scan(data, start, end, path, name, patch=True, keep=keep))
    path.write_bytes(data)
    return count


def visible_symbols(path: Path) -> list[Visible]:
    """The defined, non-local symbols of default visibility left in ``path``."""
    data = bytearray(path.read_bytes())
    return [
        Visible(name, symbol)
        for name, start, end in _members(data, path)
        for symbol in _scan(data, start, end, path, name, patch=False)
    ]


def _members(data: bytearray, path: Path) -> list[tuple[str, int, int]]:
    """(name, start, end) of each object member of a System V / GNU archive."""
    if not data.startswith(_AR_MAGIC):
        raise PyingotError(f"{path} is not an ar archive (a static library)")
    out = []
    long_names = b""
    pos = len(_AR_MAGIC)
    while pos + _AR_HEADER <= len(data):
        header = bytes(data[pos : pos + _AR_HEADER])
        if header[58:60] != b"`\n":
            raise PyingotError(f"{path}: damaged archive member header at offset {pos}")
        raw_name = header[:16].decode("ascii", "replace").rstrip()
        size = int(header[48:58].decode("ascii").strip() or 0)
        start = pos + _AR_HEADER
        name = raw_name
        if raw_name.startswith("#1/"):  # BSD: the name precedes the data
            n = int(raw_name[3:])
            name = bytes(data[start : start + n]).rstrip(b"\0").decode("utf-8", "replace")
            start += n
        elif raw_name == "//":
            long_names = bytes(data[start : start + size])
        elif raw_name.startswith("/") and raw_name[1:].isdigit():  # GNU long name
            offset = int(raw_name[1:])
            end_name = long_names.find(b"/\n", offset)
            name = long_names[offset:end_name].decode("utf-8", "replace")
        else:
            name = raw_name.removesuffix("/")
        if raw_name not in _AR_SPECIAL and size:
            out.append((name, start, pos + _AR_HEADER + size))
        pos += _AR_HEADER + size + (size & 1)
    return out


def _scan(
    data: bytearray,
    start: int,
    end: int,
    path: Path,
    member: str,
    *,
    patch: bool,
    keep: Container[str] = (),
) -> list[str]:
    """Names of the member's exported symbols (but those in ``keep``); with
    ``patch``, hide them as found."""
    if bytes(data[start : start + 4]) != b"\x7fELF":
        raise PyingotError(
            f"{path}: member {member} is not an ELF object",
            hint="an LTO (bitcode) or foreign object cannot have its symbols hidden; "
            "build the library without -flto",
        )
    if data[start + 4] != 2 or data[start + 5] != 1:
        raise PyingotError(f"{path}: member {member} is not a 64-bit little-endian ELF object")
    e_type, e_machine = struct.unpack_from("<HH", data, start + 16)
    if e_type != _ET_REL or e_machine != _EM_X86_64:
        raise PyingotError(
            f"{path}: member {member} is not an x86-64 relocatable object "
            f"(type {e_type}, machine {e_machine})"
        )
    (e_shoff,) = struct.unpack_from("<Q", data, start + 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, start + 0x3A)
    if start + e_shoff + e_shnum * e_shentsize > end:
        raise PyingotError(f"{path}: member {member} has section headers out of bounds")
    sections = [
        elf.SHDR.unpack_from(data, start + e_shoff + i * e_shentsize) for i in range(e_shnum)
    ]
    found = []
    for _, sh_type, _, _, sh_offset, sh_size, sh_link, _, _, sh_entsize in sections:
        if sh_type != _SHT_SYMTAB:
            continue
        str_offset = start + sections[sh_link][4]
        entsize = sh_entsize or elf.SYM.size
        for off in range(start + sh_offset, start + sh_offset + sh_size, entsize):
            st_name, st_info, st_other, st_shndx, _, _ = elf.SYM.unpack_from(data, off)
            if st_info >> 4 == _STB_LOCAL or st_shndx == _SHN_UNDEF:
                continue
            if st_other & 3 != _STV_DEFAULT:
                continue  # already hidden, internal or protected
            name_end = data.index(b"\0", str_offset + st_name)
            symbol = bytes(data[str_offset + st_name : name_end]).decode("utf-8", "replace")
            if symbol in keep:
                continue
            found.append(symbol)
            if patch:
                data[off + 5] = (st_other & ~3) | _STV_HIDDEN
    return found
