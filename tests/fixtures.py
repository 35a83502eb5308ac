"""A small distribution in PBS "full" layout, with real ELF objects from cc.

It has the shape of python-build-standalone's own archives (format version 7,
``optimizations`` rather than ``build_options``, a public-domain and a GPL
module, a required module, a shared-only test module), so the reader is held
to the format and not only to what pyingot writes.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import zstandard

_SOURCES = {
    "build/core/Python/ceval.o": "int PyEval_Fixture(void) { return 1; }\n",
    "build/core/Modules/config.o": "int _PyImport_Inittab_fixture;\n",
    "build/extensions/_demo/_demo.o": "void *PyInit__demo(void) { return 0; }\n",
    "build/extensions/posix/posixmodule.o": "void *PyInit_posix(void) { return 0; }\n",
    "build/extensions/readline/readline.o": "void *PyInit_readline(void) { return 0; }\n",
    "build/extensions/_sqlite3/module.o": "void *PyInit__sqlite3(void) { return 0; }\n",
}


def _compile(c_source: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    src = out.with_suffix(".c")
    src.write_text(c_source)
    subprocess.run(["cc", "-c", "-fPIC", "-o", str(out), str(src)], check=True)
    src.unlink()


def python_json(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "7",
        "target_triple": "x86_64-unknown-linux-gnu",
        "optimizations": "pgo",
        "python_tag": "cp312",
        "python_version": "3.12.7",
        "python_major_minor_version": "3.12",
        "python_exe": "install/bin/python3.12",
        "python_paths": {
            "stdlib": "install/lib/python3.12",
            "include": "install/include/python3.12",
        },
        "python_symbol_visibility": "global-default",
        "licenses": ["Python-2.0", "CNRI-Python"],
        "license_path": "licenses/LICENSE.cpython.txt",
        "build_info": {
            "core": {
                "objs": ["build/core/Python/ceval.o"],
                "links": [{"name": "dl", "system": True}, {"name": "m", "system": True}],
                "inittab_object": "build/core/Modules/config.o",
                "inittab_source": "build/core/Modules/config.c",
                "inittab_cflags": ["-std=c99", "-DNDEBUG", "-DPy_BUILD_CORE"],
            },
            "object_file_format": "elf",
            "extensions": {
                "_demo": [
                    {
                        "in_core": False,
                        "init_fn": "PyInit__demo",
                        "links": [],
                        "objs": ["build/extensions/_demo/_demo.o"],
                        "required": False,
                        "variant": "default",
                    }
                ],
                "posix": [
                    {
                        "in_core": False,
                        "init_fn": "PyInit_posix",
                        "links": [],
                        "objs": ["build/extensions/posix/posixmodule.o"],
                        "required": True,
                        "variant": "default",
                    }
                ],
                "readline": [
                    {
                        "in_core": False,
                        "init_fn": "PyInit_readline",
                        "licenses": ["GPL-3.0-only"],
                        "links": [{"name": "readline", "path_static": "build/lib/libreadline.a"}],
                        "objs": ["build/extensions/readline/readline.o"],
                        "required": False,
                        "variant": "readline",
                    }
                ],
                "_sqlite3": [
                    {
                        "in_core": False,
                        "init_fn": "PyInit__sqlite3",
                        "licenses": [],
                        "license_public_domain": True,
                        "links": [{"name": "sqlite3", "path_static": "build/lib/libsqlite3.a"}],
                        "objs": ["build/extensions/_sqlite3/module.o"],
                        "required": False,
                        "variant": "default",
                    }
                ],
                "_testcapi": [
                    {
                        "in_core": False,
                        "init_fn": "PyInit__testcapi",
                        "links": [],
                        "objs": [],
                        "required": False,
                        "variant": "default",
                        "shared_lib": "install/lib/python3.12/lib-dynload/_testcapi.so",
                    }
                ],
            },
        },
        "crt_features": ["glibc-dynamic", "glibc-max-symbol-version:2.17"],
    }
    data.update(overrides)
    return data


def make_tree(root: Path, data: dict[str, Any] | None = None) -> Path:
    """Write ``root/python/...``; return ``root``."""
    py = root / "python"
    for rel, c_source in _SOURCES.items():
        _compile(c_source, py / rel)
    (py / "build/core/Modules/config.c").write_text("/* inittab */\n")
    for lib, symbol in (("readline", "readline"), ("sqlite3", "sqlite3_open")):
        obj = py / f"build/lib/{lib}.o"
        _compile(f"int {symbol}(void) {{ return 0; }}\n", obj)
        subprocess.run(["ar", "rcs", str(py / f"build/lib/lib{lib}.a"), str(obj)], check=True)
        obj.unlink()
    (py / "licenses").mkdir(parents=True)
    (py / "licenses/LICENSE.cpython.txt").write_text("PSF License\n")
    (py / "PYTHON.json").write_text(json.dumps(data or python_json(), indent=2))
    return root


def make_archive(tree: Path, archive: Path) -> Path:
    """Pack ``tree/python`` as a PBS-style ``.tar.zst``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(tree / "python", arcname="python")
    archive.write_bytes(zstandard.ZstdCompressor().compress(buf.getvalue()))
    return archive
