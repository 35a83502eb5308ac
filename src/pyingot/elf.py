"""Read what the dynamic loader reads from an ELF shared object, in pure Python.

The build needs four facts about each compiled extension module and each shared
library a wheel bundles (``numpy.libs/libscipy_openblas64_-….so``): the machine it
was built for, its ``DT_SONAME`` (the name the loader knows it by), its
``DT_NEEDED`` entries (the libraries it needs, by soname) and its ``DT_RPATH`` /
``DT_RUNPATH`` (where the loader looks for them: ``$ORIGIN/../numpy.libs``). With
them the build embeds the libraries an extension needs, in the order the runtime
must load them. The ``PyInit_*`` functions an object exports tell an extension
module from a plain library where the file name cannot.

It also reads the symbol versions an object needs (``.gnu.version_r``, and
``.gnu.version`` to name the symbols bound to each): the highest ``GLIBC_2.N``
among them is the oldest glibc the object runs with, which the build holds to
``[tool.pyingot] glibc``.

Only 64-bit little-endian objects are read (x86-64 and AArch64 Linux, the
platforms a static CPython distribution targets); anything else fails with a
message that says what the file is.
"""

from __future__ import annotations

import json
import mmap
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pyingot import cache, digests
from pyingot.errors import PyingotError
from pyingot.glibc import GlibcVersion

T = TypeVar("T")
Buffer = bytes | bytearray | memoryview | mmap.mmap

MAGIC = b"\x7fELF"
ELFCLASS64 = 2
ELFDATA2LSB = 1
_ET_EXEC = 2
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

PT_LOAD = 1
_PT_DYNAMIC = 2
_SHT_DYNSYM = 11
_SHT_GNU_VERSYM = 0x6FFFFFFF

_DT_NULL = 0
_DT_NEEDED = 1
_DT_PLTRELSZ = 2
_DT_HASH = 4
_DT_STRTAB = 5
_DT_SYMTAB = 6
_DT_RELA = 7
_DT_RELASZ = 8
_DT_STRSZ = 10
_DT_SYMENT = 11
_DT_SONAME = 14
_DT_RPATH = 15
_DT_REL = 17
_DT_RELSZ = 18
_DT_PLTREL = 20
_DT_JMPREL = 23
_DT_RUNPATH = 29
_DT_GNU_HASH = 0x6FFFFEF5
_DT_VERSYM = 0x6FFFFFF0
_DT_VERNEED = 0x6FFFFFFE
_DT_VERNEEDNUM = 0x6FFFFFFF

#: A DT_VERSYM entry's index; the top bit marks a hidden version.
_VERSYM_INDEX = 0x7FFF

_STB_GLOBAL = 1
_STB_WEAK = 2
_SHN_UNDEF = 0

# e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
# e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx (after the 16-byte e_ident).
EHDR = struct.Struct("<HHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")  # p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, ...
SHDR = struct.Struct("<IIQQQQIIQQ")  # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, ...
_DYN = struct.Struct("<qQ")
SYM = struct.Struct("<IBBHQQ")  # st_name, st_info, st_other, st_shndx, st_value, st_size
_RELA = struct.Struct("<QQq")  # r_offset, r_info, r_addend
_REL = struct.Struct("<QQ")
_VERNEED = struct.Struct("<HHIII")  # vn_version, vn_cnt, vn_file, vn_aux, vn_next
_VERNAUX = struct.Struct("<IHHII")  # vna_hash, vna_flags, vna_other, vna_name, vna_next


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


@dataclass(frozen=True)
class VersionNeed:
    """One symbol version an object needs from a library (an entry of ``.gnu.version_r``)."""

    #: The library, by soname: ``libc.so.6``.
    file: str
    #: ``GLIBC_2.34``.
    version: str
    #: The object's symbols bound to that version, sorted (``objdump -T`` shows them
    #: as ``(GLIBC_2.34) pthread_create``): undefined ones, and in an executable the
    #: library's data it copies in (``stdout``).
    symbols: tuple[str, ...]


def read_file(path: Path) -> DynamicInfo:
    """:func:`parse` for a file, mapped rather than read: only the pages parsed are
    loaded. The answer is kept in the user cache under the file's identity
    (:func:`pyingot.digests.identity`): finding the ``PyInit_`` functions reads every
    dynamic symbol, 23 ms of each rebuild of the numpy example."""
    try:
        ident = digests.identity(path, path.stat())
    except OSError as e:
        raise PyingotError(f"cannot read {path} ({e.strerror or e})") from e
    if ident is None:
        return _mapped(path, parse)
    key = {**ident, "parser": _PARSER_VERSION}
    return _info_from_json(
        cache.memo("elf-dynamic", key, lambda: _info_to_json(_mapped(path, parse)))
    )


