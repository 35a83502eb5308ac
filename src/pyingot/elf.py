"""Read what the dynamic loader reads from an ELF shared object, in pure Python.

The build needs four facts about each compiled extension module and each shared
library a wheel bundles (``numpy.libs/libscipy_openblas64_-….so``): the machine it
was built for, its ``DT_SONAME`` (the name the loader knows it by), its
``DT_NEEDED`` entries (the libraries it needs, by soname) and its ``DT_RPATH`` /
``DT_RUNPATH`` (where the loader looks for them: ``$ORIGIN/../numpy.libs``). With
them the build embeds the libraries an extension needs, in the order the runtime
must load them. The ``PyInit_*`` functions an object exports tell an extension
module from a plain library where the file name cannot.

Only 64-bit little-endian objects are read (x86-64 and AArch64 Linux, the
platforms a static CPython distribution targets); anything else fails with a
message that says what the file is.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from pyingot.errors import PyingotError

MAGIC = b"\x7fELF"
_ELFCLASS64 = 2
_ELFDATA2LSB = 1
ET_DYN = 3

#: ``e_machine`` values, named as ``readelf -h`` and the platform tags name them.
MACHINES = {
    3: "x86",
    8: "mips",
    20: "ppc",
    21: "ppc64",
    22: "s390x",
    40: "arm",
    62: "x86_64",
    183: "aarch64",
    243: "riscv64",
}

_PT_LOAD = 1
_PT_DYNAMIC = 2
_SHT_DYNSYM = 11

_DT_NULL = 0
_DT_NEEDED = 1
_DT_STRTAB = 5
_DT_STRSZ = 10
_DT_SONAME = 14
_DT_RPATH = 15
_DT_RUNPATH = 29

_STB_GLOBAL = 1
_STB_WEAK = 2
_SHN_UNDEF = 0

# e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
# e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx (after the 16-byte e_ident).
_EHDR = struct.Struct("<HHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")  # p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, ...
_SHDR = struct.Struct("<IIQQQQIIQQ")  # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, ...
_DYN = struct.Struct("<qQ")
_SYM = struct.Struct("<IBBHQQ")


class ElfError(PyingotError):
    """A file that is not a 64-bit little-endian ELF shared object, or is damaged."""


@dataclass(frozen=True)
class DynamicInfo:
    """What the dynamic loader reads from one shared object."""

    #: ``e_machine`` as a name (``"x86_64"``), or ``"machine <n>"`` for an unknown one.
    machine: str
    soname: str | None
    needed: tuple[str, ...]
    #: ``DT_RPATH`` and ``DT_RUNPATH``, split at ``:``, ``$ORIGIN`` not expanded.
    rpath: tuple[str, ...]
    runpath: tuple[str, ...]
    #: Defined dynamic symbols named ``PyInit_*``; ``None`` when the object has no
    #: section headers to find its symbol table by (``strip --strip-all`` keeps them).
    py_init: frozenset[str] | None

    def search_path(self, origin: Path) -> tuple[Path, ...]:
        """The directories the loader searches for this object's ``needed``, in order.

        As ld.so does: ``DT_RUNPATH`` when present (``DT_RPATH`` is then ignored),
        else ``DT_RPATH``; ``$ORIGIN`` is ``origin``, the object's directory.
        """
        out = []
        for entry in self.runpath or self.rpath:
            if not entry:
                continue
            text = entry.replace("${ORIGIN}", str(origin)).replace("$ORIGIN", str(origin))
            out.append(Path(text))
        return tuple(out)


def read_file(path: Path) -> DynamicInfo:
    """:func:`parse` for a file, mapped rather than read: only the pages parsed are loaded."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            if size == 0:
                raise ElfError(f"{path}: not an ELF file (it is empty)")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return parse(data, name=str(path))
    except OSError as e:
        raise PyingotError(f"cannot read {path} ({e.strerror or e})") from e


def parse(data: bytes | bytearray | memoryview | mmap.mmap, *, name: str) -> DynamicInfo:
    """The dynamic section of the ELF shared object ``data``; ``name`` is for messages."""
    # Released on the way out, so that a mapped file can be closed after.
    with memoryview(data) as base, base.cast("B") as view:
        return _parse(view, name)


