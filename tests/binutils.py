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