#: Names the shape of what :func:`read_file` keeps: change it with :class:`DynamicInfo`
#: or with what parsing finds.
_PARSER_VERSION = 1


def _info_to_json(info: DynamicInfo) -> str:
    return json.dumps(
        {
            "machine": info.machine,
            "soname": info.soname,
            "needed": info.needed,
            "rpath": info.rpath,
            "runpath": info.runpath,
            "py_init": None if info.py_init is None else sorted(info.py_init),
        }
    )


def _info_from_json(text: str) -> DynamicInfo:
    j = json.loads(text)
    return DynamicInfo(
        machine=j["machine"],
        soname=j["soname"],
        needed=tuple(j["needed"]),
        rpath=tuple(j["rpath"]),
        runpath=tuple(j["runpath"]),
        py_init=None if j["py_init"] is None else frozenset(j["py_init"]),
    )


def parse(data: Buffer, *, name: str) -> DynamicInfo:
    """The dynamic section of the ELF shared object ``data``; ``name`` is for messages."""
    # Released on the way out, so that a mapped file can be closed after.
    with memoryview(data) as base, base.cast("B") as view:
        image = _Image(view, name, executable=False)
        sonames = image.strings_of(_DT_SONAME)
        return DynamicInfo(
            machine=image.machine,
            soname=sonames[0] if sonames else None,
            needed=tuple(image.strings_of(_DT_NEEDED)),
            rpath=tuple(p for s in image.strings_of(_DT_RPATH) for p in s.split(":")),
            runpath=tuple(p for s in image.strings_of(_DT_RUNPATH) for p in s.split(":")),
            py_init=_py_init(image),
        )


def read_version_needs(path: Path) -> tuple[VersionNeed, ...]:
    """:func:`version_needs` for a file, mapped rather than read."""
    return _mapped(path, version_needs)


def version_needs(data: Buffer, *, name: str) -> tuple[VersionNeed, ...]:
    """The symbol versions the shared object or executable ``data`` needs, in the
    order of its ``.gnu.version_r``, each with the symbols bound to it.

    Read from the dynamic segment as the loader reads it (``DT_VERNEED``,
    ``DT_VERSYM``, ``DT_SYMTAB``), so section headers are not needed: they only
    give the number of symbols, which :func:`_symbol_count` finds without them too.
    An object without ``DT_VERNEED`` needs no version.
    """
    with memoryview(data) as base, base.cast("B") as view:
        return _version_needs(_Image(view, name, executable=True))


def glibc_needs(data: Buffer, *, name: str) -> dict[str, tuple[str, ...]]:
    """The glibc versions ``data`` needs (``GLIBC_2.34``, from any of glibc's libraries),
    each with the symbols that need it, sorted; ``GLIBC_PRIVATE`` is left out."""
    return glibc_of(version_needs(data, name=name))


def glibc_of(needs: Iterable[VersionNeed]) -> dict[str, tuple[str, ...]]:
    """:func:`glibc_needs` of needs already read."""
    out: dict[str, set[str]] = {}
    for need in needs:
        if GlibcVersion.of_symbol_version(need.version) is not None:
            out.setdefault(need.version, set()).update(need.symbols)
    return {version: tuple(sorted(symbols)) for version, symbols in sorted(out.items())}


def highest_glibc(
    needs: Mapping[str, Sequence[str]],
) -> tuple[GlibcVersion, tuple[str, ...]] | None:
    """The highest of :func:`glibc_needs` and the symbols that need it; ``None`` when
    nothing needs a glibc version."""
    versions = [(v, name) for name in needs if (v := GlibcVersion.of_symbol_version(name))]
    if not versions:
        return None
    version, name = max(versions)
    return version, tuple(needs[name])


def _mapped(path: Path, read: Callable[..., T]) -> T:
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            if size == 0:
                raise ElfError(f"{path}: not an ELF file (it is empty)")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return read(data, name=str(path))
    except OSError as e:
        raise PyingotError(f"cannot read {path} ({e.strerror or e})") from e


