"""Start-up and import: fresh interpreters that import 36 stdlib modules and exit.

The interpreter's start-up, unmarshalling of .pyc files, and the imported
modules' own import-time code (extension modules included).
"""

from __future__ import annotations

import subprocess
import sys

PROCESSES = 15

MODULES = [
    "argparse",
    "asyncio",
    "base64",
    "collections",
    "csv",
    "dataclasses",
    "datetime",
    "decimal",
    "email.message",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "http.client",
    "inspect",
    "json",
    "logging",
    "pathlib",
    "pickle",
    "random",
    "re",
    "shutil",
    "socket",
    "sqlite3",
    "ssl",
    "statistics",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "typing",
    "unittest",
    "urllib.request",
    "uuid",
    "xml.etree.ElementTree",
    "zipfile",
]


def bench() -> str:
    code = f"import {', '.join(MODULES)}"
    for _ in range(PROCESSES):
        subprocess.run([sys.executable, "-I", "-S", "-c", code], check=True)
    return str(len(MODULES))
