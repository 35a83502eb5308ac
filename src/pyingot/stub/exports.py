"""What the stub exports to the shared objects it loads, and what its link leaves out.

The stub's dynamic symbol table is what an extension module (a wheel's, one the
build embeds, one an application loads from disk at run time) binds to. It holds:

* the C API: every symbol libpython defines (``--export-dynamic``), all of them
  ``Py*`` or ``_Py*`` (and 3.13's ``PY_TIMEOUT_MAX``);
* the libc functions the runtime interposes (:data:`INTERPOSED`), so that an
  extension module's ``open``/``stat``/``fopen``/``dlopen`` of a path in the
  executable's view reaches the runtime, not glibc (docs/executables.md).

Not the runtime's own Rust symbols, nor ``main``: nothing binds to them, and they
were 52 KB of names and hashes in every stub. zig's linker ignores version scripts
for executables (ziglang/zig#19870), so they are hidden the way the dependency
libraries' are (:mod:`pyingot.distribution.libraries.hide`), in a copy of the
runtime archive made for each link.

The link also drops the unwind tables (``.eh_frame`` and its index, 328 KB of
hello's stub). Nothing unwinds through the stub: Rust panics abort, CPython is C,
and glibc's ``pthread_exit`` (which CPython calls to end a daemon thread during
shutdown) unwinds until the first frame without unwind data and then jumps to the
thread's start, as it does through any C code built without them. What is lost is
walking the stub's frames from outside: a debugger's or ``perf --call-graph
dwarf``'s native backtrace, which the stripped stub already shows without names.
"""

from __future__ import annotations

from typing import Final

#: The functions ``runtime/stub/src/view/interpose`` defines in glibc's stead (a
#: unit test compares this list with the Rust sources).
INTERPOSED: Final = (
    "__fxstatat",
    "__fxstatat64",
    "__lxstat",
    "__lxstat64",
    "__open64_2",
    "__open_2",
    "__openat64_2",
    "__openat_2",
    "__xstat",
    "__xstat64",
    "access",
    "chmod",
    "chown",
    "closedir",
    "creat",
    "creat64",
    "dirfd",
    "dlopen",
    "faccessat",
    "fchmodat",
    "fchownat",
    "fopen",
    "fopen64",
    "fstatat",
    "fstatat64",
    "getxattr",
    "lchown",
    "lgetxattr",
    "link",
    "linkat",
    "listxattr",
    "llistxattr",
    "lremovexattr",
    "lsetxattr",
    "lstat",
    "lstat64",
    "mkdir",
    "mkdirat",
    "mkfifo",
    "mkfifoat",
    "open",
    "open64",
    "openat",
    "openat64",
    "opendir",
    "readdir",
    "readdir64",
    "readlink",
    "readlinkat",
    "realpath",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "rewinddir",
    "rmdir",
    "seekdir",
    "setxattr",
    "stat",
    "stat64",
    "statx",
    "symlink",
    "symlinkat",
    "telldir",
    "truncate",
    "truncate64",
    "unlink",
    "unlinkat",
    "utimensat",
    "utimes",
)

#: A linker script added to the default one: the unwind tables are not output.
NO_UNWIND_TABLES: Final = (
    "SECTIONS { /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) } } INSERT AFTER .text;\n"
)