class _Image:
    """What the loader reads of one ELF object: its header, loaded segments, dynamic
    tags and dynamic string table."""

    def __init__(self, view: memoryview, name: str, *, executable: bool) -> None:
        self.view = view
        self.name = name
        if len(view) < 16 or bytes(view[:4]) != MAGIC:
            raise ElfError(f"{name}: not an ELF file")
        if view[4] != ELFCLASS64 or view[5] != ELFDATA2LSB:
            bits = {1: "32-bit", 2: "64-bit"}.get(view[4], f"class {view[4]}")
            order = {1: "little-endian", 2: "big-endian"}.get(view[5], f"data encoding {view[5]}")
            raise ElfError(
                f"{name}: a {bits} {order} ELF file; only 64-bit little-endian objects are "
                "supported",
                hint="it was built for another platform: use the package built for this one",
            )
        if len(view) < 16 + EHDR.size:
            raise self.bad("truncated ELF header")
        (
            e_type,
            e_machine,
            _,
            _,
            e_phoff,
            self.e_shoff,
            _,
            _,
            e_phentsize,
            e_phnum,
            self.e_shentsize,
            self.e_shnum,
        ) = EHDR.unpack_from(view, 16)[:12]
        self.machine = MACHINES.get(e_machine, f"machine {e_machine}")
        if e_type != ET_DYN and not (executable and e_type == _ET_EXEC):
            kind = {1: "a relocatable object (.o)", 2: "an executable", 4: "a core dump"}.get(
                e_type, f"ELF type {e_type}"
            )
            wanted = "a shared object or an executable" if executable else "a shared object"
            raise self.bad(f"{kind}, not {wanted}")
        if e_phentsize < PHDR.size or e_phoff + e_phnum * e_phentsize > len(view):
            raise self.bad("program headers out of bounds")
        headers = [PHDR.unpack_from(view, e_phoff + i * e_phentsize) for i in range(e_phnum)]
        #: (file offset, address, size) of each PT_LOAD segment.
        self.loads: list[tuple[int, int, int]] = [
            (h[2], h[3], h[5]) for h in headers if h[0] == PT_LOAD
        ]
        self.tags: list[tuple[int, int]] = []
        dynamic = [(h[2], h[5]) for h in headers if h[0] == _PT_DYNAMIC]
        if dynamic:
            offset, size = dynamic[0]
            if offset + size > len(view):
                raise self.bad("dynamic section out of bounds")
            for pos in range(offset, offset + size - _DYN.size + 1, _DYN.size):
                tag, value = _DYN.unpack_from(view, pos)
                if tag == _DT_NULL:
                    break
                self.tags.append((tag, value))
        self.strings = b""
        strtab = self.tag(_DT_STRTAB)
        if strtab is not None:
            start = self.file_offset(strtab)
            strsz = self.tag(_DT_STRSZ) or 0
            if start + strsz > len(view):
                raise self.bad("dynamic string table out of bounds")
            self.strings = bytes(view[start : start + strsz])

    def bad(self, problem: str) -> ElfError:
        return ElfError(
            f"{self.name}: {problem}",
            hint="the file is damaged or is not a shared library; reinstall the package "
            "that ships it",
        )

    def tag(self, tag: int) -> int | None:
        """The value of the first dynamic entry ``tag``, if any."""
        return next((v for t, v in self.tags if t == tag), None)

    def file_offset(self, vaddr: int) -> int:
        for offset, start, size in self.loads:
            if start <= vaddr < start + size:
                return offset + vaddr - start
        raise self.bad(f"address 0x{vaddr:x} is in no loaded segment")

    def string(self, index: int) -> str:
        end = self.strings.find(b"\0", index)
        if index >= len(self.strings) or end < 0:
            raise self.bad(f"string {index} is outside the dynamic string table")
        return self.strings[index:end].decode("utf-8", "surrogateescape")

    def strings_of(self, tag: int) -> list[str]:
        return [self.string(v) for t, v in self.tags if t == tag]

    def sections(self) -> list[tuple[int, ...]] | None:
        """The section headers; ``None`` without them (they are optional for loading,
        and a cut table is no answer)."""
        e_shoff, e_shentsize, e_shnum = self.e_shoff, self.e_shentsize, self.e_shnum
        if not e_shoff or not e_shnum or e_shentsize < SHDR.size:
            return None
        if e_shoff + e_shnum * e_shentsize > len(self.view):
            return None
        return [SHDR.unpack_from(self.view, e_shoff + i * e_shentsize) for i in range(e_shnum)]

    def words(self, offset: int, count: int, what: str) -> tuple[int, ...]:
        """``count`` 32-bit words at ``offset``, checked to be inside the file."""
        if offset < 0 or offset + 4 * count > len(self.view):
            raise self.bad(f"{what} out of bounds")
        return struct.unpack_from(f"<{count}I", self.view, offset)


