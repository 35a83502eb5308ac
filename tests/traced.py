"""What an executable touched, read from an ``strace -f -e trace=%file`` log.

The tier-3 rule, checked by several test files: no Python code (.py, .pyc) or
shared object (.so) is opened from disk, glibc's libraries and the in-memory
files at /proc/self/fd/N aside, and nothing is written under /tmp. The C++
runtime a manylinux wheel may need (libstdc++, libgcc_s) is the other exception:
no copy of it fits glibc 2.17, so pyingot leaves it to the target system, as
manylinux does (docs/executables.md, "glibc floor").
"""

from __future__ import annotations

import re
from pathlib import Path

#: glibc's libraries, which the system's dynamic loader opens from disk.
GLIBC_SO = re.compile(
    r'"/(usr/)?lib(64)?/(x86_64-linux-gnu/)?'
    r'(libc|libm|libpthread|libdl|librt|libutil|libresolv|libanl)\.so\.[0-9]+"'
)
#: The C++ runtime manylinux wheels expect from the system (see above).
MANYLINUX_CXX_SO = re.compile(
    r'"/(usr/)?lib(64)?/(x86_64-linux-gnu/)?(libstdc\+\+|libgcc_s)\.so\.[0-9]+"'
)
_OPEN = re.compile(r"\b(open|openat|creat)\(")
_CODE = re.compile(r'"[^"]*\.(py|pyc|so)(\.[0-9.]+)?"')
_WRITE = re.compile(
    r"^\d+\s+(mkdirat?|renameat2?|rename|unlinkat|unlink|linkat|link|symlinkat|symlink|"
    r"creat)\(|\bopen(at)?\(.*(O_WRONLY|O_RDWR|O_CREAT)"
)


def _outside(lines: list[str], own: Path | None) -> list[str]:
    if own is None:
        return lines
    return [ln for ln in lines if f'"{own}/' not in ln and f'"{own}"' not in ln]


def code_from_disk(lines: list[str], *, own: Path | None = None) -> list[str]:
    """Successful opens of .py/.pyc/.so files that are neither glibc's nor memfds.

    ``own``: a directory of the test's own (the user's files, HOME) left out.
    """
    return [
        ln
        for ln in _outside(lines, own)
        if _OPEN.search(ln)
        and "ENOENT" not in ln
        and _CODE.search(ln)
        and not GLIBC_SO.search(ln)
        and not MANYLINUX_CXX_SO.search(ln)
        and "/proc/self/fd/" not in ln
    ]


def writes(lines: list[str], *, own: Path | None = None) -> list[str]:
    """Calls that create, write, rename or remove anything, anywhere."""
    return [ln for ln in _outside(lines, own) if _WRITE.search(ln)]


def writes_under_tmp(lines: list[str], *, own: Path | None = None) -> list[str]:
    """Calls that create, write, rename or remove anything under /tmp."""
    return [ln for ln in writes(lines, own=own) if '"/tmp' in ln]
