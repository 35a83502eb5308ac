"""``importlib.resources.files()`` for packages embedded in a pyingot executable.

A package's data files are DATA entries named ``<package>/<relative/path>``;
this module presents them as a read-only ``Traversable`` tree, read from the
mapped executable. Subpackages appear as directories. Embedded in every
payload; imports only the standard library and ``_pyingot``.
"""

import io
import os
from importlib.resources import as_file
from importlib.resources.abc import Traversable, TraversableResources

import _pyingot


def reader(fullname):
    """The loader's ``get_resource_reader``: packages only, as for files on disk."""
    if not _pyingot.is_package(fullname):
        return None
    return _Reader(fullname)


def _as_file(path):
    """``importlib.resources.as_file()`` for embedded data, without touching the disk.

    The generic implementation extracts a temporary copy (certifi.where() and so
    requests at import time would write under /tmp). An embedded file or
    directory has a path already: its own in the executable's read-only view
    (``<exe>/pkg/data.txt``), which ``open()``, ``os`` functions and C code read
    as a file, under its own name, as python's resources on disk are handed out.
    """
    import contextlib
    import pathlib

    virtual = path._virtual()
    if not os.path.exists(virtual):
        return as_file.registry[object](path)
    return contextlib.nullcontext(pathlib.Path(virtual))


class _Reader(TraversableResources):
    def __init__(self, package):
        self._package = package

    def files(self):
        return PayloadPath(self._package, "")


class PayloadPath(Traversable):
    """A file or directory of package data inside the executable."""

    def __init__(self, package, path):
        self._package = package
        self._path = path  # "" is the package's own directory

    def __repr__(self):
        return f"PayloadPath({self._package!r}, {self._path!r})"

    def __eq__(self, other):
        return isinstance(other, PayloadPath) and (self._package, self._path) == (
            other._package,
            other._path,
        )

    def __hash__(self):
        return hash((self._package, self._path))

    @property
    def name(self):
        return self._path.rpartition("/")[2] if self._path else self._package.rpartition(".")[2]

    def _key(self):
        return f"{self._package}/{self._path}"

    def _entry(self):
        return _pyingot.get(_pyingot.DATA, self._key()) if self._path else None

    def _virtual(self):
        """The path in the executable's read-only view."""
        virtual = f"{_pyingot.executable}/{self._package.replace('.', '/')}"
        return f"{virtual}/{self._path}" if self._path else virtual

    def _module_file(self):
        """A module's file in the package's directory (``__init__.py``, ``mod.py``):
        not package data, but listed and read as on disk, through the view."""
        return bool(self._path) and "/" not in self._path and os.path.isfile(self._virtual())

    def is_file(self):
        return self._entry() is not None or self._module_file()

    def is_dir(self):
        if not self._path:
            return True
        return bool(_pyingot.names(_pyingot.DATA, self._key() + "/"))

    def iterdir(self):
        if not self.is_dir():
            raise NotADirectoryError(self._key())
        base = self._key() if self._path else self._package + "/"
        if self._path:
            base += "/"
        seen = set()
        for name in _pyingot.names(_pyingot.DATA, base):
            child = name[len(base) :].partition("/")[0]
            if child and child not in seen:
                seen.add(child)
                yield self._child(child)
        if not self._path:
            prefix = self._package + "."
            for name in _pyingot.names(_pyingot.MODULE, prefix):
                child = name[len(prefix) :]
                if "." not in child and _pyingot.is_package(name) and child not in seen:
                    seen.add(child)
                    yield PayloadPath(name, "")
            # The modules' own files, as a directory on disk lists them.
            for child in sorted(os.listdir(self._virtual())):
                if child not in seen and child.endswith((".py", ".so")):
                    seen.add(child)
                    yield PayloadPath(self._package, child)

    def _child(self, child):
        path = f"{self._path}/{child}" if self._path else child
        if not self._path:
            sub = f"{self._package}.{child}"
            if _pyingot.get(_pyingot.MODULE, sub) is not None and _pyingot.is_package(sub):
                return PayloadPath(sub, "")
        return PayloadPath(self._package, path)

    def joinpath(self, *descendants):
        node = self
        for d in descendants:
            for part in str(d).replace("\\", "/").split("/"):
                if part in ("", "."):
                    continue
                if part == "..":
                    raise ValueError("'..' is not supported inside an executable's resources")
                node = node._child(part)
        return node

    def __truediv__(self, child):
        return self.joinpath(child)

    def read_bytes(self):
        entry = self._entry()
        if entry is None:
            if self._module_file():
                with open(self._virtual(), "rb") as f:
                    return f.read()
            raise FileNotFoundError(f"{_pyingot.executable}/{self._key()}")
        return bytes(entry[1])

    def read_text(self, encoding=None, errors=None):
        return self.read_bytes().decode(encoding or "utf-8", errors or "strict")

    def open(self, mode="r", *args, **kwargs):
        if mode not in ("r", "rb"):
            raise ValueError(f"resources inside an executable are read-only (mode {mode!r})")
        stream = io.BytesIO(self.read_bytes())
        if mode == "rb":
            return stream
        kwargs.setdefault("encoding", "utf-8")
        return io.TextIOWrapper(stream, *args, **kwargs)


as_file.register(PayloadPath, _as_file)