@dataclass(frozen=True)
class DynamicSymbols:
    """An object's dynamic symbol table, as far as binding to its host goes."""

    #: Global or weak symbols it defines (exports).
    defined: frozenset[str]
    #: Undefined, non-weak symbols without a symbol version: those the loader must
    #: find in some object already loaded (for an extension module, the executable's
    #: exported C API). Versioned ones (``memcpy@GLIBC_2.14``) are the C library's.
    unversioned_undefined: frozenset[str]


def read_dynamic_symbols(path: Path) -> DynamicSymbols:
    """:func:`dynamic_symbols` of a file."""
    return _mapped(path, dynamic_symbols)


def dynamic_symbols(data: Buffer, *, name: str) -> DynamicSymbols:
    """The ``.dynsym`` of ``data`` (found by section headers, which ``--strip-all``
    keeps); an :class:`ElfError` naming ``name`` when it has none."""
    with memoryview(data) as base, base.cast("B") as view:
        image = _Image(view, name, executable=True)
        sections = image.sections()
        if sections is None:
            raise image.bad("no section headers")
        dynsym = next((s for s in sections if s[1] == _SHT_DYNSYM), None)
        if dynsym is None or dynsym[6] >= len(sections):
            raise image.bad("no dynamic symbol table")
        versym = next((s for s in sections if s[1] == _SHT_GNU_VERSYM), None)
        sh_offset, sh_size, sh_entsize = dynsym[4], dynsym[5], dynsym[9] or SYM.size
        str_offset, str_size = sections[dynsym[6]][4], sections[dynsym[6]][5]
        if sh_offset + sh_size > len(view) or str_offset + str_size > len(view):
            raise image.bad("dynamic symbol table out of bounds")
        names = bytes(view[str_offset : str_offset + str_size])
        defined: set[str] = set()
        undefined: set[str] = set()
        for i, pos in enumerate(range(sh_offset, sh_offset + sh_size - SYM.size + 1, sh_entsize)):
            st_name, st_info, _, st_shndx, _, _ = SYM.unpack_from(view, pos)
            bind = st_info >> 4
            if not st_name or bind not in (_STB_GLOBAL, _STB_WEAK):
                continue
            end = names.find(b"\0", st_name)
            symbol = names[st_name : end if end >= 0 else None].decode("ascii", "replace")
            if st_shndx != _SHN_UNDEF:
                defined.add(symbol)
                continue
            if bind == _STB_WEAK:
                continue
            version = 0
            if versym is not None and versym[4] + 2 * i + 2 <= len(view):
                version = struct.unpack_from("<H", view, versym[4] + 2 * i)[0] & 0x7FFF
            if version <= 1:
                undefined.add(symbol)
        return DynamicSymbols(frozenset(defined), frozenset(undefined))


def _py_init(image: _Image) -> frozenset[str] | None:
    """The defined ``PyInit_*`` symbols of the ``.dynsym`` section, found by section headers."""
    view, sections = image.view, image.sections()
    if sections is None:
        return None
    found: set[str] = set()
    for _, sh_type, _, _, sh_offset, sh_size, sh_link, _, _, sh_entsize in sections:
        if sh_type != _SHT_DYNSYM or sh_link >= len(sections):
            continue
        str_offset, str_size = sections[sh_link][4], sections[sh_link][5]
        if sh_offset + sh_size > len(view) or str_offset + str_size > len(view):
            return None
        entsize = sh_entsize or SYM.size
        names = bytes(view[str_offset : str_offset + str_size])
        for pos in range(sh_offset, sh_offset + sh_size - SYM.size + 1, entsize):
            st_name, st_info, _, st_shndx, _, _ = SYM.unpack_from(view, pos)
            if st_shndx == _SHN_UNDEF or (st_info >> 4) not in (_STB_GLOBAL, _STB_WEAK):
                continue
            if names.startswith(b"PyInit_", st_name):
                end = names.find(b"\0", st_name)
                found.add(names[st_name : end if end >= 0 else None].decode("ascii", "replace"))
        return frozenset(found)
    return None


