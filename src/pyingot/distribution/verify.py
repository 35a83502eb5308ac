"""Checks of a freshly built interpreter, and the facts it reports about itself.

The recipe's promise is an interpreter that links nothing beyond glibc and has
every module the setup files made static built in; a breach of the first is the
recipe's bug, of the second usually a missing library (the log says which).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from pyingot import tools
from pyingot.errors import InternalError, PyingotError

#: Shared objects an interpreter may need at run time: glibc's.
GLIBC_SONAMES = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libpthread.so.0",
        "libdl.so.2",
        "librt.so.1",
        "libutil.so.1",
        "libresolv.so.2",
        "libanl.so.1",
        "ld-linux-x86-64.so.2",
    }
)


def interpreter(exe: Path, static_modules: set[str], log: Path) -> dict[str, object]:
    """Check ``exe`` and return what it says of itself (``sysconfig``, suffixes,
    built-in modules, the highest glibc symbol version it needs)."""
    foreign = sorted(set(_needed_sonames(exe)) - GLIBC_SONAMES)
    if foreign:
        raise InternalError(
            f"{exe} links shared libraries beyond glibc: {', '.join(foreign)}: "
            f"the recipe did not link a dependency statically (build log: {log})"
        )
    probe = tools.run([exe, "-I", "-c", _INTROSPECT], env={"PATH": os.environ.get("PATH", "")})
    if probe.returncode != 0:
        raise PyingotError(f"the built interpreter does not start:\n{probe.stderr}", log=log)
    facts: dict[str, object] = json.loads(probe.stdout)
    builtin = set(facts["builtin_module_names"])  # type: ignore[call-overload]
    missing = sorted(static_modules - builtin)
    if missing:
        raise PyingotError(
            "modules missing from the built interpreter: " + ", ".join(missing),
            hint="see the log for why they were not built",
            log=log,
        )
    facts["glibc_max"] = _glibc_max_version(exe)
    return facts


def _needed_sonames(binary: Path) -> list[str]:
    done = tools.run(["readelf", "-d", binary])
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", done.stdout)


def _glibc_max_version(binary: Path) -> str:
    done = tools.run(["objdump", "-T", binary])
    versions = {
        tuple(int(x) for x in m.split("."))
        for m in re.findall(r"GLIBC_(\d+(?:\.\d+)+)", done.stdout)
    }
    return ".".join(map(str, max(versions))) if versions else "unknown"


_INTROSPECT = r"""
import importlib.machinery as m, importlib.util, json, sys, sysconfig
print(json.dumps({
    "builtin_module_names": sorted(sys.builtin_module_names),
    "cache_tag": sys.implementation.cache_tag,
    "hexversion": hex(sys.implementation.hexversion),
    "implementation_version": [str(x) for x in sys.implementation.version],
    "paths": sysconfig.get_paths(),
    "paths_abstract": sysconfig.get_paths(expand=False),
    "config_vars": {k: str(v) for k, v in sorted(sysconfig.get_config_vars().items())},
    "suffixes": {
        "bytecode": m.BYTECODE_SUFFIXES,
        "debug_bytecode": getattr(m, "DEBUG_BYTECODE_SUFFIXES", m.BYTECODE_SUFFIXES),
        "extension": m.EXTENSION_SUFFIXES,
        "optimized_bytecode": getattr(m, "OPTIMIZED_BYTECODE_SUFFIXES", m.BYTECODE_SUFFIXES),
        "source": m.SOURCE_SUFFIXES,
    },
    "extension_suffix": m.EXTENSION_SUFFIXES[0],
    "magic": importlib.util.MAGIC_NUMBER.hex(),
}))
"""
