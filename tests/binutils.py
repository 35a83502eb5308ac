"""What binutils says of an ELF file: the reference pyingot's own reader is held to."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def readelf(path: Path) -> tuple[str | None, list[str], list[str]]:
    """(soname, needed, runpath) as binutils reads them."""
    out = subprocess.run(["readelf", "-dW", str(path)], capture_output=True, text=True).stdout
    soname = re.findall(r"\(SONAME\)\s+Library soname: \[(.*?)\]", out)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]", out)
    runpath = re.findall(r"\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*?)\]", out)
    return (soname[0] if soname else None), needed, runpath


def objdump_version_needs(path: Path) -> set[tuple[str, str]]:
    """(version, symbol) for each symbol bound to a version the object needs, as
    ``objdump -T`` shows them: its undefined symbols, and in an executable the data it
    copies in from a library (``stdout``, defined in its own ``.bss``), which carry the
    library's version where the object defines no version of that name."""
    out = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True).stdout
    headers = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True).stdout
    block = headers.partition("Version definitions:")[2].partition("Version References:")[0]
    defined = set(re.findall(r"^\d+ 0x[0-9a-f]+ 0x[0-9a-f]+ (\S+)$", block, re.M))
    found = set()
    for section, version, symbol in re.findall(
        r"^[0-9a-f]{16} .{7} (\S+)\s+[0-9a-f]{16}\s+\((\S+)\)\s+(\S+)$", out, re.M
    ):
        if section == "*UND*" or version not in defined:
            found.add((version, symbol))
    return found


def objdump_version_references(path: Path) -> list[tuple[str, str]]:
    """(library, version) for each entry of ``objdump -p``'s "Version References"."""
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True).stdout
    found = []
    library = ""
    for line in out.partition("Version References:")[2].splitlines():
        if m := re.match(r"\s+required from (\S+):$", line):
            library = m[1]
        elif m := re.match(r"\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\S+)$", line):
            found.append((library, m[1]))
    return found


def strings(path: Path, min_length: int = 8) -> list[str]:
    """The printable strings of ``path``, as ``strings -a`` finds them: what is left
    of a library linked into a stripped executable (OpenSSL's source paths...)."""
    out = subprocess.run(
        ["strings", "-a", "-n", str(min_length), str(path)], capture_output=True, text=True
    ).stdout
    return out.splitlines()


def section_names(path: Path) -> set[str]:
    """The names of the sections ``readelf -S`` lists."""
    out = subprocess.run(["readelf", "-SW", str(path)], capture_output=True, text=True).stdout
    return set(re.findall(r"^\s*\[\s*\d+\]\s+(\S+)", out, re.M))