def _version_needs(image: _Image) -> tuple[VersionNeed, ...]:
    """``DT_VERNEED``'s entries, and the symbols whose ``DT_VERSYM`` index names each."""
    verneed, count = image.tag(_DT_VERNEED), image.tag(_DT_VERNEEDNUM) or 0
    if verneed is None:
        return ()
    #: vna_other (the index DT_VERSYM holds) -> (file, version name), in file order.
    by_index: dict[int, tuple[str, str]] = {}
    pos = image.file_offset(verneed)
    for _ in range(count):
        if pos + _VERNEED.size > len(image.view):
            raise image.bad("version needs out of bounds")
        _, vn_cnt, vn_file, vn_aux, vn_next = _VERNEED.unpack_from(image.view, pos)
        file = image.string(vn_file)
        aux = pos + vn_aux
        for _ in range(vn_cnt):
            if aux + _VERNAUX.size > len(image.view):
                raise image.bad("version needs out of bounds")
            _, _, vna_other, vna_name, vna_next = _VERNAUX.unpack_from(image.view, aux)
            by_index[vna_other] = (file, image.string(vna_name))
            if not vna_next:
                break
            aux += vna_next
        if not vn_next:
            break
        pos += vn_next
    symbols: dict[int, list[str]] = {index: [] for index in by_index}
    versym, symtab = image.tag(_DT_VERSYM), image.tag(_DT_SYMTAB)
    if versym is not None and symtab is not None:
        count = _symbol_count(image)
        at = image.file_offset(versym)
        if at + 2 * count > len(image.view):
            raise image.bad("symbol versions out of bounds")
        versions = struct.unpack_from(f"<{count}H", image.view, at)
        table = image.file_offset(symtab)
        entsize = image.tag(_DT_SYMENT) or SYM.size
        if table + count * entsize > len(image.view):
            raise image.bad("dynamic symbol table out of bounds")
        for i, index in enumerate(versions):
            names = symbols.get(index & _VERSYM_INDEX)
            if names is not None:
                names.append(image.string(SYM.unpack_from(image.view, table + i * entsize)[0]))
    return tuple(
        VersionNeed(file, version, tuple(sorted(set(symbols[index]))))
        for index, (file, version) in by_index.items()
    )


def _symbol_count(image: _Image) -> int:
    """How many entries ``DT_SYMTAB`` has: the size of the ``.dynsym`` section, as
    ``objdump`` reads it. The dynamic segment does not say it, so without section
    headers it is the most that the loader's hash table or relocations use: every
    symbol the loader binds has a relocation (an executable exporting nothing has an
    empty hash table)."""
    for _, sh_type, _, _, _, sh_size, _, _, _, sh_entsize in image.sections() or ():
        if sh_type == _SHT_DYNSYM:
            return int(sh_size // (sh_entsize or SYM.size))
    return max(_hashed_count(image), _relocated_count(image))


def _relocated_count(image: _Image) -> int:
    """One more than the highest symbol index of the relocation tables."""
    plt = _RELA.size if image.tag(_DT_PLTREL) != _DT_REL else _REL.size
    tables = (
        (_DT_RELA, _DT_RELASZ, _RELA.size),
        (_DT_REL, _DT_RELSZ, _REL.size),
        (_DT_JMPREL, _DT_PLTRELSZ, plt),
    )
    top = 0
    for address, size, entsize in tables:
        at, length = image.tag(address), image.tag(size) or 0
        if at is None:
            continue
        start = image.file_offset(at)
        if start + length > len(image.view):
            raise image.bad("relocations out of bounds")
        for pos in range(start, start + length - entsize + 1, entsize):
            r_info = struct.unpack_from("<Q", image.view, pos + 8)[0]
            top = max(top, (r_info >> 32) + 1)  # ELF64_R_SYM
    return top


def _hashed_count(image: _Image) -> int:
    """How many symbols the loader's hash table covers."""
    sysv = image.tag(_DT_HASH)
    if sysv is not None:
        return image.words(image.file_offset(sysv), 2, "symbol hash table")[1]  # nchain
    gnu = image.tag(_DT_GNU_HASH)
    if gnu is None:
        return 0
    # Symbols below symoffset are not hashed (the undefined ones among them); each
    # bucket starts a chain of hashed symbols whose last has bit 0 set.
    start = image.file_offset(gnu)
    nbuckets, symoffset, bloom_size, _ = image.words(start, 4, "GNU hash table")
    buckets_at = start + 16 + 8 * bloom_size
    last = max(image.words(buckets_at, nbuckets, "GNU hash table"), default=0)
    if last < symoffset:
        return symoffset
    chain_at = buckets_at + 4 * nbuckets
    while not image.words(chain_at + 4 * (last - symoffset), 1, "GNU hash chain")[0] & 1:
        last += 1
    return last + 1
