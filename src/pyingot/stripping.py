"""Stripping shared objects of what nothing reads at run time.

Wheels ship their compiled code with its symbol tables (numpy 2.3.5's OpenBLAS and
``_multiarray_umath``): 1.9 of its 45.7 MB, which an executable would carry and copy
into memory at every start. :func:`strip_shared_objects` strips the shared objects a
``pip install`` put in the dependency cache, once, in place; :func:`strip` is the ELF
rewrite, with the structures :mod:`pyingot.elf` reads.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import posixpath
import shutil
from collections.abc import Mapping, Sequence

from pyingot.elf import (
    EHDR,
    ELFCLASS64,
    ELFDATA2LSB,
    ET_DYN,
    MAGIC,
    PHDR,
    PT_LOAD,
    SHDR,
)
from pyingot.errors import PyingotError
from pyingot.resources.scan import InstalledDistribution

_SHF_ALLOC = 0x2
_SHF_INFO_LINK = 0x40
_SHT_NOBITS = 8
_SHT_REL = 9
_SHT_RELA = 4
_SHN_LORESERVE = 0xFF00

#: Sections nothing reads at run time: the static symbol table and its strings, the
#: compiler's notes, debugging information (DWARF, MiniDebugInfo, the link to a
#: separate debug file). Loading reads the program headers and what they map.
STRIPPED_SECTIONS: frozenset[str] = frozenset(
    {".symtab", ".strtab", ".comment", ".gnu_debuglink", ".gnu_debugdata"}
)


def _stripped(name: str) -> bool:
    return name in STRIPPED_SECTIONS or name.startswith((".debug", ".zdebug"))


def strip(data: bytes) -> bytes:
    """``data`` (a shared object) without the sections that only debuggers and
    ``nm`` read (:data:`STRIPPED_SECTIONS`, ``.debug*``). Every byte the loader reads
    stays as it was; the gaps the dropped sections leave are closed, by whole multiples
    of the alignment of the segments after them (patchelf, which auditwheel runs,
    appends segments after the symbol table), and the section header table is
    rewritten without them. numpy 2.3.5's wheel: 45.7 MB of extension modules and
    libraries, 1.9 MB less.

    ``data`` itself when there is nothing to strip, or when it is not a shared
    object whose section headers this can rewrite (another ELF type or class,
    extended section numbering, a kept section that links to a stripped one)."""
    view = memoryview(data)
    if len(view) < 16 + EHDR.size or bytes(view[:4]) != MAGIC:
        return data
    if view[4] != ELFCLASS64 or view[5] != ELFDATA2LSB:
        return data
    header = list(EHDR.unpack_from(view, 16))
    e_type, e_phoff, e_shoff = header[0], header[4], header[5]
    e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx = header[8:13]
    if e_type != ET_DYN or not e_shoff or not e_shnum or e_shentsize != SHDR.size:
        return data
    if e_shstrndx >= _SHN_LORESERVE or e_shstrndx >= e_shnum:
        return data
    if e_shoff + e_shnum * e_shentsize > len(view) or e_phoff + e_phnum * e_phentsize > len(view):
        return data
    sections = [list(SHDR.unpack_from(view, e_shoff + i * e_shentsize)) for i in range(e_shnum)]
    names_at, names_size = sections[e_shstrndx][4], sections[e_shstrndx][5]
    if names_at + names_size > len(view):
        return data
    names = bytes(view[names_at : names_at + names_size])

    def section_name(index: int) -> str:
        start = sections[index][0]
        end = names.find(b"\0", start)
        return names[start:end].decode("latin-1") if 0 <= start < len(names) and end >= 0 else ""

    drop = {
        i
        for i in range(1, e_shnum)
        if not sections[i][2] & _SHF_ALLOC and i != e_shstrndx and _stripped(section_name(i))
    }
    kept = [i for i in range(e_shnum) if i not in drop]
    for i in kept:
        link, info = sections[i][6], sections[i][7]
        refers = link in drop or (
            (sections[i][1] in (_SHT_REL, _SHT_RELA) or sections[i][2] & _SHF_INFO_LINK)
            and info in drop
        )
        if refers:
            return data
    if not drop:
        return data

    # The byte ranges that stay: the headers, every segment, the kept sections. The
    # gaps between them go, each by a multiple of the alignment of every segment
    # after it (a segment's offset and address must stay congruent modulo it).
    programs = [list(PHDR.unpack_from(view, e_phoff + i * e_phentsize)) for i in range(e_phnum)]
    ranges = [(0, 16 + EHDR.size), (e_phoff, e_phoff + e_phnum * e_phentsize)]
    ranges += [(p[2], p[2] + p[5]) for p in programs if p[5]]
    ranges += [
        (sections[i][4], sections[i][4] + sections[i][5])
        for i in kept
        if i and sections[i][1] != _SHT_NOBITS and sections[i][5]
    ]
    if any(b > len(view) for _, b in ranges):
        return data
    ranges.sort()
    merged: list[list[int]] = []
    for a, b in ranges:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])

    def alignment_after(offset: int) -> int:
        aligns = [max(p[7], 1) for p in programs if p[0] == PT_LOAD and p[2] >= offset]
        aligns += [max(sections[i][8], 1) for i in kept if i and sections[i][4] >= offset]
        return max(aligns, default=1)

    out = bytearray()
    shifts: list[tuple[int, int, int]] = []  # (start, end, how far it moved down)
    position = 0
    for a, b in merged:
        gap = a - position
        align = alignment_after(a)
        cut = gap - gap % align if gap > 0 else 0
        out += view[position : a - cut] if a - cut > position else b""
        shift = a - len(out)
        out += view[a:b]
        shifts.append((a, b, shift))
        position = b

    def moved(offset: int) -> int:
        for a, b, shift in shifts:
            if a <= offset <= b:
                return offset - shift
        return offset

    for p in programs:
        p[2] = moved(p[2])
    for i in kept:
        if sections[i][1] != _SHT_NOBITS or sections[i][2] & _SHF_ALLOC:
            sections[i][4] = moved(sections[i][4])
    for i, p in enumerate(programs):
        PHDR.pack_into(out, moved(e_phoff) + i * e_phentsize, *p)
    header[4] = moved(e_phoff)
    new_index = {old: new for new, old in enumerate(kept)}
    out += bytes(-len(out) % 8)
    shoff = len(out)
    for i in kept:
        s = list(sections[i])
        s[6] = new_index.get(s[6], s[6]) if s[6] else 0
        if s[1] in (_SHT_REL, _SHT_RELA) or s[2] & _SHF_INFO_LINK:
            s[7] = new_index.get(s[7], s[7]) if s[7] else 0
        out += SHDR.pack(*s)
    header[5] = shoff
    header[11] = len(kept)
    header[12] = new_index[e_shstrndx]
    EHDR.pack_into(out, 16, *header)
    return bytes(out)


def strip_shared_objects(dists: Sequence[InstalledDistribution]) -> tuple[int, int]:
    """Strip the shared objects the distributions installed (``.so`` files and
    libraries such as ``numpy.libs/libscipy_openblas64_-….so``) of what nothing reads at
    run time (:func:`strip`), once, in the cache entry, and update their RECORD
    lines; how many were stripped, and the bytes saved. Wheels ship them with their
    symbol tables (numpy 2.3.5: OpenBLAS and ``_multiarray_umath``): 1.9 of its 45.7 MB
    of compiled code, which the runtime would copy into memory at every start."""
    count = saved = 0
    for dist in dists:
        changed: dict[str, bytes] = {}
        for rel in dist.files:
            leaf = rel.rpartition("/")[2]
            if not (leaf.endswith(".so") or ".so." in leaf):
                continue
            path = dist.root / rel
            try:
                data = path.read_bytes()
            except OSError:
                continue
            stripped = strip(data)
            if stripped is data:
                continue
            partial = path.with_name(f".{path.name}.strip")
            try:
                partial.write_bytes(stripped)
                shutil.copymode(path, partial)
                os.replace(partial, path)
            except OSError as e:
                raise PyingotError(
                    f"cannot write the stripped copy of {path} ({e.strerror or e})",
                    hint="free some space in the user cache directory, or set "
                    "PYINGOT_CACHE_DIR to another one",
                ) from e
            changed[rel] = stripped
            count += 1
            saved += len(data) - len(stripped)
        if changed:
            _update_record(dist, changed)
    return count, saved


def _update_record(dist: InstalledDistribution, changed: Mapping[str, bytes]) -> None:
    """Rewrite the hash and size of the ``changed`` files in ``dist``'s RECORD."""
    record = dist.root / dist.dist_info / "RECORD"
    try:
        text = record.read_text(encoding="utf-8")
    except OSError:
        return
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows:
        data = changed.get(posixpath.normpath(row[0])) if row else None
        if data is not None and len(row) >= 3:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            row[1], row[2] = f"sha256={digest.decode()}", str(len(data))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    record.write_text(out.getvalue(), encoding="utf-8")