def _parse(view: memoryview, name: str) -> DynamicInfo:

    def bad(problem: str) -> ElfError:
        return ElfError(
            f"{name}: {problem}",
            hint="the file is damaged or is not a shared library; reinstall the package "
            "that ships it",
        )

    if len(view) < 16 or bytes(view[:4]) != MAGIC:
        raise ElfError(f"{name}: not an ELF file")
    if view[4] != _ELFCLASS64 or view[5] != _ELFDATA2LSB:
        bits = {1: "32-bit", 2: "64-bit"}.get(view[4], f"class {view[4]}")
        order = {1: "little-endian", 2: "big-endian"}.get(view[5], f"data encoding {view[5]}")
        raise ElfError(
            f"{name}: a {bits} {order} ELF file; only 64-bit little-endian objects are supported",
            hint="it was built for another platform: use the package built for this one",
        )
    if len(view) < 16 + _EHDR.size:
        raise bad("truncated ELF header")
    (
        e_type,
        e_machine,
        _,
        _,
        e_phoff,
        e_shoff,
        _,
        _,
        e_phentsize,
        e_phnum,
        e_shentsize,
        e_shnum,
    ) = _EHDR.unpack_from(view, 16)[:12]
    machine = MACHINES.get(e_machine, f"machine {e_machine}")
    if e_type != ET_DYN:
        kind = {1: "a relocatable object (.o)", 2: "an executable", 4: "a core dump"}.get(
            e_type, f"ELF type {e_type}"
        )
        raise bad(f"{kind}, not a shared object")

    def load_segments() -> list[tuple[int, int, int]]:
        if e_phentsize < _PHDR.size or e_phoff + e_phnum * e_phentsize > len(view):
            raise bad("program headers out of bounds")
        out = []
        for i in range(e_phnum):
            p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = _PHDR.unpack_from(
                view, e_phoff + i * e_phentsize
            )
            out.append((p_type, p_offset, p_vaddr, p_filesz))
        return [(o, v, s) for t, o, v, s in out if t == _PT_LOAD] + [
            (o, -1, s) for t, o, _, s in out if t == _PT_DYNAMIC
        ]

    segments = load_segments()
    loads = [(o, v, s) for o, v, s in segments if v >= 0]
    dynamic = [(o, s) for o, v, s in segments if v < 0]

    def file_offset(vaddr: int) -> int:
        for offset, start, size in loads:
            if start <= vaddr < start + size:
                return offset + vaddr - start
        raise bad(f"address 0x{vaddr:x} is in no loaded segment")

    tags: list[tuple[int, int]] = []
    if dynamic:
        offset, size = dynamic[0]
        if offset + size > len(view):
            raise bad("dynamic section out of bounds")
        for pos in range(offset, offset + size - _DYN.size + 1, _DYN.size):
            tag, value = _DYN.unpack_from(view, pos)
            if tag == _DT_NULL:
                break
            tags.append((tag, value))
    strtab = next((v for t, v in tags if t == _DT_STRTAB), None)
    strsz = next((v for t, v in tags if t == _DT_STRSZ), 0)
    strings = b""
    if strtab is not None:
        start = file_offset(strtab)
        if start + strsz > len(view):
            raise bad("dynamic string table out of bounds")
        strings = bytes(view[start : start + strsz])

    def string(index: int) -> str:
        end = strings.find(b"\0", index)
        if index >= len(strings) or end < 0:
            raise bad(f"string {index} is outside the dynamic string table")
        return strings[index:end].decode("utf-8", "surrogateescape")

    def strings_of(tag: int) -> list[str]:
        return [string(v) for t, v in tags if t == tag]

    sonames = strings_of(_DT_SONAME)
    return DynamicInfo(
        machine=machine,
        soname=sonames[0] if sonames else None,
        needed=tuple(strings_of(_DT_NEEDED)),
        rpath=tuple(p for s in strings_of(_DT_RPATH) for p in s.split(":")),
        runpath=tuple(p for s in strings_of(_DT_RUNPATH) for p in s.split(":")),
        py_init=_py_init(view, e_shoff, e_shentsize, e_shnum),
    )


def _py_init(
    view: memoryview, e_shoff: int, e_shentsize: int, e_shnum: int
) -> frozenset[str] | None:
    """The defined ``PyInit_*`` symbols of the ``.dynsym`` section, found by section headers."""
    if not e_shoff or not e_shnum or e_shentsize < _SHDR.size:
        return None
    if e_shoff + e_shnum * e_shentsize > len(view):
        return None  # section headers are optional for loading; a cut table is no answer
    sections = [_SHDR.unpack_from(view, e_shoff + i * e_shentsize) for i in range(e_shnum)]
    found: set[str] = set()
    for _, sh_type, _, _, sh_offset, sh_size, sh_link, _, _, sh_entsize in sections:
        if sh_type != _SHT_DYNSYM or sh_link >= len(sections):
            continue
        str_offset, str_size = sections[sh_link][4], sections[sh_link][5]
        if sh_offset + sh_size > len(view) or str_offset + str_size > len(view):
            return None
        entsize = sh_entsize or _SYM.size
        names = bytes(view[str_offset : str_offset + str_size])
        for pos in range(sh_offset, sh_offset + sh_size - _SYM.size + 1, entsize):
            st_name, st_info, _, st_shndx, _, _ = _SYM.unpack_from(view, pos)
            if st_shndx == _SHN_UNDEF or (st_info >> 4) not in (_STB_GLOBAL, _STB_WEAK):
                continue
            if names.startswith(b"PyInit_", st_name):
                end = names.find(b"\0", st_name)
                found.add(names[st_name : end if end >= 0 else None].decode("ascii", "replace"))
        return frozenset(found)
    return None
