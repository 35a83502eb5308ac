"""The last stage: payload entries + cached stub -> ``dist/<name>``, atomically.

The payload holds META settings the runtime reads (``entry``), settings that
``pyingot inspect`` reads back (the Python version, the linked extension modules
and their licenses), every module, package data file and distribution metadata
file. Output is written to a temporary name in the destination directory and
renamed into place; the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from pyingot import __version__, packing
from pyingot.distribution.model import Distribution, ExtensionModule
from pyingot.packing import Flag, Kind, PayloadEntry
from pyingot.resources.model import ModuleResource

#: META names the runtime reads (the Rust side names them again in lib.rs).
META_ENTRY = "entry"
#: META names only ``pyingot inspect`` reads.
META_PYTHON_VERSION = "python_version"
META_PYINGOT_VERSION = "pyingot_version"
META_EXTENSIONS = "extensions"
META_NAME = "name"


def meta_entries(
    *, name: str, entry: str, dist: Distribution, selected: Mapping[str, ExtensionModule]
) -> list[PayloadEntry]:
    extensions = {
        ext.name: {"licenses": list(ext.licenses or ()), "public_domain": ext.license_public_domain}
        for ext in sorted(selected.values(), key=lambda e: e.name)
    }
    values = {
        META_ENTRY: entry,
        META_NAME: name,
        META_PYTHON_VERSION: dist.python_version,
        META_PYINGOT_VERSION: __version__,
        META_EXTENSIONS: json.dumps(
            {"python_license": list(dist.licenses or ()), "modules": extensions},
            sort_keys=True,
            separators=(",", ":"),
        ),
    }
    return [PayloadEntry(Kind.META, k, v.encode()) for k, v in sorted(values.items())]


def module_entries(modules: Iterable[ModuleResource], *, keep_sources: bool) -> list[PayloadEntry]:
    out = []
    for m in modules:
        flags = Flag(0)
        if m.is_package:
            flags |= Flag.IS_PACKAGE
        if m.is_namespace:
            # The format's rule: a namespace package is a package without code.
            flags |= Flag.IS_PACKAGE | Flag.IS_NAMESPACE
        source = b""
        if keep_sources and m.source is not None:
            flags |= Flag.HAS_SOURCE
            source = m.source
        out.append(PayloadEntry(Kind.MODULE, m.name, m.bytecode, source, flags))
    return out


def write_executable(stub: Path, entries: Iterable[PayloadEntry], output: Path) -> Path:
    """``stub`` + payload -> ``output`` (mode 0755), via a temporary file and a rename."""
    payload = packing.write_payload(entries)
    data = packing.append(stub.read_bytes(), payload)
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o755)
        epoch = os.environ.get("SOURCE_DATE_EPOCH")
        if epoch and epoch.isdigit():
            os.utime(tmp, (int(epoch), int(epoch)))
        os.replace(tmp, output)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return output
